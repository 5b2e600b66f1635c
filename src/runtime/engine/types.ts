/**
 * The runtime's public vocabulary: the enforcement handles a session hands
 * back for each tool call, the approval, deferral and fact services it can
 * be given, and the events and faults it reports.
 *
 * A handle is what the enforcement point acts on, and it says exactly one
 * thing: run this tool with these arguments (`allow`), do not run it
 * (`deny`), or wait (`pending`, which later settles to one of the two). There
 * is no other way to obtain arguments to run a tool with, so a caller that
 * runs tools only from `allow` handles cannot bypass the policy.
 *
 * @module
 */
import type { DecisionKind, Json } from "../../ir/contract.ts";
import type { IrType } from "../../ir/types.ts";
import type {
  Action,
  ApprovalRequest,
  ApprovalRequirement,
  ApprovalResult,
  Decision,
  DeferredAction,
  PolicyRef,
  RiskSignals,
  SnapshotSummary,
} from "../../schema/generated/types.ts";

/** Run the tool: the decision (or its settlement) released the action. */
export interface AllowHandle {
  readonly kind: "allow";
  readonly actionId: string;
  /** The tool to run: the one the policy decided on, after meta-tool resolution. */
  readonly tool: string;
  /** The arguments to run it with: as requested, or as a MODIFY changed them. */
  readonly args: { readonly [name: string]: Json };
  /** The decision that released it: ALLOW or MODIFY, or STEP_UP / DEFER once approved or resolved. */
  readonly decision: DecisionKind;
  /** The receipt recording the release, durable before this handle was returned. */
  readonly receiptId: string;
  /**
   * True when this call id was decided before and this is that decision
   * again: the action was already released to the first caller and must not
   * run a second time.
   */
  readonly replay: boolean;
}

/** Do not run the tool. */
export interface DenyHandle {
  readonly kind: "deny";
  readonly actionId: string;
  /** Why, for the agent: the deciding rules' reasons, joined. */
  readonly reason: string;
  /** The deciding rules; `runtime:<stage>` when the runtime refused or failed closed. */
  readonly rules: readonly string[];
  /** The decision that denied: DENY, or the STEP_UP / DEFER that was refused or timed out. */
  readonly decision: DecisionKind;
  /** The receipt recording the denial, or null when none could be written (the store or signer failed). */
  readonly receiptId: string | null;
  /** As for {@link AllowHandle.replay}. */
  readonly replay: boolean;
}

/** Wait: the action needs an approval (STEP_UP) or more context (DEFER). Nothing runs meanwhile. */
export interface PendingHandle {
  readonly kind: "pending";
  readonly actionId: string;
  readonly decision: "STEP_UP" | "DEFER";
  /** The receipt of the STEP_UP or DEFER decision. */
  readonly receiptId: string;
  /**
   * Settles once the approval or deferral ends: `allow` only if it was
   * granted or resolved to ALLOW (and the identity still verifies), `deny`
   * on refusal, timeout, cancellation or any failure. Never rejects.
   */
  readonly settled: Promise<AllowHandle | DenyHandle>;
  /** Gives up waiting: the action settles to `deny` ("cancelled"), with a follow-up receipt. */
  cancel(): void;
  /**
   * Delegates a STEP_UP to the host's own approval prompt: the wait ends, the
   * action is recorded (context entry, follow-up receipt) as `delegated`, and
   * `settled` becomes `deny`: nothing runs through the runtime. The host's
   * answer is recorded later, from any process sharing the store, with
   * `Session.recordHostApproval`. Refused for a DEFER, for an approval
   * needing a quorum above one, and once the wait has ended otherwise.
   */
  delegateToHost(): Promise<HostDelegation>;
  /** As for {@link AllowHandle.replay}. */
  readonly replay: boolean;
}

/** The result of {@link PendingHandle.delegateToHost}. */
export type HostDelegation =
  | {
      readonly ok: true;
      /** The follow-up receipt recording the delegation. */
      readonly receiptId: string;
      /** The digest of the action delegated, which the host's answer must name. */
      readonly actionDigest: string;
    }
  | { readonly ok: false; readonly error: string };

