/**
 * Reading a `*.test.yaml` file into the test model (docs/testing.md), with
 * every problem reported at its line and column: YAML syntax errors from the
 * parser, then schema errors — unknown keys (with a did-you-mean), missing
 * keys, values of the wrong kind, steps that contradict themselves. All
 * problems of a file are collected, not just the first.
 *
 * This reads the file on its own terms; whether the tools, arguments, facts
 * and rules it names exist in the policy is checked by `bind.ts` once the
 * policy is compiled.
 *
 * @module
 */
import type { Classification, DecisionKind, EvalIdentity, Json } from "../../ir/contract.ts";
import { closest } from "../../lang/check/suggest.ts";
import { parseDuration } from "./duration.ts";
import type {
  ApprovalExpectation,
  DeferralExpectation,
  Expectation,
  LocatedObject,
  Loc,
  ModificationExpectation,
  ReasonExpectation,
  Session,
  Step,
  StepOutput,
  TestFile,
  TestFileError,
} from "./model.ts";
import { parseYaml, type YamlEntry, type YamlValue } from "./yaml-tree.ts";

export type LoadResult =
  | { readonly ok: true; readonly file: TestFile }
  | { readonly ok: false; readonly errors: readonly TestFileError[] };

/** When a session gives no `start`: a fixed instant, so that every run decides identically. */
export const DEFAULT_START = Date.parse("2026-01-01T00:00:00Z");

/** When a step gives no `at`: this long after the previous step. */
export const DEFAULT_STEP_MS = 60_000;

const DECISIONS: readonly DecisionKind[] = ["ALLOW", "DENY", "MODIFY", "STEP_UP", "DEFER"];
const CLASSIFICATIONS: readonly Classification[] = [
  "forbidden",
  "context_dependent_deny",
  "context_dependent_allow",
  "context_dependent_defer",
];
const RISKS = ["low", "medium", "high", "critical"] as const;
const OPS = ["set", "remove", "clamp", "redact"] as const;

type Entries = ReadonlyMap<string, YamlEntry>;

/** The entries of a fixed-shape mapping whose keys were checked. */
interface Fields {
  readonly entries: Entries;
}

class Reader {
  readonly errors: TestFileError[] = [];
  private readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  fail(loc: Loc, message: string): null {
    this.errors.push({ file: this.file, loc, message });
    return null;
  }

  /** A mapping with exactly the given keys allowed; missing required keys are reported at the mapping. */
  fields(
    node: YamlValue,
    what: string,
    allowed: readonly string[],
    required: readonly string[] = [],
  ): Fields | null {
    if (node.kind !== "map") return this.fail(node.loc, `${what} must be a mapping`);
    for (const [key, entry] of node.entries) {
      if (allowed.includes(key)) continue;
      const guess = closest(key, allowed);
      this.fail(
        entry.keyLoc,
        `unknown key "${key}" in ${what}${guess === null ? `; expected one of: ${allowed.join(", ")}` : `; did you mean "${guess}"?`}`,
      );
    }
    for (const key of required)
      if (!node.entries.has(key)) this.fail(node.loc, `${what} is missing "${key}"`);
    return { entries: node.entries };
  }

  string(node: YamlValue, what: string): string | null {
    return node.kind === "scalar" && typeof node.value === "string"
      ? node.value
      : this.fail(node.loc, `${what} must be a string`);
  }

  /** A non-empty string: names, tools, paths. */
  name(node: YamlValue, what: string): string | null {
    const s = this.string(node, what);
    return s === "" ? this.fail(node.loc, `${what} must not be empty`) : s;
  }

  number(node: YamlValue, what: string): number | null {
    return node.kind === "scalar" && typeof node.value === "number"
      ? node.value
      : this.fail(node.loc, `${what} must be a number`);
  }

  bool(node: YamlValue, what: string): boolean | null {
    return node.kind === "scalar" && typeof node.value === "boolean"
      ? node.value
      : this.fail(node.loc, `${what} must be true or false`);
  }

