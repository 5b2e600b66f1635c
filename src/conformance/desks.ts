/**
 * The human-in-the-loop side of an in-process deployment: the runtime's
 * approval desk (STEP_UP) and deferral desk (DEFER) over the instance's
 * store, with the resolvers `Setup.resolvers` describes, approvers proving
 * who they are with the identity provider's tokens, and the views the
 * scenarios answer through.
 *
 * @module
 */
import { ApprovalDesk } from "../runtime/approvals/desk.ts";
import { type DeferralAttempt, DeferralDesk, type DeferralResolver } from "../runtime/deferrals/desk.ts";
import type { Store } from "../runtime/store/types.ts";
import type { TokenIssuer } from "./issuer.ts";
import type { ApprovalsView, DeferralsView, ResolverSetup, SentNotification, Setup } from "./types.ts";

/** How long `provideFacts` keeps trying while the deferral has not started waiting yet. */
const PROVIDE_WAIT_MS = 2000;

function resolver(setup: ResolverSetup): DeferralResolver {
  const answer = setup.answer;
  return {
    id: setup.id,
    resolve: () =>
      answer === "hang"
        ? new Promise<never>(() => undefined)
        : Promise.resolve(
            answer === "unresolved"
              ? { kind: "unresolved", reason: `${setup.id} has no record` }
              : { kind: "facts", facts: answer.facts },
          ),
  };
}

/** The desks of one instance, and the views over them. */
export interface Desks {
  readonly approvalDesk: ApprovalDesk;
  readonly deferralDesk: DeferralDesk;
  readonly approvals: ApprovalsView;
  readonly deferrals: DeferralsView;
}

/** Builds the desks over `store`. */
export function desks(store: Store, issuer: TokenIssuer, setup: Setup): Desks {
  const notifications: SentNotification[] = [];
  const attempts: DeferralAttempt[] = [];
  const approvalDesk = new ApprovalDesk({
    store,
    verifier: issuer.verifier,
    directory: { groups: setup.approverGroups ?? {} },
    notifiers: [
      {
        notify: (n) => {
          notifications.push({
            type: n.type,
            request_id: n.request_id,
            label: n.label,
            approvers: n.approvers,
            request: n.request,
          });
          return Promise.resolve();
        },
      },
    ],
    pollMs: 20,
  });
  const deferralDesk = new DeferralDesk({
    store,
    resolvers: (setup.resolvers ?? []).map(resolver),
    maxAttempts: setup.maxResolverAttempts ?? 3,
    retryMs: 5,
    onAttempt: (a) => attempts.push(a),
  });
  const approvals: ApprovalsView = {
    notifications,
    async pending() {
      const listed = await approvalDesk.list({ pending: true });
      if (!listed.ok) throw new Error(`approvals cannot be listed: ${listed.error.message}`);
      return listed.value.map((r) => r.request);
    },
    async show(requestId) {
      const got = await approvalDesk.show(requestId);
      return got.ok ? got.value : null;
    },
    async answer(requestId, decision, approver, options = {}) {
      const token = options.token ?? (await issuer.sign(approver));
      const reason = options.reason === undefined ? {} : { reason: options.reason };
      const credential = { approver, token };
      const answered =
        decision === "approve"
          ? await approvalDesk.approve(requestId, credential, reason)
          : await approvalDesk.deny(requestId, credential, reason);
      return answered.ok
        ? { recorded: true, verified: answered.verified, refusal: null }
        : { recorded: false, verified: false, refusal: answered.kind };
    },
  };
  const deferrals: DeferralsView = {
    attempts,
    async pending() {
      const listed = await deferralDesk.list({ pending: true });
      if (!listed.ok) throw new Error(`deferrals cannot be listed: ${listed.error.message}`);
      return listed.value;
    },
    async all() {
      const listed = await deferralDesk.list({}, { limit: 1000 });
      if (!listed.ok) throw new Error(`deferrals cannot be listed: ${listed.error.message}`);
      return listed.value;
    },
    async provideFacts(deferralId, facts) {
      const end = Date.now() + PROVIDE_WAIT_MS;
      for (;;) {
        const given = deferralDesk.provideFacts(deferralId, facts);
        if (given.ok) return true;
        if (given.kind !== "not_pending" || Date.now() > end) return false;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
  return { approvalDesk, deferralDesk, approvals, deferrals };
}
