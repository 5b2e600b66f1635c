/**
 * The approval service (AARM §3.4): STEP_UP requests, and deferrals
 * escalated to a human, kept in the store where approvers answer them.
 *
 * ```ts
 * const approvals = new ApprovalDesk({ store, verifier: approverTokens, directory: { groups } });
 * const runtime = createRuntime({ ...options, approvals });
 * // elsewhere (an HTTP handler, a UI, `aarm approvals approve`):
 * await approvals.approve(requestId, { approver: "carol@example.com", token }, { actionDigest });
 * ```
 *
 * The runtime hands each request to {@link ApprovalDesk.request}, which
 * records it, notifies the approvers (and the backup approvers once the
 * escalation is due) and waits until the stored request is settled by
 * answers (see `respond.ts`). It re-reads the store every `pollMs`, so an
 * answer recorded by another process (the CLI on the same SQLite file) is
 * seen within that interval; answers given through this desk wake it at
 * once. When the runtime stops waiting (timeout, cancellation) the stored
 * request is closed as `timeout` or `denied`, so nobody can answer it
 * later. The runtime checks the result again before it releases anything.
 *
 * @module
 */
import type { ApprovalRequest, ApprovalResult } from "../../schema/generated/types.ts";
import { messageOf } from "../engine/bounded.ts";
import type { ApprovalService } from "../engine/types.ts";
import type { IdentityVerifier } from "../identity/types.ts";
import type { ApprovalRecord, ListFilter, Page, Store, StoreResult } from "../store/types.ts";
import { type ApproverDirectory, members } from "./directory.ts";
import { type ApprovalNotificationType, type ApprovalNotifier, requestLabel } from "./notify.ts";
import { type AnswerResult, answer, type ApproverCredential } from "./respond.ts";

/** Options of {@link ApprovalDesk}. */
export interface ApprovalDeskOptions {
  readonly store: Store;
  /** Verifies approvers' signed tokens (e.g. a `jwtVerifier` for the organisation's identity provider). */
  readonly verifier: IdentityVerifier;
  /** Group memberships of approvers; none by default. */
  readonly directory?: ApproverDirectory;
  /** Channels approvers are notified on. */
  readonly notifiers?: readonly ApprovalNotifier[];
  readonly clock?: () => Date;
  /** How often a waiting request re-reads the store, ms; default 500, from 10 to 10000. */
  readonly pollMs?: number;
  /** Bound on verifying an approver's token, ms; default 2000. */
  readonly identityMs?: number;
  /** Receives failed notifications and store reads; never secrets. */
  readonly onError?: (message: string) => void;
}

/** Options of an answer. */
export interface AnswerOptions {
  readonly reason?: string;
  /** The action digest the approver was shown; refused if it is not the request's. */
  readonly actionDigest?: string;
}

/** Default of {@link ApprovalDeskOptions.pollMs}. */
export const DEFAULT_APPROVAL_POLL_MS = 500;

/** The approval service over a {@link Store}: requests, answers, listing. */
export class ApprovalDesk implements ApprovalService {
  readonly #store: Store;
  readonly #verifier: IdentityVerifier;
  readonly #directory: ApproverDirectory;
  readonly #notifiers: readonly ApprovalNotifier[];
  readonly #clock: () => Date;
  readonly #pollMs: number;
  readonly #identityMs: number;
  readonly #onError: (message: string) => void;
  /** Wake-ups of requests waiting in this process, by request id. */
  readonly #waiting = new Map<string, Set<() => void>>();

  constructor(options: ApprovalDeskOptions) {
    const pollMs = options.pollMs ?? DEFAULT_APPROVAL_POLL_MS;
    if (!Number.isFinite(pollMs) || pollMs < 10 || pollMs > 10_000) {
      throw new Error("pollMs must be from 10 to 10000");
    }
    this.#store = options.store;
    this.#verifier = options.verifier;
    this.#directory = options.directory ?? {};
    this.#notifiers = options.notifiers ?? [];
    this.#clock = options.clock ?? (() => new Date());
    this.#pollMs = pollMs;
    this.#identityMs = options.identityMs ?? 2000;
    this.#onError = options.onError ?? (() => {});
  }