  oneOf<T extends string>(node: YamlValue, what: string, options: readonly T[]): T | null {
    const s = this.string(node, what);
    if (s === null) return null;
    const found = options.find((o) => o === s) ?? options.find((o) => o.toLowerCase() === s.toLowerCase());
    return found ?? this.fail(node.loc, `${what} must be one of ${options.join(", ")}, not "${s}"`);
  }

  strings(node: YamlValue, what: string): string[] | null {
    if (node.kind !== "seq") return this.fail(node.loc, `${what} must be a list of strings`);
    const out: string[] = [];
    for (const item of node.items) {
      const s = this.string(item, `each of ${what}`);
      if (s !== null) out.push(s);
    }
    return out;
  }

  /** A list of strings, or one string standing for a list of one. */
  stringOrList(node: YamlValue, what: string): { names: string[]; locs: Loc[] } | null {
    if (node.kind === "scalar") {
      const s = this.name(node, what);
      return s === null ? null : { names: [s], locs: [node.loc] };
    }
    if (node.kind !== "seq") return this.fail(node.loc, `${what} must be a string or a list of strings`);
    const names: string[] = [];
    const locs: Loc[] = [];
    for (const item of node.items) {
      const s = this.name(item, `each of ${what}`);
      if (s === null) continue;
      names.push(s);
      locs.push(item.loc);
    }
    return { names, locs };
  }

  duration(node: YamlValue, what: string): number | null {
    const ms =
      node.kind === "scalar" && (typeof node.value === "string" || typeof node.value === "number")
        ? parseDuration(node.value)
        : null;
    return ms ?? this.fail(node.loc, `${what} must be a duration such as 90s, 15m or 2h (or milliseconds)`);
  }

  json(node: YamlValue): Json {
    switch (node.kind) {
      case "scalar":
        return node.value;
      case "seq":
        return node.items.map((item) => this.json(item));
      case "map": {
        const out: { [key: string]: Json } = {};
        for (const [key, entry] of node.entries) out[key] = this.json(entry.value);
        return out;
      }
    }
  }

  object(node: YamlValue, what: string): LocatedObject | null {
    if (node.kind !== "map") return this.fail(node.loc, `${what} must be a mapping`);
    const value: { [key: string]: Json } = {};
    const keys = new Map<string, Loc>();
    for (const [key, entry] of node.entries) {
      value[key] = this.json(entry.value);
      keys.set(key, entry.keyLoc);
    }
    return { value, loc: node.loc, keys };
  }

  scores(node: YamlValue, what: string): { alignment?: number; drift?: number } {
    const f = this.fields(node, what, ["alignment", "drift"]);
    const out: { alignment?: number; drift?: number } = {};
    for (const key of ["alignment", "drift"] as const) {
      const entry = f?.entries.get(key);
      if (entry === undefined) continue;
      const n = this.number(entry.value, `${what}.${key}`);
      if (n === null) continue;
      if (n < 0 || n > 1) this.fail(entry.value.loc, `${what}.${key} must be between 0 and 1`);
      else out[key] = n;
    }
    return out;
  }
}

/** Runs `read` on the entry `key` when it is present. */
function opt<T>(f: Fields | null, key: string, read: (node: YamlValue) => T | null): T | undefined {
  const entry = f?.entries.get(key);
  if (entry === undefined) return undefined;
  return read(entry.value) ?? undefined;
}

function readIdentity(r: Reader, node: YamlValue): EvalIdentity {
  const f = r.fields(node, "identity", [
    "human",
    "agent",
    "service",
    "session",
    "roles",
    "scope",
    "delegation",
  ]);
  const identity: { -readonly [K in keyof EvalIdentity]: EvalIdentity[K] } = {
    roles: opt(f, "roles", (n) => r.strings(n, "identity.roles")) ?? [],
    scope: opt(f, "scope", (n) => r.strings(n, "identity.scope")) ?? [],
    delegation: opt(f, "delegation", (n) => r.strings(n, "identity.delegation")) ?? [],
  };
  for (const key of ["human", "agent", "service", "session"] as const) {
    const value = opt(f, key, (n) => r.string(n, `identity.${key}`));
    if (value !== undefined) identity[key] = value;
  }
  return identity;
}

