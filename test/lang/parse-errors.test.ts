// parseSource on invalid input: each mistake gets its code, a precise message
// and span, a suggestion where one is obvious; recovery reports several
// mistakes in one run; no AST comes out of a file with errors.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SYNTAX_CODES } from "../../src/lang/codes-syntax.ts";
import type { Diagnostic } from "../../src/lang/diagnostic.ts";
import { parseSource } from "../../src/lang/parse.ts";
import { renderHuman } from "../../src/lang/render.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const HEADER = 'policy p version "1"\n';

function diagnose(source: string): { source: string; diagnostics: readonly Diagnostic[] } {
  const result = parseSource(source, "bad.aarm");
  expect(result.file).toBeNull();
  return { source, diagnostics: result.diagnostics };
}

/** The one diagnostic of a source, with the text its span covers. */
function only(source: string): Diagnostic & { text: string } {
  const { diagnostics } = diagnose(source);
  expect(diagnostics.map((d) => `${d.code} ${d.message}`)).toHaveLength(1);
  const d = diagnostics[0];
  if (d === undefined) throw new Error("no diagnostic");
  return { ...d, text: d.span === null ? "" : source.slice(d.span.start, d.span.end) };
}

interface Case {
  readonly name: string;
  readonly source: string;
  readonly code: string;
  readonly message: string;
  /** The text the span covers ("" for an empty span). */
  readonly at: string;
  readonly suggestion?: string;
}

