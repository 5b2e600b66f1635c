/**
 * Waiting on a STEP_UP or a DEFER (AARM R4, §3.4, §3.5): the action is
 * suspended, handed to the approval or deferral service with the context
 * they need, and settled once they answer, the timeout fires or the caller
 * cancels. Nothing runs while it waits.
 *
 * Only two things release a suspended action: an approval whose result the
 * runtime has checked (same request and action, a quorum of distinct,
 * verified approvers, no self-approval unless the policy allows it), or a
 * deferral resolved to ALLOW; and then only if the original identity still
 * verifies. A timeout, a cancellation, a service that fails or answers
 * nonsense, or a missing service (the runtime then simply waits for the
 * timeout) all end in DENY. A DEFER whose policy says `then step_up`, or
 * that the deferral service hands to a human, becomes an approval request
 * marked `defer_escalation`.
 *
 * Every ending is recorded twice, by the session host: as an entry of the
 * context log (the approval result or the deferral resolution) and as a
 * follow-up receipt linked to the receipt it follows by `related_receipt_id`,
 * carrying the original identity.
 *
 * A STEP_UP may instead be delegated to the host's own approval prompt
 * (aborting its wait with {@link HOST_PROMPT}): it is then settled as
 * `delegated`, still unreleased, and the host's answer is recorded later as
 * a second approval result of the same request ({@link hostAnswer}).
 *
 * @module
 */
import { canonicalHash, sha256Hex } from "../../schema/canonical.ts";
import type {
  Action,
  ApprovalRequest,
  ApprovalRequirement,
  ApprovalResult,
  ApprovalSource,
  Decision,
  DeferralResolution,
  DeferredAction,
  Intent,
  ReceiptContext,
  ReceiptDeferral,
} from "../../schema/generated/types.ts";
import {
  validateApprovalRequest,
  validateApprovalResult,
  validateDeferredAction,
} from "../../schema/validate.ts";
import type { ContextEntryBody } from "../context/entry.ts";
import { messageOf } from "./bounded.ts";
import type {
  ApprovalService,
  DeferralService,
  DeferralSettlement,
  FaultStage,
  Reevaluate,
} from "./types.ts";

/** A suspended action, as its STEP_UP or DEFER decision left it. */
export interface Suspended {
  /** The action with the identity bound when it was intercepted. */
  readonly action: Action;
  /** The STEP_UP or DEFER decision, as recorded. */
  readonly decision: Decision;
  /** The decision's receipt. */
  readonly receiptId: string;
  /** The decision receipt's context block: the snapshot it was made in. */
  readonly context: ReceiptContext;
  readonly intent: Intent | null;
  /** When the identity was verified at interception. */
  readonly identityVerifiedAt: string | null;
  /** When it was suspended (the decision's time). */
  readonly suspendedAt: number;
  /** For a DEFER, the deferral as its receipt records it (resolution null). */
  readonly deferral: ReceiptDeferral | null;
  /** Evaluates the action again with more facts (for the deferral service). */
  readonly reevaluate: Reevaluate;
  /** The deferrals this action waited behind before it was decided, and how deep that chain is. */
  readonly cascade: { readonly depth: number; readonly dependsOn: readonly string[] };
}

/** How a suspension ends, or moves on (a deferral escalated to STEP_UP), as the host records it. */
export interface Settlement {
  readonly result: "ALLOW" | "DENY" | "STEP_UP";
  readonly reason: string;
  /** The requirement of the approval a STEP_UP result goes on to. */
  readonly requirement: ApprovalRequirement | null;
  readonly approval: ApprovalResult | null;
  readonly deferral: ReceiptDeferral | null;
  /** The context entry recording it; null when nothing may be recorded as released (a release refused late). */
  readonly entry: ContextEntryBody | null;
  /** The receipt this one follows. */
  readonly related: string;
  /** When the identity was verified again just before a release; null to keep the time of interception. */
  readonly identityVerifiedAt: string | null;
}

/** A final ending as recorded: a release only if `result` is ALLOW. */
export interface Concluded {
  readonly result: "ALLOW" | "DENY" | "STEP_UP";
  readonly reason: string;
  readonly receiptId: string | null;
}

