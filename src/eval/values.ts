/**
 * Values of the IR evaluator: JSON scalars, sets as sorted arrays of distinct
 * scalars, and `Missing` — the third truth value, carrying the names of the
 * inputs whose absence made it unknown.
 *
 * @module
 */
import type { Json } from "../ir/contract.ts";

export type Scalar = string | number | boolean;

/** Unknown: what is missing to know the value. */
export class Missing {
  readonly names: readonly string[];
  constructor(names: readonly string[]) {
    this.names = names;
  }
}

/** A set value: sorted, distinct scalars. */
export type SetValue = readonly Scalar[];

export type Value = Scalar | SetValue | Json;
export type Tri = Value | Missing;

export const LEVELS: readonly string[] = ["public", "internal", "confidential", "restricted"];
export const UNCLASSIFIED = "restricted";

/** Rank of a sensitivity level; -1 for a label that is not a level. */
export function levelRank(label: string): number {
  return LEVELS.indexOf(label);
}

function rank(v: Scalar): number {
  return typeof v === "number" ? 0 : typeof v === "string" ? 1 : 2;
}

function before(a: Scalar, b: Scalar): number {
  const r = rank(a) - rank(b);
  if (r !== 0) return r;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A set from any array of scalars: sorted in the IR's canonical order,
 * duplicates removed. Inputs are usually sets already (labels, roles, set
 * arguments), and those are returned as they are rather than copied.
 */
export function toSet(items: readonly Scalar[]): SetValue {
  let canonical = true;
  for (let i = 1; i < items.length && canonical; i++)
    canonical = before(items[i - 1] as Scalar, items[i] as Scalar) < 0;
  if (canonical) return items;
  const sorted = [...items].sort(before);
  return sorted.filter((v, i) => i === 0 || v !== sorted[i - 1]);
}

/** The union of the names of several unknowns, or null when none is unknown. */
export function missingOf(values: readonly Tri[]): Missing | null {
  let names: string[] | null = null;
  for (const v of values) {
    if (v instanceof Missing) {
      names ??= [];
      names.push(...v.names);
    }
  }
  return names === null ? null : new Missing(names);
}

/**
 * `missingOf([a, b])` without building the array: the hot path of binary
 * operators. An unknown operand alone is returned as it is (the names are
 * the same).
 */
export function missingOf2(a: Tri, b: Tri): Missing | null {
  if (a instanceof Missing) return b instanceof Missing ? new Missing([...a.names, ...b.names]) : a;
  return b instanceof Missing ? b : null;
}

/** `a` and `b` together: `b` alone when `a` is null. */
export function joinMissing(a: Missing | null, b: Missing): Missing {
  return a === null ? b : new Missing([...a.names, ...b.names]);
}

/** Structural equality of two known values. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  return a === b;
}

/** Whether some label is a sensitivity level. */
function hasLevel(labels: readonly string[]): boolean {
  for (const label of labels) if (levelRank(label) >= 0) return true;
  return false;
}

/** The labels of a prior action's output, with `restricted` added when it carries no level. */
export function entryLabels(entry: { readonly labels: readonly string[] }): readonly string[] {
  return hasLevel(entry.labels) ? entry.labels : [...entry.labels, UNCLASSIFIED];
}
