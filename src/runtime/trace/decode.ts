/**
 * Parsed JSON of one trace line to a typed record, or the JSON path of the
 * first problem and what was expected there. Strict: unknown fields are
 * errors (free-form data belongs in `meta`), so a misspelt field cannot
 * silently change what a replay reconstructs.
 *
 * @module
 */
import type {
  AppliedModification,
  ApprovalRequirement,
  Classification,
  DecisionKind,
  DeferralRequirement,
  EvalAction,
  EvalDecision,
  EvalIdentity,
  HistoryEntry,
  Json,
  Snapshot,
} from "../../ir/contract.ts";
import { EFFECTS } from "../../lang/ast.ts";
import {
  type DecisionRecord,
  MAX_SESSION_CHARS,
  type OutcomeRecord,
  TRACE_FORMAT,
  TRACE_VERSION,
  type TraceHistory,
  type TracePolicyRef,
  type TraceRecord,
} from "./format.ts";
import type { JsonPath } from "./json-scan.ts";

type JsonObject = { readonly [key: string]: Json };

export type DecodeResult =
  | { readonly ok: true; readonly record: TraceRecord }
  | { readonly ok: false; readonly path: JsonPath; readonly message: string };

/** Thrown inside this module only, and turned into a `DecodeResult` at its boundary. */
class Failure {
  readonly path: JsonPath;
  readonly message: string;
  constructor(path: JsonPath, message: string) {
    this.path = path;
    this.message = message;
  }
}

const DECISIONS: readonly DecisionKind[] = ["ALLOW", "DENY", "MODIFY", "STEP_UP", "DEFER"];
const CLASSIFICATIONS: readonly Classification[] = [
  "forbidden",
  "context_dependent_deny",
  "context_dependent_allow",
  "context_dependent_defer",
];
const RISKS = ["low", "medium", "high", "critical"] as const;

function fail(path: JsonPath, message: string): never {
  throw new Failure(path, message);
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An object with only the given fields; returns a getter of each. */
function fields(value: Json | undefined, path: JsonPath, allowed: readonly string[]): JsonObject {
  if (!isObject(value)) return fail(path, "expected an object");
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail([...path, key], `unknown field ${JSON.stringify(key)}`);
  }
  return value;
}

function get(o: JsonObject, key: string): Json | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function required(o: JsonObject, key: string, path: JsonPath): Json {
  const value = get(o, key);
  return value === undefined ? fail(path, `missing field "${key}"`) : value;
}

function string(value: Json, path: JsonPath): string {
  return typeof value === "string" ? value : fail(path, "expected a string");
}

function optionalString(o: JsonObject, key: string, path: JsonPath): string | undefined {
  const value = get(o, key);
  return value === undefined ? undefined : string(value, [...path, key]);
}

function number(value: Json, path: JsonPath): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fail(path, "expected a finite number");
}

function boolean(value: Json, path: JsonPath): boolean {
  return typeof value === "boolean" ? value : fail(path, "expected true or false");
}

function strings(value: Json | undefined, path: JsonPath): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail(path, "expected an array of strings");
  return value.map((item, i) => string(item, [...path, i]));
}

function object(value: Json | undefined, path: JsonPath): JsonObject {
  if (value === undefined) return {};
  return isObject(value) ? value : fail(path, "expected an object");
}

function oneOf<T extends string>(value: Json, path: JsonPath, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  return fail(path, `expected one of ${allowed.join(", ")}`);
}

function nullable<T>(value: Json | undefined, read: (v: Json) => T): T | null {
  return value === undefined || value === null ? null : read(value);
}

/** Epoch milliseconds, or an ISO-8601 timestamp. */
function time(value: Json, path: JsonPath): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  return fail(path, "expected epoch milliseconds or an ISO-8601 timestamp");
}

function identity(value: Json | undefined, path: JsonPath): EvalIdentity {
  const o = fields(value ?? {}, path, [
    "human",
    "agent",
    "service",
    "session",
    "roles",
    "scope",
    "delegation",
  ]);
  const named: { -readonly [K in "human" | "agent" | "service" | "session"]?: string } = {};
  for (const field of ["human", "agent", "service", "session"] as const) {
    const v = optionalString(o, field, path);
    if (v !== undefined) named[field] = v;
  }
  return {
    ...named,
    roles: strings(get(o, "roles"), [...path, "roles"]),
    scope: strings(get(o, "scope"), [...path, "scope"]),
    delegation: strings(get(o, "delegation"), [...path, "delegation"]),
  };
}

function action(value: Json, path: JsonPath, at: number): EvalAction {
  const o = fields(value, path, ["tool", "args", "identity"]);
  return {
    tool: string(required(o, "tool", path), [...path, "tool"]),
    args: object(get(o, "args"), [...path, "args"]),
    time: at,
    identity: identity(get(o, "identity"), [...path, "identity"]),
  };
}

