/**
 * The canonical layout, by example: messy inputs and the text `aarmc fmt`
 * writes for them. The guarantees over all inputs (meaning, comments,
 * idempotence) are in format-properties.test.ts.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import type { SourceFile } from "../../src/lang/ast.ts";
import { firstDifference } from "../../src/lang/ast-equal.ts";
import { format, formatSource } from "../../src/lang/format.ts";
import { parseSource } from "../../src/lang/parse.ts";

function fmt(source: string): string {
  const result = formatSource(source, "test.aarm");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.text ?? "";
}

/** Joins lines, so expected outputs read as the file does. */
function lines(...text: string[]): string {
  return `${text.join("\n")}\n`;
}

describe("layout", () => {
  test("a policy written any which way comes out as the first example of docs/language.md", () => {
    const messy = [
      'policy   payments version "2026.11.1"',
      "tool bank.send_money { args { recipient: string, amount: number, memo?: string } effect egress target args.recipient }",
      "tool bank.read_invoice {args{id:string}effect read output confidential,financial,untrusted}",
      "fact maintenance_window : bool",
      'const trusted_payees = { "CH93-0076-2011-6238-5295-7" }',
      "deny payee_outside_allowlist on bank.send_money when session.tainted and args.recipient not in trusted_payees",
      '  because "payee came from untrusted content"',
      "step_up large_payment on bank.send_money",
      "        when args.amount>1000",
      '        approvers ["group:finance"]   quorum 1   timeout 15m',
      '        because "payments above 1000 need approval"',
      "allow reads when effect==read",
      "allow payments on bank.send_money",
      "default deny",
    ].join("\n");
    const docs = readFileSync(new URL("../../docs/language.md", import.meta.url), "utf8");
    const first = /```aarm\n(policy payments[\s\S]*?)```/.exec(docs)?.[1];
    expect(first).toBeDefined();
    expect(fmt(messy)).toBe(first);
  });

  test("docs/style.md shows what the formatter writes", () => {
    const style = readFileSync(new URL("../../docs/style.md", import.meta.url), "utf8");
    const [before, after, fragment] = [...style.matchAll(/```aarm( fragment)?\n([\s\S]*?)```/g)].map(
      (m) => m[2] ?? "",
    );
    expect(fmt(before ?? "")).toBe(after);
    const wrapped = `policy p version "1"\n\n${fragment}\ndefault deny\n`;
    expect(fmt(wrapped)).toBe(wrapped);
  });

  test("a long condition breaks before `or`, then before `and`, with the nesting shown by indentation", () => {
    const source = [
      'policy p version "1"',
      "deny exfil on mail.send when session.tainted and args.to not in trusted_recipients and domain(args.to) != " +
        '"company.com" and args.cc != "" or session.count(effect == egress, within 1h) > 20 or identity.delegation_depth > 3',
      "default deny",
    ].join("\n");
    expect(fmt(source)).toBe(
      lines(
        'policy p version "1"',
        "",
        "deny exfil on mail.send",
        "  when session.tainted",
        "      and args.to not in trusted_recipients",
        '      and domain(args.to) != "company.com"',
        '      and args.cc != ""',
        "    or session.count(effect == egress, within 1h) > 20",
        "    or identity.delegation_depth > 3",
        "",
        "default deny",
      ),
    );
  });

  test("sets, lists and calls stay on one line if they fit, else take one element per line", () => {
    const source = [
      'policy p version "1"',
      'const short = { "a" , "b" }',
      'const domains = {"company.com", "partner.example", "another-partner.example", "yet-another.example", "x.example"}',
      "default deny",
    ].join("\n");
    expect(fmt(source)).toBe(
      lines(
        'policy p version "1"',
        "",
        'const short = {"a", "b"}',
        "",
        "const domains = {",
        '  "company.com",',
        '  "partner.example",',
        '  "another-partner.example",',
        '  "yet-another.example",',
        '  "x.example"',
        "}",
        "",
        "default deny",
      ),
    );
  });

  test("a rule's clauses each take a line, in the order written; approval parts share one if it fits", () => {
    const source = [
      'policy p version "1"',
      "fact window: bool",
      'defer wait on ops.deploy unless window needs window timeout 5m then step_up approvers ["ops"] quorum 2',
      "modify cap on db.query when has(args.limit) set args.limit = 100 clamp args.offset to 0 .. 10000 remove args.debug" +
        " redact args.note matching /\\d{4}/",
      'step_up big on bank.send_money approvers ["group:finance", "group:treasury", "group:compliance-officers"]' +
        ' quorum 2 timeout 15m escalate after 5m to ["cfo"] self_approval',
      'deny late on ops.deploy because "too late" when window risk high',
      "default deny",
    ].join("\n");
    expect(fmt(source)).toBe(
      lines(
        'policy p version "1"',
        "",
        "fact window: bool",
        "",
        "defer wait on ops.deploy",
        "  unless window",
        "  needs window timeout 5m then step_up",
        '  approvers ["ops"] quorum 2',
        "",
        "modify cap on db.query",
        "  when has(args.limit)",
        "  set args.limit = 100",
        "  clamp args.offset to 0..10000",
        "  remove args.debug",
        "  redact args.note matching /\\d{4}/",
        "",
        "step_up big on bank.send_money",
        '  approvers ["group:finance", "group:treasury", "group:compliance-officers"]',
        "  quorum 2",
        "  timeout 15m",
        '  escalate after 5m to ["cfo"]',
        "  self_approval",
        "",
        "deny late on ops.deploy",
        '  because "too late"',
        "  when window",
        "  risk high",
        "",
        "default deny",
      ),
    );
  });

  test("tools are blocks; long argument lists take one argument per line", () => {
    const source = [
      "module m",
      "tool fs.read_file{effect read}",
      "tool db.query { args { sql: string, limit?: number, tables: set<string>, timeout_budget: duration, dry_run?: bool } " +
        "effect read target args.sql }",
      "tool noop {}",
    ].join("\n");
    expect(fmt(source)).toBe(
      lines(
        "module m",
        "",
        "tool fs.read_file {",
        "  effect read",
        "}",
        "",
        "tool db.query {",
        "  args {",
        "    sql: string,",
        "    limit?: number,",
        "    tables: set<string>,",
        "    timeout_budget: duration,",
        "    dry_run?: bool",
        "  }",
        "  effect read",
        "  target args.sql",
        "}",
        "",
        "tool noop {}",
      ),
    );
  });

  test("one-line imports, facts, constants and rules of a kind sit together; everything else is a blank line apart", () => {
    const source = [
      "module m",
      "import std/exfiltration with {max_sends=5}",
      'import "./shared.aarm"',
      "fact a: bool",
      "fact b: string",
      "const x = 1",
      "param y: number = 2",
      "category health",
      "allow reads when effect == read",
      "deny writes when effect == write",
      "classify s when output matches /x/ label secret",
      "allow more when effect == delete",
    ].join("\n");
    expect(fmt(source)).toBe(
      lines(
        "module m",
        "",
        "import std/exfiltration with { max_sends = 5 }",
        'import "./shared.aarm"',
        "",
        "fact a: bool",
        "fact b: string",
        "",
        "const x = 1",
        "param y: number = 2",
        "category health",
        "",
        "allow reads when effect == read",
        "deny writes when effect == write",
        "",
        "classify s",
        "  when output matches /x/",
        "  label secret",
        "",
        "allow more when effect == delete",
      ),
    );
  });

  test("parentheses are kept as written, with canonical spacing", () => {
    expect(
      fmt(
        'policy p version "1"\nallow x when ((a)) and not ( b or c ) and - -1 < -( 2 + 3 ) * 4\ndefault deny',
      ),
    ).toBe(
      lines(
        'policy p version "1"',
        "",
        "allow x when ((a)) and not (b or c) and - -1 < -(2 + 3) * 4",
        "",
        "default deny",
      ),
    );
  });

  test("output has LF line ends, one final newline and no trailing spaces, whatever the input", () => {
    const text = fmt('policy p version "1"   \r\n\r\n\r\n// note   \r\ndefault deny   \r\n\r\n\r\n');
    expect(text).toBe(lines('policy p version "1"', "", "// note", "default deny"));
  });
});