/** What the waiting needs from the session it belongs to. */
export interface PendingHost {
  readonly approvals: ApprovalService | null;
  readonly deferrals: DeferralService | null;
  readonly clock: () => Date;
  /** The longest any wait may last, whatever the policy says. */
  readonly ceilingMs: number;
  /** Verifies the session's identity claims again; the time they were verified, or why they no longer hold. */
  reverify(): Promise<
    { readonly ok: true; readonly verifiedAt: string } | { readonly ok: false; readonly reason: string }
  >;
  /** Records a settlement (context entry, follow-up receipt) and, for ALLOW, releases the action. */
  conclude(suspended: Suspended, settlement: Settlement): Promise<Concluded>;
  fault(stage: FaultStage, message: string): void;
}

/** The reason a STEP_UP's wait is aborted with to delegate it to the host's approval prompt. */
export const HOST_PROMPT: unique symbol = Symbol("host prompt");

/** A deterministic id for a document about `actionId` (`dfr_…`, `apr_…`). */
export function documentId(prefix: string, actionId: string): string {
  return `${prefix}_${sha256Hex(actionId).slice(0, 32)}`;
}

type Waited<T> =
  | { readonly kind: "settled"; readonly value: T }
  | { readonly kind: "timeout" }
  | { readonly kind: "cancelled" }
  | { readonly kind: "fault"; readonly message: string };