const CASES: readonly Case[] = [
  {
    name: "a missing token, named with what precedes it",
    source: `${HEADER}modify m on t\n  set args.limit 100`,
    code: "AARM1001",
    message: "expected `=` after `set args.limit`, found `100`",
    at: "100",
  },
  {
    name: "a misspelled rule kind",
    source: `${HEADER}allwo reads when effect == read`,
    code: "AARM1001",
    message: "expected a declaration or rule, found `allwo`",
    at: "allwo",
    suggestion: "allow",
  },
  {
    name: "a misspelled clause keyword",
    source: `${HEADER}deny x when a == b\n  becuase "x"`,
    code: "AARM1001",
    message: "expected a declaration or rule, found `becuase`",
    at: "becuase",
    suggestion: "because",
  },
  {
    name: "`=` where `==` was meant",
    source: `${HEADER}deny x when a = b`,
    code: "AARM1001",
    message: "expected a declaration or rule, found `=`",
    at: "=",
    suggestion: "==",
  },
  {
    name: "`=` in a comparison inside brackets",
    source: `${HEADER}deny x when (a = b)`,
    code: "AARM1001",
    message: "expected `)` after `a`, found `=`",
    at: "=",
    suggestion: "==",
  },
  {
    name: "`=` where a declaration's type is missing, not taken for a comparison",
    source: `${HEADER}param n = 1`,
    code: "AARM1001",
    message: "expected `:` after `param n`, found `=`",
    at: "=",
  },
  {
    name: "a file that ends inside an expression",
    source: `${HEADER}deny x when (a == b`,
    code: "AARM1001",
    message: "expected `)` after `b`, found the end of the file",
    at: "",
  },
  {
    name: "a missing operand",
    source: `${HEADER}deny x when a == )`,
    code: "AARM1001",
    message: "expected an expression after `==`, found `)`",
    at: ")",
  },
  {
    name: "a list missing a comma",
    source: `${HEADER}const s = {1, 2 3}`,
    code: "AARM1001",
    message: "expected `,` or `}` after `2`, found `3`",
    at: "3",
  },
  {
    name: "tool arguments missing a comma",
    source: `${HEADER}tool t {\n  args {\n    a: string\n    b: number\n  }\n}`,
    code: "AARM1001",
    message: "expected `,` between arguments `a` and `b`",
    at: "",
    suggestion: ",",
  },
  {
    name: "a bad argument to `then`",
    source: `${HEADER}defer d then allow x`,
    code: "AARM1001",
    message: "expected `deny` or `step_up` after `then`, found the keyword `allow`",
    at: "allow",
  },
  {
    name: "a bad type",
    source: `${HEADER}fact f: set<>`,
    code: "AARM1001",
    message: "expected a type (`string`, `number`, `bool`, `duration` or `set<T>`) after `set<`, found `>`",
    at: ">",
  },
  {
    name: "a non-regex after matches",
    source: `${HEADER}deny x when a matches "x"`,
    code: "AARM1001",
    message: 'expected a regular expression after `matches`, found `"x"`',
    at: '"x"',
  },
  {
    name: "a keyword as a name",
    source: `${HEADER}const set = 1`,
    code: "AARM1002",
    message: "expected a name after `const`, found the keyword `set`",
    at: "set",
  },
  {
    name: "no header",
    source: "allow reads\ndefault deny",
    code: "AARM1003",
    message:
      'a file starts with a header: `policy <name> version "<version>"` for a policy, `module <name>` for a module',
    at: "",
  },
  {
    name: "an unexpected character",
    source: `${HEADER}deny x when a == b @`,
    code: "AARM1010",
    message: "unexpected character `@`",
    at: "@",
  },
  {
    name: "a control character",
    source: `${HEADER}deny x when a\u0007`,
    code: "AARM1010",
    message: "unexpected character U+0007",
    at: "\u0007",
  },
  {
    name: "`&&` from another language, read as `and`",
    source: `${HEADER}deny x when a && b`,
    code: "AARM1010",
    message: "`&&` is not an aarm operator; write `and`",
    at: "&&",
    suggestion: "and",
  },
  {
    name: "`||` from another language, read as `or`",
    source: `${HEADER}deny x when a || b`,
    code: "AARM1010",
    message: "`||` is not an aarm operator; write `or`",
    at: "||",
    suggestion: "or",
  },
  {
    name: "`!` from another language, read as `not`",
    source: `${HEADER}deny x when !a`,
    code: "AARM1010",
    message: "`!` is not an aarm operator; write `not`",
    at: "!",
    suggestion: "not",
  },
  {
    name: "a single-quoted string, read as a string",
    source: `${HEADER}deny x when tool == 'shell'`,
    code: "AARM1010",
    message: "strings are written in double quotes",
    at: "'shell'",
    suggestion: '"shell"',
  },
  {
    name: "an unterminated string",
    source: `${HEADER}deny x because "no end\ndefault deny`,
    code: "AARM1011",
    message: 'unterminated string: a string ends with `"` on the same line',
    at: '"no end',
  },
  {
    name: "an invalid escape",
    source: `${HEADER}const s = "C:\\Windows"`,
    code: "AARM1012",
    message: 'invalid escape `\\W` in a string; the escapes are \\", \\\\, \\n, \\t, \\r and \\u{…}',
    at: "\\W",
  },
  {
    name: "a JavaScript-style unicode escape",
    source: `${HEADER}const s = "\\u0041"`,
    code: "AARM1012",
    message: "invalid escape `\\u0041`; write `\\u{0041}`",
    at: "\\u0041",
    suggestion: "\\u{0041}",
  },
  {
    name: "a surrogate code point",
    source: `${HEADER}const s = "\\u{D800}"`,
    code: "AARM1012",
    message: "`\\u{D800}` is not a Unicode scalar value (at most 10FFFF, no surrogates)",
    at: "\\u{D800}",
  },
  {
    name: "an unterminated block comment",
    source: `${HEADER}/* off\ndefault deny`,
    code: "AARM1013",
    message: "unterminated block comment: `/*` has no closing `*/`",
    at: "/*",
  },
  {
    name: "an unterminated regular expression",
    source: `${HEADER}deny x when a matches /abc\ndefault deny`,
    code: "AARM1014",
    message:
      "unterminated regular expression: `/` starts a regular expression that must end with `/` on the same line",
    at: "/abc",
  },
  {
    name: "a regular expression flag other than i",
    source: `${HEADER}deny x when a matches /abc/gi`,
    code: "AARM1015",
    message: "invalid regular expression flags `gi`; the only flag is `i` (case-insensitive)",
    at: "gi",
    suggestion: "i",
  },
  {
    name: "a hexadecimal number",
    source: `${HEADER}const n = 0x1f`,
    code: "AARM1016",
    message:
      "`0x1f` is not a number; numbers are decimal, like `12`, `0.5` or `1e3`, and a duration is a whole number followed by ms, s, m, h or d",
    at: "0x1f",
  },
  {
    name: "a number too large",
    source: `${HEADER}const n = 1e999`,
    code: "AARM1016",
    message: "the number `1e999` is too large",
    at: "1e999",
  },
  {
    name: "a fractional duration",
    source: `${HEADER}const d = 1.5h`,
    code: "AARM1017",
    message: "a duration is a whole number of units: `1.5h` is not a duration",
    at: "1.5h",
    suggestion: "90m",
  },
  {
    name: "a unit spelled out",
    source: `${HEADER}const d = 15min`,
    code: "AARM1017",
    message: "`min` is not a duration unit; the units are ms, s, m, h and d",
    at: "15min",
    suggestion: "15m",
  },
  {
    name: "a compound duration",
    source: `${HEADER}const d = 1h30m`,
    code: "AARM1017",
    message: "a duration has one unit: `1h30m` is not a duration",
    at: "1h30m",
    suggestion: "90m",
  },
  {
    name: "a duration too long",
    source: `${HEADER}const d = 99999999999999d`,
    code: "AARM1017",
    message: "the duration `99999999999999d` is too long",
    at: "99999999999999d",
  },
  {
    name: "a duplicate tool clause",
    source: `${HEADER}tool t { effect read effect write }`,
    code: "AARM1020",
    message: "duplicate `effect` clause in tool `t`",
    at: "effect write",
  },
  {
    name: "a duplicate rule clause",
    source: `${HEADER}deny r because "a" because "b"`,
    code: "AARM1020",
    message: "duplicate `because` clause in rule `r`",
    at: 'because "b"',
  },
  {
    name: "a second step-up timeout in a defer rule",
    source: `${HEADER}defer d timeout 5m then step_up approvers ["a"] timeout 10m timeout 20m`,
    code: "AARM1020",
    message: "duplicate `timeout` clause in rule `d`",
    at: "timeout 20m",
  },
  {
    name: "an approval clause on an allow",
    source: `${HEADER}allow r approvers ["x"]`,
    code: "AARM1021",
    message:
      "`approvers` is not allowed in an `allow` rule; approval clauses belong to `step_up` rules and to `defer … then step_up`",
    at: 'approvers ["x"]',
  },
  {
    name: "a modification on a deny",
    source: `${HEADER}deny r remove args.x`,
    code: "AARM1021",
    message: "`remove` is not allowed in a `deny` rule; modifications belong to `modify` rules",
    at: "remove args.x",
  },
  {
    name: "a deferral clause on a step_up",
    source: `${HEADER}step_up r approvers ["x"] needs f`,
    code: "AARM1021",
    message: "`needs` is not allowed in a `step_up` rule; deferral clauses belong to `defer` rules",
    at: "needs f",
  },
  {
    name: "an approval clause before `then step_up`",
    source: `${HEADER}defer d quorum 2 then step_up approvers ["ops"]`,
    code: "AARM1021",
    message: "in a `defer` rule, `quorum` belongs to the step-up and must follow `then step_up`",
    at: "quorum 2",
  },
  {
    name: "an approval clause after `then deny`",
    source: `${HEADER}defer d then deny approvers ["ops"]`,
    code: "AARM1021",
    message: "`approvers` needs `then step_up`; this rule's deferral ends in `then deny`",
    at: 'approvers ["ops"]',
  },
  {
    name: "a step_up without approvers",
    source: `${HEADER}step_up big when true`,
    code: "AARM1022",
    message: "step_up rule `big` needs `approvers [...]`: who approves the action",
    at: "big",
  },
  {
    name: "a `then step_up` without approvers",
    source: `${HEADER}defer d then step_up`,
    code: "AARM1022",
    message: "`then step_up` needs `approvers [...]`: who approves the action once the deferral times out",
    at: "then step_up",
  },
  {
    name: "a modify rule without operations",
    source: `${HEADER}modify m when true`,
    code: "AARM1022",
    message: "modify rule `m` needs at least one operation: `set`, `remove`, `clamp` or `redact`",
    at: "m",
  },
  {
    name: "chained comparisons",
    source: `${HEADER}deny r when 0 < x < 10`,
    code: "AARM1023",
    message: "comparisons do not chain: `<` cannot follow another comparison",
    at: "<",
  },
  {
    name: "an unknown type",
    source: `${HEADER}fact f: int`,
    code: "AARM1024",
    message: "unknown type `int`; the types are string, number, bool, duration and set<T>",
    at: "int",
    suggestion: "number",
  },
  {
    name: "an unknown effect",
    source: `${HEADER}tool t { effect egres }`,
    code: "AARM1025",
    message: "unknown effect `egres`; expected one of read, write, delete, egress, execute",
    at: "egres",
    suggestion: "egress",
  },
  {
    name: "an unknown risk level",
    source: `${HEADER}deny r risk severe`,
    code: "AARM1026",
    message: "unknown risk level `severe`; expected one of low, medium, high, critical",
    at: "severe",
  },
  {
    name: "`then` in session.count",
    source: `${HEADER}deny r when session.count(a then b) > 1`,
    code: "AARM1027",
    message:
      "`then` sequences only appear in `session.seen(…)`; the form is `session.count(P)` with an optional `, within D`",
    at: "a then b",
  },
  {
    name: "`within` not last",
    source: `${HEADER}deny r when session.seen(within 1h, a)`,
    code: "AARM1027",
    message:
      "`within` must be the last argument; the form is `session.seen(P)`, `session.seen(P1 then P2 …)`, each with an optional `, within D`",
    at: "within 1h",
  },
  {
    name: "a malformed session.sum",
    source: `${HEADER}deny r when session.sum(amount) > 1`,
    code: "AARM1027",
    message:
      '`session.sum` takes a tool name string and an argument name; the form is `session.sum("tool", argument)` with an optional `, within D`',
    at: "amount",
  },
  {
    name: "`within` outside a session query",
    source: `${HEADER}deny r when f(x, within 1h)`,
    code: "AARM1027",
    message: "`within` only bounds session queries: `session.seen`, `session.count`, `session.sum`",
    at: "within 1h",
  },
];

