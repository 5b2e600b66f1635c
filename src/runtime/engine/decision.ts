/**
 * Decisions as the runtime records them (`decision.schema.json`): the
 * evaluator's decision with the policy it was made under and the scores it
 * was made on, and the runtime's own refusals, made when an action cannot be
 * evaluated or its decision cannot be recorded.
 *
 * A refusal is always DENY, with one deciding rule named `runtime:<stage>`
 * (a name no policy rule can take, since policy rule names have no colon),
 * so that a receipt shows at a glance whether the policy or the runtime
 * denied.
 *
 * @module
 */
import type { ApprovalRequirement as EvalApproval, EvalDecision } from "../../ir/contract.ts";
import type {
  ApprovalRequirement,
  Decision,
  DeferralTrigger,
  PolicyRef,
  ScorerRef,
} from "../../schema/generated/types.ts";
import type { FaultStage } from "./types.ts";

/** The rule id of a runtime refusal at `stage`. */
export function runtimeRule(stage: FaultStage): string {
  return `runtime:${stage}`;
}

/** Frozen scores, as decisions record them. */
export interface FrozenScores {
  readonly alignment?: number;
  readonly drift?: number;
}

function approvalOf(approval: EvalApproval): ApprovalRequirement {
  return {
    approvers: [...approval.approvers],
    quorum: approval.quorum,
    timeout_ms: approval.timeoutMs,
    escalation:
      approval.escalation === null
        ? null
        : { after_ms: approval.escalation.afterMs, to: [...approval.escalation.to] },
    self_approval: approval.selfApproval,
  };
}

/**
 * Why a DEFER was decided. The evaluator's reasons for the two automatic
 * triggers are fixed by the language (docs/language.md §10): `missing
 * context: …` and `conflicting modification of …`; any other DEFER was
 * decided by `defer` rules.
 */
export function deferralTrigger(decision: EvalDecision): DeferralTrigger {
  if (decision.reasons.length > 0 && decision.reasons.every((r) => r.startsWith("missing context: "))) {
    return "missing_context";
  }
  if (
    decision.reasons.length > 0 &&
    decision.reasons.every((r) => r.startsWith("conflicting modification of "))
  ) {
    return "conflict";
  }
  return "rule";
}

function scoreFields(scores: FrozenScores): Pick<Decision, "alignment" | "semantic_distance"> {
  if (scores.alignment === undefined) return {};
  // The distance of R7: one minus the similarity, rounded as the scores are.
  return { alignment: scores.alignment, semantic_distance: Math.round((1 - scores.alignment) * 1e6) / 1e6 };
}

/**
 * The evaluator's decision as recorded, with the scorer that computed its
 * scores (none when no scorer ran). A MODIFY whose operations were all
 * skipped (they addressed absent optional arguments) is recorded as MODIFY
 * with no applied operation and the parameters as requested: the enforcement
 * point applies exactly the evaluator's decision.
 */
export function recordedDecision(
  decision: EvalDecision,
  policy: PolicyRef,
  scores: FrozenScores,
  scorer: ScorerRef | null = null,
): Decision {
  const modifications = decision.modifications;
  return {
    result: decision.decision,
    classification: decision.classification,
    rules: [...decision.rules],
    reasons: [...decision.reasons],
    modifications:
      modifications === null
        ? null
        : {
            applied: modifications.applied.map((m) => ({ ...m, path: [...m.path] })),
            parameters: { ...modifications.args },
          },
    approval: decision.approval === null ? null : approvalOf(decision.approval),
    deferral:
      decision.deferral === null
        ? null
        : {
            trigger: deferralTrigger(decision),
            timeout_ms: decision.deferral.timeoutMs,
            on_timeout: decision.deferral.then,
            approval: decision.deferral.approval === null ? null : approvalOf(decision.deferral.approval),
          },
    context_needed: [...decision.contextNeeded],
    risk_level: decision.risk,
    ...scoreFields(scores),
    ...(scorer === null ? {} : { scorer: { id: scorer.id, version: scorer.version } }),
    policy,
  };
}

/** The runtime's refusal at `stage`: DENY for `reason`. */
export function refusal(stage: FaultStage, reason: string, policy: PolicyRef): Decision {
  return {
    result: "DENY",
    classification: null,
    rules: [runtimeRule(stage)],
    // Reasons are prose of at most 4096 characters; a long fault message is cut, not refused.
    reasons: [reason.slice(0, 4096)],
    modifications: null,
    approval: null,
    deferral: null,
    context_needed: [],
    risk_level: null,
    policy,
  };
}

/**
 * The decision a follow-up receipt records: the original decision's rules,
 * classification and policy, ending in `result` for `reason`.
 */
export function settledDecision(
  original: Decision,
  result: "ALLOW" | "DENY" | "STEP_UP",
  reason: string,
  approval: ApprovalRequirement | null,
): Decision {
  return {
    ...original,
    result,
    reasons: [reason.slice(0, 4096)],
    modifications: null,
    approval: result === "STEP_UP" ? approval : null,
    deferral: null,
    context_needed: [],
  };
}
