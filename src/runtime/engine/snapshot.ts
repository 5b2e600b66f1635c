/**
 * From a session's verified context log to what a decision is made on.
 *
 * The evaluation input is the action, the original request, and the signals
 * the log cannot determine (facts and scores), frozen with it; the session's
 * history enters as the values of the session queries the policy declares
 * (its features, `session.tainted`, `session.sensitivity`), which the
 * context accumulator maintains entry by entry. The frozen input — the
 * evaluation input, those values, the position and hash of the log entry it
 * ends at (which commit to the whole history) and the scorer that produced
 * the scores — is hashed; that hash is the receipt's `context_hash` and is
 * also written with the decision into the log. Its size does not grow with
 * the session. So a receipt names exactly the input its decision was made
 * on, and {@link replayDecision} can rebuild that input from the log alone,
 * check it against the hash, and evaluate it again.
 *
 * The same log also yields the receipt's snapshot summary and the full
 * context approvers are shown.
 *
 * @module
 */
import { evaluate } from "../../eval/evaluate.ts";
import type { FeatureValues } from "../../eval/feature-state.ts";
import type { EvalDecision, EvalInput, Json } from "../../ir/contract.ts";
import type { Ir } from "../../ir/types.ts";
import { canonicalHash } from "../../schema/canonical.ts";
import type { Action, RiskSignals, SnapshotSummary } from "../../schema/generated/types.ts";
import { ContextAccumulator, type ContextView } from "../context/accumulator.ts";
import type { ContextEntry, DecisionSignals } from "../context/entry.ts";
import { evalIdentity } from "../mediation/identity.ts";
import { messageOf } from "./bounded.ts";

export type { ContextView } from "../context/accumulator.ts";

/** Above this drift, a receipt's risk signals report `drift_detected` (AARM §3.2's default). */
export const DRIFT_THRESHOLD = 0.7;

/** How many earlier actions a receipt's summary and an approval request list, newest last. */
export const SUMMARY_ACTIONS = 20;

const LEVELS = ["public", "internal", "confidential", "restricted"];

/** The view of `entries` (a verified log, or a prefix of one), read in one pass. */
export function contextView(entries: readonly ContextEntry[]): ContextView {
  return ContextAccumulator.of(entries);
}

/**
 * The evaluation input for `action`, on top of `view`. Its snapshot's
 * history is empty: the decision reads the session through the feature
 * values (`view.features`), which `evaluate` takes alongside.
 */
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
      history: [],
    },
  };
}

/** The document a decision's `context_hash` is the hash of. */
export interface FrozenInput {
  readonly session_id: string;
  /** The action's own entry: the last entry of the log the input includes. */
  readonly context_log_seq: number;
  readonly context_head: string;
  /** The evaluation input, with an empty history. */
  readonly input: EvalInput;
  /** The session-query values the policy read the history through, at the action's time. */
  readonly features: FeatureValues;
  readonly scorer: DecisionSignals["scorer"];
}

/** The hash of a frozen input, or why it has none (a value JSON cannot carry). */
export function frozenHash(
  frozen: FrozenInput,
): { readonly ok: true; readonly hash: string } | { readonly ok: false; readonly message: string } {
  const hash = canonicalHash(frozen);
  return hash.ok ? { ok: true, hash: hash.value } : { ok: false, message: hash.error.message };
}

function inScope(tool: string, scope: readonly string[]): boolean {
  return scope.some((s) => tool === s || tool.startsWith(`${s}.`));
}

/**
 * The risk signals the context supports; a signal that cannot be computed
 * (no request, no scores) is absent, never false.
 */
function riskSignals(
  action: Action,
  view: ContextView,
  scores: DecisionSignals["scores"],
  driftThreshold: number,
): RiskSignals {
  const signals: { -readonly [K in keyof RiskSignals]: RiskSignals[K] } = {};
  const intent = view.intent;
  if (intent !== null && intent.scope.length > 0)
    signals.scope_expansion = !inScope(action.tool, intent.scope);
  const highest = view.highest;
  if (intent !== null && highest !== null) {
    const expected = LEVELS.indexOf(intent.expected_classification ?? "public");
    signals.classification_escalation = LEVELS.indexOf(highest) > expected;
  }
  if (scores.drift !== undefined) signals.drift_detected = scores.drift > driftThreshold;
  return signals;
}

/** The receipt's summary of the context `action` was decided in; drift above `driftThreshold` is `drift_detected`. */
export function snapshotSummary(
  action: Action,
  view: ContextView,
  scores: DecisionSignals["scores"],
  driftThreshold: number = DRIFT_THRESHOLD,
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
      data_classifications: [...view.categories],
      highest_sensitivity: view.highest,
      risk_signals: riskSignals(action, view, scores, driftThreshold),
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
      /** The session-query values rebuilt from the log, which the decision reads. */
      readonly features: FeatureValues;
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
 * policy it was decided with (the receipt's policy hash), the hash matches and
 * the decision is the recorded one; the frozen input holds the values of the
 * session queries *that* policy declares, so under another policy with other
 * queries the hash differs while the log is intact.
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
  const view = contextView(entries.slice(0, at));
  const input = evalInput(entry.action, view, signals.facts, signals.scores);
  let features: FeatureValues;
  try {
    features = view.features(ir, input.action.time);
  } catch (caught) {
    return { ok: false, problem: `the session's features failed: ${messageOf(caught)}` };
  }
  const hashed = frozenHash({
    session_id: entry.session_id,
    context_log_seq: entry.seq,
    context_head: entry.hash,
    input,
    features,
    scorer: signals.scorer,
  });
  if (!hashed.ok) return { ok: false, problem: hashed.message };
  try {
    return {
      ok: true,
      input,
      features,
      context_hash: hashed.hash,
      matches: hashed.hash === signals.context_hash,
      decision: evaluate(ir, input, { features }),
    };
  } catch (caught) {
    return { ok: false, problem: `the evaluator failed: ${messageOf(caught)}` };
  }
}
