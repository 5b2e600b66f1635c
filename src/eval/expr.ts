/**
 * Evaluation of IR expression nodes in Kleene's three-valued logic, exactly
 * as the reference interpreter defines it (docs/language.md §7–§8).
 *
 * A context says what the expression sees: the action's arguments, identity
 * and time, the session snapshot, and — inside session-query predicates — one
 * prior entry, or — inside classifiers — the output text. Shared nodes are
 * evaluated once per context (memoised by a per-evaluation stamp, so nothing
 * is allocated per node).
 *
 * @module
 */
import type { EvalIdentity, HistoryEntry, Json, Snapshot } from "../ir/contract.ts";
import type { Ir, IrExpr } from "../ir/types.ts";
import { sessionFeature, sessionSensitivity, sessionTainted } from "./features.ts";
import { emailDomain, inCidr, urlHost } from "./net.ts";
import { regexTest } from "./regex.ts";
import {
  entryLabels,
  levelRank,
  Missing,
  missingOf,
  type Scalar,
  type SetValue,
  type Tri,
  toSet,
  type Value,
  valuesEqual,
} from "./values.ts";

export interface EvalContext {
  readonly ir: Ir;
  readonly tool: string;
  readonly args: { readonly [name: string]: Json };
  /** The action's time: the "now" of session-query windows. */
  readonly time: number;
  /** Null in classifiers, which see no context. */
  readonly identity: EvalIdentity | null;
  readonly snapshot: Snapshot | null;
  readonly entry: HistoryEntry | null;
  readonly output: string | null;
  /** Memo of this context's node values, by expression index. */
  readonly memo: Map<number, Tri>;
}

/** An IR that does not match what the checker guarantees (a type error the checker would have caught). */
export class IrTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IrTypeError";
  }
}