function readIntent(r: Reader, node: YamlValue): Session["intent"] {
  if (node.kind === "scalar" && node.value === null) return null;
  if (node.kind === "scalar") {
    const text = r.string(node, "intent");
    return text === null ? null : { text };
  }
  const f = r.fields(node, "intent", ["text", "scope"], ["text"]);
  const text = opt(f, "text", (n) => r.string(n, "intent.text"));
  const scope = opt(f, "scope", (n) => r.strings(n, "intent.scope"));
  if (text === undefined) return null;
  return scope === undefined ? { text } : { text, scope };
}

function readOutput(r: Reader, node: YamlValue): StepOutput | null {
  if (node.kind === "scalar") {
    const text = r.string(node, "output");
    return text === null ? null : { kind: "text", text };
  }
  const f = r.fields(node, "output", ["text", "labels"]);
  if (f === null) return null;
  const text = f.entries.get("text");
  const labels = f.entries.get("labels");
  if (text !== undefined && labels !== undefined)
    return r.fail(
      node.loc,
      "output takes either text (labelled by the policy's classifiers) or labels, not both",
    );
  if (text !== undefined) {
    const s = r.string(text.value, "output.text");
    return s === null ? null : { kind: "text", text: s };
  }
  if (labels !== undefined) {
    const list = r.strings(labels.value, "output.labels");
    return list === null ? null : { kind: "labels", labels: list, loc: labels.value.loc };
  }
  return r.fail(node.loc, "output needs text or labels");
}

function readReason(r: Reader, node: YamlValue): ReasonExpectation | null {
  if (node.kind === "scalar") {
    const text = r.string(node, "expect.reason");
    return text === null ? null : { text, exact: false };
  }
  const f = r.fields(node, "expect.reason", ["exact", "contains"]);
  if (f === null) return null;
  const exact = f.entries.get("exact");
  const contains = f.entries.get("contains");
  if ((exact === undefined) === (contains === undefined))
    return r.fail(node.loc, "expect.reason takes exactly one of exact or contains");
  const entry = (exact ?? contains) as YamlEntry;
  const text = r.string(entry.value, `expect.reason.${exact === undefined ? "contains" : "exact"}`);
  return text === null ? null : { text, exact: exact !== undefined };
}

function readModifications(r: Reader, node: YamlValue): ModificationExpectation[] | null {
  if (node.kind !== "seq") return r.fail(node.loc, "expect.modifications must be a list");
  const out: ModificationExpectation[] = [];
  for (const item of node.items) {
    const f = r.fields(item, "a modification", ["rule", "op", "path"]);
    const m: { -readonly [K in keyof ModificationExpectation]: ModificationExpectation[K] } = {};
    const rule = opt(f, "rule", (n) => r.name(n, "modification rule"));
    const op = opt(f, "op", (n) => r.oneOf(n, "modification op", OPS));
    const path = opt(f, "path", (n) => r.name(n, "modification path"));
    if (rule !== undefined) m.rule = rule;
    if (op !== undefined) m.op = op;
    if (path !== undefined) m.path = path.startsWith("args.") ? path : `args.${path}`;
    out.push(m);
  }
  return out;
}