function historyEntry(value: Json, path: JsonPath): HistoryEntry {
  const o = fields(value, path, ["tool", "effect", "args", "target", "time", "labels"]);
  const target = optionalString(o, "target", path);
  return {
    tool: string(required(o, "tool", path), [...path, "tool"]),
    effect: oneOf(required(o, "effect", path), [...path, "effect"], EFFECTS),
    args: object(get(o, "args"), [...path, "args"]),
    ...(target === undefined ? {} : { target }),
    time: time(required(o, "time", path), [...path, "time"]),
    labels: strings(get(o, "labels"), [...path, "labels"]),
  };
}

function history(value: Json | undefined, path: JsonPath): TraceHistory {
  if (value === undefined) return { kind: "inline", entries: [] };
  if (Array.isArray(value)) {
    return { kind: "inline", entries: value.map((entry, i) => historyEntry(entry, [...path, i])) };
  }
  if (!isObject(value)) return fail(path, 'expected an array of entries or {"outcomes": N}');
  const o = fields(value, path, ["outcomes"]);
  const count = required(o, "outcomes", path);
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
    fail([...path, "outcomes"], "expected a count (a non-negative integer)");
  }
  return { kind: "outcomes", count };
}

function snapshot(
  value: Json | undefined,
  path: JsonPath,
): { context: Omit<Snapshot, "history">; history: TraceHistory } {
  const o = fields(value ?? {}, path, ["intent", "scores", "facts", "history"]);
  const scores = fields(get(o, "scores") ?? {}, [...path, "scores"], ["alignment", "drift"]);
  const out: { -readonly [K in keyof Omit<Snapshot, "history">]: Omit<Snapshot, "history">[K] } = {
    scores: {},
    facts: object(get(o, "facts"), [...path, "facts"]),
  };
  const intent = get(o, "intent");
  if (intent !== undefined) {
    const i = fields(intent, [...path, "intent"], ["text", "scope"]);
    const text = string(required(i, "text", [...path, "intent"]), [...path, "intent", "text"]);
    const scope = get(i, "scope");
    out.intent =
      scope === undefined ? { text } : { text, scope: strings(scope, [...path, "intent", "scope"]) };
  }
  const alignment = get(scores, "alignment");
  const drift = get(scores, "drift");
  out.scores = {
    ...(alignment === undefined ? {} : { alignment: number(alignment, [...path, "scores", "alignment"]) }),
    ...(drift === undefined ? {} : { drift: number(drift, [...path, "scores", "drift"]) }),
  };
  return { context: out, history: history(get(o, "history"), [...path, "history"]) };
}

function approval(value: Json, path: JsonPath): ApprovalRequirement {
  const o = fields(value, path, ["approvers", "quorum", "timeoutMs", "escalation", "selfApproval"]);
  const escalation = nullable(get(o, "escalation"), (e) => {
    const x = fields(e, [...path, "escalation"], ["afterMs", "to"]);
    return {
      afterMs: number(required(x, "afterMs", [...path, "escalation"]), [...path, "escalation", "afterMs"]),
      to: strings(required(x, "to", [...path, "escalation"]), [...path, "escalation", "to"]),
    };
  });
  return {
    approvers: strings(required(o, "approvers", path), [...path, "approvers"]),
    quorum: number(required(o, "quorum", path), [...path, "quorum"]),
    timeoutMs: number(required(o, "timeoutMs", path), [...path, "timeoutMs"]),
    escalation,
    selfApproval: boolean(required(o, "selfApproval", path), [...path, "selfApproval"]),
  };
}

function deferral(value: Json, path: JsonPath): DeferralRequirement {
  const o = fields(value, path, ["timeoutMs", "then", "approval"]);
  return {
    timeoutMs: number(required(o, "timeoutMs", path), [...path, "timeoutMs"]),
    then: oneOf(required(o, "then", path), [...path, "then"], ["deny", "step_up"] as const),
    approval: nullable(get(o, "approval"), (a) => approval(a, [...path, "approval"])),
  };
}

function modification(value: Json, path: JsonPath): AppliedModification {
  const o = isObject(value) ? value : fail(path, "expected an object");
  const op = oneOf(required(o, "op", path), [...path, "op"], ["set", "remove", "clamp", "redact"] as const);
  const rule = string(required(o, "rule", path), [...path, "rule"]);
  const pathOf = (): string[] => strings(required(o, "path", path), [...path, "path"]);
  switch (op) {
    case "set":
      fields(o, path, ["op", "rule", "path", "value"]);
      return { rule, op, path: pathOf(), value: required(o, "value", path) };
    case "remove":
      fields(o, path, ["op", "rule", "path"]);
      return { rule, op, path: pathOf() };
    case "clamp":
      fields(o, path, ["op", "rule", "path", "min", "max"]);
      return {
        rule,
        op,
        path: pathOf(),
        min: number(required(o, "min", path), [...path, "min"]),
        max: number(required(o, "max", path), [...path, "max"]),
      };
    case "redact": {
      fields(o, path, ["op", "rule", "path", "pattern"]);
      const pattern = required(o, "pattern", path);
      return {
        rule,
        op,
        path: pathOf(),
        pattern: pattern === null ? null : string(pattern, [...path, "pattern"]),
      };
    }
  }
}