/** Waits for `start`'s answer (none when `start` is null), at most `ms`, or until `cancel` aborts. */
function wait<T>(
  start: ((signal: AbortSignal) => Promise<T>) | null,
  ms: number,
  cancel: AbortSignal,
): Promise<Waited<T>> {
  if (cancel.aborted) return Promise.resolve({ kind: "cancelled" });
  const controller = new AbortController();
  return new Promise((resolve) => {
    let done = false;
    const finish = (waited: Waited<T>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cancel.removeEventListener("abort", onCancel);
      // Tell the service the runtime no longer waits for it.
      if (waited.kind !== "settled") controller.abort(waited.kind);
      resolve(waited);
    };
    const onCancel = (): void => finish({ kind: "cancelled" });
    const timer = setTimeout(() => finish({ kind: "timeout" }), ms);
    cancel.addEventListener("abort", onCancel, { once: true });
    if (start === null) return;
    try {
      start(controller.signal).then(
        (value) => finish({ kind: "settled", value }),
        (caught: unknown) => finish({ kind: "fault", message: messageOf(caught) }),
      );
    } catch (caught) {
      finish({ kind: "fault", message: messageOf(caught) });
    }
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Whether `result` is a well-formed answer to `request` that grants it under `requirement`. */
function checkApproval(
  request: ApprovalRequest,
  result: unknown,
  human: string | undefined,
):
  | { readonly ok: true; readonly result: ApprovalResult; readonly granted: boolean }
  | { readonly ok: false; readonly message: string } {
  const valid = validateApprovalResult(result);
  if (!valid.ok) {
    const first = valid.errors[0];
    return {
      ok: false,
      message: `the approval result is malformed at ${first?.path || "/"}: ${first?.message}`,
    };
  }
  const answer = valid.value;
  if (answer.request_id !== request.request_id || answer.action_digest !== request.action_digest) {
    return { ok: false, message: "the approval result answers another request or another action" };
  }
  if (answer.decision === "delegated" || answer.method === "host_prompt") {
    // Only the runtime records a host's prompt, on the host's call: a service cannot claim one.
    return { ok: false, message: "the approval service answered for a host's prompt" };
  }
  if (answer.decision !== "approved") return { ok: true, result: answer, granted: false };
  const requirement = request.requirement;
  const approvers = new Set(
    answer.responses
      .filter((r) => r.decision === "approve" && r.identity_verified)
      .filter((r) => requirement.self_approval || r.approver !== human)
      .map((r) => r.approver),
  );
  if (approvers.size < requirement.quorum) {
    return {
      ok: false,
      message: `approved by ${approvers.size} distinct verified approver(s) other than the requester; the quorum is ${requirement.quorum}`,
    };
  }
  return { ok: true, result: answer, granted: true };
}

/** Asks for approval (directly for a STEP_UP, or as the escalation of a deferral) and settles. */
async function approve(
  host: PendingHost,
  s: Suspended,
  source: ApprovalSource,
  requirement: ApprovalRequirement,
  related: string,
  cancel: AbortSignal,
): Promise<Concluded> {
  const now = host.clock().getTime();
  const timeoutMs = Math.min(requirement.timeout_ms, host.ceilingMs);
  const digest = canonicalHash(s.action);
  const summary = s.context.snapshot_summary;
  const candidate = {
    request_id: documentId("apr", s.action.action_id),
    source,
    ...(source === "defer_escalation" && s.deferral !== null ? { deferral_id: s.deferral.deferral_id } : {}),
    created_at: iso(now),
    expires_at: iso(now + requirement.timeout_ms),
    action_digest: digest.ok ? digest.value : "",
    action: s.action,
    original_request: s.intent,
    prior_actions: summary.prior_actions,
    data_classifications: summary.data_classifications,
    highest_sensitivity: summary.highest_sensitivity,
    ...(summary.semantic_distance === undefined ? {} : { semantic_distance: summary.semantic_distance }),
    risk_level: s.decision.risk_level,
    ...(s.decision.confidence === undefined ? {} : { confidence: s.decision.confidence }),
    rules: s.decision.rules,
    reasons: s.decision.reasons,
    policy: s.decision.policy,
    requirement,
  };
  const base = (decision: ApprovalResult["decision"], reason: string): ApprovalResult => ({
    request_id: candidate.request_id,
    action_digest: candidate.action_digest,
    source,
    requirement,
    decision,
    responses: [],
    reason,
    decided_at: iso(host.clock().getTime()),
  });
  const settle = (
    result: ApprovalResult,
    outcome: "ALLOW" | "DENY",
    reason: string,
    log: boolean,
    verifiedAt: string | null,
  ) =>
    host.conclude(s, {
      result: outcome,
      reason,
      requirement: null,
      approval: result,
      deferral: null,
      entry: log ? { type: "approval", action_id: s.action.action_id, result } : null,
      related,
      identityVerifiedAt: verifiedAt,
    });

  const request = validateApprovalRequest(candidate);
  if (!request.ok) {
    const message = `the approval request could not be built: ${request.errors[0]?.message ?? "invalid"}`;
    host.fault("approval", message);
    return settle(base("denied", message), "DENY", message, true, null);
  }
  const service = host.approvals;
  const waited = await wait(
    service === null ? null : (signal) => service.request(request.value, signal),
    timeoutMs,
    cancel,
  );
  switch (waited.kind) {
    case "timeout": {
      const reason = `timed out: no approval within ${timeoutMs} ms`;
      return settle(base("timeout", reason), "DENY", reason, true, null);
    }
    case "cancelled": {
      if (cancel.reason !== HOST_PROMPT || source !== "step_up") {
        return settle(base("denied", "cancelled"), "DENY", "cancelled", true, null);
      }
      // Not released, and no longer waited on here: the host asks, and its answer is recorded later.
      const reason = "delegated to the host's approval prompt";
      const delegated: ApprovalResult = { ...base("delegated", reason), method: "host_prompt" };
      return host.conclude(s, {
        result: "STEP_UP",
        reason,
        requirement,
        approval: delegated,
        deferral: null,
        entry: { type: "approval", action_id: s.action.action_id, result: delegated },
        related,
        identityVerifiedAt: null,
      });
    }
    case "fault": {
      const reason = `the approval service failed: ${waited.message}`;
      host.fault("approval", reason);
      return settle(base("denied", reason), "DENY", reason, true, null);
    }
    case "settled": {
      const checked = checkApproval(request.value, waited.value, s.action.identity.human);
      if (!checked.ok) {
        host.fault("approval", checked.message);
        // What the service said is not recorded as an approval: it may claim a grant that does not hold.
        return settle(base("denied", checked.message), "DENY", checked.message, true, null);
      }
      if (!checked.granted) {
        return settle(checked.result, "DENY", `not approved: ${checked.result.reason}`, true, null);
      }
      const identity = await host.reverify();
      if (!identity.ok) {
        // Approved, but not released: the log must not show it as an approved (so released) action.
        return settle(checked.result, "DENY", `approved, but ${identity.reason}`, false, null);
      }
      return settle(checked.result, "ALLOW", `approved: ${checked.result.reason}`, true, identity.verifiedAt);
    }
  }
}

function checkSettlement(value: unknown): value is DeferralSettlement {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    (s.result === "ALLOW" || s.result === "DENY" || s.result === "STEP_UP") &&
    (s.method === "re_evaluation" || s.method === "user_confirmation" || s.method === "resolver_exhausted") &&
    typeof s.reason === "string" &&
    Number.isInteger(s.attempts) &&
    (s.attempts as number) >= 0 &&
    (s.attempts as number) <= 10_000 &&
    (s.approval === undefined || (typeof s.approval === "object" && s.approval !== null))
  );
}

/** Suspends a DEFER with the deferral service and settles it. */
async function resolveDeferral(host: PendingHost, s: Suspended, cancel: AbortSignal): Promise<Concluded> {
  const requirement = s.decision.deferral;
  const deferral = s.deferral;
  if (requirement === null || deferral === null) {
    host.fault("deferral", "a DEFER decision without its deferral");
    return { result: "DENY", reason: "a DEFER decision without its deferral", receiptId: null };
  }
  const timeoutMs = Math.min(requirement.timeout_ms, host.ceilingMs);
  const digest = canonicalHash(s.action);
  const deferred: DeferredAction = {
    deferral_id: deferral.deferral_id,
    action: s.action,
    action_digest: digest.ok ? digest.value : "",
    decision_receipt_id: s.receiptId,
    policy: s.decision.policy,
    context_hash: s.context.context_hash,
    trigger: deferral.trigger,
    rules: s.decision.rules,
    reasons: s.decision.reasons,
    context_needed: s.decision.context_needed,
    created_at: iso(s.suspendedAt),
    timeout_ms: requirement.timeout_ms,
    timeout_at: deferral.timeout_at,
    on_timeout: requirement.on_timeout,
    approval: requirement.approval,
    cascade_depth: s.cascade.depth,
    depends_on: [...s.cascade.dependsOn],
    state: "pending",
    attempts: 0,
  };
  const resolution = (
    method: DeferralResolution["method"],
    result: DeferralResolution["result"],
    reason: string,
    attempts: number,
  ): DeferralResolution => ({
    deferral_id: deferral.deferral_id,
    action_id: s.action.action_id,
    method,
    result,
    reason: reason.slice(0, 4096),
    resolved_at: iso(host.clock().getTime()),
    attempts,
    original_identity: s.action.identity,
    ...(result === "STEP_UP" ? { approval_request_id: documentId("apr", s.action.action_id) } : {}),
  });
  const settle = (
    outcome: "ALLOW" | "DENY" | "STEP_UP",
    resolved: DeferralResolution,
    reason: string,
    log: boolean,
    verifiedAt: string | null,
    approval: ApprovalRequirement | null = requirement.approval,
  ) =>
    host.conclude(s, {
      result: outcome,
      reason,
      requirement: outcome === "STEP_UP" ? approval : null,
      approval: null,
      deferral: { ...deferral, resolution: resolved },
      entry: log ? { type: "deferral_resolution", resolution: resolved } : null,
      related: s.receiptId,
      identityVerifiedAt: verifiedAt,
    });
  const escalate = async (
    resolved: DeferralResolution,
    approval: ApprovalRequirement | null = requirement.approval,
  ): Promise<Concluded> => {
    if (approval === null) {
      const reason = `${resolved.reason}; but the policy names no approvers to escalate to`;
      return settle("DENY", { ...resolved, result: "DENY", reason }, reason, true, null);
    }
    const moved = await settle(
      "STEP_UP",
      resolved,
      `escalated to approval: ${resolved.reason}`,
      true,
      null,
      approval,
    );
    if (moved.result !== "STEP_UP" || moved.receiptId === null) return moved;
    return approve(host, s, "defer_escalation", approval, moved.receiptId, cancel);
  };

  const valid = validateDeferredAction(deferred);
  if (!valid.ok) {
    const reason = `the deferred action could not be built: ${valid.errors[0]?.message ?? "invalid"}`;
    host.fault("deferral", reason);
    return settle("DENY", resolution("cancelled", "DENY", reason, 0), reason, true, null);
  }
  const service = host.deferrals;
  const waited = await wait(
    service === null ? null : (signal) => service.defer(valid.value, signal, s.reevaluate),
    timeoutMs,
    cancel,
  );
  switch (waited.kind) {
    case "timeout": {
      const reason = `timed out: the deferral was not resolved within ${timeoutMs} ms`;
      if (requirement.on_timeout === "step_up") return escalate(resolution("timeout", "STEP_UP", reason, 0));
      return settle("DENY", resolution("timeout", "TIMEOUT", reason, 0), reason, true, null);
    }
    case "cancelled":
      return settle("DENY", resolution("cancelled", "DENY", "cancelled", 0), "cancelled", true, null);
    case "fault": {
      const reason = `the deferral service failed: ${waited.message}`;
      host.fault("deferral", reason);
      return settle("DENY", resolution("cancelled", "DENY", reason, 0), reason, true, null);
    }
    case "settled": {
      const answer = waited.value;
      if (!checkSettlement(answer)) {
        const reason = "the deferral service answered with a malformed settlement";
        host.fault("deferral", reason);
        return settle("DENY", resolution("cancelled", "DENY", reason, 0), reason, true, null);
      }
      const resolved = resolution(answer.method, answer.result, answer.reason, answer.attempts);
      if (answer.result === "STEP_UP") return escalate(resolved, answer.approval ?? requirement.approval);
      if (answer.result === "DENY")
        return settle("DENY", resolved, `resolved DENY: ${answer.reason}`, true, null);
      const identity = await host.reverify();
      if (!identity.ok) {
        const reason = `resolved ALLOW, but ${identity.reason}`;
        return settle("DENY", { ...resolved, result: "DENY", reason }, reason, true, null);
      }
      return settle("ALLOW", resolved, `resolved ALLOW: ${answer.reason}`, true, identity.verifiedAt);
    }
  }
}

/**
 * The host's answer to a request `delegated` to its prompt: a result of the
 * same request and action, with the one response the host reports. The
 * approver is whoever the host names, so the response is recorded as not
 * verified; the caller checks the result against the schema.
 */
export function hostAnswer(
  delegated: ApprovalResult,
  answer: { readonly approver: string; readonly approved: boolean; readonly at: string },
  decidedAt: string,
): ApprovalResult {
  const verdict = answer.approved ? "approved" : "denied";
  return {
    request_id: delegated.request_id,
    action_digest: delegated.action_digest,
    source: delegated.source,
    method: "host_prompt",
    requirement: delegated.requirement,
    decision: verdict,
    responses: [
      {
        approver: answer.approver,
        identity_verified: false,
        decision: answer.approved ? "approve" : "deny",
        responded_at: answer.at,
      },
    ],
    reason: `${verdict} at the host's prompt by ${answer.approver} (identity not verified)`.slice(0, 4096),
    decided_at: decidedAt,
  };
}

/** Waits on a suspended action until it settles; never rejects. */
export async function runPending(host: PendingHost, s: Suspended, cancel: AbortSignal): Promise<Concluded> {
  if (s.decision.result === "DEFER") return resolveDeferral(host, s, cancel);
  const requirement = s.decision.approval;
  if (requirement === null) {
    host.fault("approval", "a STEP_UP decision without its approval requirement");
    return { result: "DENY", reason: "a STEP_UP decision without its approval requirement", receiptId: null };
  }
  return approve(host, s, "step_up", requirement, s.receiptId, cancel);
}
