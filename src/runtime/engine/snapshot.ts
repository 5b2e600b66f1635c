/**
 * From a session's verified context log to what a decision is made on.
 *
 * The evaluation input is built from the log up to and including the
 * action's own entry, plus the signals the log cannot determine (facts and
 * scores), which are frozen with it. The whole input, with the position and
 * hash of the log entry it ends at and the scorer that produced the scores,
 * is hashed; that hash is the receipt's `context_hash` and is also written
 * with the decision into the log. So a receipt names exactly the input its
 * decision was made on, and {@link replayDecision} can rebuild that input from
 * the log alone, check it against the hash, and evaluate it again.
 *
 * The same log also yields the receipt's snapshot summary and the full
 * context approvers are shown.
 *
 * @module
 */
import { evaluate } from "../../eval/evaluate.ts";
import type { EvalDecision, EvalInput, HistoryEntry, Json } from "../../ir/contract.ts";
import type { Ir } from "../../ir/types.ts";
import { canonicalHash } from "../../schema/canonical.ts";
import type {
  Action,
  Intent,
  PriorAction,
  RiskSignals,
  SensitivityLevel,
  SnapshotSummary,
} from "../../schema/generated/types.ts";
import type { ContextEntry, DecisionSignals } from "../context/entry.ts";
import { toHistory } from "../context/history.ts";
import { evalIdentity } from "../mediation/identity.ts";
import type { ScoredAction } from "../scoring/types.ts";
import { messageOf } from "./bounded.ts";

/** Above this drift, a receipt's risk signals report `drift_detected` (AARM §3.2's default). */
export const DRIFT_THRESHOLD = 0.7;

/** How many earlier actions a receipt's summary and an approval request list, newest last. */
export const SUMMARY_ACTIONS = 20;

const LEVELS: readonly SensitivityLevel[] = ["public", "internal", "confidential", "restricted"];

/** What a session's log says, as the decision path reads it. */
export interface ContextView {
  /** The user's original request, or null when none was supplied. */
  readonly intent: Intent | null;
  /** Earlier actions that were released, with their output labels: the evaluator's history. */
  readonly history: readonly HistoryEntry[];
  /** Every earlier action proposed, with the alignment frozen when it was decided: the scorer's history. */
  readonly scored: readonly ScoredAction[];
  /** Every earlier action decided, with its decision: the receipts' and approvers' summary. */
  readonly prior: readonly PriorAction[];
  /** The latest time any entry was appended at (ms), or null for an empty log. */
  readonly latest: number | null;
}

/** The view of `entries` (a verified log, or a prefix of one). */
export function contextView(entries: readonly ContextEntry[]): ContextView {
  let intent: Intent | null = null;
  let latest: number | null = null;
  const actions = new Map<string, Action>();
  const decided = new Map<string, ContextEntry & { readonly type: "decision" }>();
  for (const entry of entries) {
    const time = Date.parse(entry.time);
    latest = latest === null ? time : Math.max(latest, time);
    if (entry.type === "intent") intent ??= entry.intent;
    else if (entry.type === "action" && !actions.has(entry.action.action_id)) {
      actions.set(entry.action.action_id, entry.action);
    } else if (entry.type === "decision" && !decided.has(entry.action_id))
      decided.set(entry.action_id, entry);
  }
  const scored: ScoredAction[] = [];
  const prior: PriorAction[] = [];
  for (const [id, action] of actions) {
    const decision = decided.get(id)?.decision;
    scored.push({ action, alignment: decision?.alignment ?? null });
    if (decision !== undefined) {
      const { action_id, timestamp, tool, operation } = action;
      prior.push({ action_id, timestamp, tool, operation, decision: decision.result });
    }
  }
  return { intent, history: toHistory(entries), scored, prior, latest };
}

/** The evaluation input for `action`, on top of `view`. */
export function evalInput(
  action: Action,
  view: ContextView,
  facts: { readonly [name: string]: Json },
  scores: DecisionSignals["scores"],
): EvalInput {
  const intent = view.intent;
  return {
    action: {
      tool: action.tool,
      args: action.parameters as { readonly [name: string]: Json },
      time: Date.parse(action.timestamp),
      identity: evalIdentity(action.identity),
    },
    snapshot: {
      ...(intent === null ? {} : { intent: { text: intent.text, scope: intent.scope } }),
      scores: { ...scores },
      facts: { ...facts },
      history: view.history,
    },
  };
}

/** The document a decision's `context_hash` is the hash of. */
export interface FrozenInput {
  readonly session_id: string;
  /** The action's own entry: the last entry of the log the input includes. */
  readonly context_log_seq: number;
  readonly context_head: string;
  readonly input: EvalInput;
  readonly scorer: DecisionSignals["scorer"];
}

/** The hash of a frozen input, or why it has none (a value JSON cannot carry). */
export function frozenHash(
  frozen: FrozenInput,
): { readonly ok: true; readonly hash: string } | { readonly ok: false; readonly message: string } {
  const hash = canonicalHash(frozen);
  return hash.ok ? { ok: true, hash: hash.value } : { ok: false, message: hash.error.message };
}