describe("literals", () => {
  test("strings are re-escaped canonically, and invisible or misleading characters are made visible", () => {
    // The raw characters are written here as JavaScript escapes: a tab, U+200B and U+202E.
    const source = [
      'policy p version "1"',
      'const s = {"\\u{41}BC", "tab\there", "zero\u200Bwidth", "rtl\u202Eoverride", "quote\\"back\\\\slash", "é日🙂"}',
      "default deny",
    ].join("\n");
    expect(fmt(source)).toContain(
      [
        "const s = {",
        '  "ABC",',
        '  "tab\\there",',
        '  "zero\\u{200B}width",',
        '  "rtl\\u{202E}override",',
        '  "quote\\"back\\\\slash",',
        '  "é日🙂"',
        "}",
      ].join("\n"),
    );
  });

  test("numbers take their shortest form; durations and regular expressions stay as written", () => {
    const source = [
      'policy p version "1"',
      "const n = {1.50, 1e3, 007, 0.5, 2E-5, 1e21}",
      "const d = {90s, 60m, 500ms}",
      "deny r on files.read when args.path matches /^\\/etc\\/(passwd|shadow)$/i",
      "default deny",
    ].join("\n");
    expect(fmt(source)).toBe(
      lines(
        'policy p version "1"',
        "",
        "const n = {1.5, 1000, 7, 0.5, 0.00002, 1e21}",
        "const d = {90s, 60m, 500ms}",
        "",
        "deny r on files.read when args.path matches /^\\/etc\\/(passwd|shadow)$/i",
        "",
        "default deny",
      ),
    );
  });
});

