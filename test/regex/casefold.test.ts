// The case-folding table against re2js, exhaustively: under (?i) a code point matches exactly the members of
// its orbit, and no orbit is missing from the table.
import { describe, expect, it } from "vitest";
import { foldClosure } from "../../src/ir/regex/casefold.ts";
import { re2 } from "./oracle.ts";

/** All orbits lie in RE2's fold range, U+0041..U+1E943. */
const FOLD_MIN = 0x41;
const FOLD_MAX = 0x1e943;

function isSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdfff;
}

/** The members of a normalised range list. */
function members(ranges: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < ranges.length; i += 2) for (let c = ranges[i]!; c <= ranges[i + 1]!; c++) out.push(c);
  return out;
}

/** Our orbit of every code point of the fold range that has one. */
const orbits = new Map<number, number[]>();
for (let c = FOLD_MIN; c <= FOLD_MAX; c++) {
  const orbit = members(foldClosure([c, c]));
  if (orbit.length > 1) orbits.set(c, orbit);
}

/** The code points as a string, without spreading a huge argument list. */
function text(codePoints: readonly number[]): string {
  return codePoints.map((c) => String.fromCodePoint(c)).join("");
}

function hex(c: number): string {
  return `\\x{${c.toString(16)}}`;
}

/** A re2js class `[…]` of single code points, as compact ranges. */
function classOf(codePoints: readonly number[]): string {
  let body = "";
  for (let i = 0; i < codePoints.length;) {
    let j = i;
    while (j + 1 < codePoints.length && codePoints[j + 1] === codePoints[j]! + 1) j++;
    body += i === j ? hex(codePoints[i]!) : `${hex(codePoints[i]!)}-${hex(codePoints[j]!)}`;
    i = j + 1;
  }
  return `[${body}]`;
}

function compiled(source: string) {
  const pattern = re2(source);
  if (typeof pattern === "string") throw new Error(`re2js rejects ${source}: ${pattern}`);
  return pattern;
}

/** The code points of the fold range that are in no orbit (surrogates excluded: never in one). */
const unfolded: number[] = [];
for (let c = FOLD_MIN; c <= FOLD_MAX; c++) if (!orbits.has(c) && !isSurrogate(c)) unfolded.push(c);

describe("case-folding orbits", () => {
  it("are symmetric: every member of an orbit has that same orbit", () => {
    for (const [c, orbit] of orbits) {
      for (const member of orbit) expect(orbits.get(member), `U+${c.toString(16)}`).toEqual(orbit);
    }
  });

  it("match re2js: (?i) on a code point matches every member of its orbit and nothing else in any orbit", () => {
    const all = [...orbits.keys()];
    for (const [c, orbit] of orbits) {
      if (orbit[0] !== c) continue;
      const whole = compiled(`(?i)^${hex(c)}$`);
      for (const member of orbit)
        expect(whole.test(String.fromCodePoint(member)), `U+${c.toString(16)}`).toBe(true);
      const others = text(all.filter((member) => !orbit.includes(member)));
      expect(compiled(`(?i)${hex(c)}`).test(others), `U+${c.toString(16)}`).toBe(false);
    }
  });

  it("are complete: no code point outside the orbits folds to anything under re2js", () => {
    // A code point folding to an orbit member would show as a match of the folded orbit class.
    const inOrbits = compiled(`(?i)${classOf([...orbits.keys()])}`);
    expect(inOrbits.test(text(unfolded))).toBe(false);
    // Two unfolded code points folding to each other differ in some bit: fold the ones with the bit clear
    // and search the ones with it set.
    for (let bit = 0; 1 << bit <= FOLD_MAX; bit++) {
      const clear = unfolded.filter((c) => (c & (1 << bit)) === 0);
      const set = unfolded.filter((c) => (c & (1 << bit)) !== 0);
      expect(compiled(`(?i)${classOf(clear)}`).test(text(set)), `bit ${bit}`).toBe(false);
    }
  });
});
