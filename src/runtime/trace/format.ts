/**
 * The decision trace format (`docs/trace.md`): JSON lines, one record per
 * line, written by the runtime as it decides and read by `aarmc replay` and
 * `aarmc diff --tests`. A `decision` record is one decision point: the action,
 * the snapshot the decision saw and the decision recorded. An `outcome`
 * record says that an action was released and ran, with the labels of what
 * it returned: it becomes a history entry of every later decision of its
 * session, which those decisions reference by count instead of repeating.
 *
 * @module
 */
import type { EvalAction, EvalDecision, EvalInput, HistoryEntry, Json, Snapshot } from "../../ir/contract.ts";

/** The `format` of every trace record. */
export const TRACE_FORMAT = "aarm-trace";
/** The format version this reader and writer know. */
export const TRACE_VERSION = 1;

/** Longest line a reader accepts, in bytes of UTF-8 (the newline excluded). */
export const MAX_LINE_BYTES = 1024 * 1024;
/** Most lines a reader accepts in one trace, blank ones included. */
export const MAX_LINES = 1_000_000;
/** Deepest nesting of arrays and objects in one line. */
export const MAX_DEPTH = 64;
/** Longest session id. */
export const MAX_SESSION_CHARS = 256;

/** The policy a decision was made under. */
export interface TracePolicyRef {
  readonly name: string;
  readonly version: string;
  /** The IR hash, `sha256:<hex>`. */
  readonly hash: string;
}

/** Where history comes from in a decision record. */
export type TraceHistory =
  /** The entries themselves. */
  | { readonly kind: "inline"; readonly entries: readonly HistoryEntry[] }
  /** The first `count` outcome records of this session, on earlier lines. */
  | { readonly kind: "outcomes"; readonly count: number };

/** One decision point, as a line records it. */
export interface DecisionRecord {
  readonly kind: "decision";
  readonly session: string;
  readonly step: number;
  readonly policy: TracePolicyRef;
  readonly action: EvalAction;
  /** The snapshot without its history, which `history` gives. */
  readonly context: Omit<Snapshot, "history">;
  readonly history: TraceHistory;
  readonly decision: EvalDecision;
  readonly meta: { readonly [key: string]: Json } | null;
}

/** An action that ran, as a line records it: a history entry of later decisions. */
export interface OutcomeRecord {
  readonly kind: "outcome";
  readonly session: string;
  /** The step of the action that ran. */
  readonly step: number;
  readonly entry: HistoryEntry;
  readonly meta: { readonly [key: string]: Json } | null;
}

/** One line of a trace. */
export type TraceRecord = DecisionRecord | OutcomeRecord;

/** A problem in a trace, at a 1-based line and column (UTF-16 code units). */
export interface TraceError {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** One decision point of a trace with its input fully reconstructed. */
export interface DecisionPoint {
  /** The line of the decision record. */
  readonly line: number;
  readonly session: string;
  readonly step: number;
  readonly policy: TracePolicyRef;
  readonly input: EvalInput;
  readonly recorded: EvalDecision;
}
