/**
 * Session queries maintained incrementally: a decision costs the same after
 * ten prior actions or a hundred thousand.
 *
 * A {@link FeatureState} folds a session's history one entry at a time
 * ({@link appendEntry}); {@link featureValues} then gives, for an action at
 * time `now`, the value of every feature of the IR and of `session.tainted`
 * and `session.sensitivity` — exactly what the history scans of
 * `features.ts` give on the same history, unknown and its names included
 * (names sorted and distinct) — and `evaluate(ir, input, { features })`
 * decides on those values instead of scanning `snapshot.history`.
 *
 * Folding works because a session-query predicate reads only the prior entry
 * and constants (the checker's AARM3027; {@link initialFeatureState} refuses
 * an IR where it does not hold), so each (entry, predicate) cell is computed
 * once, when the entry is appended. What each kind keeps:
 *
 * - `count`: the number of true cells; with a window, their times, sorted, so
 *   the cells inside a window are found by binary search.
 * - `seen`: per step, the latest time at which a match of the steps so far
 *   can start: the largest, over matches, of the earliest time they use (a
 *   match is inside the window exactly when its earliest entry is), once for
 *   the certain cells and once for the possible ones.
 * - `sum`: the running total; with a window, the matching values and their
 *   times, and prefix sums while every value is an integer small enough for
 *   the sums to be exact (then a window is two lookups); otherwise the values
 *   inside the window are added in history order, as the scan adds them.
 * - unknown cells: per name, the latest time a cell was unknown with it.
 *
 * Windows depend on `now`. {@link pruneFeatureState} drops what no window can
 * reach once time has passed `now`; values for an earlier time are then
 * refused. The state is mutable and owned by its caller: `appendEntry` and
 * `pruneFeatureState` change it in place, `featureValues` does not.
 *
 * @module
 */
import type { HistoryEntry } from "../ir/contract.ts";
import type { Ir, IrFeature } from "../ir/types.ts";
import { closeFrame, condValue, type Frame, IrTypeError, openFrame, restamp } from "./expr.ts";
import { prepare } from "./prepare.ts";
import { LEVELS, levelRank, Missing, UNCLASSIFIED } from "./values.ts";

/** A feature's value: a number (`count`, `sum`), a boolean (`seen`), or unknown with the names of what is missing. */
export type FeatureValue = number | boolean | { readonly missing: readonly string[] };

/**
 * What a decision reads of the session instead of its history: plain JSON,
 * so it can be frozen and hashed with the rest of the decision's input.
 */
export interface FeatureValues {
  /** `session.tainted`. */
  readonly tainted: boolean;
  /** `session.sensitivity`. */
  readonly sensitivity: string;
  /** By feature index of the IR. */
  readonly values: readonly FeatureValue[];
}

type Cell = boolean | Missing;

/** Unknown cells: per name, the latest time a cell was unknown with it; `last`, the latest of any. */
interface Unknowns {
  last: number | undefined;
  readonly names: Map<string, number>;
}

interface CountAcc {
  readonly kind: "count";
  readonly feature: IrFeature & { readonly kind: "count" };
  /** True cells (without a window). */
  n: number;
  /** Times of true cells, sorted, from `head` on (with a window). */
  times: number[];
  head: number;
  readonly unknown: Unknowns;
}

interface SeenAcc {
  readonly kind: "seen";
  readonly feature: IrFeature & { readonly kind: "seen" };
  /** Per step j: the latest start time of a certain match of steps 0..j, or undefined for none. */
  readonly sure: (number | undefined)[];
  /** The same for possible matches. */
  readonly maybe: (number | undefined)[];
  readonly unknown: Unknowns;
}

interface SumAcc {
  readonly kind: "sum";
  readonly feature: IrFeature & { readonly kind: "sum" };
  /** The running total (without a window). */
  total: number;
  /** Matching values and their times, in history order, from `head` on (with a window). */
  times: number[];
  values: number[];
  /** `prefix[i]`: the sum of `values[0..i)` (absolute, unaffected by `head`), while `exact`. */
  prefix: number[];
  head: number;
  /** Whether the times never decrease (a window is then a suffix). */
  ordered: boolean;
  /** Whether every value is an integer and every prefix sum at most 2^52 in magnitude. */
  exact: boolean;
}

type Acc = CountAcc | SeenAcc | SumAcc;

/**
 * The incremental state of a session's features under one IR: opaque, made
 * by {@link initialFeatureState} and changed only through this module.
 */
export interface FeatureState {
  readonly ir: Ir;
  /** Entries folded so far. */
  readonly length: number;
}