/** The host's answer to a STEP_UP delegated to its prompt. */
export interface HostAnswer {
  /** Who answered, as the host names them; recorded as not verified. */
  readonly approver: string;
  readonly approved: boolean;
  /** When the host's user answered; not before the delegation. */
  readonly at: Date;
  /** The digest of the action answered (`sha256:…` of its canonical JSON): it must be the one delegated. */
  readonly actionDigest: string;
}

/** The result of recording a host's answer. */
export type HostApprovalResult =
  | {
      readonly ok: true;
      /** Whether the action now counts as released (its outcome may be recorded). */
      readonly released: boolean;
      readonly reason: string;
      /** The follow-up receipt recording the answer. */
      readonly receiptId: string;
    }
  | { readonly ok: false; readonly error: string };

/** What a session hands back for a tool call. */
export type EnforcementHandle = AllowHandle | DenyHandle | PendingHandle;

/** What happened when a released action ran. */
/** The longest error message of a failed tool kept in its execution receipt; longer ones are cut. */
export const MAX_ERROR_MESSAGE_CHARS = 4096;

export interface ToolOutcome {
  readonly success: boolean;
  /** What the tool returned; text is labelled as is, other JSON as its canonical JSON text. */
  readonly output?: Json;
  /** Why it failed, when it did. */
  readonly error?: { readonly message: string; readonly code?: string };
}

/** The result of recording an outcome. */
export type OutcomeResult =
  | {
      readonly ok: true;
      /** The execution receipt (a follow-up of the decision receipt). */
      readonly receiptId: string;
      /** The labels the policy gave the output: a sensitivity level, categories, provenance. */
      readonly labels: readonly string[];
    }
  | { readonly ok: false; readonly error: string };

/**
 * The approval service (AARM §3.4), as the runtime needs it: it routes a
 * request to approvers and resolves with the result. The runtime bounds the
 * wait by the request's timeout and aborts `signal` when it gives up; it
 * checks the result itself (same request and action, quorum of distinct
 * verified approvers, no self-approval unless allowed) before releasing.
 */
