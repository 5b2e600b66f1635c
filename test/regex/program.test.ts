// The program format: well-formed, plain JSON, exactly the size the parser bounded, with a sound
// `anchoredStart`; and the matcher's independence from everything but the program's types.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { regexTest } from "../../src/eval/regex.ts";
import { parseRegex } from "../../src/ir/regex/parse.ts";
import type { Program } from "../../src/ir/regex/program.ts";
import { MAX_CODE_POINT } from "../../src/ir/regex/ranges.ts";
import { propertyParams } from "../support/property.ts";
import { flags, patterns, subjects } from "./grammar.ts";
import { program } from "./oracle.ts";

/** Why `p` is not well-formed, or null. */
function malformation(p: Program): string | null {
  const n = p.insts.length;
  const inRange = (pc: number) => Number.isInteger(pc) && pc >= 0 && pc < n;
  if (!inRange(p.start)) return `start ${p.start}`;
  if (p.insts.filter((inst) => inst.op === "match").length !== 1) return "not exactly one match";
  for (const [pc, inst] of p.insts.entries()) {
    if (inst.op === "match") continue;
    if (!inRange(inst.next)) return `${pc}: next ${inst.next}`;
    if (inst.op === "split" && !inRange(inst.alt)) return `${pc}: alt ${inst.alt}`;
    if (inst.op !== "char-class") continue;
    const r = inst.ranges;
    if (r.length % 2 !== 0) return `${pc}: odd ranges`;
    for (let i = 0; i < r.length; i += 2) {
      if (!Number.isInteger(r[i]) || r[i]! < 0 || r[i]! > r[i + 1]! || r[i + 1]! > MAX_CODE_POINT) {
        return `${pc}: bad range ${r[i]}-${r[i + 1]}`;
      }
      if (i > 0 && r[i]! <= r[i - 1]! + 1) return `${pc}: ranges not sorted and merged`;
    }
  }
  return null;
}

describe("compiled programs", () => {
  it("are well-formed, survive JSON, have exactly the parsed size, and anchor soundly", () => {
    fc.assert(
      fc.property(patterns, flags, subjects, (source, f, texts) => {
        const compiled = program(source, f);
        expect(malformation(compiled)).toBeNull();
        const parsed = parseRegex(source, {
          foldCase: f.includes("i"),
          multiLine: f.includes("m"),
          ungreedy: false,
          dotAll: f.includes("s"),
        });
        if (!parsed.ok) throw new Error(parsed.message);
        expect(compiled.insts.length).toBe(parsed.node.size + 1);
        const copy: Program = JSON.parse(JSON.stringify(compiled));
        expect(copy).toEqual(compiled);
        const unanchored: Program = { ...compiled, anchoredStart: false };
        for (const text of texts) {
          const result = regexTest(compiled, text);
          expect(regexTest(copy, text)).toBe(result);
          expect(regexTest(unanchored, text)).toBe(result);
        }
      }),
      propertyParams(200, 25),
    );
  });

  it("anchor at the start exactly when every path checks \\A before anything else", () => {
    for (const source of ["^abc", String.raw`\Aa|\Ab`, "^(?:a|b)*", "(?:^)+x", "(?i)^k", String.raw`\b^a`]) {
      expect(program(source).anchoredStart, source).toBe(true);
    }
    for (const source of ["(?m)^a", "a|^b", "(?:^a)*", "", "x*^"]) {
      expect(program(source).anchoredStart, source).toBe(false);
    }
  });

  it("handle the empty pattern, the empty class and the empty subject", () => {
    expect(regexTest(program(""), "")).toBe(true);
    expect(regexTest(program(""), "abc")).toBe(true);
    expect(regexTest(program(String.raw`[^\x00-\x{10FFFF}]`), "abc")).toBe(false);
    expect(regexTest(program("$"), "")).toBe(true);
    expect(regexTest(program("a"), "")).toBe(false);
  });
});

describe("module boundaries", () => {
  it("src/eval/regex.ts imports nothing but the types of program.ts", () => {
    const text = readFileSync(new URL("../../src/eval/regex.ts", import.meta.url), "utf8");
    const imports = [...text.matchAll(/^import\s[^;]*;/gm)].map((m) => m[0]);
    expect(imports).toEqual(['import type { Assertion, Program } from "../ir/regex/program.ts";']);
  });

  it("src/ir/regex/program.ts holds types only: it compiles to no code", () => {
    const text = readFileSync(new URL("../../src/ir/regex/program.ts", import.meta.url), "utf8");
    const output = ts.transpileModule(text, {
      compilerOptions: { module: ts.ModuleKind.ESNext, removeComments: true },
    }).outputText;
    expect(output.replace(/export \{\};/, "").trim()).toBe("");
  });
});
