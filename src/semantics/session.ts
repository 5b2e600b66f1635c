/**
 * Session queries, computed naively over the whole history on every decision.
 *
 * This is the definition, not the implementation: the compiled evaluator keeps
 * the same quantities incrementally as the context accumulator appends
 * entries. Costs here are O(history × predicate size) per query, and
 * O(history × steps) for a sequence.
 *
 * @module
 */

import type { HistoryEntry } from "../ir/contract.ts";
import type { DurationLiteral, Expr, SessionQuery } from "../lang/ast.ts";
import { SemanticsTypeError } from "./errors.ts";
import { entryLabels, highestLevel, type Level } from "./levels.ts";
import type { Scope } from "./scope.ts";
import { expectBool, FALSE, num, TRUE, type Tri, type Unknown, unknown, unknownOf } from "./values.ts";

type Evaluator = (e: Expr, s: Scope) => Tri;

/** Prior actions at most `within` before the action (exactly `within` before is inside); all without a window. */
function inWindow(scope: Scope, history: readonly HistoryEntry[], within: DurationLiteral | null) {
  return within === null ? history : history.filter((entry) => scope.time - entry.time <= within.ms);
}

/** A predicate over one prior action, as true, false or unknown. */
function test(evaluate: Evaluator, predicate: Expr, scope: Scope, entry: HistoryEntry): boolean | Unknown {
  const result = evaluate(predicate, { ...scope, entry });
  return result.kind === "unknown" ? result : expectBool(result, "session query predicate");
}

/**
 * `session.seen(P1 then P2 …)`: some prior actions, in order, match the steps. True when a
 * subsequence matches with every step certainly true; unknown when one matches only if
 * unknown steps are taken as true; false otherwise. Greedy earliest matching finds a
 * subsequence whenever one exists.
 */
function seen(
  steps: readonly Expr[],
  entries: readonly HistoryEntry[],
  scope: Scope,
  evaluate: Evaluator,
): Tri {
  const rows = entries.map((entry) => steps.map((step) => test(evaluate, step, scope, entry)));
  const complete = (accept: (cell: boolean | Unknown) => boolean): boolean => {
    let next = 0;
    for (const row of rows) {
      if (next < steps.length && accept(row[next] as boolean | Unknown)) next++;
    }
    return next === steps.length;
  };
  if (complete((cell) => cell === true)) return TRUE;
  if (complete((cell) => cell !== false))
    return unknownOf(rows.flat().filter((c) => typeof c !== "boolean"))!;
  return FALSE;
}

/** `session.count(P)`: unknown as soon as any prior action might or might not match. */
function count(where: Expr, entries: readonly HistoryEntry[], scope: Scope, evaluate: Evaluator): Tri {
  const cells = entries.map((entry) => test(evaluate, where, scope, entry));
  const unknowns = unknownOf(cells.filter((c) => typeof c !== "boolean"));
  return unknowns ?? num(cells.filter((c) => c === true).length);
}

/** `session.sum("tool", arg)`: prior calls without the (optional) argument add nothing. */
function sum(tool: string, arg: string, entries: readonly HistoryEntry[]): Tri {
  let total = 0;
  for (const entry of entries) {
    if (entry.tool !== tool || !Object.hasOwn(entry.args, arg)) continue;
    const value = entry.args[arg];
    if (typeof value !== "number")
      throw new SemanticsTypeError(`session.sum: ${tool} ${arg} is not a number`);
    total += value;
  }
  return Number.isFinite(total) ? num(total) : unknown([`session.sum(${tool}, ${arg})`]);
}

export function evalSessionQuery(q: SessionQuery, scope: Scope, evaluate: Evaluator): Tri {
  if (scope.snapshot === null) return unknown(["session"]);
  const entries = inWindow(scope, scope.snapshot.history, q.within);
  switch (q.kind) {
    case "SeenQuery":
      if (q.steps.length === 0) throw new SemanticsTypeError("session.seen without a predicate");
      return seen(q.steps, entries, scope, evaluate);
    case "CountQuery":
      return count(q.where, entries, scope, evaluate);
    case "SumQuery":
      return sum(q.tool.value, q.arg.text, entries);
  }
}

/** `session.tainted`: some prior output was labelled `untrusted`. */
export function tainted(history: readonly HistoryEntry[]): boolean {
  return history.some((entry) => entry.labels.includes("untrusted"));
}

/** `session.sensitivity`: the highest level of prior outputs, `public` when there were none. */
export function sensitivity(history: readonly HistoryEntry[]): Level {
  return highestLevel(history.flatMap(entryLabels)) ?? "public";
}
