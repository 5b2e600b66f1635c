/**
 * A stored session as a decision trace (`docs/trace.md`), for `aarmc
 * replay`: every decision the policy made, with the input it was made on
 * rebuilt from the verified context log and the frozen signals, and every
 * outcome, as the history entry it became.
 *
 * Only decisions of the policy are decision points: an action the runtime
 * refused before evaluating it (mediation, identity, a fault) has no input
 * the policy saw. Settlements of STEP_UP and DEFER are not decisions of the
 * policy either.
 *
 * @module
 */
import type {
  ApprovalRequirement as EvalApproval,
  EvalDecision,
  EvalInput,
  HistoryEntry,
} from "../../ir/contract.ts";
import type { ApprovalRequirement, Decision } from "../../schema/generated/types.ts";
import type { ContextEntry } from "../context/entry.ts";
import { toHistory } from "../context/history.ts";
import { ContextLog } from "../context/log.ts";
import { evalInput, contextView } from "../engine/snapshot.ts";
import type { Store } from "../store/types.ts";
import { TraceWriter } from "./writer.ts";

/** The lines of a trace, or why the session cannot be exported. */
export type TraceExport =
  | {
      readonly ok: true;
      /** The trace's lines, without newlines. */
      readonly lines: readonly string[];
      readonly decisions: number;
      readonly outcomes: number;
    }
  | { readonly ok: false; readonly message: string };

function evalApproval(approval: ApprovalRequirement): EvalApproval {
  return {
    approvers: [...approval.approvers],
    quorum: approval.quorum,
    timeoutMs: approval.timeout_ms,
    escalation:
      approval.escalation === null
        ? null
        : { afterMs: approval.escalation.after_ms, to: [...approval.escalation.to] },
    selfApproval: approval.self_approval,
  };
}

/** A recorded decision in the evaluator's terms, as a trace records it. */
export function evalDecisionOf(decision: Decision): EvalDecision {
  const { modifications, deferral } = decision;
  return {
    decision: decision.result,
    classification: decision.classification,
    rules: [...decision.rules],
    reasons: [...decision.reasons],
    modifications:
      modifications === null
        ? null
        : ({
            applied: modifications.applied.map((m) => ({ ...m, path: [...m.path] })),
            args: { ...modifications.parameters },
          } as EvalDecision["modifications"]),
    approval: decision.approval === null ? null : evalApproval(decision.approval),
    deferral:
      deferral === null
        ? null
        : {
            timeoutMs: deferral.timeout_ms,
            then: deferral.on_timeout,
            approval: deferral.approval === null ? null : evalApproval(deferral.approval),
          },
    contextNeeded: [...decision.context_needed],
    risk: decision.risk_level,
  };
}

/**
 * The decision trace of a stored session. The log is loaded and verified
 * first: a log that fails verification is not exported. Pass a `writer`
 * to put several sessions in one trace.
 */
export async function exportTrace(
  store: Store,
  sessionId: string,
  writer: TraceWriter = new TraceWriter(),
): Promise<TraceExport> {
  const loaded = await new ContextLog({ store }).load(sessionId);
  if (!loaded.ok) {
    const error = loaded.error;
    const message =
      error.kind === "store"
        ? error.error.message
        : error.kind === "broken"
          ? `the context log failed verification at entry ${error.seq}: ${error.message}`
          : error.kind === "invalid"
            ? error.message
            : "the session has ended";
    return { ok: false, message: `session ${JSON.stringify(sessionId)}: ${message}` };
  }
  const entries = loaded.value.entries;
  const lines: string[] = [];
  const steps = new Map<string, { readonly step: number; readonly at: number }>();
  const decided = new Set<string>();
  let decisions = 0;
  let outcomes = 0;
  for (const [at, entry] of entries.entries()) {
    let written: ReturnType<TraceWriter["decision"]> | null = null;
    if (entry.type === "action" && !steps.has(entry.action.action_id)) {
      steps.set(entry.action.action_id, { step: steps.size, at });
    } else if (entry.type === "decision" && !decided.has(entry.action_id)) {
      decided.add(entry.action_id);
      const proposed = steps.get(entry.action_id);
      const action = proposed === undefined ? undefined : entries[proposed.at];
      if (proposed === undefined || action?.type !== "action" || entry.signals === undefined) continue;
      const before = entries.slice(0, proposed.at);
      const input = evalInput(action.action, contextView(before), entry.signals.facts, entry.signals.scores);
      const full: EvalInput = { ...input, snapshot: { ...input.snapshot, history: toHistory(before) } };
      const { name, version, hash } = entry.decision.policy;
      written = writer.decision({
        session: sessionId,
        step: proposed.step,
        policy: { name, version, hash },
        input: full,
        decision: evalDecisionOf(entry.decision),
        meta: { action_id: entry.action_id, receipt_id: entry.receipt_id },
      });
      decisions++;
    } else if (entry.type === "outcome") {
      const proposed = steps.get(entry.action_id);
      const ran = proposed === undefined ? null : historyEntryOf(entries.slice(0, at + 1), entry.action_id);
      if (proposed === undefined || ran === null) continue;
      written = writer.outcome({
        session: sessionId,
        step: proposed.step,
        entry: ran,
        meta: { action_id: entry.action_id },
      });
      outcomes++;
    }
    if (written === null) continue;
    if (!written.ok) return { ok: false, message: `entry ${entry.seq}: ${written.message}` };
    lines.push(written.line);
  }
  return { ok: true, lines, decisions, outcomes };
}

/** The action an entry is about; null for the original request. */
function subject(entry: ContextEntry): string | null {
  switch (entry.type) {
    case "action":
      return entry.action.action_id;
    case "deferral_resolution":
      return entry.resolution.action_id;
    case "intent":
      return null;
    default:
      return entry.action_id;
  }
}

/** The history entry `actionId` is in the log `entries`, or null when it was not released. */
function historyEntryOf(entries: readonly ContextEntry[], actionId: string): HistoryEntry | null {
  // An action's history entry depends on its own entries alone: the log cut down to them gives exactly it.
  return toHistory(entries.filter((entry) => subject(entry) === actionId))[0] ?? null;
}
