/**
 * Constant folding: the value of an expression that depends on nothing but
 * literals and constants. Strict folding evaluates const and param
 * declarations; Kleene folding, for lints, also decides `false and X` and
 * `true or X` whatever `X` is, as the three-valued logic of §7 does.
 *
 * @module
 */
import type * as ast from "../ast.ts";
import type { ConstValue } from "../checked.ts";
import { levelRank } from "./builtins.ts";

export type FoldReason =
  /** The expression reads something only known when a decision is made. */
  | "not-constant"
  /** Operands of the wrong kinds; the typer reports these. */
  | "type"
  /** Arithmetic that overflows to an infinity. */
  | "non-finite"
  /** A name that does not resolve; the typer reports these. */
  | "unresolved"
  /** A const that depends on itself; reported where the cycle is found. */
  | "cycle";

export type Folded =
  | { readonly ok: true; readonly value: ConstValue }
  | { readonly ok: false; readonly reason: FoldReason; readonly node: ast.Expr };

export type Lookup = (ref: ast.Ref) => Folded;

function failure(reason: FoldReason, node: ast.Expr): Folded {
  return { ok: false, reason, node };
}

function ok(value: ConstValue): Folded {
  return { ok: true, value };
}

/** Structural equality of constant values; sets compare as sets. */
export function valueEqual(a: ConstValue, b: ConstValue): boolean {
  if (a.kind === "set" && b.kind === "set") {
    return (
      a.elements.every((x) => b.elements.some((y) => valueEqual(x, y))) &&
      b.elements.every((y) => a.elements.some((x) => valueEqual(x, y)))
    );
  }
  switch (a.kind) {
    case "string":
    case "number":
    case "bool":
    case "effect":
    case "label":
      return b.kind === a.kind && b.value === a.value;
    case "duration":
      return b.kind === "duration" && b.ms === a.ms;
    case "set":
      return false;
  }
}

/** A value as it would be written: for messages. */
export function formatValue(value: ConstValue): string {
  switch (value.kind) {
    case "string":
      return JSON.stringify(value.value);
    case "duration":
      return `${value.ms}ms`;
    case "set":
      return `{${value.elements.map(formatValue).join(", ")}}`;
    default:
      return String(value.value);
  }
}

function number(value: number, node: ast.Expr): Folded {
  return Number.isFinite(value) ? ok({ kind: "number", value }) : failure("non-finite", node);
}

function arithmetic(node: ast.Binary, a: ConstValue, b: ConstValue): Folded {
  if (a.kind === "number" && b.kind === "number") {
    if (node.op === "+") return number(a.value + b.value, node);
    if (node.op === "-") return number(a.value - b.value, node);
    return number(a.value * b.value, node);
  }
  if (node.op === "+" && a.kind === "string" && b.kind === "string")
    return ok({ kind: "string", value: a.value + b.value });
  if (node.op === "+" && a.kind === "duration" && b.kind === "duration") {
    const ms = a.ms + b.ms;
    return Number.isFinite(ms) ? ok({ kind: "duration", ms }) : failure("non-finite", node);
  }
  return failure("type", node);
}

function ordered(a: ConstValue, b: ConstValue): [number, number] | null {
  if (a.kind === "number" && b.kind === "number") return [a.value, b.value];
  if (a.kind === "duration" && b.kind === "duration") return [a.ms, b.ms];
  if (a.kind === "label" && b.kind === "label" && levelRank(a.value) >= 0 && levelRank(b.value) >= 0) {
    return [levelRank(a.value), levelRank(b.value)];
  }
  return null;
}

function compare(node: ast.Binary, a: ConstValue, b: ConstValue): Folded {
  const pair = ordered(a, b);
  if (pair === null) return failure("type", node);
  const [x, y] = pair;
  const value = node.op === "<" ? x < y : node.op === "<=" ? x <= y : node.op === ">" ? x > y : x >= y;
  return ok({ kind: "bool", value });
}

function membership(node: ast.Binary, a: ConstValue, b: ConstValue): Folded {
  let value: boolean;
  if (b.kind === "set") value = b.elements.some((e) => valueEqual(a, e));
  else if (a.kind === "string" && b.kind === "string") value = b.value.includes(a.value);
  else return failure("type", node);
  return ok({ kind: "bool", value: node.op === "in" ? value : !value });
}

function logic(node: ast.Binary, left: Folded, right: Folded, kleene: boolean): Folded {
  const absorbing = node.op === "or";
  const bools = [left, right].map((f) => (f.ok && f.value.kind === "bool" ? f.value.value : null));
  if (kleene && bools.includes(absorbing)) return ok({ kind: "bool", value: absorbing });
  if (!left.ok) return left;
  if (!right.ok) return right;
  const [l, r] = bools;
  if (l === null || l === undefined || r === null || r === undefined) return failure("type", node);
  return ok({ kind: "bool", value: absorbing ? l || r : l && r });
}

function binary(node: ast.Binary, lookup: Lookup, kleene: boolean): Folded {
  const left = fold(node.left, lookup, kleene);
  const right = fold(node.right, lookup, kleene);
  if (node.op === "and" || node.op === "or") return logic(node, left, right, kleene);
  if (!left.ok) return left;
  if (!right.ok) return right;
  const a = left.value;
  const b = right.value;
  switch (node.op) {
    case "+":
    case "-":
    case "*":
      return arithmetic(node, a, b);
    case "==":
    case "!=":
      if (a.kind !== b.kind) return failure("type", node);
      return ok({ kind: "bool", value: valueEqual(a, b) === (node.op === "==") });
    case "<":
    case "<=":
    case ">":
    case ">=":
      return compare(node, a, b);
    case "in":
    case "not in":
      return membership(node, a, b);
    case "matches":
      return failure("not-constant", node);
  }
}

function unary(node: ast.Unary, lookup: Lookup, kleene: boolean): Folded {
  const operand = fold(node.operand, lookup, kleene);
  if (!operand.ok) return operand;
  const v = operand.value;
  if (node.op === "not")
    return v.kind === "bool" ? ok({ kind: "bool", value: !v.value }) : failure("type", node);
  return v.kind === "number" ? number(-v.value, node) : failure("type", node);
}

function set(node: ast.SetLiteral, lookup: Lookup, kleene: boolean): Folded {
  const elements: ConstValue[] = [];
  for (const element of node.elements) {
    const f = fold(element, lookup, kleene);
    if (!f.ok) return f;
    if (!elements.some((e) => valueEqual(e, f.value))) elements.push(f.value);
  }
  return ok({ kind: "set", elements });
}

/** Folds `expr`; `lookup` gives the value of each reference. */
export function fold(expr: ast.Expr, lookup: Lookup, kleene = false): Folded {
  switch (expr.kind) {
    case "StringLiteral":
      return ok({ kind: "string", value: expr.value });
    case "NumberLiteral":
      return ok({ kind: "number", value: expr.value });
    case "BoolLiteral":
      return ok({ kind: "bool", value: expr.value });
    case "DurationLiteral":
      return ok({ kind: "duration", ms: expr.ms });
    case "SetLiteral":
      return set(expr, lookup, kleene);
    case "Paren":
      return fold(expr.expr, lookup, kleene);
    case "Ref":
      return lookup(expr);
    case "Unary":
      return unary(expr, lookup, kleene);
    case "Binary":
      return binary(expr, lookup, kleene);
    default:
      return failure("not-constant", expr);
  }
}
