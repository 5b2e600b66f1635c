/**
 * `astEqual`, `stripSpans` and `firstDifference`: the structural comparison
 * the formatter's AST-preservation check (and the compiler's tests) rely on.
 */
import { describe, expect, test } from "vitest";
import type { SourceFile } from "../../src/lang/ast.ts";
import { astEqual, firstDifference, stripSpans } from "../../src/lang/ast-equal.ts";
import { parseSource } from "../../src/lang/parse.ts";

function parse(source: string): SourceFile {
  const result = parseSource(source, "test.aarm");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.file as SourceFile;
}

describe("astEqual", () => {
  test("ignores layout and comments: where things were written is not what they mean", () => {
    const a = parse('policy p version "1"\ndeny x when a and b because "no"\ndefault deny');
    const b = parse(
      '// a comment\npolicy p version "1"\n\n\ndeny x\n  when a /* here */ and b\n  because "no"\n\ndefault deny\n',
    );
    expect(astEqual(a, b)).toBe(true);
    expect(firstDifference(a, b)).toBeNull();
  });

  test("tells different meanings apart, and says where they first differ", () => {
    const a = parse('policy p version "1"\ndeny x when a and b\ndefault deny');
    const b = parse('policy p version "1"\ndeny x when a or b\ndefault deny');
    expect(astEqual(a, b)).toBe(false);
    expect(firstDifference(a, b)).toBe("items[0].when.op");
  });

  test("counts parentheses and literal spellings that the AST keeps", () => {
    const plain = parse('policy p version "1"\ndeny x when a\ndefault deny');
    const parens = parse('policy p version "1"\ndeny x when (a)\ndefault deny');
    expect(firstDifference(plain, parens)).toBe("items[0].when.kind");
    const minutes = parse('policy p version "1"\nconst t = 60m\ndefault deny');
    const hour = parse('policy p version "1"\nconst t = 1h\ndefault deny');
    expect(firstDifference(minutes, hour)).toBe("items[0].value.text");
  });

  test("compares lists by length and element", () => {
    const two = parse('policy p version "1"\ncategory a, b\ndefault deny');
    const three = parse('policy p version "1"\ncategory a, b, c\ndefault deny');
    expect(firstDifference(two, three)).toBe("items[0].names.length");
  });
});

describe("stripSpans", () => {
  test("drops every span and comment list, deeply, and leaves the AST itself untouched", () => {
    const file = parse('policy p version "1" // note\ndeny x on t when args.a > 1\ndefault deny');
    const stripped = stripSpans(file);
    const text = JSON.stringify(stripped);
    expect(text).not.toContain('"span"');
    expect(text).not.toContain('"comments"');
    expect(stripped.items[0]).toMatchObject({ kind: "Rule", name: { kind: "Name", text: "x" } });
    expect(file.comments).toHaveLength(1);
    expect(file.span.start).toBe(0);
  });

  test("makes structurally equal ASTs deep-equal", () => {
    const a = parse('policy p version "1"\nallow r when effect == read\ndefault deny');
    const b = parse('policy   p version "1"\n\nallow r\n  when effect == read\n\ndefault deny\n');
    expect(stripSpans(a)).toEqual(stripSpans(b));
  });
});
