/**
 * Recording one approver's answer to an approval request in the store, and
 * settling the request once the answers decide it. The API
 * (the approval desk) and the CLI (`aarm approvals approve|deny`) both
 * answer through here, so a human in another process answers exactly as one
 * in this one.
 *
 * An answer counts only if the approver's signed token verifies (with the
 * runtime's identity verifiers) as that very approver, the approver is named
 * by the request (directly, by group, or as a backup once the escalation is
 * due), is not the requester (unless the policy allows self-approval), and
 * the request is still open and not expired. An answer whose token does not
 * verify is recorded with `identity_verified: false` and never counts. The
 * request settles `approved` once a quorum of distinct verified approvers
 * approved, and `denied` as soon as one verified approver denies. A settled
 * request is final: an approval is used once, for the one action whose
 * digest it carries.
 *
 * @module
 */
import type { ApprovalResult, ApproverResponse } from "../../schema/generated/types.ts";
import { bounded } from "../engine/bounded.ts";
import type { IdentityVerifier } from "../identity/types.ts";
import type { ApprovalRecord, Store } from "../store/types.ts";
import { type ApproverDirectory, mayApprove } from "./directory.ts";

/** Who answers, and the signed token that proves it. */
export interface ApproverCredential {
  /** The approver's id, as policies and the directory name people (e.g. an e-mail address). */
  readonly approver: string;
  /** A signed token (JWT) asserting the approver as its human principal. */
  readonly token?: string;
}

/** One answer to an approval request. */
export interface ApproverAnswer {
  readonly requestId: string;
  readonly credential: ApproverCredential;
  readonly decision: "approve" | "deny";
  readonly reason?: string;
  /**
   * The action digest the approver saw. When given it must be the request's:
   * an approval shown for one action cannot be applied to another.
   */
  readonly actionDigest?: string;
}

/** Why an answer was refused (nothing was recorded). */
export type AnswerErrorKind =
  | "not_found"
  | "settled"
  | "expired"
  | "digest_mismatch"
  | "not_an_approver"
  | "self_approval"
  | "duplicate"
  | "invalid"
  | "store";

/** The outcome of an answer: the record as it now stands (settled or not), or why it was refused. */
export type AnswerResult =
  | { readonly ok: true; readonly record: ApprovalRecord; readonly verified: boolean }
  | { readonly ok: false; readonly kind: AnswerErrorKind; readonly message: string };

/** What answering needs. */
export interface AnswerDeps {
  readonly store: Store;
  /** Verifies approver tokens. */
  readonly verifier: IdentityVerifier;
  readonly directory: ApproverDirectory;
  readonly clock: () => Date;
  /** Bound on token verification, ms. */
  readonly identityMs: number;
}

/** Responses a request keeps at most (the schema's bound). */
const MAX_RESPONSES = 256;
/** Attempts at an optimistic update lost to a concurrent answer. */
const UPDATE_ATTEMPTS = 5;
const MAX_REASON = 4096;

const IDENTIFIER = /^[^\u0000-\u001F\u007F]{1,256}$/u;

/** The result `responses` settle `record` to, or null while they do not decide it. */
export function settlement(
  record: ApprovalRecord,
  responses: readonly ApproverResponse[],
  now: Date,
): ApprovalResult | null {
  const request = record.request;
  const requirement = request.requirement;
  const base = {
    request_id: request.request_id,
    action_digest: request.action_digest,
    source: request.source,
    requirement,
    responses: [...responses],
    decided_at: now.toISOString(),
  };
  const verified = responses.filter((r) => r.identity_verified);
  const denial = verified.find((r) => r.decision === "deny");
  if (denial !== undefined) {
    const why = denial.reason === undefined ? "" : `: ${denial.reason}`;
    return { ...base, decision: "denied", reason: `denied by ${denial.approver}${why}`.slice(0, MAX_REASON) };
  }
  const approvers = new Set(verified.filter((r) => r.decision === "approve").map((r) => r.approver));
  if (approvers.size < requirement.quorum) return null;
  return {
    ...base,
    decision: "approved",
    reason: `approved by ${[...approvers].join(", ")}`.slice(0, MAX_REASON),
  };
}