export interface ApprovalService {
  request(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalResult>;
}

/** How a deferral service resolved a deferred action. TIMEOUT is the runtime's to decide. */
export interface DeferralSettlement {
  /** ALLOW releases, DENY refuses, STEP_UP hands the action to a human (the approval service). */
  readonly result: "ALLOW" | "DENY" | "STEP_UP";
  readonly method: "re_evaluation" | "user_confirmation" | "resolver_exhausted";
  readonly reason: string;
  /** Resolution attempts made, the last included. */
  readonly attempts: number;
  /** For a STEP_UP found by re-evaluation, the approval that decision asked for (else the deferral's own). */
  readonly approval?: ApprovalRequirement;
}

/** What the policy decides for a deferred action once more facts are known. */
export interface Reevaluation {
  readonly result: DecisionKind;
  readonly rules: readonly string[];
  readonly reasons: readonly string[];
  /** The approval a STEP_UP asks for; null otherwise. */
  readonly approval: ApprovalRequirement | null;
}

/**
 * Evaluates a deferred action again, under the policy and on the context
 * snapshot it was deferred with, with `facts` added to the facts it had.
 * Facts the policy does not declare are ignored; a fact of the wrong type is
 * an error.
 */
export type Reevaluate = (facts: {
  readonly [name: string]: Json;
}) => Promise<
  { readonly ok: true; readonly value: Reevaluation } | { readonly ok: false; readonly message: string }
>;

/**
 * The deferral service (AARM §3.5), as the runtime needs it: it gathers the
 * missing context for a suspended action and resolves it, with `reevaluate`
 * once facts arrive. The runtime bounds the wait by the deferral's timeout
 * and aborts `signal` when it gives up.
 */
export interface DeferralService {
  defer(deferred: DeferredAction, signal: AbortSignal, reevaluate: Reevaluate): Promise<DeferralSettlement>;
}

/** What a fact provider is asked. */
export interface FactRequest {
  readonly session_id: string;
  readonly action: Action;
  /** The facts the policy declares, with their types. */
  readonly declared: { readonly [name: string]: IrType };
}

/**
 * Supplies facts (external context: a change ticket, a monitor) for a
 * decision. A fact it does not return is unknown to the policy, never false.
 * A provider that throws, times out or returns a fact of the wrong type
 * fails the decision closed.
 */
export interface FactProvider {
  facts(request: FactRequest): Promise<{ readonly [name: string]: Json }> | { readonly [name: string]: Json };
}

/** Where on the decision path something failed. */
export type FaultStage =
  | "session"
  | "mediation"
  | "identity"
  | "context"
  | "clock"
  | "facts"
  | "scorer"
  | "evaluator"
  | "receipt"
  | "approval"
  | "deferral"
  | "outcome";

/** A failure the runtime contained by failing closed. */
export interface RuntimeFault {
  readonly stage: FaultStage;
  readonly session_id: string | null;
  readonly action_id: string | null;
  readonly message: string;
}

/**
 * The session's drift from its original request reached a level of its
 * drift profile (AARM R7): `warning` or `exceeded`. Reported once per
 * crossing, upwards; it is reported again only after the drift fell below
 * that level.
 */
export interface DriftEvent {
  readonly type: "drift";
  readonly session_id: string;
  /** The action whose decision crossed the level. */
  readonly action_id: string;
  readonly tool: string;
  readonly level: "warning" | "exceeded";
  /** The drift profile in force and its levels. */
  readonly profile: { readonly name: string; readonly warning: number; readonly threshold: number };
  /** Cumulative drift (the scorer's aggregate) after this action. */
  readonly drift: number;
  /** The highest cumulative drift the session reached so far. */
  readonly peak: number;
  /** This action's own distance from the request (1 − alignment). */
  readonly semantic_distance: number;
  /** Actions scored in the session so far, this one included. */
  readonly action_count: number;
  /** Hash of the original request, or null. */
  readonly intent_hash: string | null;
  /** The receipt's risk signals for this action. */
  readonly signals: RiskSignals;
  /** The session's recent tools, oldest first, this one last. */
  readonly chain: readonly string[];
  readonly receipt_id: string | null;
}

/** What the runtime reports as it works. Reporting never blocks or fails a decision. */
export type RuntimeEvent =
  | {
      readonly type: "decision";
      readonly session_id: string;
      readonly action_id: string;
      readonly tool: string;
      readonly decision: DecisionKind;
      readonly rules: readonly string[];
      readonly receipt_id: string | null;
      readonly policy: PolicyRef;
      /** The canonical action, identity bound (raw parameters: a sink exporting it must hash them). */
      readonly action?: Action;
      /** The decision as recorded in the receipt. */
      readonly recorded?: Decision;
      /** The receipt's summary of the context the action was decided in. */
      readonly summary?: SnapshotSummary;
    }
  | DriftEvent
  | {
      readonly type: "settlement";
      readonly session_id: string;
      readonly action_id: string;
      readonly released: boolean;
      readonly reason: string;
      readonly receipt_id: string | null;
    }
  | {
      readonly type: "outcome";
      readonly session_id: string;
      readonly action_id: string;
      readonly success: boolean;
      readonly labels: readonly string[];
      readonly receipt_id: string | null;
    }
  | { readonly type: "fault"; readonly fault: RuntimeFault }
  | { readonly type: "policy_loaded"; readonly policy: PolicyRef }
  | { readonly type: "policy_rejected"; readonly path: string; readonly problems: readonly string[] };

/** Bounds on the work of the decision path and on waiting, in milliseconds. */
export interface RuntimeTimeouts {
  /** Identity verification; default 2000. */
  readonly identityMs?: number;
  /** The scorer; default 1000. */
  readonly scorerMs?: number;
  /** The fact provider; default 1000. */
  readonly factsMs?: number;
  /**
   * The longest any STEP_UP or DEFER waits, whatever the policy's timeout
   * (which is otherwise used); default: no ceiling. Tests set it low.
   */
  readonly pendingCeilingMs?: number;
}
