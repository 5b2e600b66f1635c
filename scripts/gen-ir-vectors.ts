/**
 * Generates the IR test vectors, `spec-tests/ir/vectors/`: for each spec case
 * with a single-file policy, the compiled IR, every input of the case with
 * the decision it gets, and every output with its labels (format in
 * `spec-tests/ir/README.md` and `docs/ir.md`).
 *
 *   node scripts/gen-ir-vectors.ts           write the vectors
 *   node scripts/gen-ir-vectors.ts --check   exit 1 if a vector is stale, missing or left over
 *
 * The cases are the language's (`spec-tests/language/`, in `vectors/language/`)
 * and the IR's own (`spec-tests/ir/cases/`, in `vectors/ir/`), which cover what
 * the language's leave out. Expected outputs are the reference interpreter's;
 * the script fails if the IR evaluator disagrees with it, or if a case's own
 * expectations do not hold. Policies importing other files are left out: the
 * IR has no imports, and those cases are about linking.
 *
 * Exits 2 on a bad argument or a case that cannot be made into a vector.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { compileChecked } from "../src/compiler.ts";
import { evaluate as evaluateIr, labelOutput as labelIr } from "../src/eval/index.ts";
import type { EvalDecision } from "../src/ir/contract.ts";
import { conformInput, evaluate, labelOutput } from "../src/semantics/index.ts";
import { CASES_DIR, checkCase, loadCases, type SpecCase } from "../test/support/cases.ts";

const root = join(import.meta.dirname, "..");
const specTests = join(root, "spec-tests");
const vectorsDir = join(specTests, "ir", "vectors");
const SOURCES = [
  { dir: CASES_DIR, prefix: "language" },
  { dir: join(specTests, "ir", "cases"), prefix: "ir" },
];
const WIDTH = 110;

class VectorError extends Error {}

/** JSON on one line, spaced as Prettier spaces it, in ASCII. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`);
    return members.length === 0 ? "{}" : `{ ${members.join(", ")} }`;
  }
  const text = JSON.stringify(value);
  if (text === undefined) throw new VectorError("a value has no JSON form");
  // ASCII only, so no reader trips over encodings or line separators inside strings.
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** JSON with two-space indentation, keeping an array or object on one line when it fits. */
function formatJson(value: unknown, indent = ""): string {
  const flat = inline(value);
  if (typeof value !== "object" || value === null || indent.length + flat.length <= WIDTH) return flat;
  const inner = `${indent}  `;
  const items = Array.isArray(value)
    ? value.map((v) => `${inner}${formatJson(v, inner)}`)
    : Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return `${open}\n${items.join(",\n")}\n${indent}${close}`;
}

function pick(decision: EvalDecision, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, decision[key as keyof EvalDecision]]));
}

/** The vector of one case, as files by path below `vectors/`; null for a case the IR cannot show. */
function vectorOf(c: SpecCase, dir: string, prefix: string): Map<string, string> | null {
  const runs = c.tests.filter((t) => t.kind !== "diagnostics");
  if (runs.length === 0 || Object.keys(c.files).length > 1) return null;
  const where = `${prefix}/${c.path}`;
  const checked = checkCase(c);
  if (checked.policy === null) throw new VectorError(`${where}: the policy does not check`);
  const { ir } = compileChecked(checked.policy);
  if (ir === null) throw new VectorError(`${where}: the policy does not compile`);
  const decisions: unknown[] = [];
  const labels: unknown[] = [];
  for (const t of runs) {
    const at = `${where} #${t.index}`;
    if (t.kind === "decision") {
      if (!conformInput(checked.policy, t.input).ok)
        throw new VectorError(`${at}: the input does not conform`);
      const expected = evaluate(checked.policy, t.input);
      if (!isDeepStrictEqual(evaluateIr(ir, t.input), expected))
        throw new VectorError(`${at}: the IR evaluator disagrees with the reference interpreter`);
      if (!isDeepStrictEqual(pick(expected, Object.keys(t.expect)), t.expect))
        throw new VectorError(`${at}: the case's expectation does not hold`);
      decisions.push({ input: t.input, expect: expected });
    } else if (t.kind === "classify") {
      const expected = labelOutput(checked.policy, t.tool, t.args, t.output);
      if (!isDeepStrictEqual(labelIr(ir, t.tool, t.args, t.output), expected))
        throw new VectorError(`${at}: the IR evaluator labels differently from the reference interpreter`);
      if (!isDeepStrictEqual(expected, t.expect.labels))
        throw new VectorError(`${at}: the case's expectation does not hold`);
      labels.push({ tool: t.tool, args: t.args, output: t.output, expect: expected });
    }
  }
  const base = `${prefix}/${c.path.replace(/\.case$/, "")}`;
  const vector = {
    description: c.description,
    source: relative(specTests, join(dir, c.path)).split("\\").join("/"),
    policy: `${base.split("/").pop()}.aarm`,
    ir,
    decisions,
    labels,
  };
  return new Map([
    [`${base}.json`, `${formatJson(vector)}\n`],
    [`${base}.aarm`, c.files[c.root] as string],
  ]);
}

/** Every vector file by path below `vectors/`, sorted. */
function buildVectors(): Map<string, string> {
  const files = new Map<string, string>();
  for (const { dir, prefix } of SOURCES) {
    for (const c of loadCases(dir)) {
      for (const [path, text] of vectorOf(c, dir, prefix) ?? []) files.set(path, text);
    }
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function existing(): string[] {
  if (!existsSync(vectorsDir)) return [];
  return readdirSync(vectorsDir, { recursive: true, encoding: "utf8" })
    .map((file) => file.split("\\").join("/"))
    .filter((file) => file.endsWith(".json") || file.endsWith(".aarm"));
}

function main(args: readonly string[]): number {
  const check = args.includes("--check");
  const unknown = args.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    console.error(`gen-ir-vectors: unknown argument ${unknown[0]}\nusage: gen-ir-vectors [--check]`);
    return 2;
  }
  let files: Map<string, string>;
  try {
    files = buildVectors();
  } catch (error) {
    if (!(error instanceof VectorError)) throw error;
    console.error(`gen-ir-vectors: ${error.message}`);
    return 2;
  }
  const leftOver = existing().filter((file) => !files.has(file));
  if (check) {
    const stale = [...files].filter(([path, text]) => {
      const file = join(vectorsDir, path);
      return !existsSync(file) || readFileSync(file, "utf8") !== text;
    });
    for (const [path] of stale) console.error(`stale or missing: spec-tests/ir/vectors/${path}`);
    for (const path of leftOver) console.error(`left over: spec-tests/ir/vectors/${path}`);
    if (stale.length + leftOver.length === 0) return 0;
    console.error("regenerate with: node scripts/gen-ir-vectors.ts");
    return 1;
  }
  for (const path of leftOver) rmSync(join(vectorsDir, path));
  for (const [path, text] of files) {
    const file = join(vectorsDir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  console.log(`wrote ${files.size / 2} vectors to spec-tests/ir/vectors/`);
  return 0;
}

process.exit(main(process.argv.slice(2)));