/** What a {@link FeatureState} holds. */
interface State extends FeatureState {
  length: number;
  tainted: boolean;
  /** Rank of the highest sensitivity seen (0, `public`, when there is none). */
  level: number;
  /** By feature index. */
  readonly accs: readonly Acc[];
  /** The latest time pruned to: values for an earlier time cannot be given. */
  horizon: number;
}

const EXACT_LIMIT = 2 ** 52;

/** Node kinds a session-query predicate may read: the entry, constants and operators over them. */
const PREDICATE_OPS = new Set([
  "const",
  "entry",
  "missing",
  "set",
  "has",
  "not",
  "and",
  "or",
  "compare",
  "in",
  "matches",
  "add",
  "sub",
  "mul",
  "neg",
  "call",
]);

/** Refuses a predicate that reads anything but the entry and constants: it could not be folded. */
function checkPredicate(ir: Ir, root: number): void {
  const stack = [root];
  const seen = new Set<number>();
  for (let index = stack.pop(); index !== undefined; index = stack.pop()) {
    if (seen.has(index)) continue;
    seen.add(index);
    const node = ir.exprs[index];
    if (node === undefined) throw new IrTypeError(`no expression ${index}`);
    if (!PREDICATE_OPS.has(node.op) || (node.op === "call" && node.fn === "intent.mentions")) {
      throw new IrTypeError(`a session-query predicate reads ${node.op}, not only the prior action`);
    }
    switch (node.op) {
      case "has":
        if (ir.exprs[node.of]?.op !== "entry")
          throw new IrTypeError("a session-query predicate tests presence of context");
        break;
      case "set":
      case "and":
      case "or":
        stack.push(...(node.op === "set" ? node.items : node.args));
        break;
      case "call":
        stack.push(...node.args);
        break;
      case "not":
      case "neg":
        stack.push(node.arg);
        break;
      case "compare":
      case "add":
      case "sub":
      case "mul":
        stack.push(node.left, node.right);
        break;
      case "in":
        stack.push(node.item, node.set);
        break;
      case "matches":
        stack.push(node.subject);
        break;
      default:
        break;
    }
  }
}

function accFor(ir: Ir, feature: IrFeature): Acc {
  switch (feature.kind) {
    case "count":
      checkPredicate(ir, feature.where);
      return {
        kind: "count",
        feature,
        n: 0,
        times: [],
        head: 0,
        unknown: { last: undefined, names: new Map() },
      };
    case "seen":
      for (const step of feature.steps) checkPredicate(ir, step);
      return {
        kind: "seen",
        feature,
        sure: feature.steps.map(() => undefined),
        maybe: feature.steps.map(() => undefined),
        unknown: { last: undefined, names: new Map() },
      };
    case "sum":
      return {
        kind: "sum",
        feature,
        total: 0,
        times: [],
        values: [],
        prefix: [0],
        head: 0,
        ordered: true,
        exact: true,
      };
  }
}

/** The state of a session with no history under `ir`. Throws `IrTypeError` for a predicate that cannot be folded. */
export function initialFeatureState(ir: Ir): FeatureState {
  const state: State = {
    ir,
    length: 0,
    tainted: false,
    level: 0,
    accs: ir.features.map((feature) => accFor(ir, feature)),
    horizon: Number.NEGATIVE_INFINITY,
  };
  return state;
}

/** Whether an entry at `time` is inside the window of `withinMs` before `now` (negated so that NaN is outside). */
function inside(now: number, time: number, withinMs: number | null): boolean {
  return withinMs === null || now - time <= withinMs;
}

