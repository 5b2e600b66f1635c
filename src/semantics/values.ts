/**
 * Runtime values of the reference interpreter, and the third truth value.
 *
 * An expression evaluates to a value or to `unknown`. An unknown carries the
 * names of the missing inputs it came from, so that a DEFER can say which
 * context would settle it (docs/language.md §7).
 *
 * @module
 */

import type { Json } from "../ir/contract.ts";
import type { Effect } from "../lang/ast.ts";
import type { ConstValue } from "../lang/checked.ts";
import { SemanticsTypeError } from "./errors.ts";

/** A set keeps its elements by canonical key, so membership is one lookup and duplicates vanish. */
export interface SetValue {
  readonly kind: "set";
  readonly elements: ReadonlyMap<string, Value>;
}

export type Value =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "duration"; readonly ms: number }
  | { readonly kind: "effect"; readonly value: Effect }
  /** A label: a sensitivity level, a category, or `untrusted`. */
  | { readonly kind: "label"; readonly value: string }
  | SetValue
  /** An opaque argument of type `json`: it can only be presence-tested. */
  | { readonly kind: "json"; readonly value: Json };

export interface Unknown {
  readonly kind: "unknown";
  /** Names of the missing or malformed inputs: `maintenance_window`, `intent`, `args.url`. */
  readonly missing: ReadonlySet<string>;
}

/** The result of evaluating an expression: a value, or unknown. */
export type Tri = Value | Unknown;

export const TRUE: Value = { kind: "bool", value: true };
export const FALSE: Value = { kind: "bool", value: false };

export function bool(b: boolean): Value {
  return b ? TRUE : FALSE;
}

export function str(value: string): Value {
  return { kind: "string", value };
}

export function num(value: number): Value {
  return { kind: "number", value };
}

export function unknown(names: Iterable<string>): Unknown {
  return { kind: "unknown", missing: new Set(names) };
}

/** The unknown that an operation over `operands` yields, or null when every operand is known. */
export function unknownOf(operands: readonly Tri[]): Unknown | null {
  const names = new Set<string>();
  let any = false;
  for (const operand of operands) {
    if (operand.kind !== "unknown") continue;
    any = true;
    for (const name of operand.missing) names.add(name);
  }
  return any ? { kind: "unknown", missing: names } : null;
}

/**
 * The canonical key of a value: equal values, and only equal values, have
 * equal keys. `0` and `-0` are equal, as `==` says they are.
 */
export function valueKey(v: Value): string {
  switch (v.kind) {
    case "string":
      return `s:${v.value}`;
    case "number":
      return `n:${String(v.value)}`;
    case "bool":
      return `b:${v.value}`;
    case "duration":
      return `d:${String(v.ms)}`;
    case "effect":
      return `e:${v.value}`;
    case "label":
      return `l:${v.value}`;
    case "set":
      return `S:${JSON.stringify([...v.elements.keys()].sort())}`;
    case "json":
      throw new SemanticsTypeError("a json value cannot be compared");
  }
}

export function makeSet(elements: Iterable<Value>): SetValue {
  const map = new Map<string, Value>();
  for (const element of elements) map.set(valueKey(element), element);
  return { kind: "set", elements: map };
}

export function valuesEqual(a: Value, b: Value): boolean {
  if (a.kind !== b.kind) throw new SemanticsTypeError(`cannot compare ${a.kind} with ${b.kind}`);
  return valueKey(a) === valueKey(b);
}

export function constToValue(c: ConstValue): Value {
  return c.kind === "set" ? makeSet(c.elements.map(constToValue)) : c;
}

/** Narrowing helpers: a value of another kind here means the policy or input was ill-typed. */
export function expectBool(v: Value, where: string): boolean {
  if (v.kind !== "bool") throw new SemanticsTypeError(`${where}: expected bool, got ${v.kind}`);
  return v.value;
}

export function expectString(v: Value, where: string): string {
  if (v.kind !== "string") throw new SemanticsTypeError(`${where}: expected string, got ${v.kind}`);
  return v.value;
}

export function expectNumber(v: Value, where: string): number {
  if (v.kind !== "number") throw new SemanticsTypeError(`${where}: expected number, got ${v.kind}`);
  return v.value;
}

/** Converts a value back to JSON, for the arguments a modification writes. */
export function valueToJson(v: Value): Json {
  switch (v.kind) {
    case "string":
    case "number":
    case "bool":
    case "effect":
    case "label":
    case "json":
      return v.value;
    case "duration":
      return v.ms;
    case "set":
      // Sets have no order; written out (by `set args.x = {…}`) they are in ascending order.
      return [...v.elements.values()].map(valueToJson).sort(ascending);
  }
}

/** Ascending order of the scalars a set holds: numbers numerically, strings by UTF-16 code units. */
function ascending(a: Json, b: Json): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return a! < b! ? -1 : a! > b! ? 1 : 0;
}
