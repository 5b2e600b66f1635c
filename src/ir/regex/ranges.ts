/**
 * Sets of code points as flat inclusive range lists `[lo0, hi0, lo1, hi1, …]`,
 * the representation `char-class` instructions store. A normalised list is
 * sorted, and its ranges neither overlap nor touch.
 *
 * @module
 */

/** The largest Unicode code point. */
export const MAX_CODE_POINT = 0x10ffff;

/** Sorts and merges a range list that may overlap, touch or be out of order. */
export function normalizeRanges(ranges: readonly number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (out.length > 0 && lo <= out[last]! + 1) {
      if (hi > out[last]!) out[last] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

/** The complement, within all code points, of a normalised range list. */
export function negateRanges(ranges: readonly number[]): number[] {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i + 1 < ranges.length; i += 2) {
    const lo = ranges[i]!;
    if (next < lo) out.push(next, lo - 1);
    next = ranges[i + 1]! + 1;
  }
  if (next <= MAX_CODE_POINT) out.push(next, MAX_CODE_POINT);
  return out;
}
