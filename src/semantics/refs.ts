/**
 * References: what names and argument paths read — constants, the action
 * (tool, effect, target, arguments), identity, intent, scores, the session,
 * and inside a session query the prior action — and `has()`, which tests
 * whether such an input is present.
 *
 * Absent inputs are unknown, named as `contextNeeded` names them.
 *
 * @module
 */
import type { Json } from "../ir/contract.ts";
import type { ArgPath, Expr, Ref } from "../lang/ast.ts";
import type { Resolution } from "../lang/checked.ts";
import { SemanticsTypeError } from "./errors.ts";
import { jsonToValue } from "./input.ts";
import { entryLabels } from "./levels.ts";
import { argPathName, argSegments, type Scope } from "./scope.ts";
import { sensitivity, tainted } from "./session.ts";
import {
  bool,
  constToValue,
  expectString,
  makeSet,
  num,
  str,
  type Tri,
  unknown,
  type Value,
} from "./values.ts";

/** The expression evaluator, passed in to evaluate a tool's target without an import cycle. */
type Evaluator = (e: Expr, s: Scope) => Tri;

export function resolve(ref: Ref, s: Scope): Resolution {
  const resolution = s.policy.resolutions.get(ref);
  if (resolution === undefined) {
    throw new SemanticsTypeError(`unresolved reference ${ref.path.map((p) => p.text).join(".")}`);
  }
  return resolution;
}

function lookup(record: { readonly [key: string]: Json }, key: string): Json | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** The value of a reference: a constant, or part of the action, its context or a prior action. */
export function evalRef(ref: Ref, s: Scope, evaluate: Evaluator): Tri {
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
      return actionField(r.field, s, evaluate);
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
function actionField(field: "tool" | "effect" | "target", s: Scope, evaluate: Evaluator): Tri {
  if (field === "tool") return str(s.tool);
  if (s.toolInfo === null) return unknown([field]);
  if (field === "effect") return { kind: "effect", value: s.toolInfo.effect };
  if (s.toolInfo.target === null) return unknown(["target"]);
  // The target is an expression over the action's own arguments, never over a prior action.
  const target = evaluate(s.toolInfo.target, { ...s, entry: null });
  if (target.kind === "unknown") return target;
  expectString(target, "target");
  return target;
}

/** An argument of the action, read as its declared type. An absent optional argument is unknown. */
export function evalArg(path: ArgPath, s: Scope): Tri {
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
export function has(arg: Expr, s: Scope): boolean {
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
