/**
 * Expression evaluation in Kleene's three-valued logic (docs/language.md §7, §8).
 *
 * `and`, `or` and `not` follow Kleene's tables; every other operator and
 * function with an unknown operand is unknown, carrying the union of the
 * operands' missing names. Both operands are always evaluated: the result
 * does not depend on evaluation order, as the language promises.
 *
 * @module
 */

import type { Binary, Call, Expr, Unary } from "../lang/ast.ts";
import { applyBuiltin } from "./builtins.ts";
import { SemanticsTypeError } from "./errors.ts";
import { levelRank } from "./levels.ts";
import { evalArg, evalRef, has, resolve } from "./refs.ts";
import { regexTest } from "./regex.ts";
import { faultNames } from "../lang/inputs.ts";
import type { Scope } from "./scope.ts";
import { evalSessionQuery } from "./session.ts";
import {
  bool,
  expectBool,
  expectNumber,
  expectString,
  makeSet,
  num,
  str,
  type Tri,
  type Unknown,
  unknown,
  unknownOf,
  type Value,
  valueKey,
  valuesEqual,
} from "./values.ts";

export function evalExpr(e: Expr, s: Scope): Tri {
  switch (e.kind) {
    case "StringLiteral":
      return str(e.value);
    case "NumberLiteral":
      return num(e.value);
    case "BoolLiteral":
      return bool(e.value);
    case "DurationLiteral":
      return { kind: "duration", ms: e.ms };
    case "SetLiteral": {
      const elements = e.elements.map((element) => evalExpr(element, s));
      return unknownOf(elements) ?? makeSet(elements as Value[]);
    }
    case "RegexLiteral":
    case "ListLiteral":
      throw new SemanticsTypeError(`${e.kind} is not a value`);
    case "Ref":
      return evalRef(e, s, evalExpr);
    case "ArgPath":
      return evalArg(e, s);
    case "Unary":
      return evalUnary(e, s);
    case "Binary":
      return evalBinary(e, s);
    case "Call":
      return evalCall(e, s);
    case "SeenQuery":
    case "CountQuery":
    case "SumQuery":
      return evalSessionQuery(e, s, evalExpr);
    case "Paren":
      return evalExpr(e.expr, s);
  }
}

/** A condition: true, false or unknown. */
export function evalCondition(e: Expr, s: Scope): boolean | Unknown {
  const result = evalExpr(e, s);
  return result.kind === "unknown" ? result : expectBool(result, "condition");
}

function evalCall(call: Call, s: Scope): Tri {
  const callee = resolve(call.callee, s);
  if (callee.kind !== "function") throw new SemanticsTypeError("call of something that is not a function");
  if (callee.name === "has") {
    if (call.args.length !== 1) throw new SemanticsTypeError("has takes one argument");
    return bool(has(call.args[0] as Expr, s));
  }
  const args = call.args.map((arg) => evalExpr(arg, s));
  if (callee.name === "intent.mentions") return mentions(args, s);
  const unknowns = unknownOf(args);
  if (unknowns !== null) return unknowns;
  const result = applyBuiltin(callee.name, args as Value[]);
  return result ?? unknown(faultNames(s.policy, call.args, callee.name));
}

/**
 * `intent.mentions(x)`: case-insensitive containment of `x` in the request text. Unknown without
 * a request; an empty `x` mentions nothing.
 */
function mentions(args: readonly Tri[], s: Scope): Tri {
  if (args.length !== 1) throw new SemanticsTypeError("intent.mentions takes one argument");
  const intent = s.snapshot?.intent;
  const unknowns = unknownOf(intent === undefined ? [...args, unknown(["intent"])] : args);
  if (unknowns !== null || intent === undefined) return unknowns ?? unknown(["intent"]);
  const needle = expectString(args[0] as Value, "intent.mentions").toLowerCase();
  return bool(needle !== "" && intent.text.toLowerCase().includes(needle));
}