function decision(value: Json, path: JsonPath): EvalDecision {
  const o = fields(value, path, [
    "decision",
    "classification",
    "rules",
    "reasons",
    "modifications",
    "approval",
    "deferral",
    "contextNeeded",
    "risk",
  ]);
  const rules = strings(required(o, "rules", path), [...path, "rules"]);
  const reasons = strings(required(o, "reasons", path), [...path, "reasons"]);
  if (reasons.length !== rules.length)
    fail([...path, "reasons"], `expected one reason per rule (${rules.length})`);
  const modifications = nullable(get(o, "modifications"), (m) => {
    const x = fields(m, [...path, "modifications"], ["applied", "args"]);
    const applied = required(x, "applied", [...path, "modifications"]);
    if (!Array.isArray(applied)) fail([...path, "modifications", "applied"], "expected an array");
    return {
      applied: applied.map((a, i) => modification(a, [...path, "modifications", "applied", i])),
      args: object(required(x, "args", [...path, "modifications"]), [...path, "modifications", "args"]),
    };
  });
  return {
    decision: oneOf(required(o, "decision", path), [...path, "decision"], DECISIONS),
    classification: nullable(get(o, "classification"), (c) =>
      oneOf(c, [...path, "classification"], CLASSIFICATIONS),
    ),
    rules,
    reasons,
    modifications,
    approval: nullable(get(o, "approval"), (a) => approval(a, [...path, "approval"])),
    deferral: nullable(get(o, "deferral"), (d) => deferral(d, [...path, "deferral"])),
    contextNeeded: strings(get(o, "contextNeeded"), [...path, "contextNeeded"]),
    risk: nullable(get(o, "risk"), (r) => oneOf(r, [...path, "risk"], RISKS)),
  };
}

function policy(value: Json, path: JsonPath): TracePolicyRef {
  const o = fields(value, path, ["name", "version", "hash"]);
  return {
    name: string(required(o, "name", path), [...path, "name"]),
    version: string(required(o, "version", path), [...path, "version"]),
    hash: string(required(o, "hash", path), [...path, "hash"]),
  };
}

function header(o: JsonObject): { session: string; step: number; meta: JsonObject | null } {
  const session = string(required(o, "session", []), ["session"]);
  if (session === "" || session.length > MAX_SESSION_CHARS) {
    fail(["session"], `expected a session id of 1 to ${MAX_SESSION_CHARS} characters`);
  }
  const step = required(o, "step", []);
  if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
    fail(["step"], "expected a step index (a non-negative integer)");
  }
  const meta = get(o, "meta");
  return { session, step, meta: meta === undefined ? null : object(meta, ["meta"]) };
}

const COMMON = ["format", "version", "kind", "session", "step", "meta"];

function record(value: Json): TraceRecord {
  if (!isObject(value)) return fail([], "expected an object (one trace record)");
  const format = required(value, "format", []);
  if (format !== TRACE_FORMAT) fail(["format"], `expected "${TRACE_FORMAT}"`);
  const version = required(value, "version", []);
  if (version !== TRACE_VERSION) {
    fail(
      ["version"],
      `unsupported trace version ${JSON.stringify(version)}; this reader reads version ${TRACE_VERSION}`,
    );
  }
  const kind = oneOf(required(value, "kind", []), ["kind"], ["decision", "outcome"] as const);
  if (kind === "outcome") {
    const o = fields(value, [], [...COMMON, "entry"]);
    const out: OutcomeRecord = {
      kind,
      ...header(o),
      entry: historyEntry(required(o, "entry", []), ["entry"]),
    };
    return out;
  }
  const o = fields(value, [], [...COMMON, "time", "policy", "action", "snapshot", "decision"]);
  const at = time(required(o, "time", []), ["time"]);
  const { context, history: h } = snapshot(get(o, "snapshot"), ["snapshot"]);
  const out: DecisionRecord = {
    kind,
    ...header(o),
    policy: policy(required(o, "policy", []), ["policy"]),
    action: action(required(o, "action", []), ["action"], at),
    context,
    history: h,
    decision: decision(required(o, "decision", []), ["decision"]),
  };
  return out;
}

/** Decodes one parsed line. */
export function decodeRecord(value: Json): DecodeResult {
  try {
    return { ok: true, record: record(value) };
  } catch (error) {
    if (error instanceof Failure) return { ok: false, path: error.path, message: error.message };
    throw error;
  }
}
