// Run by linear.test.ts under plain Node, outside vitest's module transform: the matcher, hot, over text of
// surrogate pairs and ASCII only, must never split a pair. Prints one line per failure and exits non-zero.
import { regexReplaceAll, regexTest } from "../../src/eval/regex.ts";
import { compileRegex } from "../../src/ir/regex/compile.ts";

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNITS = ["😀 \nxba", "😀", "a😀", "😀😃 "];
const LENGTHS = [1, 300, 300, 300, 300, 300, 300, 300, 300, 3000, 3000, 3000];
const failures: string[] = [];

function compiled(source: string) {
  const result = compileRegex(source, "");
  if (!result.ok) throw new Error(`/${source}/: ${result.message}`);
  return result.program;
}

for (const source of ["", "(?m)", "x*", "a|", String.raw`\b`, ".", "[^a]"]) {
  const program = compiled(source);
  for (const unit of UNITS) {
    for (const n of LENGTHS) {
      if (LONE_SURROGATE.test(regexReplaceAll(program, unit.repeat(n), "<>"))) {
        failures.push(`regexReplaceAll /${source}/ split a pair in ${JSON.stringify(unit)} x ${n}`);
      }
    }
  }
}
for (const source of [String.raw`[\x{D800}-\x{DFFF}]`, String.raw`\x{D83D}`, String.raw`\x{DE00}`]) {
  const program = compiled(source);
  for (const unit of UNITS) {
    for (const n of LENGTHS) {
      if (regexTest(program, unit.repeat(n)))
        failures.push(`regexTest /${source}/ split a pair in ${JSON.stringify(unit)} x ${n}`);
    }
  }
}
for (const failure of failures) console.log(failure);
process.exitCode = failures.length === 0 ? 0 : 1;
