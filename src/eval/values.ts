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

/** A set from any array of scalars: sorted in the IR's canonical order, duplicates removed. */
export function toSet(items: readonly Scalar[]): SetValue {
  const sorted = [...items].sort((a, b) => {
    const r = rank(a) - rank(b);
    if (r !== 0) return r;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return a < b ? -1 : a > b ? 1 : 0;
  });
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

/** Structural equality of two known values. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** The labels of a prior action's output, with `restricted` added when it carries no level. */
export function entryLabels(entry: { readonly labels: readonly string[] }): readonly string[] {
  return entry.labels.some((l) => levelRank(l) >= 0) ? entry.labels : [...entry.labels, UNCLASSIFIED];
}
