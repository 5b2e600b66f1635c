// Rejected patterns: the message and the offset of the construct at fault, agreement with re2js on
// rejecting, and the program-size bound.
import { describe, expect, it } from "vitest";
import { compileRegex } from "../../src/ir/regex/compile.ts";
import { MAX_PROGRAM_SIZE } from "../../src/ir/regex/parse.ts";
import { re2 } from "./oracle.ts";

function rejection(source: string, flags = ""): { message: string; offset: number } {
  const result = compileRegex(source, flags);
  if (result.ok) throw new Error(`/${source}/${flags} compiled`);
  return { message: result.message, offset: result.offset };
}

/** Patterns RE2 rejects: [source, offset, a fragment of the message]. */
const RE2_REJECTS: readonly (readonly [string, number, string])[] = [
  [String.raw`(a)\1`, 3, "backreferences"],
  [String.raw`a\9`, 1, "backreferences"],
  ["x(?=a)", 1, "lookahead"],
  ["(?!a)", 0, "lookahead"],
  ["a(?<=b)", 1, "lookbehind"],
  ["(?<!b)c", 0, "lookbehind"],
  ["(?>a)", 0, "Perl syntax"],
  ["(?#c)", 0, "Perl syntax"],
  ["(?x)a", 0, "Perl syntax"],
  ["(?i-)a", 0, "Perl syntax"],
  ["(?P=n)", 0, "Perl syntax"],
  ["a++", 1, "nested repetition"],
  ["ab*+", 2, "nested repetition"],
  ["a{2}{3}", 1, "nested repetition"],
  ["a**", 1, "nested repetition"],
  [String.raw`\Z`, 0, "\\Z"],
  [String.raw`ab\C`, 2, "\\C"],
  [String.raw`\e`, 0, "invalid escape"],
  [String.raw`[\b]`, 1, "invalid escape"],
  [String.raw`\x{110000}`, 0, "\\x"],
  [String.raw`\xZ1`, 0, "\\x"],
  [String.raw`\x{}`, 0, "\\x"],
  ["ab\\", 2, "trailing backslash"],
  ["(?P<n>a)(?P<n>b)", 8, "duplicate"],
  ["(?<a-b>x)", 0, "name"],
  ["(?P<n", 0, "missing >"],
  ["x[ab", 1, "missing closing ]"],
  ["[]", 0, "missing closing ]"],
  ["x[z-a]", 2, "range"],
  ["[[:foo:]]", 1, "[:foo:]"],
  ["a)", 1, "unexpected )"],
  ["x(?:a(b)", 1, "missing closing )"],
  ["*a", 0, "missing argument"],
  ["a|*", 2, "missing argument"],
  ["(+)", 1, "missing argument"],
  ["(?i)*", 4, "missing argument"],
  ["a{1001}", 1, "repeat count"],
  ["a{2,1}", 1, "repeat count"],
  ["a{123456789}", 1, "repeat count"],
  ["(a{2}){501}", 6, "nested repetitions exceed 1000"],
  ["((a{10}){10}){11}", 13, "nested repetitions exceed 1000"],
  // Reported at the group that first gets too deep, the second outermost.
  [`${"(".repeat(1001)}a${")".repeat(1001)}`, 1, "nests too deeply"],
];

describe("patterns RE2 rejects", () => {
  for (const [source, offset, fragment] of RE2_REJECTS) {
    it(`/${source.length > 40 ? `${source.slice(0, 40)}…` : source}/ at ${offset}`, () => {
      const { message, offset: at } = rejection(source);
      expect(message).toContain(fragment);
      expect(at).toBe(offset);
      expect(typeof re2(source), "re2js rejects it too").toBe("string");
    });
  }
});

describe("accepted oddities of RE2 syntax", () => {
  // Each is accepted by re2js and must be by the compiler; the differential tests check their matches.
  for (const source of [
    "a{,2}",
    "a{01}",
    "x{",
    "a*(?i)*",
    "(?)",
    "(?:)",
    "()",
    "[]a]",
    "[^]a]",
    "[a-]",
    "^*",
  ]) {
    it(`/${source}/`, () => {
      expect(compileRegex(source, "").ok).toBe(true);
      expect(typeof re2(source)).not.toBe("string");
    });
  }
});

describe("deliberate restrictions", () => {
  it("rejects Unicode classes, which re2js accepts, with a clear message", () => {
    for (const [source, offset] of [
      [String.raw`\pL`, 0],
      [String.raw`a\p{Greek}`, 1],
      [String.raw`\P{Lu}`, 0],
      [String.raw`[a\p{L}]`, 2],
    ] as const) {
      expect(rejection(source)).toEqual({
        message: "Unicode classes are not supported in policies yet",
        offset,
      });
      expect(typeof re2(source)).not.toBe("string");
    }
  });

  it(`bounds the program at ${MAX_PROGRAM_SIZE} instructions, reporting the repetition that overflows`, () => {
    // Each `a{1000}` is 1000 instructions; the final `match` makes 9 of them and `a{999}` exactly the bound.
    expect(compileRegex(`${"a{1000}".repeat(9)}a{999}`, "").ok).toBe(true);
    const { message, offset } = rejection("a{1000}".repeat(10));
    expect(message).toContain(`more than ${MAX_PROGRAM_SIZE} instructions`);
    expect(offset).toBe(9 * 7 + 1);
    // re2js accepts it: the bound is ours.
    expect(typeof re2("a{1000}".repeat(10))).not.toBe("string");
  });

  it("bounds programs grown by alternation and nesting too", () => {
    expect(rejection(`(?:${"ab|".repeat(4000)}c)`).message).toContain("instructions");
    // 1000 copies of 11 instructions, within RE2's nested-repetition limit of 1000 copies.
    expect(rejection("(?:(?:abcdefghijk){10}){100}").message).toContain("instructions");
  });
});

describe("flags", () => {
  it("accepts distinct letters among i, m, s and rejects anything else at offset 0", () => {
    expect(compileRegex("a", "ims").ok).toBe(true);
    expect(rejection("a", "x")).toEqual({
      message: 'unsupported regex flag "x" (supported: i, m, s)',
      offset: 0,
    });
    expect(rejection("a", "ii")).toEqual({ message: 'duplicate regex flag "i"', offset: 0 });
  });
});