function own(record: { readonly [key: string]: Json }, key: string): Json | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function isRecord(json: Json | undefined): json is { readonly [key: string]: Json } {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

function asSet(json: Json): SetValue {
  if (!Array.isArray(json)) throw new IrTypeError("expected an array for a set");
  return toSet(json as Scalar[]);
}

function bool(v: Value, where: string): boolean {
  if (typeof v !== "boolean") throw new IrTypeError(`${where}: expected bool`);
  return v;
}

function str(v: Value, where: string): string {
  if (typeof v !== "string") throw new IrTypeError(`${where}: expected string`);
  return v;
}

function num(v: Value, where: string): number {
  if (typeof v !== "number") throw new IrTypeError(`${where}: expected number`);
  return v;
}

/** Evaluates expression `index` in `ctx`. */
export function evalNode(ctx: EvalContext, index: number): Tri {
  const cached = ctx.memo.get(index);
  if (cached !== undefined) return cached;
  const node = ctx.ir.exprs[index];
  if (node === undefined) throw new IrTypeError(`no expression ${index}`);
  const value = evalUncached(ctx, node);
  ctx.memo.set(index, value);
  return value;
}

/** A condition: true, false, or unknown. */
export function evalCond(ctx: EvalContext, index: number): boolean | Missing {
  const v = evalNode(ctx, index);
  return v instanceof Missing ? v : bool(v, "condition");
}

function evalUncached(ctx: EvalContext, node: IrExpr): Tri {
  switch (node.op) {
    case "const":
      return node.value as Value;
    case "arg": {
      const [first, ...rest] = node.path;
      let value = first === undefined ? undefined : own(ctx.args, first);
      for (const segment of rest) value = isRecord(value) ? own(value, segment) : undefined;
      if (value === undefined) return new Missing([["args", ...node.path].join(".")]);
      return node.set === true ? asSet(value) : value;
    }
    case "fact": {
      const value = ctx.snapshot === null ? undefined : own(ctx.snapshot.facts, node.name);
      if (value === undefined) return new Missing([node.name]);
      return node.set === true ? asSet(value) : value;
    }
    case "missing":
      return new Missing(node.names);
    case "identity":
      return identityField(ctx, node.field);
    case "intent": {
      if (node.field === "alignment") {
        const score = ctx.snapshot?.scores.alignment;
        return score === undefined ? new Missing(["intent.alignment"]) : score;
      }
      const intent = ctx.snapshot?.intent;
      if (intent === undefined) return new Missing(["intent"]);
      return node.field === "text" ? intent.text : toSet(intent.scope ?? []);
    }
    case "session": {
      const snapshot = ctx.snapshot;
      if (snapshot === null) return new Missing([`session.${node.field}`]);
      if (node.field === "tainted") return sessionTainted(snapshot.history);
      if (node.field === "sensitivity") return sessionSensitivity(snapshot.history);
      return snapshot.scores.drift === undefined ? new Missing(["session.drift"]) : snapshot.scores.drift;
    }
    case "feature": {
      if (ctx.snapshot === null) return new Missing(["session"]);
      const feature = ctx.ir.features[node.feature];
      if (feature === undefined) throw new IrTypeError(`no feature ${node.feature}`);
      return sessionFeature(ctx, feature);
    }
    case "entry": {
      const entry = ctx.entry;
      if (entry === null) throw new IrTypeError(`${node.field} of a prior action outside a session query`);
      if (node.field === "tool") return entry.tool;
      if (node.field === "effect") return entry.effect;
      if (node.field === "labels") return toSet(entryLabels(entry));
      return entry.target === undefined ? new Missing(["history.target"]) : entry.target;
    }
    case "output":
      if (ctx.output === null) throw new IrTypeError("output outside a classifier");
      return ctx.output;
    case "tool":
      return ctx.tool;
    case "set": {
      const items = node.items.map((i) => evalNode(ctx, i));
      return missingOf(items) ?? toSet(items as Scalar[]);
    }
    case "has":
      return has(ctx, node.of);
    case "not": {
      const v = evalNode(ctx, node.arg);
      return v instanceof Missing ? v : !bool(v, "not");
    }
    case "and":
    case "or":
      return junction(ctx, node.op, node.args);
    case "compare":
      return compare(ctx, node.cmp, node.left, node.right);
    case "in": {
      const item = evalNode(ctx, node.item);
      const set = evalNode(ctx, node.set);
      const unknown = missingOf([item, set]);
      if (unknown !== null) return unknown;
      if (Array.isArray(set)) return (set as SetValue).includes(item as Scalar);
      return str(set as Value, "in").includes(str(item as Value, "in"));
    }
    case "matches": {
      const subject = evalNode(ctx, node.subject);
      if (subject instanceof Missing) return subject;
      const program = ctx.ir.regexes[node.regex];
      if (program === undefined) throw new IrTypeError(`no regex ${node.regex}`);
      return regexTest(program, str(subject, "matches"));
    }
    case "add":
    case "sub":
    case "mul":
      return arithmetic(ctx, node.op, node.left, node.right, node.fault);
    case "neg": {
      const v = evalNode(ctx, node.arg);
      return v instanceof Missing ? v : -num(v, "neg");
    }
    case "call":
      return call(ctx, node.fn, node.args, node.fault);
  }
}

function identityField(ctx: EvalContext, field: string): Tri {
  const id = ctx.identity;
  if (id === null) return new Missing([`identity.${field}`]);
  switch (field) {
    case "roles":
      return toSet(id.roles);
    case "scope":
      return toSet(id.scope);
    case "delegation_depth":
      return id.delegation.length;
    case "human":
    case "agent":
    case "service":
    case "session": {
      const value = id[field];
      return value === undefined ? new Missing([`identity.${field}`]) : value;
    }
    default:
      throw new IrTypeError(`no identity field ${field}`);
  }
}

/** `has(x)`: presence of the input node `of`; never unknown. */
function has(ctx: EvalContext, of: number): boolean {
  const node = ctx.ir.exprs[of];
  switch (node?.op) {
    case "arg": {
      let value: Json | undefined = ctx.args;
      for (const segment of node.path) value = isRecord(value) ? own(value, segment) : undefined;
      return value !== undefined;
    }
    case "fact":
      return ctx.snapshot !== null && own(ctx.snapshot.facts, node.name) !== undefined;
    case "identity": {
      const id = ctx.identity;
      if (id === null) return false;
      const f = node.field;
      return f === "roles" || f === "scope" || f === "delegation_depth" || id[f] !== undefined;
    }
    case "entry":
      return ctx.entry !== null && ctx.entry.target !== undefined;
    case "intent":
      return node.field === "alignment"
        ? ctx.snapshot?.scores.alignment !== undefined
        : ctx.snapshot?.intent !== undefined;
    case "session":
      return ctx.snapshot?.scores.drift !== undefined;
    default:
      throw new IrTypeError("has() of something that cannot be absent");
  }
}

/** Kleene `and`/`or`: a certain false (true) decides; otherwise unknown if any operand is. */
function junction(ctx: EvalContext, op: "and" | "or", args: readonly number[]): Tri {
  const decisive = op === "or";
  let unknown: Missing | null = null;
  for (const index of args) {
    const v = evalNode(ctx, index);
    if (v instanceof Missing) unknown = missingOf(unknown === null ? [v] : [unknown, v]);
    else if (bool(v, op) === decisive) return decisive;
  }
  return unknown ?? !decisive;
}

function compare(ctx: EvalContext, cmp: string, left: number, right: number): Tri {
  const a = evalNode(ctx, left);
  const b = evalNode(ctx, right);
  const unknown = missingOf([a, b]);
  if (unknown !== null) return unknown;
  if (cmp === "==") return valuesEqual(a as Value, b as Value);
  if (cmp === "!=") return !valuesEqual(a as Value, b as Value);
  const d =
    typeof a === "string" && typeof b === "string"
      ? levelRank(a) - levelRank(b)
      : num(a as Value, cmp) - num(b as Value, cmp);
  return cmp === "<" ? d < 0 : cmp === "<=" ? d <= 0 : cmp === ">" ? d > 0 : d >= 0;
}

function arithmetic(
  ctx: EvalContext,
  op: "add" | "sub" | "mul",
  left: number,
  right: number,
  fault: readonly string[],
): Tri {
  const a = evalNode(ctx, left);
  const b = evalNode(ctx, right);
  const unknown = missingOf([a, b]);
  if (unknown !== null) return unknown;
  if (op === "add" && typeof a === "string" && typeof b === "string") return a + b;
  const x = num(a as Value, op);
  const y = num(b as Value, op);
  const n = op === "add" ? x + y : op === "sub" ? x - y : x * y;
  return Number.isFinite(n) ? n : new Missing(fault);
}

function call(ctx: EvalContext, fn: string, argIndices: readonly number[], fault: readonly string[]): Tri {
  const args = argIndices.map((i) => evalNode(ctx, i));
  if (fn === "intent.mentions") {
    const intent = ctx.snapshot?.intent;
    const unknown = missingOf(intent === undefined ? [...args, new Missing(["intent"])] : args);
    if (unknown !== null || intent === undefined) return unknown ?? new Missing(["intent"]);
    const needle = str(args[0] as Value, fn).toLowerCase();
    return needle !== "" && intent.text.toLowerCase().includes(needle);
  }
  const unknown = missingOf(args);
  if (unknown !== null) return unknown;
  const s = (i: number) => str(args[i] as Value, fn);
  let result: Value | null;
  switch (fn) {
    case "lower":
      return s(0).toLowerCase();
    case "upper":
      return s(0).toUpperCase();
    case "trim":
      return s(0).trim();
    case "len": {
      const v = args[0] as Value;
      if (typeof v === "string") return v.length;
      if (Array.isArray(v)) return v.length;
      throw new IrTypeError("len: expected string or set");
    }
    case "starts_with":
      return s(0).startsWith(s(1));
    case "ends_with":
      return s(0).endsWith(s(1));
    case "contains":
      return s(0).includes(s(1));
    case "host":
      result = urlHost(s(0));
      break;
    case "domain":
      result = emailDomain(s(0));
      break;
    case "in_cidr":
      result = inCidr(s(0), s(1));
      break;
    default:
      throw new IrTypeError(`unknown function ${fn}`);
  }
  return result === null ? new Missing(fault) : result;
}
