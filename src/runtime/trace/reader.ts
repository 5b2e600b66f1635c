/**
 * Reading a trace: lines to records (with the line and column of any
 * problem), and records to decision points whose inputs are reconstructed
 * exactly, history included. Errors are values; reading stops at the first.
 *
 * @module
 */
import type { HistoryEntry, Json } from "../../ir/contract.ts";
import { decodeRecord } from "./decode.ts";
import { type DecisionPoint, MAX_DEPTH, type TraceError, type TraceRecord } from "./format.ts";
import { type JsonPath, scanJson } from "./json-scan.ts";
import { DEFAULT_LIMITS, type LineLimits, splitLines } from "./lines.ts";

/** One line read: its record, or the problem at a line and column. */
export type RecordResult =
  { readonly ok: true; readonly record: TraceRecord } | { readonly ok: false; readonly error: TraceError };

/** One decision point read: its input fully reconstructed, or the problem at a line and column. */
export type PointResult =
  { readonly ok: true; readonly point: DecisionPoint } | { readonly ok: false; readonly error: TraceError };

/** The 1-based column where the value at `path` of a line begins (its closest existing ancestor's, else 1). */
function columnOf(text: string, path: JsonPath): number {
  for (let n = path.length; n >= 0; n--) {
    const scan = scanJson(text, path.slice(0, n));
    if (scan.ok && scan.found !== null) return scan.found + 1;
  }
  return 1;
}

/** Parses and decodes one line of a trace. */
export function parseTraceLine(text: string, line: number): RecordResult {
  const scan = scanJson(text);
  if (!scan.ok) {
    return {
      ok: false,
      error: { line, column: scan.offset + 1, message: `malformed JSON: ${scan.message}` },
    };
  }
  if (scan.depth > MAX_DEPTH) {
    return { ok: false, error: { line, column: 1, message: `JSON nests deeper than ${MAX_DEPTH} levels` } };
  }
  const decoded = decodeRecord(JSON.parse(text) as Json);
  if (decoded.ok) return decoded;
  return {
    ok: false,
    error: {
      line,
      column: columnOf(text, decoded.path),
      message: `${pathText(decoded.path)}: ${decoded.message}`,
    },
  };
}

function pathText(path: JsonPath): string {
  return path.length === 0 ? "/" : `/${path.join("/")}`;
}

interface SessionState {
  /** History entries from outcome records, in order. */
  readonly outcomes: HistoryEntry[];
  /** Line of the outcome record of each step. */
  readonly outcomeLines: Map<number, number>;
  /** Line and tool of the decision record of each step. */
  readonly decisions: Map<number, { readonly line: number; readonly tool: string }>;
}

/**
 * A check a caller adds to reading: whether a decision point fits what the
 * caller will do with it (say, replay it under a policy). A problem names
 * the JSON path in the decision record it is about.
 */
export type PointCheck = (
  point: DecisionPoint,
) => { readonly path: JsonPath; readonly message: string } | null;

/**
 * Turns records into decision points, keeping per session the outcome
 * entries that later decisions reference, and checking that references,
 * steps and outcomes are consistent.
 */
export class TraceAssembler {
  private readonly sessions = new Map<string, SessionState>();
  private readonly check: PointCheck | null;

  constructor(check: PointCheck | null = null) {
    this.check = check;
  }

  private session(id: string): SessionState {
    let state = this.sessions.get(id);
    if (state === undefined) {
      state = { outcomes: [], outcomeLines: new Map(), decisions: new Map() };
      this.sessions.set(id, state);
    }
    return state;
  }

  /** Adds one record; a decision record gives its decision point, an outcome record null. */
  add(record: TraceRecord, line: number, text: string): PointResult | null {
    const state = this.session(record.session);
    const fail = (path: JsonPath, message: string): PointResult => ({
      ok: false,
      error: { line, column: columnOf(text, path), message: `${pathText(path)}: ${message}` },
    });
    const where = `step ${record.step} of session ${JSON.stringify(record.session)}`;
    if (record.kind === "outcome") {
      const earlier = state.outcomeLines.get(record.step);
      if (earlier !== undefined) return fail(["step"], `${where} already has an outcome, on line ${earlier}`);
      const decided = state.decisions.get(record.step);
      if (decided !== undefined && decided.tool !== record.entry.tool) {
        return fail(
          ["entry", "tool"],
          `${where} called ${decided.tool} (line ${decided.line}), not ${record.entry.tool}`,
        );
      }
      state.outcomeLines.set(record.step, line);
      state.outcomes.push(record.entry);
      return null;
    }
    const earlier = state.decisions.get(record.step);
    if (earlier !== undefined) return fail(["step"], `${where} was already recorded on line ${earlier.line}`);
    const ran = state.outcomeLines.get(record.step);
    if (ran !== undefined) return fail(["step"], `${where} has an outcome on an earlier line (${ran})`);
    let history: readonly HistoryEntry[];
    if (record.history.kind === "inline") {
      history = record.history.entries;
    } else {
      const { count } = record.history;
      if (count > state.outcomes.length) {
        return fail(
          ["snapshot", "history", "outcomes"],
          `refers to ${count} outcomes of session ${JSON.stringify(record.session)}, but ${state.outcomes.length} precede this line`,
        );
      }
      history = state.outcomes.slice(0, count);
    }
    state.decisions.set(record.step, { line, tool: record.action.tool });
    const point: DecisionPoint = {
      line,
      session: record.session,
      step: record.step,
      policy: record.policy,
      input: { action: record.action, snapshot: { ...record.context, history } },
      recorded: record.decision,
    };
    const problem = this.check?.(point) ?? null;
    return problem === null ? { ok: true, point } : fail(problem.path, problem.message);
  }
}

/** The decision points of a trace given as byte chunks, stopping at the first error. */
export function* readTrace(
  chunks: Iterable<Uint8Array>,
  options: { readonly limits?: LineLimits; readonly check?: PointCheck } = {},
): Generator<PointResult, void, undefined> {
  const assembler = new TraceAssembler(options.check ?? null);
  for (const item of splitLines(chunks, options.limits ?? DEFAULT_LIMITS)) {
    if (!item.ok) {
      yield item;
      return;
    }
    if (item.text.trim() === "") continue;
    const parsed = parseTraceLine(item.text, item.line);
    if (!parsed.ok) {
      yield parsed;
      return;
    }
    const point = assembler.add(parsed.record, item.line, item.text);
    if (point === null) continue;
    yield point;
    if (!point.ok) return;
  }
}

/** The decision points of a trace held in a string. */
export function readTraceText(
  text: string,
  options: { readonly limits?: LineLimits; readonly check?: PointCheck } = {},
): Generator<PointResult, void, undefined> {
  return readTrace([new TextEncoder().encode(text)], options);
}