function readApproval(r: Reader, node: YamlValue): boolean | ApprovalExpectation | null {
  if (node.kind === "scalar") return r.bool(node, "expect.approval");
  const f = r.fields(node, "expect.approval", [
    "approvers",
    "quorum",
    "timeout",
    "self_approval",
    "escalation",
  ]);
  const a: { -readonly [K in keyof ApprovalExpectation]: ApprovalExpectation[K] } = {};
  const approvers = opt(f, "approvers", (n) => r.strings(n, "approval.approvers"));
  const quorum = opt(f, "quorum", (n) => r.number(n, "approval.quorum"));
  const timeout = opt(f, "timeout", (n) => r.duration(n, "approval.timeout"));
  const self = opt(f, "self_approval", (n) => r.bool(n, "approval.self_approval"));
  if (approvers !== undefined) a.approvers = approvers;
  if (quorum !== undefined) a.quorum = quorum;
  if (timeout !== undefined) a.timeoutMs = timeout;
  if (self !== undefined) a.selfApproval = self;
  const escalation = f?.entries.get("escalation");
  if (escalation !== undefined) {
    if (escalation.value.kind === "scalar" && escalation.value.value === null) a.escalation = null;
    else {
      const e = r.fields(escalation.value, "approval.escalation", ["after", "to"]);
      const after = opt(e, "after", (n) => r.duration(n, "escalation.after"));
      const to = opt(e, "to", (n) => r.strings(n, "escalation.to"));
      a.escalation = {
        ...(after === undefined ? {} : { afterMs: after }),
        ...(to === undefined ? {} : { to }),
      };
    }
  }
  return a;
}

function readDeferral(r: Reader, node: YamlValue): DeferralExpectation {
  const f = r.fields(node, "expect.deferral", ["timeout", "then"]);
  const timeout = opt(f, "timeout", (n) => r.duration(n, "deferral.timeout"));
  const then = opt(f, "then", (n) => r.oneOf(n, "deferral.then", ["deny", "step_up"] as const));
  return {
    ...(timeout === undefined ? {} : { timeoutMs: timeout }),
    ...(then === undefined ? {} : { then }),
  };
}

const EXPECT_KEYS = [
  "decision",
  "rules",
  "reason",
  "args",
  "modifications",
  "approval",
  "deferral",
  "context_needed",
  "classification",
  "risk",
];

function readExpect(r: Reader, node: YamlValue): Expectation | null {
  if (node.kind === "scalar") {
    const decision = r.oneOf(node, "expect", DECISIONS);
    return decision === null ? null : { decision, loc: node.loc };
  }
  const f = r.fields(node, "expect", EXPECT_KEYS, ["decision"]);
  const decision = opt(f, "decision", (n) => r.oneOf(n, "expect.decision", DECISIONS));
  if (f === null || decision === undefined) return null;
  const e: { -readonly [K in keyof Expectation]: Expectation[K] } = { decision, loc: node.loc };
  const only = (key: string, allowed: readonly DecisionKind[]): boolean => {
    const entry = f.entries.get(key);
    if (entry === undefined) return false;
    if (allowed.includes(decision)) return true;
    r.fail(
      entry.keyLoc,
      `expect.${key} applies to a step expected to be ${allowed.join(" or ")}, not ${decision}`,
    );
    return false;
  };
  const rules = opt(f, "rules", (n) => r.stringOrList(n, "expect.rules"));
  if (rules !== undefined) e.rules = rules;
  const reason = opt(f, "reason", (n) => readReason(r, n));
  if (reason !== undefined) e.reason = reason;
  if (only("args", ["MODIFY"])) {
    const args = opt(f, "args", (n) => r.object(n, "expect.args"));
    if (args !== undefined) e.args = args.value;
  }
  if (only("modifications", ["MODIFY"])) {
    const modifications = opt(f, "modifications", (n) => readModifications(r, n));
    if (modifications !== undefined) e.modifications = modifications;
  }
  const approvalEntry = f.entries.get("approval");
  const approvalIsObject = approvalEntry !== undefined && approvalEntry.value.kind === "map";
  if (!approvalIsObject || only("approval", ["STEP_UP", "DEFER"])) {
    const approval = opt(f, "approval", (n) => readApproval(r, n));
    if (approval !== undefined) e.approval = approval;
  }
  if (only("deferral", ["DEFER"])) {
    const deferral = opt(f, "deferral", (n) => readDeferral(r, n));
    if (deferral !== undefined) e.deferral = deferral;
  }
  const needed = opt(f, "context_needed", (n) => r.strings(n, "expect.context_needed"));
  if (needed !== undefined) e.contextNeeded = needed;
  const classification = opt(f, "classification", (n) =>
    n.kind === "scalar" && n.value === null ? "none" : r.oneOf(n, "expect.classification", CLASSIFICATIONS),
  );
  if (classification !== undefined) e.classification = classification === "none" ? null : classification;
  const risk = opt(f, "risk", (n) =>
    n.kind === "scalar" && n.value === null ? "none" : r.oneOf(n, "expect.risk", RISKS),
  );
  if (risk !== undefined) e.risk = risk === "none" ? null : risk;
  return e;
}

