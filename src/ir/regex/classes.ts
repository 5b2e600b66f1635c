/**
 * The named character classes of RE2 syntax: Perl escapes (`\d`, `\s`, `\w`
 * and their negations) and POSIX bracket names (`[:alpha:]`). All are ASCII,
 * as in RE2; `\s` is `[\t\n\f\r ]` (no `\v`), `[:space:]` includes `\v`.
 *
 * @module
 */

import { foldClosure } from "./casefold.ts";
import { negateRanges } from "./ranges.ts";

/** A named class: its ASCII ranges, and whether the name denotes their complement. */
export interface NamedClass {
  readonly ranges: readonly number[];
  readonly negated: boolean;
}

const DIGIT = [0x30, 0x39];
const SPACE = [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20];
const WORD = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];

/** `\d`, `\D`, … by their letter. */
export const PERL_CLASSES: ReadonlyMap<string, NamedClass> = new Map([
  ["d", { ranges: DIGIT, negated: false }],
  ["D", { ranges: DIGIT, negated: true }],
  ["s", { ranges: SPACE, negated: false }],
  ["S", { ranges: SPACE, negated: true }],
  ["w", { ranges: WORD, negated: false }],
  ["W", { ranges: WORD, negated: true }],
]);

const POSIX: readonly (readonly [string, readonly number[]])[] = [
  ["alnum", [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a]],
  ["alpha", [0x41, 0x5a, 0x61, 0x7a]],
  ["ascii", [0x00, 0x7f]],
  ["blank", [0x09, 0x09, 0x20, 0x20]],
  ["cntrl", [0x00, 0x1f, 0x7f, 0x7f]],
  ["digit", DIGIT],
  ["graph", [0x21, 0x7e]],
  ["lower", [0x61, 0x7a]],
  ["print", [0x20, 0x7e]],
  ["punct", [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e]],
  ["space", [0x09, 0x0d, 0x20, 0x20]],
  ["upper", [0x41, 0x5a]],
  ["word", WORD],
  ["xdigit", [0x30, 0x39, 0x41, 0x46, 0x61, 0x66]],
];

/** `[:alpha:]`, `[:^alpha:]`, … by their full bracketed spelling. */
export const POSIX_CLASSES: ReadonlyMap<string, NamedClass> = new Map(
  POSIX.flatMap(([name, ranges]): [string, NamedClass][] => [
    [`[:${name}:]`, { ranges, negated: false }],
    [`[:^${name}:]`, { ranges, negated: true }],
  ]),
);

/**
 * The code points of a named class. Under `(?i)` they are folded before any
 * complement, as RE2 does, so `(?i)\W` excludes U+212A KELVIN SIGN.
 */
export function namedRanges(named: NamedClass, foldCase: boolean): readonly number[] {
  const ranges = foldCase ? foldClosure(named.ranges) : named.ranges;
  return named.negated ? negateRanges(ranges) : ranges;
}
