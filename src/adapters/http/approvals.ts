/**
 * The approval and deferral operations: approvers list and answer STEP_UP
 * requests, and provide the facts (or the user's confirmation) a deferred
 * action waits for, through the runtime's approval and deferral desks.
 *
 * The bearer token only says which console or tool is calling (`approver`
 * scope); an approval counts only for the approver whose own identity token
 * comes with it, verified as that person, named by the request, and not the
 * requester (the desk checks all of it). An agent's client never has these
 * operations, so an agent cannot approve its own actions or supply the facts
 * its own deferral waits for.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import type { ApprovalDesk } from "../../runtime/approvals/desk.ts";
import type { AnswerResult } from "../../runtime/approvals/respond.ts";
import { bounded } from "../../runtime/engine/bounded.ts";
import type { DeferralCallResult, DeferralDesk } from "../../runtime/deferrals/desk.ts";
import type { ListFilter, Page, StoreResult } from "../../runtime/store/types.ts";
import { HttpProblem, problem } from "./problem.ts";
import type { OperationId } from "./routes.ts";
import type { Reply, ServiceOperation } from "./service.ts";

/** The desks the service answers approvals and deferrals through; absent ones answer 501. */
export interface Desks {
  readonly approvals?: ApprovalDesk;
  readonly deferrals?: DeferralDesk;
}

/** The operations of this module. */
export type DeskOperationId = Extract<
  OperationId,
  | "listApprovals"
  | "getApproval"
  | "approveRequest"
  | "denyRequest"
  | "listDeferrals"
  | "getDeferral"
  | "provideFacts"
  | "confirmDeferral"
>;

/** The largest page a listing returns. */
export const MAX_LIST = 1000;

function json(body: unknown): Reply {
  return { kind: "json", status: 200, body };
}

/** The filter and page of a listing's query (`pending`, `session_id`, `after`, `limit`), or a problem. */
function listing(query: URLSearchParams): { readonly filter: ListFilter; readonly page: Page } | HttpProblem {
  const pending = query.get("pending") ?? "true";
  const limit = Number(query.get("limit") ?? "100");
  if (pending !== "true" && pending !== "false" && pending !== "all") {
    return problem("invalid_request", "pending must be true, false or all");
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST) {
    return problem("invalid_request", `limit must be an integer from 1 to ${MAX_LIST}`);
  }
  const session = query.get("session_id");
  const after = query.get("after");
  return {
    filter: {
      ...(pending === "all" ? {} : { pending: pending === "true" }),
      ...(session === null ? {} : { session_id: session }),
    },
    page: { limit, ...(after === null ? {} : { after }) },
  };
}

function stored<T>(found: StoreResult<T> | null): T | HttpProblem {
  if (found === null) return problem("store_unavailable");
  if (found.ok) return found.value;
  if (found.error.kind === "not_found") return problem("not_found");
  if (found.error.kind === "invalid") return problem("invalid_request", "the store refuses this id or page");
  return problem("store_unavailable");
}

function answered(result: AnswerResult): Reply | HttpProblem {
  if (result.ok) {
    if (!result.verified) {
      return problem(
        "identity_rejected",
        "the approver's identity token did not verify: the answer is recorded and does not count",
      );
    }
    return json(result.record);
  }
  switch (result.kind) {
    case "not_found":
      return problem("not_found");
    case "settled":
    case "expired":
    case "duplicate":
      return problem("already_settled", result.message);
    case "digest_mismatch":
      return problem("digest_mismatch", result.message);
    case "not_an_approver":
    case "self_approval":
      return problem("approval_refused", result.message, { reason: result.kind });
    case "invalid":
      return problem("invalid_request", result.message);
    case "store":
      return problem("store_unavailable");
  }
}

function delivered(result: DeferralCallResult, deferralId: string): Reply | HttpProblem {
  if (result.ok) return { kind: "json", status: 202, body: { deferral_id: deferralId, delivered: true } };
  return result.kind === "invalid"
    ? problem("invalid_request", result.message)
    : problem("not_waiting", "no deferral with this id is waiting in this service");
}

/** The approval and deferral operations over `desks`. */
export function deskOperations(
  desks: Desks,
  callTimeoutMs: number,
): Record<DeskOperationId, ServiceOperation> {
  const call = async <T>(run: () => Promise<StoreResult<T>>): Promise<StoreResult<T> | null> => {
    const done = await bounded("the store", callTimeoutMs, run);
    return done.ok ? done.value : null;
  };
  const unavailable = (what: string): HttpProblem =>
    problem("not_implemented", `this service has no ${what} desk configured`);
  const answer = (decision: "approve" | "deny"): ServiceOperation => {
    return async ({ params, body }) => {
      const desk = desks.approvals;
      if (desk === undefined) return unavailable("approval");
      const given = body as {
        readonly approver: string;
        readonly token: string;
        readonly reason?: string;
        readonly action_digest?: string;
      };
      const options = {
        ...(given.reason === undefined ? {} : { reason: given.reason }),
        ...(given.action_digest === undefined ? {} : { actionDigest: given.action_digest }),
      };
      const credential = { approver: given.approver, token: given.token };
      const requestId = params.request_id ?? "";
      return answered(
        decision === "approve"
          ? await desk.approve(requestId, credential, options)
          : await desk.deny(requestId, credential, options),
      );
    };
  };
  return {
    async listApprovals({ query }) {
      const desk = desks.approvals;
      if (desk === undefined) return unavailable("approval");
      const page = listing(query);
      if (page instanceof HttpProblem) return page;
      const records = stored(await call(() => desk.list(page.filter, page.page)));
      return records instanceof HttpProblem ? records : json({ approvals: records });
    },
    async getApproval({ params }) {
      const desk = desks.approvals;
      if (desk === undefined) return unavailable("approval");
      const record = stored(await call(() => desk.show(params.request_id ?? "")));
      return record instanceof HttpProblem ? record : json(record);
    },
    approveRequest: answer("approve"),
    denyRequest: answer("deny"),
    async listDeferrals({ query }) {
      const desk = desks.deferrals;
      if (desk === undefined) return unavailable("deferral");
      const page = listing(query);
      if (page instanceof HttpProblem) return page;
      const records = stored(await call(() => desk.list(page.filter, page.page)));
      return records instanceof HttpProblem ? records : json({ deferrals: records });
    },
    async getDeferral({ params }) {
      const desk = desks.deferrals;
      if (desk === undefined) return unavailable("deferral");
      const record = stored(await call(() => desk.show(params.deferral_id ?? "")));
      return record instanceof HttpProblem ? record : json(record);
    },
    provideFacts({ params, body }) {
      const desk = desks.deferrals;
      if (desk === undefined) return Promise.resolve(unavailable("deferral"));
      const deferralId = params.deferral_id ?? "";
      const facts = (body as { readonly facts: { readonly [name: string]: Json } }).facts;
      return Promise.resolve(delivered(desk.provideFacts(deferralId, facts), deferralId));
    },
    confirmDeferral({ params, body }) {
      const desk = desks.deferrals;
      if (desk === undefined) return Promise.resolve(unavailable("deferral"));
      const deferralId = params.deferral_id ?? "";
      const given = body as { readonly confirmed: boolean; readonly reason?: string };
      return Promise.resolve(
        delivered(desk.confirm(deferralId, given.confirmed, given.reason ?? ""), deferralId),
      );
    },
  };
}
