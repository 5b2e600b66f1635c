// Parser fuzzing: on any input — random text, random token sequences, and
// mutations of the valid examples in docs/language.md — parseSource returns
// (never throws), quickly, with every diagnostic located inside the input
// and an AST only when there are no errors.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Span } from "../../src/lang/ast.ts";
import { SYNTAX_CODES } from "../../src/lang/codes-syntax.ts";
import { KEYWORDS, lex } from "../../src/lang/lexer.ts";
import { parseSource } from "../../src/lang/parse.ts";
import { propertyParams } from "../support/property.ts";

/** Generous: inputs here are small, and a parse takes about a millisecond. */
const TIME_BOUND_MS = 2000;
const CODES = new Set(SYNTAX_CODES.map((c) => c.code));

/** Line and column of an offset, computed independently of the parser (LF, CRLF and CR end lines). */
function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = text[i];
    if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** What is wrong with a span, if anything. */
function spanProblem(text: string, span: Span): string | null {
  if (span.file !== "fuzz.aarm") return `span in ${span.file}`;
  if (!(0 <= span.start && span.start <= span.end && span.end <= text.length)) {
    return `span [${span.start}, ${span.end}) outside [0, ${text.length}]`;
  }
  const { line, column } = position(text, span.start);
  return line === span.line && column === span.column
    ? null
    : `offset ${span.start} is ${line}:${column}, span says ${span.line}:${span.column}`;
}

/** Every span in an AST lies within the text. */
function astProblems(text: string, node: unknown, out: string[]): void {
  if (typeof node !== "object" || node === null) return;
  const span = (node as { span?: Span }).span;
  if (span !== undefined && !(0 <= span.start && span.start <= span.end && span.end <= text.length)) {
    out.push(`AST span [${span.start}, ${span.end}) outside the text`);
  }
  for (const [key, value] of Object.entries(node)) if (key !== "span") astProblems(text, value, out);
}

/** The invariants every input must satisfy (checked without `expect` per item, which is slow in bulk). */
function parsesSafely(text: string): void {
  const started = performance.now();
  const result = parseSource(text, "fuzz.aarm");
  const elapsed = performance.now() - started;
  const problems: string[] = [];
  if (elapsed > TIME_BOUND_MS) problems.push(`took ${elapsed} ms`);
  for (const d of result.diagnostics) {
    if (!CODES.has(d.code as never)) problems.push(`unknown code ${d.code}`);
    if (d.message === "") problems.push(`${d.code} without a message`);
    const spans = [d.span, ...d.notes.map((n) => n.span)];
    if (d.span === null) problems.push(`${d.code} without a span`);
    for (const span of spans) {
      const problem = span === null ? null : spanProblem(text, span);
      if (problem !== null) problems.push(`${d.code}: ${problem}`);
    }
  }
  const errors = result.diagnostics.some((d) => d.severity === "error");
  if ((result.file === null) !== errors)
    problems.push(errors ? "an AST despite errors" : "no AST and no error");
  if (result.file !== null) astProblems(text, result.file, problems);
  expect(problems).toEqual([]);
}

// ---------------------------------------------------------------------------
// Inputs

const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "language.md"), "utf8");
const EXAMPLES = [...doc.matchAll(/```aarm( fragment)?\n([\s\S]*?)```/g)]
  .map((m) => m[2] ?? "")
  .filter((code) => !code.includes("<kind>"))
  .map((code) =>
    code.trimStart().startsWith("policy") ? code : `policy p version "1"\n${code}\ndefault deny\n`,
  );

const VOCABULARY = [
  ...KEYWORDS,
  ...[
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "+",
    "-",
    "*",
    ",",
    ":",
    ";",
    "?",
    ".",
    "..",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
  ],
  ...[
    "x",
    "args",
    "bank.send_money",
    "session",
    ".seen",
    "intent",
    "egress",
    "std/exfiltration",
    "pii",
    "string",
  ],
  ...['"s"', '"esc\\n"', '"bad\\q"', '"open', "12", "0.5", "1e3", "15m", "500ms", "1.5h", "15min", "0..100"],
  ...[
    "/re/",
    "/re/i",
    "/re/g",
    "/open",
    "// line",
    "/* block */",
    "/* open",
    "&&",
    "||",
    "!",
    "'q'",
    "@",
    "\n",
  ],
];

