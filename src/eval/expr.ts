/**
 * Evaluation of IR expression nodes in Kleene's three-valued logic, exactly
 * as the reference interpreter defines it (docs/language.md §7–§8).
 *
 * A context says what the expression sees: the action's arguments, identity
 * and time, the session snapshot, and — inside session-query predicates — one
 * prior entry, or — inside classifiers — the output text. Shared nodes are
 * evaluated once per context, memoised by a per-evaluation stamp in a reused
 * `Frame`, so nothing is allocated per node or per evaluation.
 *
 * `evalNode` and `evalCond` take an `EvalContext` and fill its `memo`; the
 * evaluator's own hot path works on frames directly (`nodeValue`).
 *
 * @module
 */
import type { EvalIdentity, HistoryEntry, Json, Snapshot } from "../ir/contract.ts";
import type { Ir } from "../ir/types.ts";
import type { FeatureValues } from "./feature-state.ts";
import { featureValue, givenFeature, sessionSensitivity, sessionTainted } from "./features.ts";
import { emailDomain, inCidr, urlHost } from "./net.ts";
import { OPCODE, type Prepared, type PreparedNode, prepare } from "./prepare.ts";
import { regexTest } from "./regex.ts";
import {
  entryLabels,
  joinMissing,
  levelRank,
  Missing,
  missingOf,
  missingOf2,
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
  /** Session values computed in advance; when given, the snapshot's history is not read. */
  readonly features?: FeatureValues | null;
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

function str(v: Value | undefined, where: string): string {
  if (typeof v !== "string") throw new IrTypeError(`${where}: expected string`);
  return v;
}

function num(v: Value, where: string): number {
  if (typeof v !== "number") throw new IrTypeError(`${where}: expected number`);
  return v;
}

const NO_ARGS: { readonly [name: string]: Json } = {};
const EMPTY_SET: SetValue = [];

/**
 * Stamps run up to this, then the memo is cleared and they start again. It is
 * the largest integer V8 keeps unboxed (a Smi), so the counter never becomes
 * a heap number in a long-running process.
 */
const MAX_STAMP = 0x3fffffff;

/**
 * The evaluator's working state: what an expression sees (the fields of an
 * `EvalContext`) and a memo of node values. The memo is stamped — a node's
 * value is current when its stamp equals the frame's — so a fresh
 * evaluation is one increment instead of a new `Map`, and its arrays are
 * allocated once per IR: frames are taken from the IR's idle list and given
 * back (`openFrame`, `closeFrame`). Evaluation never calls out to code that
 * could re-enter it, but a frame in use is off the list, so nesting (session
 * queries, the re-check of a modified action, `evalNode` from the modify
 * tier) takes another frame; one abandoned by an exception is collected.
 */
export class Frame {
  readonly ir: Ir;
  readonly prepared: Prepared;
  tool = "";
  args: { readonly [name: string]: Json } = NO_ARGS;
  time = 0;
  identity: EvalIdentity | null = null;
  snapshot: Snapshot | null = null;
  entry: HistoryEntry | null = null;
  output: string | null = null;
  /** Session values computed in advance, read instead of scanning the snapshot's history. */
  features: FeatureValues | null = null;
  /** The caller's memo, read and filled too, when evaluating for an `EvalContext`. */
  external: Map<number, Tri> | null = null;
  /** The intent text lower-cased, once per evaluation (`intent.mentions`). */
  intentLower: string | null = null;
  stamp = 0;
  readonly stamps: Int32Array;
  readonly values: Tri[];

  constructor(prepared: Prepared) {
    this.ir = prepared.ir;
    this.prepared = prepared;
    this.stamps = new Int32Array(prepared.ir.exprs.length);
    this.values = new Array<Tri>(prepared.ir.exprs.length).fill(null);
  }
}

/** Starts a new evaluation in `frame`: every memoised value becomes stale. */
export function restamp(frame: Frame): void {
  if (frame.stamp === MAX_STAMP) {
    frame.stamps.fill(0);
    frame.stamp = 0;
  }
  frame.stamp++;
  frame.intentLower = null;
}

/** A frame for a new evaluation under `prepared`; set its inputs, then `closeFrame` it. */
export function openFrame(prepared: Prepared): Frame {
  const frame = prepared.idle.pop() ?? new Frame(prepared);
  restamp(frame);
  return frame;
}

/** Gives `frame` back, dropping its inputs so that an idle frame holds no caller data but memoised values. */
export function closeFrame(frame: Frame): void {
  frame.args = NO_ARGS;
  frame.identity = null;
  frame.snapshot = null;
  frame.entry = null;
  frame.output = null;
  frame.features = null;
  frame.external = null;
  frame.prepared.idle.push(frame);
}

/** A frame that evaluates as `ctx` says, sharing its memo. */
export function frameFor(ctx: EvalContext): Frame {
  const frame = openFrame(prepare(ctx.ir));
  frame.tool = ctx.tool;
  frame.args = ctx.args;
  frame.time = ctx.time;
  frame.identity = ctx.identity;
  frame.snapshot = ctx.snapshot;
  frame.entry = ctx.entry;
  frame.output = ctx.output;
  frame.features = ctx.features ?? null;
  frame.external = ctx.memo;
  return frame;
}

/** Evaluates expression `index` in `ctx`. */
export function evalNode(ctx: EvalContext, index: number): Tri {
  const frame = frameFor(ctx);
  const value = nodeValue(frame, index);
  closeFrame(frame);
  return value;
}

/** A condition: true, false, or unknown. */
export function evalCond(ctx: EvalContext, index: number): boolean | Missing {
  const frame = frameFor(ctx);
  const value = condValue(frame, index);
  closeFrame(frame);
  return value;
}

/** Evaluates expression `index` in `frame`, memoised. */
export function nodeValue(frame: Frame, index: number): Tri {
  if (frame.stamps[index] === frame.stamp) return frame.values[index] as Tri;
  const external = frame.external;
  if (external !== null) {
    const known = external.get(index);
    if (known !== undefined) return known;
  }
  const node = frame.prepared.nodes[index];
  if (node === undefined) throw new IrTypeError(`no expression ${index}`);
  const value = compute(frame, node);
  frame.stamps[index] = frame.stamp;
  frame.values[index] = value;
  if (external !== null) external.set(index, value);
  return value;
}

/** A condition in `frame`: true, false, or unknown. */
export function condValue(frame: Frame, index: number): boolean | Missing {
  const v = nodeValue(frame, index);
  return v instanceof Missing ? v : bool(v, "condition");
}

/** The value at `path` in the arguments, or undefined when some segment is absent. */
function argAt(args: { readonly [name: string]: Json }, path: readonly string[]): Json | undefined {
  let value: Json | undefined = path.length === 0 ? undefined : own(args, path[0] as string);
  for (let i = 1; i < path.length; i++) value = isRecord(value) ? own(value, path[i] as string) : undefined;
  return value;
}

/**
 * The value of `node`, not memoised. The switch is on the node's opcode (`prepare.ts`), a small
 * integer, which compiles to a jump table; a switch on `op` compares strings case by case.
 */
function compute(f: Frame, node: PreparedNode): Tri {
  switch (node.code) {
    case OPCODE.const:
      return node.value as Value;
    case OPCODE.compare:
      return compare(f, node.cmp, node.left, node.right);
    case OPCODE.in: {
      const item = nodeValue(f, node.item);
      const set = nodeValue(f, node.set);
      const unknown = missingOf2(item, set);
      if (unknown !== null) return unknown;
      const lookup = f.prepared.lookups[node.set];
      if (lookup !== undefined) return lookup.has(item as Scalar);
      if (Array.isArray(set)) return (set as SetValue).includes(item as Scalar);
      return str(set as Value, "in").includes(str(item as Value, "in"));
    }
    case OPCODE.and:
    case OPCODE.or:
      return junction(f, node.op, node.args);
    case OPCODE.not: {
      const v = nodeValue(f, node.arg);
      return v instanceof Missing ? v : !bool(v, "not");
    }
    case OPCODE.arg: {
      const value = argAt(f.args, node.path);
      if (value === undefined) return new Missing([["args", ...node.path].join(".")]);
      return node.set === true ? asSet(value) : value;
    }
    case OPCODE.entry: {
      const entry = f.entry;
      if (entry === null) throw new IrTypeError(`${node.field} of a prior action outside a session query`);
      if (node.field === "tool") return entry.tool;
      if (node.field === "effect") return entry.effect;
      if (node.field === "labels") return toSet(entryLabels(entry));
      return entry.target === undefined ? new Missing(["history.target"]) : entry.target;
    }
    case OPCODE.intent: {
      if (node.field === "alignment") {
        const score = f.snapshot?.scores.alignment;
        return score === undefined ? new Missing(["intent.alignment"]) : score;
      }
      const intent = f.snapshot?.intent;
      if (intent === undefined) return new Missing(["intent"]);
      return node.field === "text" ? intent.text : toSet(intent.scope ?? EMPTY_SET);
    }
    case OPCODE.feature: {
      if (f.snapshot === null) return new Missing(["session"]);
      const feature = f.ir.features[node.feature];
      if (feature === undefined) throw new IrTypeError(`no feature ${node.feature}`);
      return f.features === null ? featureValue(f, feature) : givenFeature(f.features, node.feature);
    }
    case OPCODE.session: {
      const snapshot = f.snapshot;
      if (snapshot === null) return new Missing([`session.${node.field}`]);
      const given = f.features;
      if (node.field === "tainted") return given === null ? sessionTainted(snapshot.history) : given.tainted;
      if (node.field === "sensitivity")
        return given === null ? sessionSensitivity(snapshot.history) : given.sensitivity;
      return snapshot.scores.drift === undefined ? new Missing(["session.drift"]) : snapshot.scores.drift;
    }
    case OPCODE.call:
      return call(f, node.fn, node.args, node.fault);
    case OPCODE.matches: {
      const subject = nodeValue(f, node.subject);
      if (subject instanceof Missing) return subject;
      const program = f.ir.regexes[node.regex];
      if (program === undefined) throw new IrTypeError(`no regex ${node.regex}`);
      return regexTest(program, str(subject, "matches"));
    }
    case OPCODE.identity:
      return identityField(f, node.field);
    case OPCODE.fact: {
      const value = f.snapshot === null ? undefined : own(f.snapshot.facts, node.name);
      if (value === undefined) return new Missing([node.name]);
      return node.set === true ? asSet(value) : value;
    }
    case OPCODE.has:
      return has(f, node.of);
    case OPCODE.tool:
      return f.tool;
    case OPCODE.output:
      if (f.output === null) throw new IrTypeError("output outside a classifier");
      return f.output;
    case OPCODE.set: {
      const items = node.items.map((i) => nodeValue(f, i));
      return missingOf(items) ?? toSet(items as Scalar[]);
    }
    case OPCODE.missing:
      return new Missing(node.names);
    case OPCODE.add:
    case OPCODE.sub:
    case OPCODE.mul:
      return arithmetic(f, node.op, node.left, node.right, node.fault);
    case OPCODE.neg: {
      const v = nodeValue(f, node.arg);
      return v instanceof Missing ? v : -num(v, "neg");
    }
  }
}

function identityField(f: Frame, field: string): Tri {
  const id = f.identity;
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
function has(f: Frame, of: number): boolean {
  const node = f.ir.exprs[of];
  switch (node?.op) {
    case "arg": {
      let value: Json | undefined = f.args;
      for (const segment of node.path) value = isRecord(value) ? own(value, segment) : undefined;
      return value !== undefined;
    }
    case "fact":
      return f.snapshot !== null && own(f.snapshot.facts, node.name) !== undefined;
    case "identity": {
      const id = f.identity;
      if (id === null) return false;
      const field = node.field;
      return (
        field === "roles" || field === "scope" || field === "delegation_depth" || id[field] !== undefined
      );
    }
    case "entry":
      return f.entry !== null && f.entry.target !== undefined;
    case "intent":
      return node.field === "alignment"
        ? f.snapshot?.scores.alignment !== undefined
        : f.snapshot?.intent !== undefined;
    case "session":
      return f.snapshot?.scores.drift !== undefined;
    default:
      throw new IrTypeError("has() of something that cannot be absent");
  }
}

/** Kleene `and`/`or`: a certain false (true) decides; otherwise unknown if any operand is. */
function junction(f: Frame, op: "and" | "or", args: readonly number[]): Tri {
  const decisive = op === "or";
  let unknown: Missing | null = null;
  for (let i = 0; i < args.length; i++) {
    const v = nodeValue(f, args[i] as number);
    if (v instanceof Missing) unknown = joinMissing(unknown, v);
    else if (bool(v, op) === decisive) return decisive;
  }
  return unknown ?? !decisive;
}

function compare(f: Frame, cmp: string, left: number, right: number): Tri {
  const a = nodeValue(f, left);
  const b = nodeValue(f, right);
  const unknown = missingOf2(a, b);
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
  f: Frame,
  op: "add" | "sub" | "mul",
  left: number,
  right: number,
  fault: readonly string[],
): Tri {
  const a = nodeValue(f, left);
  const b = nodeValue(f, right);
  const unknown = missingOf2(a, b);
  if (unknown !== null) return unknown;
  if (op === "add" && typeof a === "string" && typeof b === "string") return a + b;
  const x = num(a as Value, op);
  const y = num(b as Value, op);
  const n = op === "add" ? x + y : op === "sub" ? x - y : x * y;
  return Number.isFinite(n) ? n : new Missing(fault);
}

/** The request text lower-cased, computed once per evaluation. */
function intentLower(f: Frame, text: string): string {
  f.intentLower ??= text.toLowerCase();
  return f.intentLower;
}

function call(f: Frame, fn: string, argIndices: readonly number[], fault: readonly string[]): Tri {
  // Every built-in takes one or two operands: keep them in locals rather than an array.
  let first: Value | undefined;
  let second: Value | undefined;
  let unknown: Missing | null = null;
  for (let i = 0; i < argIndices.length; i++) {
    const v = nodeValue(f, argIndices[i] as number);
    if (v instanceof Missing) unknown = joinMissing(unknown, v);
    else if (i === 0) first = v;
    else if (i === 1) second = v;
  }
  if (fn === "intent.mentions") {
    const intent = f.snapshot?.intent;
    if (intent === undefined) return joinMissing(unknown, new Missing(["intent"]));
    if (unknown !== null) return unknown;
    const needle = str(first, fn).toLowerCase();
    return needle !== "" && intentLower(f, intent.text).includes(needle);
  }
  if (unknown !== null) return unknown;
  let result: Value | null;
  switch (fn) {
    case "lower":
      return str(first, fn).toLowerCase();
    case "upper":
      return str(first, fn).toUpperCase();
    case "trim":
      return str(first, fn).trim();
    case "len": {
      if (typeof first === "string") return first.length;
      if (Array.isArray(first)) return first.length;
      throw new IrTypeError("len: expected string or set");
    }
    case "starts_with":
      return str(first, fn).startsWith(str(second, fn));
    case "ends_with":
      return str(first, fn).endsWith(str(second, fn));
    case "contains":
      return str(first, fn).includes(str(second, fn));
    case "host":
      result = urlHost(str(first, fn));
      break;
    case "domain":
      result = emailDomain(str(first, fn));
      break;
    case "in_cidr":
      result = inCidr(str(first, fn), str(second, fn));
      break;
    default:
      throw new IrTypeError(`unknown function ${fn}`);
  }
  return result === null ? new Missing(fault) : result;
}