function evalUnary(e: Unary, s: Scope): Tri {
  const operand = evalExpr(e.operand, s);
  if (operand.kind === "unknown") return operand;
  if (e.op === "not") return bool(!expectBool(operand, "not"));
  return num(-expectNumber(operand, "unary -"));
}

/** Kleene conjunction and disjunction: a certain false (true) decides `and` (`or`) whatever the other side. */
function kleene(op: "and" | "or", left: Tri, right: Tri): Tri {
  const decisive = op === "or";
  const known = [left, right].filter((t): t is Value => t.kind !== "unknown");
  if (known.some((t) => expectBool(t, op) === decisive)) return bool(decisive);
  return unknownOf([left, right]) ?? bool(!decisive);
}

function evalBinary(e: Binary, s: Scope): Tri {
  const left = evalExpr(e.left, s);
  if (e.op === "matches") {
    if (e.right.kind !== "RegexLiteral") throw new SemanticsTypeError("matches needs a regex literal");
    return left.kind === "unknown" ? left : bool(regexTest(e.right, expectString(left, "matches")));
  }
  const right = evalExpr(e.right, s);
  if (e.op === "and" || e.op === "or") return kleene(e.op, left, right);
  const unknowns = unknownOf([left, right]);
  if (unknowns !== null) return unknowns;
  const l = left as Value;
  const r = right as Value;
  switch (e.op) {
    case "==":
      return bool(valuesEqual(l, r));
    case "!=":
      return bool(!valuesEqual(l, r));
    case "<":
      return bool(compare(l, r) < 0);
    case "<=":
      return bool(compare(l, r) <= 0);
    case ">":
      return bool(compare(l, r) > 0);
    case ">=":
      return bool(compare(l, r) >= 0);
    case "in":
      return bool(member(l, r));
    case "not in":
      return bool(!member(l, r));
    case "+":
    case "-":
    case "*":
      return arithmetic(e, l, r, s);
  }
}

/** Ordering of numbers, durations and sensitivity levels: negative, zero or positive. */
function compare(l: Value, r: Value): number {
  const sign = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);
  if (l.kind === "number" && r.kind === "number") return sign(l.value, r.value);
  if (l.kind === "duration" && r.kind === "duration") return sign(l.ms, r.ms);
  if (l.kind === "label" && r.kind === "label") return sign(levelRank(l.value), levelRank(r.value));
  throw new SemanticsTypeError(`cannot order ${l.kind} and ${r.kind}`);
}

/** `x in S`: set membership, or substring when both sides are strings. */
function member(l: Value, r: Value): boolean {
  if (r.kind === "set") {
    for (const element of r.elements.values()) {
      if (element.kind !== l.kind) throw new SemanticsTypeError(`${l.kind} in a set of ${element.kind}`);
      break;
    }
    return r.elements.has(valueKey(l));
  }
  if (l.kind === "string" && r.kind === "string") return r.value.includes(l.value);
  throw new SemanticsTypeError(`${l.kind} in ${r.kind}`);
}

/**
 * `+` on numbers, durations and strings (concatenation); `-` and `*` on numbers. A non-finite
 * result (overflow) is unknown, named by the inputs the expression reads.
 */
function arithmetic(e: Binary, l: Value, r: Value, s: Scope): Tri {
  if (e.op === "+" && l.kind === "string" && r.kind === "string") return str(l.value + r.value);
  let n: number;
  if (e.op === "+" && l.kind === "duration" && r.kind === "duration") n = l.ms + r.ms;
  else {
    const a = expectNumber(l, e.op);
    const b = expectNumber(r, e.op);
    n = e.op === "+" ? a + b : e.op === "-" ? a - b : a * b;
  }
  if (!Number.isFinite(n)) return unknown(faultNames(s.policy, [e], "arithmetic"));
  return l.kind === "duration" ? { kind: "duration", ms: n } : num(n);
}