const STEP_KEYS = ["name", "tool", "args", "at", "output", "facts", "scores", "expect", "approve", "resolve"];

function readStep(r: Reader, node: YamlValue, index: number, previousMs: number | null): Step | null {
  const f = r.fields(node, `step ${index}`, STEP_KEYS, ["tool", "expect"]);
  if (f === null) return null;
  const tool = opt(f, "tool", (n) => r.name(n, "tool"));
  const toolEntry = f.entries.get("tool");
  const args = opt(f, "args", (n) => r.object(n, "args")) ?? { value: {}, loc: node.loc, keys: new Map() };
  const atEntry = f.entries.get("at");
  let offsetMs = previousMs === null ? 0 : previousMs + DEFAULT_STEP_MS;
  if (atEntry !== undefined) {
    const at = r.duration(atEntry.value, "at");
    if (at !== null && previousMs !== null && at < previousMs)
      r.fail(atEntry.value.loc, "at must not be earlier than the previous step");
    else if (at !== null) offsetMs = at;
  }
  const expect = opt(f, "expect", (n) => readExpect(r, n));
  const approve = opt(f, "approve", (n) => r.bool(n, "approve"));
  const resolve = opt(f, "resolve", (n) => r.oneOf(n, "resolve", ["allow", "deny"] as const));
  if (expect !== undefined) {
    if (approve !== undefined && expect.decision !== "STEP_UP")
      r.fail(
        f.entries.get("approve")?.keyLoc ?? node.loc,
        `approve applies to a step expected to be STEP_UP, not ${expect.decision}`,
      );
    if (resolve !== undefined && expect.decision !== "DEFER")
      r.fail(
        f.entries.get("resolve")?.keyLoc ?? node.loc,
        `resolve applies to a step expected to be DEFER, not ${expect.decision}`,
      );
  }
  if (tool === undefined || toolEntry === undefined || expect === undefined) return null;
  return {
    index,
    name: opt(f, "name", (n) => r.string(n, "step name")) ?? null,
    loc: node.loc,
    tool,
    toolLoc: toolEntry.value.loc,
    args,
    offsetMs,
    facts: opt(f, "facts", (n) => r.object(n, "facts")) ?? null,
    scores: opt(f, "scores", (n) => r.scores(n, "scores")) ?? {},
    output: opt(f, "output", (n) => readOutput(r, n)) ?? null,
    expect,
    approve: approve ?? false,
    resolve: resolve ?? null,
  };
}

