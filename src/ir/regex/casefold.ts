/**
 * Case-insensitive closure of code-point sets: what a literal or class
 * matches under `(?i)`, computed once at compile time so that the matcher
 * never folds case.
 *
 * @module
 */
import { LARGE_ORBITS, PAIR_RUNS } from "./casefold-data.ts";
import { normalizeRanges } from "./ranges.ts";

/** Every code point that has an orbit, sorted, with its orbit alongside. */
interface OrbitIndex {
  readonly members: readonly number[];
  readonly orbits: readonly (readonly number[])[];
}

let index: OrbitIndex | undefined;

/** Expands the compact tables once, on first use. */
function orbitIndex(): OrbitIndex {
  if (index !== undefined) return index;
  const entries: [number, readonly number[]][] = [];
  for (let r = 0; r + 3 < PAIR_RUNS.length; r += 4) {
    const [start, count, step, delta] = [
      PAIR_RUNS[r]!,
      PAIR_RUNS[r + 1]!,
      PAIR_RUNS[r + 2]!,
      PAIR_RUNS[r + 3]!,
    ];
    for (let i = 0; i < count; i++) {
      const c = start + i * step;
      const orbit = [c, c + delta];
      entries.push([c, orbit], [c + delta, orbit]);
    }
  }
  for (const orbit of LARGE_ORBITS) for (const c of orbit) entries.push([c, orbit]);
  entries.sort((a, b) => a[0] - b[0]);
  index = { members: entries.map((e) => e[0]), orbits: entries.map((e) => e[1]) };
  return index;
}

/** The first index in the sorted `members` whose value is at least `c`. */
function lowerBound(members: readonly number[], c: number): number {
  let lo = 0;
  let hi = members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (members[mid]! < c) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The set plus every code point that folds to one of its members: RE2's
 * treatment of literals, ranges and named classes under `(?i)`.
 */
export function foldClosure(ranges: readonly number[]): number[] {
  const { members, orbits } = orbitIndex();
  const out = [...ranges];
  for (let i = 0; i + 1 < ranges.length; i += 2) {
    const hi = ranges[i + 1]!;
    for (let k = lowerBound(members, ranges[i]!); k < members.length && members[k]! <= hi; k++) {
      for (const c of orbits[k]!) out.push(c, c);
    }
  }
  return normalizeRanges(out);
}
