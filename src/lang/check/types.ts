/**
 * Static types: constructors, how users write them, and the one subtyping
 * rule of the language (a sensitivity level is a label).
 *
 * @module
 */
import type { TypeExpr } from "../ast.ts";
import type { ConstValue, Type } from "../checked.ts";
import { LEVELS } from "./builtins.ts";

export const T = {
  string: { kind: "string" },
  number: { kind: "number" },
  bool: { kind: "bool" },
  duration: { kind: "duration" },
  effect: { kind: "effect" },
  label: { kind: "label" },
  level: { kind: "level" },
  json: { kind: "json" },
  emptySet: { kind: "empty_set" },
  set: (element: Type): Type => ({ kind: "set", element }),
} as const satisfies Record<string, Type | ((t: Type) => Type)>;

/** A type as users write it: `set<string>`, `{}` for the empty set. */
export function formatType(type: Type): string {
  switch (type.kind) {
    case "set":
      return `set<${formatType(type.element)}>`;
    case "empty_set":
      return "{}";
    default:
      return type.kind;
  }
}

function sameType(a: Type, b: Type): boolean {
  if (a.kind === "set" && b.kind === "set") return sameType(a.element, b.element);
  return a.kind === b.kind;
}

/**
 * The least type both `a` and `b` belong to, if any: `level` joins `label`,
 * the empty set joins any set. `json` joins nothing, not even itself: it can
 * only be presence-tested.
 */
export function join(a: Type, b: Type): Type | null {
  if (a.kind === "json" || b.kind === "json") return null;
  if (a.kind === "empty_set" && (b.kind === "set" || b.kind === "empty_set")) return b;
  if (b.kind === "empty_set" && a.kind === "set") return a;
  if (a.kind === "set" && b.kind === "set") {
    const element = join(a.element, b.element);
    return element === null ? null : T.set(element);
  }
  if (a.kind === b.kind) return a;
  if ((a.kind === "level" && b.kind === "label") || (a.kind === "label" && b.kind === "level"))
    return T.label;
  return null;
}

/** Whether a value of type `from` may stand where `to` is expected. */
export function assignable(from: Type, to: Type): boolean {
  const j = join(from, to);
  return j !== null && sameType(j, to);
}

/** Whether values of the type can be compared for equality (`json` anywhere inside cannot). */
export function comparable(type: Type): boolean {
  if (type.kind === "json") return false;
  return type.kind === "set" ? comparable(type.element) : true;
}

/** The type a declaration's type expression denotes. */
export function typeFromExpr(expr: TypeExpr): Type {
  return expr.kind === "SetType" ? T.set(typeFromExpr(expr.element)) : T[expr.name];
}

/**
 * The types of const sets already typed: every reference to a const gets the
 * type of its one value, and an allowlist may have hundreds of elements.
 */
const setTypes = new WeakMap<ConstValue, Type | null>();

/** The type of a constant value; `null` for a set whose elements share no type. */
export function typeOfValue(value: ConstValue): Type | null {
  switch (value.kind) {
    case "string":
      return T.string;
    case "number":
      return T.number;
    case "bool":
      return T.bool;
    case "duration":
      return T.duration;
    case "effect":
      return T.effect;
    case "label":
      return (LEVELS as readonly string[]).includes(value.value) ? T.level : T.label;
    case "set": {
      let type = setTypes.get(value);
      if (type === undefined) {
        type = typeOfSet(value.elements);
        setTypes.set(value, type);
      }
      return type;
    }
  }
}

function typeOfSet(elements: readonly ConstValue[]): Type | null {
  let element: Type | null = null;
  for (const v of elements) {
    const t = typeOfValue(v);
    if (t === null) return null;
    element = element === null ? t : join(element, t);
    if (element === null) return null;
  }
  return element === null ? T.emptySet : T.set(element);
}
