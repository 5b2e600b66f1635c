/**
 * The formatter's guarantees, checked over every `.aarm` text in the
 * repository, over generated policies, and over a comment put between every
 * two tokens of a sample policy:
 *
 * - the output parses, to the same AST (spans aside): formatting never changes meaning;
 * - it is idempotent: formatting the output changes nothing;
 * - every comment survives, in the original order;
 * - LF line ends, a final newline, no trailing spaces (block comments are verbatim).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { SourceFile } from "../../src/lang/ast.ts";
import { firstDifference } from "../../src/lang/ast-equal.ts";
import { format } from "../../src/lang/format.ts";
import { lex } from "../../src/lang/lexer.ts";
import { parseSource } from "../../src/lang/parse.ts";
import { arbitraryPolicy } from "../support/arbitrary-policy.ts";
import { arbitrarySyntax } from "../support/arbitrary-syntax.ts";
import { propertyParams } from "../support/property.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Checks every guarantee for one source text; false (and nothing checked)
 * when the text does not parse, which is the parser's business.
 */
function checkFormatting(source: string, name: string): boolean {
  const original = parseSource(source, name).file;
  if (original === null) return false;
  const once = format(original);
  const reparsed = parseSource(once, name);
  expect(
    reparsed.diagnostics.filter((d) => d.severity === "error"),
    `${name}: output does not parse:\n${once}`,
  ).toEqual([]);
  const again = reparsed.file as SourceFile;
  expect(firstDifference(original, again), `${name}: AST changed by formatting:\n${once}`).toBeNull();
  expect(commentTexts(again), `${name}: comments changed:\n${once}`).toEqual(commentTexts(original));
  expect(format(again), `${name}: not idempotent`).toBe(once);
  expect(once.includes("\r"), `${name}: CR in output`).toBe(false);
  expect(once.endsWith("\n") && !once.endsWith("\n\n"), `${name}: not one final newline`).toBe(true);
  let outsideBlockComments = once;
  for (const c of again.comments) {
    if (c.text.startsWith("/*")) outsideBlockComments = outsideBlockComments.replace(c.text, "/**/");
  }
  expect(/[ \t]$/m.test(outsideBlockComments), `${name}: trailing spaces:\n${once}`).toBe(false);
  return true;
}

/**
 * The comments as the formatter promises to keep them: same texts in the
 * same order, except that line comments lose trailing spaces and block
 * comments get LF line ends.
 */
function commentTexts(file: SourceFile): string[] {
  return file.comments.map((c) =>
    c.text.startsWith("//") ? c.text.trimEnd() : c.text.replace(/\r\n?/g, "\n"),
  );
}

// ---------------------------------------------------------------------------
// The repository's own policies

interface Input {
  readonly name: string;
  readonly source: string;
}

function filesUnder(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => f.endsWith(suffix) && statSync(f).isFile())
    .sort();
}

/** The `.aarm` sections of a spec case: after a `--- <name>.aarm` line, up to the next `--- ` line. */
function caseSections(path: string): Input[] {
  const out: Input[] = [];
  let current: { name: string; lines: string[] } | null = null;
  for (const textLine of readFileSync(path, "utf8").split("\n")) {
    if (textLine.startsWith("--- ")) {
      if (current !== null) out.push({ name: current.name, source: current.lines.join("\n") });
      const section = textLine.slice(4).trim();
      current = section.endsWith(".aarm") ? { name: `${relative(ROOT, path)}#${section}`, lines: [] } : null;
    } else {
      current?.lines.push(textLine);
    }
  }
  if (current !== null) out.push({ name: current.name, source: current.lines.join("\n") });
  return out;
}

/** The `aarm` code blocks of a markdown page; `aarm fragment` blocks inside a minimal policy. */
function markdownBlocks(path: string): Input[] {
  const text = readFileSync(path, "utf8");
  return [...text.matchAll(/^```aarm( fragment)?\n([\s\S]*?)^```/gm)].map((m, i) => ({
    name: `${relative(ROOT, path)}#${i + 1}`,
    source: m[1] === undefined ? (m[2] ?? "") : `policy p version "1"\n${m[2] ?? ""}\ndefault deny`,
  }));
}

function repositoryInputs(): Input[] {
  const aarm = ["stdlib", "examples", "spec-tests"].flatMap((d) => filesUnder(join(ROOT, d), ".aarm"));
  return [
    ...aarm.map((f) => ({ name: relative(ROOT, f), source: readFileSync(f, "utf8") })),
    ...filesUnder(join(ROOT, "spec-tests"), ".case").flatMap(caseSections),
    ...filesUnder(join(ROOT, "docs"), ".md").flatMap(markdownBlocks),
  ];
}

