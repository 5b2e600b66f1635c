/**
 * Session queries over the snapshot's history, with the reference semantics:
 * `seen` is true when a subsequence of prior actions certainly matches the
 * steps, unknown when one matches only if unknown steps are taken as true;
 * `count` is unknown as soon as any prior action might or might not match.
 *
 * @module
 */
import type { HistoryEntry } from "../ir/contract.ts";
import type { IrFeature } from "../ir/types.ts";
import { type EvalContext, evalCond } from "./expr.ts";
import { entryLabels, LEVELS, levelRank, Missing, missingOf, type Tri, UNCLASSIFIED } from "./values.ts";

/** `session.tainted`: some prior output was labelled `untrusted`. */
export function sessionTainted(history: readonly HistoryEntry[]): boolean {
  return history.some((entry) => entry.labels.includes("untrusted"));
}

/** `session.sensitivity`: the highest level of prior outputs, `public` when there were none. */
export function sessionSensitivity(history: readonly HistoryEntry[]): string {
  let best = 0;
  for (const entry of history) {
    for (const label of entryLabels(entry)) best = Math.max(best, levelRank(label));
  }
  return LEVELS[best] ?? UNCLASSIFIED;
}

function inWindow(ctx: EvalContext, history: readonly HistoryEntry[], withinMs: number | null) {
  return withinMs === null ? history : history.filter((entry) => ctx.time - entry.time <= withinMs);
}

/** A predicate over one prior entry. Predicates read only the entry and constants: no memo is shared. */
function test(ctx: EvalContext, predicate: number, entry: HistoryEntry): boolean | Missing {
  return evalCond({ ...ctx, entry, memo: new Map() }, predicate);
}

export function sessionFeature(ctx: EvalContext, feature: IrFeature): Tri {
  const history = inWindow(ctx, ctx.snapshot?.history ?? [], feature.withinMs);
  switch (feature.kind) {
    case "seen": {
      const rows = history.map((entry) => feature.steps.map((step) => test(ctx, step, entry)));
      const complete = (accept: (cell: boolean | Missing) => boolean): boolean => {
        let next = 0;
        for (const row of rows)
          if (next < feature.steps.length && accept(row[next] as boolean | Missing)) next++;
        return next === feature.steps.length;
      };
      if (complete((cell) => cell === true)) return true;
      if (complete((cell) => cell !== false))
        return missingOf(rows.flat().filter((c) => c instanceof Missing)) as Missing;
      return false;
    }
    case "count": {
      const cells = history.map((entry) => test(ctx, feature.where, entry));
      return missingOf(cells.filter((c) => c instanceof Missing)) ?? cells.filter((c) => c === true).length;
    }
    case "sum": {
      let total = 0;
      for (const entry of history) {
        if (entry.tool !== feature.tool || !Object.hasOwn(entry.args, feature.arg)) continue;
        const value = entry.args[feature.arg];
        if (typeof value === "number") total += value;
      }
      return Number.isFinite(total) ? total : new Missing([`session.sum(${feature.tool}, ${feature.arg})`]);
    }
  }
}