describe("each mistake gets its code, message, span and suggestion", () => {
  it.each(CASES)("$code: $name", (c) => {
    const d = only(c.source);
    expect({ code: d.code, message: d.message, at: d.text, suggestion: d.suggestion }).toEqual({
      code: c.code,
      message: c.message,
      at: c.at,
      suggestion: c.suggestion ?? null,
    });
  });

  it("covers every syntax code reachable from a small file", () => {
    const covered = new Set(CASES.map((c) => c.code));
    const bounds = ["AARM1004", "AARM1030", "AARM1031", "AARM1032"]; // see parse-limits.test.ts
    expect(SYNTAX_CODES.map((c) => c.code).filter((c) => !covered.has(c) && !bounds.includes(c))).toEqual([]);
  });
});

describe("notes", () => {
  it("points a duplicate at the first occurrence", () => {
    const source = `${HEADER}tool t {\n  effect read\n  effect write\n}`;
    const d = only(source);
    expect(d.notes).toHaveLength(1);
    expect(d.notes[0]?.message).toBe("the first `effect` is here");
    expect(d.notes[0]?.span).toMatchObject({ line: 3, column: 3 });
  });

  it("explains a stray semicolon", () => {
    const d = only(`${HEADER}deny r when true;`);
    expect(d.notes.map((n) => n.message)).toEqual(["aarm does not end declarations with `;`; remove it"]);
  });

  it("tells how to put a line break in a string", () => {
    const d = only(`${HEADER}const s = "a`);
    expect(d.notes.map((n) => n.message)).toEqual(["use `\\n` for a line break inside a string"]);
  });
});