  /** Records `request`, notifies its approvers and resolves with its result once answered. */
  async request(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalResult> {
    const created = await this.#store.createApproval(request);
    if (!created.ok) {
      if (created.error.kind !== "conflict")
        throw new Error(`the request could not be stored: ${created.error.message}`);
      // The same action asked again (after a restart): only its still open request may be waited on again.
      const existing = await this.#store.getApproval(request.request_id);
      if (
        !existing.ok ||
        existing.value.result !== null ||
        existing.value.request.action_digest !== request.action_digest
      ) {
        throw new Error(`approval request ${request.request_id} exists already and cannot be reused`);
      }
    }
    this.#notify("approval_requested", request, members(this.#directory, request.requirement.approvers));
    const escalation = request.requirement.escalation;
    const timer =
      escalation === null
        ? undefined
        : setTimeout(
            () => this.#notify("approval_escalated", request, members(this.#directory, escalation.to)),
            Math.max(0, Date.parse(request.created_at) + escalation.after_ms - this.#clock().getTime()),
          );
    try {
      const result = await this.#wait(request, signal);
      this.#notify("approval_settled", request, [], result);
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  async #wait(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalResult> {
    for (;;) {
      if (signal.aborted) {
        await this.#close(request, signal.reason === "timeout" ? "timeout" : "denied");
        throw new Error("the runtime no longer waits for this request");
      }
      const got = await this.#store.getApproval(request.request_id);
      if (got.ok && got.value.result !== null) return got.value.result;
      if (!got.ok) this.#onError(`reading approval ${request.request_id} failed: ${got.error.message}`);
      await this.#sleep(request.request_id, signal);
    }
  }

  /** Waits one poll interval, or less when an answer arrives here or the wait is aborted. */
  #sleep(requestId: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wakeups = this.#waiting.get(requestId) ?? new Set<() => void>();
      this.#waiting.set(requestId, wakeups);
      const wake = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", wake);
        wakeups.delete(wake);
        if (wakeups.size === 0) this.#waiting.delete(requestId);
        resolve();
      };
      const timer = setTimeout(wake, this.#pollMs);
      signal.addEventListener("abort", wake, { once: true });
      wakeups.add(wake);
    });
  }

  /** Settles a still open request the runtime stopped waiting for, so that it cannot be answered any more. */
  async #close(request: ApprovalRequest, decision: "timeout" | "denied"): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const got = await this.#store.getApproval(request.request_id);
      if (!got.ok || got.value.result !== null) return;
      const reason = decision === "timeout" ? "no quorum before the timeout" : "the request was withdrawn";
      const updated = await this.#store.updateApproval(request.request_id, got.value.version, {
        responses: got.value.responses,
        result: {
          request_id: request.request_id,
          action_digest: request.action_digest,
          source: request.source,
          requirement: request.requirement,
          decision,
          responses: [...got.value.responses],
          reason,
          decided_at: this.#clock().toISOString(),
        },
      });
      if (updated.ok || updated.error.kind !== "conflict") return;
    }
  }

  #notify(
    type: ApprovalNotificationType,
    request: ApprovalRequest,
    approvers: readonly string[],
    result?: ApprovalResult,
  ): void {
    const notification = {
      type,
      request_id: request.request_id,
      label: requestLabel(request),
      approvers,
      drift_warning: (request.semantic_distance ?? 0) > 0.5,
      request,
      ...(result === undefined ? {} : { result }),
    };
    for (const notifier of this.#notifiers) {
      try {
        notifier
          .notify(notification)
          .catch((caught: unknown) => this.#onError(`a notification failed: ${messageOf(caught)}`));
      } catch (caught) {
        this.#onError(`a notification failed: ${messageOf(caught)}`);
      }
    }
  }

  /** Approval requests, by request id: by default the pending ones. */
  list(
    filter: ListFilter = { pending: true },
    page: Page = { limit: 100 },
  ): Promise<StoreResult<readonly ApprovalRecord[]>> {
    return this.#store.listApprovals(filter, page);
  }

  /** One request with its answers and, once settled, its result. */
  show(requestId: string): Promise<StoreResult<ApprovalRecord>> {
    return this.#store.getApproval(requestId);
  }

  /** Approves a request as the approver `credential` proves; counts toward the quorum if it verifies. */
  approve(
    requestId: string,
    credential: ApproverCredential,
    options: AnswerOptions = {},
  ): Promise<AnswerResult> {
    return this.#answer(requestId, credential, "approve", options);
  }

  /** Denies a request; a verified denial settles it at once. */
  deny(
    requestId: string,
    credential: ApproverCredential,
    options: AnswerOptions = {},
  ): Promise<AnswerResult> {
    return this.#answer(requestId, credential, "deny", options);
  }

  async #answer(
    requestId: string,
    credential: ApproverCredential,
    decision: "approve" | "deny",
    options: AnswerOptions,
  ): Promise<AnswerResult> {
    const result = await answer(
      {
        store: this.#store,
        verifier: this.#verifier,
        directory: this.#directory,
        clock: this.#clock,
        identityMs: this.#identityMs,
      },
      {
        requestId,
        credential,
        decision,
        ...(options.reason === undefined ? {} : { reason: options.reason }),
        ...(options.actionDigest === undefined ? {} : { actionDigest: options.actionDigest }),
      },
    );
    if (result.ok) for (const wake of [...(this.#waiting.get(requestId) ?? [])]) wake();
    return result;
  }
}