describe("formatting the repository's policies", () => {
  const inputs = repositoryInputs();

  test("keeps meaning, comments and layout guarantees for every policy that parses", () => {
    const exercised = inputs.filter((input) => checkFormatting(input.source, input.name));
    // Guards against a vacuous pass (a moved directory, a broken extractor): some 250 parse today.
    expect(exercised.length).toBeGreaterThanOrEqual(200);
  });
});

// ---------------------------------------------------------------------------
// Generated policies

describe("formatting generated policies", () => {
  test("every generated policy parses, and formatting keeps its meaning and comments", () => {
    let exercised = 0;
    fc.assert(
      fc.property(arbitrarySyntax(), ({ source }) => {
        const parsed = parseSource(source, "generated.aarm");
        expect(
          parsed.diagnostics.filter((d) => d.severity === "error"),
          source,
        ).toEqual([]);
        if (checkFormatting(source, "generated.aarm")) exercised++;
      }),
      propertyParams(200),
    );
    expect(exercised).toBeGreaterThanOrEqual(200);
  });

  test("well-typed generated policies and their modules keep their meaning when formatted", () => {
    let exercised = 0;
    fc.assert(
      fc.property(arbitraryPolicy(), (policy) => {
        for (const [name, source] of [["policy.aarm", policy.source], ...Object.entries(policy.files)]) {
          expect(checkFormatting(source ?? "", name ?? ""), source).toBe(true);
          exercised++;
        }
      }),
      propertyParams(100),
    );
    expect(exercised).toBeGreaterThanOrEqual(100);
  });

  test("an AST built by a program, without meaningful spans, is printed so that it parses back the same", () => {
    const nowhere = { file: "built.aarm", start: 0, end: 0, line: 1, column: 1 };
    const placeless = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(placeless);
      if (typeof value !== "object" || value === null) return value;
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          k,
          k === "span" ? nowhere : k === "comments" ? [] : placeless(v),
        ]),
      );
    };
    fc.assert(
      fc.property(arbitrarySyntax({ comments: false }), ({ source }) => {
        const file = parseSource(source, "generated.aarm").file;
        if (file === null) return;
        const built = placeless(file) as SourceFile;
        const text = format(built);
        const back = parseSource(text, "generated.aarm").file;
        expect(back, text).not.toBeNull();
        expect(firstDifference(built, back), text).toBeNull();
      }),
      propertyParams(100),
    );
  });

  test("the layout does not depend on the whitespace and comments of the input", () => {
    fc.assert(
      fc.property(arbitrarySyntax({ comments: false }), ({ source }) => {
        const file = parseSource(source, "generated.aarm").file;
        if (file === null) return;
        const squeezed = lex(source)
          .tokens.map((t) => t.image)
          .join(" ");
        const other = parseSource(squeezed, "generated.aarm").file;
        expect(other, squeezed).not.toBeNull();
        expect(format(other as SourceFile)).toBe(format(file));
      }),
      propertyParams(100),
    );
  });
});

// ---------------------------------------------------------------------------
// A comment in every gap between tokens

const SAMPLE = `policy payments version "2026.11.1"
import std/exfiltration with { max_sends = 5 }
import mcp "./fs.json" as fs
tool bank.send_money {
  args { recipient: string, amount: number, memo?: string }
  effect egress
  target args.recipient
  output confidential, pii
}
fact window: bool
const trusted = {"a", "b"}
param limit: number = 10
category customer_data, health
classify ssn on crm.lookup when output matches /\\d+/ label restricted, pii
deny payee on bank.send_money
  when session.tainted and args.recipient not in trusted or not (args.amount > -limit * 2)
  unless session.seen(effect == read then tool == "x", within 1h) and lower(args.memo) == "ok"
  risk high
  because "payee came from untrusted content"
step_up large on bank.send_money when session.count(pii in labels) > 1
  approvers ["group:finance", "bob"] quorum 1 timeout 15m escalate after 5m to ["alice"] self_approval
defer wait on bank.send_money needs window timeout 5m then step_up approvers ["ops"]
defer hold needs window then deny
modify cap on bank.send_money set args.amount = 100 clamp args.amount to 0..limit remove args.memo
  redact args.memo matching /x/i
allow sums when session.sum("bank.send_money", amount, within 24h) < 1000
default deny
`;

describe("a comment between any two tokens", () => {
  const gaps = lex(SAMPLE).tokens.map((t) => t.startOffset);

  for (const [kind, text] of [
    ["a line comment", " // note\n"],
    ["a block comment", " /* note */ "],
    ["an own-line comment", "\n// note\n"],
    ["a multi-line block comment", "\n/* two\n   lines */ "],
  ] as const) {
    test(`${kind} anywhere is kept, in order, and formatting is stable`, () => {
      for (const at of [...gaps, SAMPLE.length]) {
        const source = SAMPLE.slice(0, at) + text + SAMPLE.slice(at);
        expect(checkFormatting(source, `${kind} at ${at}`), source).toBe(true);
      }
    });
  }
});