/** The first index from `from` of sorted `times` inside the window (the test is monotone in the time). */
function windowStart(times: readonly number[], from: number, now: number, withinMs: number): number {
  let lo = from;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (now - (times[mid] as number) <= withinMs) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Inserts `time` into sorted `times` after any equal ones. */
function insertSorted(times: number[], time: number): void {
  let at = times.length;
  while (at > 0 && (times[at - 1] as number) > time) at--;
  if (at === times.length) times.push(time);
  else times.splice(at, 0, time);
}

function noteUnknown(unknown: Unknowns, cell: Missing, time: number): void {
  unknown.last = unknown.last === undefined ? time : Math.max(unknown.last, time);
  for (const name of cell.names) {
    const at = unknown.names.get(name);
    unknown.names.set(name, at === undefined ? time : Math.max(at, time));
  }
}

function cellAt(frame: Frame, predicate: number, entry: HistoryEntry): Cell {
  restamp(frame);
  frame.entry = entry;
  return condValue(frame, predicate);
}

/**
 * The time an entry counts at for a feature: its own under a window (undefined,
 * never inside any window, when it is not a number that can be), else 0, since
 * only the order matters.
 */
function timeFor(withinMs: number | null, entry: HistoryEntry): number | undefined {
  if (withinMs === null) return 0;
  return Number.isNaN(entry.time) ? undefined : entry.time;
}

/** Advances the match times of a `seen` by one entry's cells at `time`. */
function advanceSeen(
  sure: (number | undefined)[],
  maybe: (number | undefined)[],
  cells: readonly Cell[],
  time: number,
): void {
  // Last step first, so that one entry never matches two consecutive steps.
  for (let j = cells.length - 1; j >= 0; j--) {
    const cell = cells[j] as Cell;
    if (cell === false) continue;
    const from = j === 0 ? time : maybe[j - 1];
    if (from !== undefined) maybe[j] = Math.max(maybe[j] ?? Number.NEGATIVE_INFINITY, Math.min(from, time));
    if (cell !== true) continue;
    const sureFrom = j === 0 ? time : sure[j - 1];
    if (sureFrom !== undefined)
      sure[j] = Math.max(sure[j] ?? Number.NEGATIVE_INFINITY, Math.min(sureFrom, time));
  }
}

/** The numeric value of `entry` for a `sum`, or undefined when the entry does not count. */
function summand(feature: IrFeature & { readonly kind: "sum" }, entry: HistoryEntry): number | undefined {
  if (entry.tool !== feature.tool || !Object.hasOwn(entry.args, feature.arg)) return undefined;
  const value = entry.args[feature.arg];
  return typeof value === "number" ? value : undefined;
}

function appendTo(acc: Acc, frame: Frame, entry: HistoryEntry, horizon: number): void {
  const withinMs = acc.feature.withinMs;
  const time = timeFor(withinMs, entry);
  // Outside the window at the horizon is outside every window values may still be asked for.
  if (time === undefined || !inside(horizon, time, withinMs)) return;
  switch (acc.kind) {
    case "count": {
      const cell = cellAt(frame, acc.feature.where, entry);
      if (cell instanceof Missing) noteUnknown(acc.unknown, cell, time);
      else if (cell) {
        if (withinMs === null) acc.n++;
        else insertSorted(acc.times, time);
      }
      return;
    }
    case "seen": {
      const cells = acc.feature.steps.map((step) => cellAt(frame, step, entry));
      for (const cell of cells) if (cell instanceof Missing) noteUnknown(acc.unknown, cell, time);
      advanceSeen(acc.sure, acc.maybe, cells, time);
      return;
    }
    case "sum": {
      const value = summand(acc.feature, entry);
      if (value === undefined) return;
      if (withinMs === null) {
        acc.total += value;
        return;
      }
      const last = acc.times.at(-1);
      if (last !== undefined && time < last) acc.ordered = false;
      acc.times.push(time);
      acc.values.push(value);
      if (acc.exact) {
        const next = (acc.prefix.at(-1) as number) + value;
        acc.exact =
          Number.isInteger(value) && Math.abs(value) <= EXACT_LIMIT && Math.abs(next) <= EXACT_LIMIT;
        if (acc.exact) acc.prefix.push(next);
        else acc.prefix = [];
      }
      return;
    }
  }
}

/**
 * Folds one more history entry (the next, oldest first) into `state`, in
 * place. Throws `IrTypeError` where a scan would (an ill-typed IR).
 */
export function appendEntry(given: FeatureState, entry: HistoryEntry): void {
  const state = given as State;
  let level = -1;
  for (const label of entry.labels) {
    if (label === "untrusted") state.tainted = true;
    level = Math.max(level, levelRank(label));
  }
  // An output with no level is `restricted` (see `entryLabels`).
  state.level = Math.max(state.level, level < 0 ? levelRank(UNCLASSIFIED) : level);
  if (state.accs.length > 0) {
    const frame = openFrame(prepare(state.ir));
    for (const acc of state.accs) appendTo(acc, frame, entry, state.horizon);
    closeFrame(frame);
  }
  state.length++;
}

/**
 * Drops what no window can reach from `now` on. Afterwards values can be
 * given only for times at or after `now`.
 */
export function pruneFeatureState(given: FeatureState, now: number): void {
  const state = given as State;
  if (!(now > state.horizon)) return;
  state.horizon = now;
  for (const acc of state.accs) {
    const withinMs = acc.feature.withinMs;
    if (acc.kind === "seen" || withinMs === null) continue;
    let head = acc.head;
    while (head < acc.times.length && !inside(now, acc.times[head] as number, withinMs)) head++;
    acc.head = head;
    // Compact once the dropped part dominates, so pruning is amortised constant time per entry.
    if (head > 1024 && head * 2 > acc.times.length) {
      acc.times = acc.times.slice(head);
      if (acc.kind === "sum") {
        acc.values = acc.values.slice(head);
        if (acc.exact) acc.prefix = acc.prefix.slice(head);
      }
      acc.head = 0;
    }
  }
}

/** Names of unknown cells inside the window, and whether there is one, merged into `into`. */
function unknownsInside(unknown: Unknowns, now: number, withinMs: number | null, into: Set<string>): boolean {
  if (unknown.last === undefined || !inside(now, unknown.last, withinMs)) return false;
  for (const [name, time] of unknown.names) if (inside(now, time, withinMs)) into.add(name);
  return true;
}

function missingValue(names: Set<string>): FeatureValue {
  return { missing: [...names].sort() };
}

function sumValue(acc: SumAcc, now: number, withinMs: number | null): number {
  if (withinMs === null) return acc.total;
  const start = acc.ordered ? windowStart(acc.times, acc.head, now, withinMs) : acc.head;
  const end = acc.times.length;
  if (acc.ordered && acc.exact) return (acc.prefix[end] as number) - (acc.prefix[start] as number);
  let total = 0;
  for (let i = start; i < end; i++) {
    if (inside(now, acc.times[i] as number, withinMs)) total += acc.values[i] as number;
  }
  return total;
}

/** The value of one feature at `now`, with `tail` entries appended after the state's (not folded into it). */
function valueOf(acc: Acc, frame: Frame, now: number, tail: readonly HistoryEntry[]): FeatureValue {
  const withinMs = acc.feature.withinMs;
  const names = new Set<string>();
  switch (acc.kind) {
    case "count": {
      let n = withinMs === null ? acc.n : acc.times.length - windowStart(acc.times, acc.head, now, withinMs);
      let unknown = unknownsInside(acc.unknown, now, withinMs, names);
      for (const entry of tail) {
        const time = timeFor(withinMs, entry);
        if (time === undefined || !inside(now, time, withinMs)) continue;
        const cell = cellAt(frame, acc.feature.where, entry);
        if (cell instanceof Missing) {
          unknown = true;
          for (const name of cell.names) names.add(name);
        } else if (cell) n++;
      }
      return unknown ? missingValue(names) : n;
    }
    case "seen": {
      const steps = acc.feature.steps;
      const sure = [...acc.sure];
      const maybe = [...acc.maybe];
      unknownsInside(acc.unknown, now, withinMs, names);
      for (const entry of tail) {
        const time = timeFor(withinMs, entry);
        if (time === undefined) continue;
        const cells = steps.map((step) => cellAt(frame, step, entry));
        if (inside(now, time, withinMs)) {
          for (const cell of cells)
            if (cell instanceof Missing) for (const name of cell.names) names.add(name);
        }
        advanceSeen(sure, maybe, cells, time);
      }
      if (steps.length === 0) return true;
      const matched = (starts: readonly (number | undefined)[]): boolean => {
        const start = starts[steps.length - 1];
        return start !== undefined && inside(now, start, withinMs);
      };
      if (matched(sure)) return true;
      return matched(maybe) ? missingValue(names) : false;
    }
    case "sum": {
      let total = sumValue(acc, now, withinMs);
      for (const entry of tail) {
        const value = summand(acc.feature, entry);
        if (value !== undefined && inside(now, entry.time, withinMs)) total += value;
      }
      return Number.isFinite(total)
        ? total
        : { missing: [`session.sum(${acc.feature.tool}, ${acc.feature.arg})`] };
    }
  }
}

/**
 * Every feature's value for an action at `now`, over the folded history
 * followed by `tail` (entries not folded yet, oldest first; the state is not
 * changed). Throws a `RangeError` for a time before the state was pruned to.
 */
export function featureValues(
  given: FeatureState,
  now: number,
  tail: readonly HistoryEntry[] = [],
): FeatureValues {
  const state = given as State;
  if (now < state.horizon) {
    throw new RangeError(`feature values asked for a time before the state was pruned to`);
  }
  let tainted = state.tainted;
  let level = state.level;
  for (const entry of tail) {
    let own = -1;
    for (const label of entry.labels) {
      if (label === "untrusted") tainted = true;
      own = Math.max(own, levelRank(label));
    }
    level = Math.max(level, own < 0 ? levelRank(UNCLASSIFIED) : own);
  }
  let values: FeatureValue[] = [];
  if (state.accs.length > 0) {
    const frame = openFrame(prepare(state.ir));
    values = state.accs.map((acc) => valueOf(acc, frame, now, tail));
    closeFrame(frame);
  }
  return { tainted, sensitivity: LEVELS[level] ?? UNCLASSIFIED, values };
}
