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
import {
  closeFrame,
  condValue,
  type EvalContext,
  type Frame,
  frameFor,
  IrTypeError,
  openFrame,
  restamp,
} from "./expr.ts";
import type { FeatureValues } from "./feature-state.ts";
import { joinMissing, LEVELS, levelRank, Missing, type Tri, UNCLASSIFIED } from "./values.ts";

/** `session.tainted`: some prior output was labelled `untrusted`. */
export function sessionTainted(history: readonly HistoryEntry[]): boolean {
  // Plain loops: `includes` on arrays of one or two labels costs more in the call than in the search.
  for (const entry of history) for (const label of entry.labels) if (label === "untrusted") return true;
  return false;
}

/** `session.sensitivity`: the highest level of prior outputs, `public` when there were none. */
export function sessionSensitivity(history: readonly HistoryEntry[]): string {
  let best = 0;
  for (const entry of history) {
    // An output with no level is `restricted` (see `entryLabels`).
    let level = -1;
    for (const label of entry.labels) level = Math.max(level, levelRank(label));
    best = Math.max(best, level < 0 ? levelRank(UNCLASSIFIED) : level);
  }
  return LEVELS[best] ?? UNCLASSIFIED;
}

/** Feature `index` from values computed in advance (`featureValues`), in place of a scan. */
export function givenFeature(given: FeatureValues, index: number): Tri {
  const value = given.values[index];
  if (value === undefined) throw new IrTypeError(`no value given for feature ${index}`);
  return typeof value === "object" ? new Missing(value.missing) : value;
}

/** The value of `feature` in `ctx`. */
export function sessionFeature(ctx: EvalContext, feature: IrFeature): Tri {
  const frame = frameFor(ctx);
  const value = featureValue(frame, feature);
  closeFrame(frame);
  return value;
}

/**
 * A frame for testing predicates against prior entries: what `f` sees, with
 * its own memo (restamped per entry) and no caller's memo, since the values
 * depend on the entry.
 */
function entryFrame(f: Frame): Frame {
  const e = openFrame(f.prepared);
  e.tool = f.tool;
  e.args = f.args;
  e.time = f.time;
  e.identity = f.identity;
  e.snapshot = f.snapshot;
  e.output = f.output;
  return e;
}

function test(e: Frame, predicate: number, entry: HistoryEntry): boolean | Missing {
  restamp(e);
  e.entry = entry;
  return condValue(e, predicate);
}

/** Whether `entry` is inside the window of `withinMs` before `now` (negated so that NaN is outside). */
function outside(entry: HistoryEntry, now: number, withinMs: number | null): boolean {
  return withinMs !== null && !(now - entry.time <= withinMs);
}

/**
 * `seen`, in one pass over the window: `sure` follows the steps through
 * entries where they certainly hold, `maybe` where they might. Only when
 * `maybe` completes and `sure` does not is every cell needed (for the names
 * of what is missing), and only then are they all tested.
 */
function seen(
  e: Frame,
  steps: readonly number[],
  history: readonly HistoryEntry[],
  withinMs: number | null,
): Tri {
  let sure = 0;
  let maybe = 0;
  for (let k = 0; k < history.length && sure < steps.length; k++) {
    const entry = history[k] as HistoryEntry;
    if (outside(entry, e.time, withinMs)) continue;
    const atSure = test(e, steps[sure] as number, entry);
    const atMaybe =
      maybe === sure ? atSure : maybe < steps.length ? test(e, steps[maybe] as number, entry) : false;
    if (atSure === true) sure++;
    if (atMaybe !== false) maybe++;
  }
  if (sure === steps.length) return true;
  if (maybe < steps.length) return false;
  let unknown: Missing | null = null;
  for (const entry of history) {
    if (outside(entry, e.time, withinMs)) continue;
    for (const step of steps) {
      const cell = test(e, step, entry);
      if (cell instanceof Missing) unknown = joinMissing(unknown, cell);
    }
  }
  return unknown as Missing;
}

function count(e: Frame, where: number, history: readonly HistoryEntry[], withinMs: number | null): Tri {
  let n = 0;
  let unknown: Missing | null = null;
  for (const entry of history) {
    if (outside(entry, e.time, withinMs)) continue;
    const cell = test(e, where, entry);
    if (cell instanceof Missing) unknown = joinMissing(unknown, cell);
    else if (cell) n++;
  }
  return unknown ?? n;
}

/** The value of `feature` for the action in `f`, from the snapshot's history. */
export function featureValue(f: Frame, feature: IrFeature): Tri {
  const history = f.snapshot?.history ?? [];
  switch (feature.kind) {
    case "seen":
    case "count": {
      const e = entryFrame(f);
      const value =
        feature.kind === "seen"
          ? seen(e, feature.steps, history, feature.withinMs)
          : count(e, feature.where, history, feature.withinMs);
      closeFrame(e);
      return value;
    }
    case "sum": {
      let total = 0;
      for (const entry of history) {
        if (outside(entry, f.time, feature.withinMs)) continue;
        if (entry.tool !== feature.tool || !Object.hasOwn(entry.args, feature.arg)) continue;
        const value = entry.args[feature.arg];
        if (typeof value === "number") total += value;
      }
      return Number.isFinite(total) ? total : new Missing([`session.sum(${feature.tool}, ${feature.arg})`]);
    }
  }
}
