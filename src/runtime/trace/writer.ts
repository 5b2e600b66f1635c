/**
 * Writing a trace: each decision point and each outcome as one line that the
 * reader turns back into exactly the same input. The writer remembers, per
 * session, the outcome entries it wrote, and writes a decision's history as a
 * count of them whenever the history is exactly their prefix, so a session's
 * trace grows linearly with its length instead of quadratically.
 *
 * @module
 */
import type { EvalDecision, EvalIdentity, EvalInput, HistoryEntry, Json } from "../../ir/contract.ts";
import { jsonEqual } from "../../eval/json.ts";
import {
  MAX_DEPTH,
  MAX_LINE_BYTES,
  MAX_SESSION_CHARS,
  TRACE_FORMAT,
  TRACE_VERSION,
  type TracePolicyRef,
} from "./format.ts";

/** A decision point to write. */
export interface TraceDecision {
  readonly session: string;
  readonly step: number;
  readonly policy: TracePolicyRef;
  readonly input: EvalInput;
  readonly decision: EvalDecision;
  readonly meta?: { readonly [key: string]: Json };
}

/** An action that ran, to write. */
export interface TraceOutcome {
  readonly session: string;
  readonly step: number;
  /** The history entry the action became: the arguments it ran with and the labels of its output. */
  readonly entry: HistoryEntry;
  readonly meta?: { readonly [key: string]: Json };
}

/** One line of text without its newline, or why the record cannot be written faithfully. */
export type WriteResult =
  { readonly ok: true; readonly line: string } | { readonly ok: false; readonly message: string };

/** Why a value cannot be read back as it is, or null: too deep, or a number JSON cannot carry. */
function unfaithful(value: unknown): string | null {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, depth] = item;
    if (depth > MAX_DEPTH) return `nests deeper than ${MAX_DEPTH} levels`;
    if (typeof v === "number" && !Number.isFinite(v)) return `holds the non-finite number ${v}`;
    if (typeof v === "object" && v !== null) {
      for (const child of Object.values(v)) stack.push([child, depth + 1]);
    }
  }
  return null;
}

function identityJson(id: EvalIdentity): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const field of ["human", "agent", "service", "session"] as const) {
    const v = id[field];
    if (v !== undefined) out[field] = v;
  }
  return { ...out, roles: id.roles, scope: id.scope, delegation: id.delegation };
}

function entryJson(e: HistoryEntry): { [key: string]: Json } {
  return {
    tool: e.tool,
    effect: e.effect,
    args: e.args,
    ...(e.target === undefined ? {} : { target: e.target }),
    time: e.time,
    labels: e.labels,
  };
}

function sameEntry(a: HistoryEntry, b: HistoryEntry): boolean {
  return a === b || jsonEqual(entryJson(a), entryJson(b));
}

/** Writes trace lines, remembering each session's outcomes to reference them from later decisions. */
export class TraceWriter {
  private readonly outcomes = new Map<string, HistoryEntry[]>();
  /** Sessions whose outcomes are no longer remembered: their later decisions write history inline. */
  private readonly ended = new Set<string>();
  private readonly maxLineBytes: number;

  constructor(options: { readonly maxLineBytes?: number } = {}) {
    this.maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  }

  private line(record: { [key: string]: unknown }, session: string, step: number): WriteResult {
    if (session === "" || session.length > MAX_SESSION_CHARS) {
      return { ok: false, message: `session id must have 1 to ${MAX_SESSION_CHARS} characters` };
    }
    if (!Number.isSafeInteger(step) || step < 0)
      return { ok: false, message: "step must be a non-negative integer" };
    const problem = unfaithful(record);
    if (problem !== null) return { ok: false, message: `the record ${problem}` };
    const line = JSON.stringify(record);
    const bytes = Buffer.byteLength(line, "utf8");
    if (bytes > this.maxLineBytes) {
      return {
        ok: false,
        message: `the record takes ${bytes} bytes, more than a line may (${this.maxLineBytes})`,
      };
    }
    return { ok: true, line };
  }

  /** The line for one decision point. */
  decision(d: TraceDecision): WriteResult {
    const { action, snapshot } = d.input;
    const written = this.outcomes.get(d.session) ?? [];
    const history = snapshot.history;
    const isPrefix =
      history.length <= written.length &&
      history.every((entry, i) => sameEntry(entry, written[i] as HistoryEntry));
    const context: { [key: string]: Json } = {};
    if (snapshot.intent !== undefined) {
      context.intent =
        snapshot.intent.scope === undefined
          ? { text: snapshot.intent.text }
          : { text: snapshot.intent.text, scope: snapshot.intent.scope };
    }
    context.scores = { ...snapshot.scores };
    context.facts = snapshot.facts;
    context.history = isPrefix && history.length > 0 ? { outcomes: history.length } : history.map(entryJson);
    return this.line(
      {
        format: TRACE_FORMAT,
        version: TRACE_VERSION,
        kind: "decision",
        session: d.session,
        step: d.step,
        time: action.time,
        policy: { name: d.policy.name, version: d.policy.version, hash: d.policy.hash },
        action: { tool: action.tool, args: action.args, identity: identityJson(action.identity) },
        snapshot: context,
        decision: d.decision,
        ...(d.meta === undefined ? {} : { meta: d.meta }),
      },
      d.session,
      d.step,
    );
  }

  /** The line for an action that ran; later decisions of its session may reference it. */
  outcome(o: TraceOutcome): WriteResult {
    const result = this.line(
      {
        format: TRACE_FORMAT,
        version: TRACE_VERSION,
        kind: "outcome",
        session: o.session,
        step: o.step,
        entry: entryJson(o.entry),
        ...(o.meta === undefined ? {} : { meta: o.meta }),
      },
      o.session,
      o.step,
    );
    if (result.ok && !this.ended.has(o.session)) {
      const list = this.outcomes.get(o.session) ?? [];
      list.push(o.entry);
      this.outcomes.set(o.session, list);
    }
    return result;
  }

  /**
   * Forgets a finished session's outcomes, to bound memory. A reader counts
   * every outcome of the session from the start of the trace, so later
   * decisions of the session write their history inline.
   */
  endSession(session: string): void {
    this.outcomes.delete(session);
    this.ended.add(session);
  }
}