/** Whether the credential's token verifies, now, as the very approver it names. */
async function verifies(
  deps: AnswerDeps,
  requestId: string,
  credential: ApproverCredential,
  now: Date,
): Promise<boolean> {
  const token = credential.token;
  if (typeof token !== "string" || token.length === 0) return false;
  const checked = await bounded("the identity verifier", deps.identityMs, () =>
    deps.verifier.verify({ session: requestId, human: credential.approver, token }, now),
  );
  if (!checked.ok || !checked.value.ok) return false;
  const identity = checked.value.identity;
  return (
    identity.human === credential.approver &&
    (identity.valid_until === null || Date.parse(identity.valid_until) > now.getTime())
  );
}

/** Records one answer and settles the request if it is now decided. Never throws. */
export async function answer(deps: AnswerDeps, input: ApproverAnswer): Promise<AnswerResult> {
  const { credential } = input;
  if (typeof credential?.approver !== "string" || !IDENTIFIER.test(credential.approver)) {
    return { ok: false, kind: "invalid", message: "the approver id is not a usable identifier" };
  }
  if (input.decision !== "approve" && input.decision !== "deny") {
    return { ok: false, kind: "invalid", message: "the decision must be approve or deny" };
  }
  if (input.reason !== undefined && (typeof input.reason !== "string" || input.reason.length > MAX_REASON)) {
    return {
      ok: false,
      kind: "invalid",
      message: `the reason must be text of at most ${MAX_REASON} characters`,
    };
  }
  let verified: boolean | null = null;
  for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
    const got = await deps.store.getApproval(input.requestId);
    if (!got.ok) {
      const kind = got.error.kind === "not_found" ? "not_found" : "store";
      return { ok: false, kind, message: got.error.message };
    }
    const record = got.value;
    const request = record.request;
    const now = deps.clock();
    if (record.result !== null) {
      return { ok: false, kind: "settled", message: `the request is already ${record.result.decision}` };
    }
    if (now.getTime() >= Date.parse(request.expires_at)) {
      return { ok: false, kind: "expired", message: `the request expired at ${request.expires_at}` };
    }
    if (input.actionDigest !== undefined && input.actionDigest !== request.action_digest) {
      return { ok: false, kind: "digest_mismatch", message: "the approval was shown for another action" };
    }
    if (!mayApprove(deps.directory, request, credential.approver, now)) {
      return {
        ok: false,
        kind: "not_an_approver",
        message: `${credential.approver} is not an approver of this request`,
      };
    }
    if (
      input.decision === "approve" &&
      !request.requirement.self_approval &&
      credential.approver === request.action.identity.human
    ) {
      return { ok: false, kind: "self_approval", message: "the requester may not approve their own action" };
    }
    verified ??= await verifies(deps, request.request_id, credential, now);
    if (record.responses.some((r) => r.approver === credential.approver && r.identity_verified)) {
      return { ok: false, kind: "duplicate", message: `${credential.approver} has already answered` };
    }
    if (record.responses.length >= MAX_RESPONSES) {
      return { ok: false, kind: "invalid", message: "the request has too many responses" };
    }
    const response: ApproverResponse = {
      approver: credential.approver,
      identity_verified: verified,
      decision: input.decision,
      ...(input.reason === undefined ? {} : { reason: input.reason }),
      responded_at: now.toISOString(),
    };
    const responses = [...record.responses, response];
    const updated = await deps.store.updateApproval(request.request_id, record.version, {
      responses,
      result: settlement(record, responses, now),
    });
    if (updated.ok) return { ok: true, record: updated.value, verified };
    if (updated.error.kind !== "conflict") {
      return {
        ok: false,
        kind: updated.error.kind === "invalid" ? "invalid" : "store",
        message: updated.error.message,
      };
    }
  }
  return { ok: false, kind: "store", message: "the request kept changing; try again" };
}