describe("comments", () => {
  test("comments stay with the code they explain: above it, or at the end of its line, aligned", () => {
    const source = [
      "// Payments policy.",
      "// Owner: security team.",
      'policy payments version "1" // header note',
      "/* Tools */",
      "tool bank.send_money { args { recipient: string } effect egress } // money out",
      "const a = 1 // first",
      "const long_name = 2 // second",
      "",
      "// a section",
      "",
      "deny x on bank.send_money",
      "  // only tainted sessions",
      "  when session.tainted // tainted",
      '    and args.recipient != "a" /* not a */',
      '  because "no"',
      "default deny",
      "",
      "",
      "// allow y when z",
    ].join("\n");
    expect(fmt(source)).toBe(
      lines(
        "// Payments policy.",
        "// Owner: security team.",
        'policy payments version "1" // header note',
        "",
        "/* Tools */",
        "tool bank.send_money {",
        "  args { recipient: string }",
        "  effect egress",
        "} // money out",
        "",
        "const a = 1         // first",
        "const long_name = 2 // second",
        "",
        "// a section",
        "",
        "deny x on bank.send_money",
        "  // only tainted sessions",
        "  when session.tainted        // tainted",
        '    and args.recipient != "a" /* not a */',
        '  because "no"',
        "",
        "default deny",
        "",
        "// allow y when z",
      ),
    );
  });

  test("a comment inside a condition keeps the condition broken where it was written", () => {
    const source = [
      'policy p version "1"',
      "allow x when a // first reason",
      "  and b // second reason",
      "default deny",
    ].join("\n");
    expect(fmt(source)).toBe(
      lines(
        'policy p version "1"',
        "",
        "allow x",
        "  when a  // first reason",
        "    and b // second reason",
        "",
        "default deny",
      ),
    );
  });

  test("block comments are kept verbatim, inside expressions too", () => {
    const source = [
      'policy p version "1"',
      "/* multi",
      "     line */",
      "allow x when has(/* the memo */ args.memo) and args.n > /* cap */ 5",
      "default deny",
    ].join("\n");
    expect(fmt(source)).toBe(
      lines(
        'policy p version "1"',
        "",
        "/* multi",
        "     line */",
        "allow x when has(/* the memo */ args.memo) and args.n > /* cap */ 5",
        "",
        "default deny",
      ),
    );
  });
});

describe("formatSource", () => {
  test("returns no text for a file with syntax errors, and says why", () => {
    const result = formatSource('policy p version "1"\ndeny x when (a and\ndefault deny', "broken.aarm");
    expect(result.text).toBeNull();
    expect(result.diagnostics.some((d) => d.severity === "error")).toBe(true);
  });

  test("equals format(parse(text))", () => {
    const source = 'policy p version "1"\nallow x when a\ndefault deny';
    const file = parseSource(source, "same.aarm").file as SourceFile;
    expect(formatSource(source, "same.aarm").text).toBe(format(file));
  });
});

describe("ASTs built by programs", () => {
  /** The AST without its `Paren` nodes, as a program that builds policies might make it. */
  function withoutParens<T>(value: T): T {
    if (Array.isArray(value)) return value.map(withoutParens) as T;
    if (typeof value !== "object" || value === null) return value;
    if ("kind" in value && value.kind === "Paren" && "expr" in value) return withoutParens(value.expr) as T;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutParens(v)])) as T;
  }

  test.each([
    ["(a or b) and c", "(a or b) and c"],
    ["a - (b - c)", "a - (b - c)"],
    ["-(a + b) * c", "-(a + b) * c"],
    ["not (a == b)", "not a == b"],
    ["(a == b) == c", "(a == b) == c"],
    ["(not a) == b", "(not a) == b"],
  ])("get the parentheses precedence needs, and no more: %s", (written, printed) => {
    const parsed = parseSource(`policy p version "1"\nallow x when ${written}\ndefault deny`, "p.aarm").file;
    const bare = withoutParens(parsed as SourceFile);
    const text = format(bare);
    expect(text).toContain(`allow x when ${printed}\n`);
    const again = parseSource(text, "p.aarm").file as SourceFile;
    expect(firstDifference(withoutParens(again), bare)).toBeNull();
  });
});