describe("recovery", () => {
  it("reports several errors in one file, each at its place, in order", () => {
    const source = [
      HEADER.trim(), // 1
      "modify m on t set args.limit 100", // 2
      "allwo reads when effect == read", // 3
      "tool t { effect read effect write }", // 4
      "const s = {1, 2 3}", // 5
      'deny ok when tool == "x"', // 6
      "step_up z when x", // 7
      "default deny", // 8
    ].join("\n");
    const { diagnostics } = diagnose(source);
    expect(diagnostics.map((d) => [d.code, d.span?.line, d.span?.column])).toEqual([
      ["AARM1001", 2, 30],
      ["AARM1001", 3, 1],
      ["AARM1020", 4, 22],
      ["AARM1001", 5, 17],
      ["AARM1022", 7, 9],
    ]);
  });

  it("reports lexical and syntax errors together", () => {
    const { diagnostics } = diagnose(
      `${HEADER}const a = "x\\q"\nconst b = 15min\ndeny r when a ==\ndefault deny`,
    );
    expect(diagnostics.map((d) => d.code)).toEqual(["AARM1012", "AARM1017", "AARM1001"]);
  });

  it("reports one error for a misspelled word, not one per following token", () => {
    const { diagnostics } = diagnose(
      `${HEADER}deny r when x\n  becuase "a long reason with many words"\nallow s\n`,
    );
    expect(diagnostics).toHaveLength(1);
  });

  it("sorts diagnostics by position", () => {
    const { diagnostics } = diagnose(`${HEADER}const x = 1.5h\ndeny\nconst y = "\\q"`);
    const starts = diagnostics.map((d) => d.span?.start ?? -1);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });
});

