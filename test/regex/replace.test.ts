// regexReplaceAll, the compiled form of `redact`, agrees with re2js's replaceAll, which the reference interpreter
// runs: on generated patterns and subjects, through each of re2js's engines, and on hand-picked cases where the
// preferred match or the handling of empty matches decides the output.
import fc from "fast-check";
import type { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { regexReplaceAll } from "../../src/eval/regex.ts";
import { compileRegex } from "../../src/ir/regex/compile.ts";
import { propertyParams } from "../support/property.ts";
import { flags, patterns, priorityPatterns, runSubjects, subjects } from "./grammar.ts";
import { program, re2 } from "./oracle.ts";

const REDACTED = "[REDACTED]";

function reference(source: string, f: string): RE2JS {
  const compiled = re2(source, f);
  if (typeof compiled === "string") throw new Error(`generator produced a pattern re2js rejects: ${source}`);
  return compiled;
}

/** Checks every subject against re2js for `/source/f`, with `[REDACTED]` as the replacement. */
function agree(source: string, f: string, texts: readonly string[]): void {
  const expected = reference(source, f);
  const ours = compileRegex(source, f);
  if (!ours.ok) throw new Error(`/${source}/${f} rejected: ${ours.message} at ${ours.offset}`);
  for (const text of texts) {
    expect(regexReplaceAll(ours.program, text, REDACTED), `/${source}/${f} on ${JSON.stringify(text)}`).toBe(
      expected.matcher(text).replaceAll(REDACTED),
    );
  }
}

/**
 * The same pattern, but too large for re2js's backtracker and its one-pass matcher, so that re2js answers with
 * its Pike VM: a second alternative that never matches (nothing follows the end of the text) and that re2js does
 * not simplify away.
 */
function viaPikeVm(source: string): string {
  return `(?:${source})|\\z[a]{501}`;
}

describe("regexReplaceAll agrees with re2js's replaceAll", () => {
  it("on generated patterns of the supported syntax", () => {
    fc.assert(
      fc.property(patterns, flags, subjects, (source, f, texts) => agree(source, f, texts)),
      propertyParams(300, 25),
    );
  });

  it("on patterns where the preferred match decides, over subjects with runs of matches", () => {
    fc.assert(
      fc.property(priorityPatterns, runSubjects, (source, texts) => agree(source, "", texts)),
      propertyParams(600, 25),
    );
  });

  it("when re2js answers with its Pike VM rather than its backtracker", () => {
    fc.assert(
      fc.property(priorityPatterns, runSubjects, (source, texts) => agree(viaPikeVm(source), "", texts)),
      propertyParams(300, 25),
    );
  });

  it("with the same machine reused across subjects of growing length", () => {
    fc.assert(
      fc.property(priorityPatterns, runSubjects, (source, texts) =>
        agree(
          source,
          "",
          texts.map((text, i) => text.repeat(i * 40 + 1)),
        ),
      ),
      propertyParams(40, 25),
    );
  });
});

/** Pattern, subject, and the output with `<>` for the replacement, as re2js produces it. */
const CASES: readonly (readonly [string, string, string])[] = [
  // After a non-empty match, an empty one may start right where it ended; after an empty one, the next search
  // starts one code point further.
  ["a*", "baaac", "<>b<><>c<>"],
  ["a*", "aaa", "<><>"],
  ["x*", "", "<>"],
  ["x*", "ab", "<>a<>b<>"],
  ["", "😀x", "<>😀<>x<>"],
  [String.raw`\b`, "a b", "<>a<> <>b<>"],
  ["a|", "ab", "<><>b<>"],
  // Leftmost-first, not leftmost-longest.
  ["a|ab", "ab", "<>b"],
  ["ab|a", "ab", "<>"],
  ["(a|ab)c?", "abc", "<>bc"],
  ["(a+|b+)*?b", "aab", "<>"],
  ["abcd|b", "abcd", "<>"],
  [".*x|a", "aaaa", "<><><><>"],
  // Lazy repetition, and `(?U)`, which swaps greedy and lazy.
  ["a*?", "aa", "<>a<>a<>"],
  ["a+?", "aaa", "<><><>"],
  ["a??", "aa", "<>a<>a<>"],
  ["a{2,3}?", "aaaaa", "<><>a"],
  ["(?U)a+", "aaa", "<><><>"],
  ["(?U)a+?", "aaa", "<>"],
  ["<.+?>", "<a><b>", "<><>"],
  // Repeated groups that can match empty: the shape re2js gives `x*` decides.
  ["(|a)*", "aa", "<>a<>a<>"],
  ["(|a)+", "aa", "<>a<>a<>"],
  ["(a|)*", "aa", "<><>"],
  ["(a*)*", "aab", "<><>b<>"],
  ["(a*?)*", "aa", "<>a<>a<>"],
  ["(a|b?)*?c", "abc", "<>"],
  // Anchors, per line under `(?m)`.
  ["$", "ab", "ab<>"],
  ["^", "ab", "<>ab"],
  ["(?m)^", "a\nb\n", "<>a\n<>b\n<>"],
  ["(?m)$", "a\nb", "a<>\nb<>"],
  [String.raw`\Aa|b\z`, "aab", "<>a<>"],
  [String.raw`\B`, "ab  c", "a<>b <> c"],
  // Code points, never half of a surrogate pair; a lone surrogate is a code point of its own.
  [".", "a😀b", "<><><>"],
  [String.raw`\x{D83D}`, "😀\ud83d", "😀<>"],
  ["😀*", "😀😀x😀", "<><>x<><>"],
  ["[^a]", "😀\udc00a", "<><>a"],
];

describe("regexReplaceAll on hand-picked cases", () => {
  for (const [source, text, expected] of CASES) {
    it(`/${source}/ on ${JSON.stringify(text)}`, () => {
      expect(regexReplaceAll(program(source), text, "<>")).toBe(expected);
      expect(reference(source, "").matcher(text).replaceAll("<>")).toBe(expected);
    });
  }

  it("inserts the replacement as it is, with no `$` expansion", () => {
    const replacement = "$& $$ $1 $<x> $'";
    const source = "(?P<x>b+)";
    const expected = reference(source, "")
      .matcher("abba")
      .replaceAll(replacement.replaceAll("$", () => "$$"));
    expect(expected).toBe(`a${replacement}a`);
    expect(regexReplaceAll(program(source), "abba", replacement)).toBe(expected);
  });

  it("returns the subject unchanged when nothing matches", () => {
    expect(regexReplaceAll(program("x"), "abc", REDACTED)).toBe("abc");
    expect(regexReplaceAll(program(String.raw`[^\x00-\x{10FFFF}]`), "abc", REDACTED)).toBe("abc");
    expect(regexReplaceAll(program("^a"), "ba", REDACTED)).toBe("ba");
  });
});
