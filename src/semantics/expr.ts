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

import type { Json } from "../ir/contract.ts";
import type { ArgPath, Binary, Call, Expr, Ref, Unary } from "../lang/ast.ts";
import type { Resolution } from "../lang/checked.ts";
import { applyBuiltin } from "./builtins.ts";
import { SemanticsTypeError } from "./errors.ts";
import { jsonToValue } from "./input.ts";
import { entryLabels, levelRank } from "./levels.ts";
import { regexTest } from "./regex.ts";
import { argPathName, argSegments, faultNames, type Scope } from "./scope.ts";
import { evalSessionQuery, sensitivity, tainted } from "./session.ts";
import {
  bool,
  constToValue,
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
      return evalRef(e, s);
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

function resolve(ref: Ref, s: Scope): Resolution {
  const resolution = s.policy.resolutions.get(ref);
  if (resolution === undefined) {
    throw new SemanticsTypeError(`unresolved reference ${ref.path.map((p) => p.text).join(".")}`);
  }
  return resolution;
}

function lookup(record: { readonly [key: string]: Json }, key: string): Json | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function evalRef(ref: Ref, s: Scope): Tri {
  const r = resolve(ref, s);
  switch (r.kind) {
    case "const":
      return constToValue(r.value);
    case "effect_literal":
      return { kind: "effect", value: r.effect };
    case "label_literal":
      return { kind: "label", value: r.label };
    case "fact": {
      const value = s.snapshot === null ? undefined : lookup(s.snapshot.facts, r.name);
      return value === undefined ? unknown([r.name]) : jsonToValue(value, r.type, `fact ${r.name}`);
    }
    case "action":
      return actionField(r.field, s);
    case "identity":
      return identityField(r.field, s);
    case "intent": {
      if (r.field === "alignment") {
        const score = s.snapshot?.scores.alignment;
        return score === undefined ? unknown(["intent.alignment"]) : num(score);
      }
      const intent = s.snapshot?.intent;
      if (intent === undefined) return unknown(["intent"]);
      return r.field === "text" ? str(intent.text) : makeSet((intent.scope ?? []).map(str));
    }
    case "session":
      return sessionField(r.field, s);
    case "entry":
      return entryField(r.field, s);
    case "output":
      if (s.output === null) throw new SemanticsTypeError("output outside a classifier");
      return str(s.output);
    case "function":
      throw new SemanticsTypeError(`function ${r.name} used as a value`);
  }
}

type Field<K extends Resolution["kind"]> = Extract<Resolution, { kind: K; field: string }>["field"];

function identityField(field: Field<"identity">, s: Scope): Tri {
  const id = s.identity;
  if (id === null) return unknown([`identity.${field}`]);
  switch (field) {
    case "roles":
      return makeSet(id.roles.map(str));
    case "scope":
      return makeSet(id.scope.map(str));
    case "delegation_depth":
      return num(id.delegation.length);
    case "human":
    case "agent":
    case "service":
    case "session": {
      const value = id[field];
      return value === undefined ? unknown([`identity.${field}`]) : str(value);
    }
  }
}

function sessionField(field: Field<"session">, s: Scope): Tri {
  const snapshot = s.snapshot;
  if (snapshot === null) return unknown([`session.${field}`]);
  switch (field) {
    case "tainted":
      return bool(tainted(snapshot.history));
    case "sensitivity":
      return { kind: "label", value: sensitivity(snapshot.history) };
    case "drift":
      return snapshot.scores.drift === undefined ? unknown(["session.drift"]) : num(snapshot.scores.drift);
  }
}

/** Inside a session query: a field of the prior action being looked at. */
function entryField(field: Field<"entry">, s: Scope): Tri {
  const entry = s.entry;
  if (entry === null) throw new SemanticsTypeError(`${field} of a prior action outside a session query`);
  switch (field) {
    case "tool":
      return str(entry.tool);
    case "effect":
      return jsonToValue(entry.effect, { kind: "effect" }, "prior action effect");
    case "target":
      return entry.target === undefined ? unknown(["history.target"]) : str(entry.target);
    case "labels":
      return makeSet(entryLabels(entry).map((label): Value => ({ kind: "label", value: label })));
  }
}

/** `tool`, `effect` and `target` of the action being decided (or labelled). */
function actionField(field: "tool" | "effect" | "target", s: Scope): Tri {
  if (field === "tool") return str(s.tool);
  if (s.toolInfo === null) return unknown([field]);
  if (field === "effect") return { kind: "effect", value: s.toolInfo.effect };
  if (s.toolInfo.target === null) return unknown(["target"]);
  // The target is an expression over the action's own arguments, never over a prior action.
  const target = evalExpr(s.toolInfo.target, { ...s, entry: null });
  if (target.kind === "unknown") return target;
  expectString(target, "target");
  return target;
}

/** An argument of the action, read as its declared type. An absent optional argument is unknown. */
function evalArg(path: ArgPath, s: Scope): Tri {
  const [first, ...rest] = argSegments(path);
  const info = first === undefined ? undefined : s.toolInfo?.args.get(first);
  if (first === undefined || info === undefined) {
    throw new SemanticsTypeError(`${argPathName(path)} is not an argument of ${s.tool}`);
  }
  let value = lookup(s.args, first);
  if (value === undefined) {
    if (!info.optional) throw new SemanticsTypeError(`required argument ${first} of ${s.tool} is absent`);
    return unknown([argPathName(path)]);
  }
  if (rest.length === 0) return jsonToValue(value, info.type, argPathName(path));
  // Below the top level only `json` arguments have structure, and they are opaque.
  if (info.type.kind !== "json") throw new SemanticsTypeError(`${argPathName(path)}: ${first} has no fields`);
  for (const segment of rest) {
    value = isObject(value) ? lookup(value, segment) : undefined;
    if (value === undefined) return unknown([argPathName(path)]);
  }
  return { kind: "json", value };
}

function isObject(json: Json): json is { readonly [key: string]: Json } {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

/**
 * `has(p)`: presence, never unknown. The references that can be absent: optional arguments, facts,
 * `target` (present when the tool declares one), `intent.text`, `intent.alignment`, `session.drift`
 * and identity fields.
 */
function has(arg: Expr, s: Scope): boolean {
  if (arg.kind === "ArgPath") {
    let value: Json | undefined = s.args;
    for (const segment of argSegments(arg)) {
      value = value !== undefined && isObject(value) ? lookup(value, segment) : undefined;
    }
    return value !== undefined;
  }
  const r = arg.kind === "Ref" ? resolve(arg, s) : null;
  if (r?.kind === "fact") return s.snapshot !== null && lookup(s.snapshot.facts, r.name) !== undefined;
  if (r?.kind === "identity")
    return s.identity !== null && (!isNamedField(r.field) || s.identity[r.field] !== undefined);
  if (r?.kind === "action" && r.field === "target") return s.toolInfo !== null && s.toolInfo.target !== null;
  if (r?.kind === "entry" && r.field === "target") return s.entry !== null && s.entry.target !== undefined;
  if (r?.kind === "intent" && r.field === "text") return s.snapshot?.intent !== undefined;
  if (r?.kind === "intent" && r.field === "alignment") return s.snapshot?.scores.alignment !== undefined;
  if (r?.kind === "session" && r.field === "drift") return s.snapshot?.scores.drift !== undefined;
  throw new SemanticsTypeError("has() of something that cannot be absent");
}

/** Identity fields that may be absent; roles, scope and delegation are always there. */
function isNamedField(field: Field<"identity">): field is "human" | "agent" | "service" | "session" {
  return field !== "roles" && field !== "scope" && field !== "delegation_depth";
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

/** Ordering of numbers, durations and sensitivity levels. */
function compare(l: Value, r: Value): number {
  if (l.kind === "number" && r.kind === "number") return l.value - r.value;
  if (l.kind === "duration" && r.kind === "duration") return l.ms - r.ms;
  if (l.kind === "label" && r.kind === "label") return levelRank(l.value) - levelRank(r.value);
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