function categoriesOf(history: readonly HistoryEntry[]): string[] {
  const categories = new Set<string>();
  for (const entry of history) {
    for (const label of entry.labels) {
      if (!LEVELS.includes(label as SensitivityLevel) && label !== "untrusted") categories.add(label);
    }
  }
  return [...categories].sort();
}

/** The highest level the history's outputs carried; an output without a level counts as `restricted`. */
function highestOf(history: readonly HistoryEntry[]): SensitivityLevel | null {
  if (history.length === 0) return null;
  let best = 0;
  for (const entry of history) {
    const levels = entry.labels.map((l) => LEVELS.indexOf(l as SensitivityLevel)).filter((i) => i >= 0);
    best = Math.max(best, levels.length === 0 ? LEVELS.length - 1 : Math.max(...levels));
  }
  return LEVELS[best] ?? "restricted";
}

function inScope(tool: string, scope: readonly string[]): boolean {
  return scope.some((s) => tool === s || tool.startsWith(`${s}.`));
}

/**
 * The risk signals the context supports; a signal that cannot be computed
 * (no request, no scores) is absent, never false.
 */
function riskSignals(action: Action, view: ContextView, scores: DecisionSignals["scores"]): RiskSignals {
  const signals: { -readonly [K in keyof RiskSignals]: RiskSignals[K] } = {};
  const intent = view.intent;
  if (intent !== null && intent.scope.length > 0)
    signals.scope_expansion = !inScope(action.tool, intent.scope);
  const highest = highestOf(view.history);
  if (intent !== null && highest !== null) {
    const expected = LEVELS.indexOf(intent.expected_classification ?? "public");
    signals.classification_escalation = LEVELS.indexOf(highest) > expected;
  }
  if (scores.drift !== undefined) signals.drift_detected = scores.drift > DRIFT_THRESHOLD;
  return signals;
}

/** The receipt's summary of the context `action` was decided in. */
export function snapshotSummary(
  action: Action,
  view: ContextView,
  scores: DecisionSignals["scores"],
):
  | { readonly ok: true; readonly summary: SnapshotSummary }
  | { readonly ok: false; readonly message: string } {
  let intentHash: string | null = null;
  if (view.intent !== null) {
    const hash = canonicalHash(view.intent);
    if (!hash.ok) return { ok: false, message: hash.error.message };
    intentHash = hash.value;
  }
  return {
    ok: true,
    summary: {
      prior_actions: view.prior.slice(-SUMMARY_ACTIONS),
      data_classifications: categoriesOf(view.history),
      highest_sensitivity: highestOf(view.history),
      risk_signals: riskSignals(action, view, scores),
      ...(scores.alignment === undefined
        ? {}
        : { semantic_distance: Math.round((1 - scores.alignment) * 1e6) / 1e6 }),
      intent_hash: intentHash,
    },
  };
}

/** The summary of an empty context: for receipts of actions refused before their context was read. */
export const EMPTY_SUMMARY: SnapshotSummary = {
  prior_actions: [],
  data_classifications: [],
  highest_sensitivity: null,
  risk_signals: {},
  intent_hash: null,
};

/** A decision replayed from the log. */
export type Replay =
  | {
      readonly ok: true;
      /** The input rebuilt from the log and the frozen signals. */
      readonly input: EvalInput;
      /** Its hash, computed now. */
      readonly context_hash: string;
      /** Whether it equals the hash recorded with the decision (and in its receipt). */
      readonly matches: boolean;
      /** The decision the policy gives on it now. */
      readonly decision: EvalDecision;
    }
  | { readonly ok: false; readonly problem: string };

/**
 * Rebuilds the input the decision on `actionId` was made on, from a
 * verified context log `entries` (as `ContextLog.load` returns it), checks it
 * against the recorded hash, and evaluates it under `ir` again. Under the
 * policy it was decided with (the receipt's policy hash), the decision is the
 * recorded one.
 */
export function replayDecision(ir: Ir, entries: readonly ContextEntry[], actionId: string): Replay {
  const at = entries.findIndex((e) => e.type === "action" && e.action.action_id === actionId);
  const entry = entries[at];
  if (entry === undefined || entry.type !== "action")
    return { ok: false, problem: `no action ${actionId} in the log` };
  const decided = entries.find((e) => e.type === "decision" && e.action_id === actionId);
  if (decided === undefined || decided.type !== "decision" || decided.signals === undefined) {
    return {
      ok: false,
      problem: `the policy did not decide action ${actionId}: it was refused before evaluation`,
    };
  }
  const { signals } = decided;
  const input = evalInput(entry.action, contextView(entries.slice(0, at)), signals.facts, signals.scores);
  const hashed = frozenHash({
    session_id: entry.session_id,
    context_log_seq: entry.seq,
    context_head: entry.hash,
    input,
    scorer: signals.scorer,
  });
  if (!hashed.ok) return { ok: false, problem: hashed.message };
  try {
    return {
      ok: true,
      input,
      context_hash: hashed.hash,
      matches: hashed.hash === signals.context_hash,
      decision: evaluate(ir, input),
    };
  } catch (caught) {
    return { ok: false, problem: `the evaluator failed: ${messageOf(caught)}` };
  }
}
