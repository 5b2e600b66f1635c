/**
 * The compiled form of a policy regex: a Thompson NFA over Unicode code
 * points, stored in the IR as plain JSON and run by `src/eval/regex.ts`.
 *
 * Types only: the evaluator imports this module and nothing else, so it must
 * stay free of code. The format is specified in `README.md` next to it, for
 * implementers in other languages.
 *
 * @module
 */

/**
 * A zero-width test of the position between the previous and the next code
 * point. Word characters are ASCII `[0-9A-Za-z_]` only, as in RE2.
 */
export type Assertion =
  /** Start of the text, or just after a `\n`. */
  | "begin-line"
  /** End of the text, or just before a `\n`. */
  | "end-line"
  /** Start of the text. */
  | "begin-text"
  /** End of the text. */
  | "end-text"
  /** One side is a word character and the other is not (the outside of the text is not). */
  | "word-boundary"
  /** Both sides are word characters, or neither is. */
  | "not-word-boundary";

/** One instruction; `next`, `alt` are indices into `Program.insts`. */
export type Inst =
  /**
   * Consume one code point if it lies in one of the inclusive ranges
   * `[lo0, hi0, lo1, hi1, …]`: sorted, non-overlapping, non-adjacent. Case
   * folding is already applied. An empty list never matches.
   */
  | { readonly op: "char-class"; readonly ranges: readonly number[]; readonly next: number }
  /**
   * Continue at both `next` and `alt`, `next` preferred: every path through
   * `next` outranks every path through `alt` when choosing among matches
   * (leftmost-first, as in RE2 and Perl). Only redaction looks at the order.
   */
  | { readonly op: "split"; readonly next: number; readonly alt: number }
  /** Continue at `next` only if the assertion holds at the current position. */
  | { readonly op: "assert"; readonly assertion: Assertion; readonly next: number }
  /** The pattern has matched. */
  | { readonly op: "match" };

export interface Program {
  readonly insts: readonly Inst[];
  /** Index of the first instruction. */
  readonly start: number;
  /**
   * Every path from `start` checks `begin-text` before consuming anything, so
   * a match can only begin at position 0 (an optimisation; running the
   * search from every position gives the same answer).
   */
  readonly anchoredStart: boolean;
}