/** An ISO-8601 date and time with its offset: without one, the time would depend on the machine's zone. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function readStart(r: Reader, node: YamlValue): number | null {
  if (node.kind === "scalar" && typeof node.value === "number" && Number.isSafeInteger(node.value))
    return node.value;
  if (node.kind === "scalar" && typeof node.value === "string" && ISO_TIME.test(node.value)) {
    const ms = Date.parse(node.value);
    if (!Number.isNaN(ms)) return ms;
  }
  return r.fail(
    node.loc,
    "start must be an ISO-8601 date and time with its offset, such as 2026-11-22T09:00:00Z",
  );
}

const SESSION_KEYS = ["name", "description", "identity", "intent", "scores", "facts", "start", "steps"];

function readSession(r: Reader, node: YamlValue, index: number): Session | null {
  const f = r.fields(node, `session ${index}`, SESSION_KEYS, ["name", "steps"]);
  if (f === null) return null;
  const name = opt(f, "name", (n) => r.name(n, "session name"));
  // Free text for readers of the file: only its kind is checked.
  opt(f, "description", (n) => r.string(n, "description"));
  const stepsEntry = f.entries.get("steps");
  const steps: Step[] = [];
  if (stepsEntry !== undefined) {
    const list = stepsEntry.value;
    if (list.kind !== "seq") r.fail(list.loc, "steps must be a list");
    else if (list.items.length === 0) r.fail(list.loc, "steps must not be empty");
    else {
      let previous: number | null = null;
      for (const [i, item] of list.items.entries()) {
        const step = readStep(r, item, i + 1, previous);
        if (step !== null) {
          steps.push(step);
          previous = step.offsetMs;
        }
      }
    }
  }
  const session: Session = {
    name: name ?? "",
    loc: node.loc,
    identity: opt(f, "identity", (n) => readIdentity(r, n)) ?? { roles: [], scope: [], delegation: [] },
    intent: opt(f, "intent", (n) => readIntent(r, n)) ?? null,
    scores: opt(f, "scores", (n) => r.scores(n, "scores")) ?? {},
    facts: opt(f, "facts", (n) => r.object(n, "facts")) ?? null,
    start: opt(f, "start", (n) => readStart(r, n)) ?? DEFAULT_START,
    steps,
  };
  return name === undefined ? null : session;
}

/** Reads the test file `file` (its path as the user named it) from its text. */
export function loadTestFile(text: string, file: string): LoadResult {
  const parsed = parseYaml(text);
  if (!parsed.ok) {
    return {
      ok: false,
      errors: parsed.errors.map((e) => ({ file, loc: e.loc, message: `invalid YAML: ${e.message}` })),
    };
  }
  const r = new Reader(file);
  if (parsed.root === null) {
    r.fail({ line: 1, column: 1 }, "the test file is empty; it needs policy and sessions");
    return { ok: false, errors: r.errors };
  }
  const f = r.fields(
    parsed.root,
    "the test file",
    ["policy", "description", "sessions"],
    ["policy", "sessions"],
  );
  const policy = opt(f, "policy", (n) => r.name(n, "policy"));
  opt(f, "description", (n) => r.string(n, "description"));
  const sessions: Session[] = [];
  const sessionsEntry = f?.entries.get("sessions");
  if (sessionsEntry !== undefined) {
    const list = sessionsEntry.value;
    if (list.kind !== "seq") r.fail(list.loc, "sessions must be a list");
    else if (list.items.length === 0) r.fail(list.loc, "sessions must not be empty");
    else {
      const seen = new Map<string, Loc>();
      for (const [i, item] of list.items.entries()) {
        const session = readSession(r, item, i + 1);
        if (session === null) continue;
        const earlier = seen.get(session.name);
        if (earlier !== undefined)
          r.fail(session.loc, `session "${session.name}" is already defined at line ${earlier.line}`);
        seen.set(session.name, session.loc);
        sessions.push(session);
      }
    }
  }
  const policyLoc = f?.entries.get("policy")?.value.loc;
  if (r.errors.length > 0 || policy === undefined || policyLoc === undefined)
    return { ok: false, errors: sortErrors(r.errors) };
  return { ok: true, file: { file, policy, policyLoc, sessions } };
}

function sortErrors(errors: readonly TestFileError[]): TestFileError[] {
  return [...errors].sort((a, b) => a.loc.line - b.loc.line || a.loc.column - b.loc.column);
}

/** `file:line:column: message`, the one-line form of a test-file error. */
export function formatTestFileError(e: TestFileError): string {
  return `${e.file}:${e.loc.line}:${e.loc.column}: ${e.message}`;
}
