/**
 * The syntax diagnostic codes (AARM1xxx): the single list of every problem
 * the lexer, parser and CST → AST lowering report, with the shape those
 * phases report them in before positions become spans.
 *
 * Each code has a page `docs/diagnostics/<code>.md`; a test checks that every
 * code in {@link SYNTAX_CODES} has one. Codes are never reused for a
 * different problem.
 *
 * @module
 */
import type { Severity } from "./diagnostic.ts";

/** One documented diagnostic code. */
export interface CodeInfo {
  readonly code: string;
  readonly severity: Severity;
  readonly title: string;
}

export const SYNTAX_CODES = [
  { code: "AARM1001", severity: "error", title: "unexpected token" },
  { code: "AARM1002", severity: "error", title: "keyword used as a name" },
  { code: "AARM1003", severity: "error", title: "missing file header" },
  { code: "AARM1004", severity: "error", title: "too many syntax errors" },
  { code: "AARM1010", severity: "error", title: "unexpected character" },
  { code: "AARM1011", severity: "error", title: "unterminated string" },
  { code: "AARM1012", severity: "error", title: "invalid escape sequence" },
  { code: "AARM1013", severity: "error", title: "unterminated block comment" },
  { code: "AARM1014", severity: "error", title: "unterminated regular expression" },
  { code: "AARM1015", severity: "error", title: "invalid regular expression flag" },
  { code: "AARM1016", severity: "error", title: "invalid number" },
  { code: "AARM1017", severity: "error", title: "invalid duration" },
  { code: "AARM1020", severity: "error", title: "duplicate clause" },
  { code: "AARM1021", severity: "error", title: "clause not allowed here" },
  { code: "AARM1022", severity: "error", title: "missing required clause" },
  { code: "AARM1023", severity: "error", title: "chained comparison" },
  { code: "AARM1024", severity: "error", title: "unknown type" },
  { code: "AARM1025", severity: "error", title: "unknown effect" },
  { code: "AARM1026", severity: "error", title: "unknown risk level" },
  { code: "AARM1027", severity: "error", title: "malformed session query" },
  { code: "AARM1030", severity: "error", title: "source too large" },
  { code: "AARM1031", severity: "error", title: "nesting too deep" },
  { code: "AARM1032", severity: "error", title: "too many tokens" },
] as const satisfies readonly CodeInfo[];

export type SyntaxCode = (typeof SYNTAX_CODES)[number]["code"];

/** A note of a syntax problem, positioned (if at all) by offsets into the source text. */
export interface ProblemNote {
  readonly message: string;
  readonly at: { readonly start: number; readonly end: number } | null;
}

/**
 * A syntax problem as the lexer, parser and lowering report it: offsets into
 * the source text, turned into spans (with line and column) once, by `parse`.
 */
export interface SyntaxProblem {
  readonly code: SyntaxCode;
  readonly message: string;
  readonly start: number;
  readonly end: number;
  readonly notes: readonly ProblemNote[];
  readonly suggestion: string | null;
}

/** Builds a problem, filling the optional parts. */
export function problem(
  code: SyntaxCode,
  message: string,
  start: number,
  end: number,
  extra: { notes?: readonly ProblemNote[]; suggestion?: string | null } = {},
): SyntaxProblem {
  return { code, message, start, end, notes: extra.notes ?? [], suggestion: extra.suggestion ?? null };
}

/**
 * The candidate closest to `word` by edit distance (with transpositions), if
 * it is close enough to be a plausible typo: at most 1 edit for short words,
 * 2 for longer ones. Ties go to the earlier candidate.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | null {
  const limit = word.length <= 3 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (candidate === word || Math.abs(candidate.length - word.length) > limit) continue;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (beforePrevious[j - 2] ?? 0) + 1);
      }
      current.push(value);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}