/** Text in the language's own alphabet: more likely to reach deep into the grammar than arbitrary text. */
const languageChars = fc.string({
  unit: fc.constantFrom(..."ab_xyz09 .,:;?=!<>+-*/\\\"'(){}[]\n\r\tmshdie@&|"),
  maxLength: 300,
});

const tokenSequence = fc
  .tuple(fc.boolean(), fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 80 }))
  .map(([header, tokens]) => (header ? 'policy p version "1"\n' : "") + tokens.join(" "));

/** Token boundaries of an example, from the lexer (comments included). */
function tokenRanges(text: string): readonly [number, number][] {
  const { tokens, comments } = lex(text);
  return [...tokens, ...comments]
    .map((t): [number, number] => [t.startOffset, t.startOffset + t.image.length])
    .sort((a, b) => a[0] - b[0]);
}

type Mutation =
  | { kind: "delete-token" | "duplicate-token" | "swap-tokens"; at: number }
  | { kind: "insert-token"; at: number; token: string }
  | { kind: "delete-char" | "duplicate-char"; at: number }
  | { kind: "insert-char"; at: number; char: string };

function mutate(text: string, m: Mutation): string {
  const ranges = tokenRanges(text);
  const pick = (at: number) => ranges[at % Math.max(ranges.length, 1)] ?? [0, 0];
  const [start, end] = pick(m.at);
  const charAt = text.length === 0 ? 0 : m.at % text.length;
  switch (m.kind) {
    case "delete-token":
      return text.slice(0, start) + text.slice(end);
    case "duplicate-token":
      return text.slice(0, end) + " " + text.slice(start, end) + text.slice(end);
    case "swap-tokens": {
      const [nextStart, nextEnd] = pick(m.at + 1);
      if (nextStart < end) return text;
      return (
        text.slice(0, start) +
        text.slice(nextStart, nextEnd) +
        text.slice(end, nextStart) +
        text.slice(start, end) +
        text.slice(nextEnd)
      );
    }
    case "insert-token":
      return `${text.slice(0, start)}${m.token} ${text.slice(start)}`;
    case "delete-char":
      return text.slice(0, charAt) + text.slice(charAt + 1);
    case "duplicate-char":
      return text.slice(0, charAt + 1) + text.slice(charAt);
    case "insert-char":
      return text.slice(0, charAt) + m.char + text.slice(charAt);
  }
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("delete-token", "duplicate-token", "swap-tokens", "delete-char", "duplicate-char"),
    at: fc.nat(),
  }) as fc.Arbitrary<Mutation>,
  fc.record({ kind: fc.constant("insert-token"), at: fc.nat(), token: fc.constantFrom(...VOCABULARY) }),
  fc.record({
    kind: fc.constant("insert-char"),
    at: fc.nat(),
    char: fc.string({ minLength: 1, maxLength: 1 }),
  }),
);

const mutatedExample = fc
  .tuple(fc.constantFrom(...EXAMPLES), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([example, mutations]) => mutations.reduce(mutate, example));

// ---------------------------------------------------------------------------

describe("parser fuzzing", () => {
  it("has examples to mutate", () => {
    expect(EXAMPLES.length).toBeGreaterThan(5);
    for (const example of EXAMPLES) expect(parseSource(example, "fuzz.aarm").diagnostics).toEqual([]);
  });

  it("survives random text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), parsesSafely), propertyParams(150));
  });

  it("survives random text in the language's alphabet", () => {
    fc.assert(fc.property(languageChars, parsesSafely), propertyParams(300));
  });

  it("survives random sequences of the language's tokens", () => {
    fc.assert(fc.property(tokenSequence, parsesSafely), propertyParams(300));
  });

  it("survives deleted, duplicated, swapped and inserted tokens and characters in valid policies", () => {
    fc.assert(fc.property(mutatedExample, parsesSafely), propertyParams(300));
  });

  it("reports a mutation that breaks a policy at a place inside it", () => {
    // Deleting the closing brace of a tool block must be an error, located.
    const example = EXAMPLES.find((e) => e.includes("tool bank.send_money {")) ?? "";
    const broken = example.replace(/target args.recipient\n}/, "target args.recipient\n");
    const result = parseSource(broken, "fuzz.aarm");
    expect(result.file).toBeNull();
    expect(result.diagnostics[0]?.span?.start).toBeGreaterThan(example.indexOf("tool bank.send_money"));
  });
});