describe("diagnostic pages", () => {
  const dir = join(ROOT, "docs", "diagnostics");
  const pages = new Set(readdirSync(dir));

  it.each(SYNTAX_CODES.map((c) => c))("$code has a page with its title", ({ code, title }) => {
    expect(pages.has(`${code}.md`)).toBe(true);
    const page = readFileSync(join(dir, `${code}.md`), "utf8");
    expect(page.split("\n")[0]).toBe(`# ${code}: ${title}`);
  });

  // Each page's example is real: it triggers the code, rendered as the page shows it.
  const examples = SYNTAX_CODES.flatMap(({ code }) => {
    const page = readFileSync(join(dir, `${code}.md`), "utf8");
    const example = /```aarm invalid\n([\s\S]*?)```/.exec(page)?.[1];
    const shown = /```text\n([\s\S]*?)```/.exec(page)?.[1];
    // The example of too many errors is abbreviated on its page.
    return example === undefined || shown === undefined || example.includes("…")
      ? []
      : [{ code, example, shown }];
  });

  it.each(examples)("$code's example triggers it as shown", ({ code, example, shown }) => {
    const result = parseSource(example, "policy.aarm");
    const mine = result.diagnostics.filter((d) => d.code === code);
    expect(mine.length).toBeGreaterThan(0);
    expect(`${renderHuman(mine.slice(0, 1), () => example, { color: false })}`).toBe(shown);
  });

  it("has examples for the codes a small file can trigger", () => {
    expect(examples.length).toBeGreaterThanOrEqual(SYNTAX_CODES.length - 3);
  });
});
