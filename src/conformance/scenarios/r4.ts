/**
 * §9.4, R4: the five decisions as the agent and the approvers live them.
 * ALLOW runs once with the original arguments; DENY never runs; MODIFY runs
 * with the modified arguments, which are checked again; STEP_UP waits for
 * verified approvers (quorum, escalation, timeout, revocation); DEFER waits
 * for context (resolvers, facts supplied, escalation to a human), holds the
 * actions that depend on it, and never turns a timeout into ALLOW.
 *
 * @module
 */
import { compileText } from "../../compiler.ts";
import type { Receipt } from "../../schema/generated/types.ts";
import type { CallResult, Instance, Scenario, ScenarioContext, Setup } from "../types.ts";
import { alice, expectBlocked, expectRan, receiptOf, runs, sleep } from "./support.ts";

/** The human-in-the-loop policy of the §9.4 scenarios (the runtime's tests decide under it too). */
export const POLICY = `policy hitl version "2026.11.1"
tool db.query { args { sql: string, limit: number } effect read output internal }
tool crm.update { args { id: string, ssn: string } effect write target args.id }
tool fs.read { args { path: string } effect read output internal }
tool bank.pay { args { to: string, amount: number } effect write target args.to }
tool bank.wire { args { to: string, amount: number } effect write target args.to }
tool creds.rotate { args { system: string } effect write target args.system }
tool deploy.run { args { service: string } effect execute target args.service }
tool chat.send { args { text: string } effect write }
fact window_open: bool
forbid no_shadow on fs.read when args.path == "/etc/shadow" because "the shadow file is never read"
deny no_drops on db.query when args.sql matches /(?i)drop/ because "no DROP statements"
modify cap_rows on db.query when args.limit > 100 set args.limit = 100
modify redact_ssn on crm.update redact args.ssn
modify scope_analyst on fs.read when "analyst" in identity.roles and args.path matches /^\\/etc\\// set args.path = "/workspace/etc"
modify follow_link on fs.read when args.path == "/tmp/link" set args.path = "/etc/shadow"
step_up big_payment on bank.pay when args.amount > 1000
  approvers ["carol@example.com", "dave@example.com", "group:treasury"] quorum 2 timeout 10m
  because "payments above 1000 need two approvers"
step_up wires on bank.wire approvers ["carol@example.com"] timeout 10m escalate after 300ms to ["dave@example.com"]
deny window_closed on creds.rotate when not window_open because "outside the change window"
allow rotation on creds.rotate when window_open
defer deploy_window on deploy.run when true
  needs window_open timeout 10m then step_up approvers ["carol@example.com"] timeout 10m
allow reads when effect == read
allow crm on crm.update
allow payments on bank.pay
allow chat on chat.send
default deny`;

/** The approver groups {@link POLICY} names. */
export const GROUPS = { "group:treasury": ["erin@example.com", "alice@example.com"] };

/** A deployment under {@link POLICY}, whose STEP_UPs and DEFERs wait up to `pendingMs` (3 s by default). */
function hitl(t: ScenarioContext, extra: Partial<Setup> = {}): Promise<Instance> {
  return t.start({ policy: POLICY, approverGroups: GROUPS, pendingMs: 3000, ...extra });
}

/** Waits until `check` yields a value, polling, for at most `ms`. */
async function until<T>(t: ScenarioContext, what: string, check: () => Promise<T | undefined>, ms = 3000) {
  const end = Date.now() + ms;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    t.check(Date.now() < end, `timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The first open approval request. */
function openRequest(t: ScenarioContext, d: Instance) {
  return until(t, "an approval request", async () => (await d.approvals.pending())[0]);
}

/** The first unresolved deferral. */
function openDeferral(t: ScenarioContext, d: Instance) {
  return until(t, "a deferral", async () => (await d.deferrals.pending())[0]);
}

/** The receipt that settled a STEP_UP or DEFER. */
async function settlementOf(t: ScenarioContext, d: Instance, r: CallResult): Promise<Receipt> {
  t.check(r.settlementReceiptId !== null, "the wait left no settlement receipt");
  const receipt = await d.receipt(r.settlementReceiptId);
  t.check(receipt !== null, `settlement receipt ${r.settlementReceiptId} is missing or invalid`);
  t.observe(
    `settled: ${receipt.approval?.decision ?? receipt.deferral?.resolution?.result ?? "?"}`,
    receipt.receipt_id,
  );
  return receipt;
}

/** Every receipt of `session`, in chain order, from the instance's export. */
async function receiptsOf(d: Instance, session: string): Promise<Receipt[]> {
  return (await d.exportReceipts())
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Receipt)
    .filter((r) => r.requester_context.session === session);
}

const ROTATE = { system: "db1" };

export const R4: readonly Scenario[] = [
  {
    id: "9.4.34",
    requirement: "R4",
    title: "ALLOW executes once, with the original arguments; a retry of the same call does not run again",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({ identity: alice("s34"), intent: "count the invoices" });
      const args = { sql: "select 1", limit: 10 };
      expectRan(t, await s.call("db.query", args, { callId: "c1" }), "ALLOW", "db.query");
      const again = await s.call("db.query", args, { callId: "c1" });
      t.check(!again.executed, "the retried call ran a second time");
      const ran = d.executions[0];
      t.check(
        d.executions.length === 1 && ran?.args.sql === args.sql && ran.args.limit === args.limit,
        `executions: ${JSON.stringify(d.executions)}`,
      );
      t.observe(
        "the retry of call c1 did not run; one execution with the original arguments",
        again.receiptId,
      );
    },
  },
  {
    id: "9.4.35",
    requirement: "R4",
    title: "DENY does not execute, and the agent gets the reason",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({ identity: alice("s35"), intent: "tidy the database" });
      const r = await s.call("db.query", { sql: "DROP TABLE users", limit: 1 });
      expectBlocked(t, r, "DENY", "db.query(DROP TABLE users)");
      t.check(r.reason.includes("no DROP statements"), `the agent was told: ${r.reason}`);
    },
  },
  {
    id: "9.4.36",
    requirement: "R4",
    title: "MODIFY: db.query(limit=5000) executes with limit=100, and the receipt shows the modification",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({ identity: alice("s36"), intent: "list the customers" });
      const r = await s.call("db.query", { sql: "select *", limit: 5000 });
      expectRan(t, r, "MODIFY", "db.query(limit=5000)");
      t.check(r.args?.limit === 100, `the tool ran with limit ${JSON.stringify(r.args?.limit)}`);
      t.check(d.executions[0]?.args.limit === 100, "the recorded execution is not limit=100");
      const receipt = await receiptOf(t, d, r);
      t.check(receipt.action.parameters.limit === 5000, "the receipt lost the requested arguments");
      t.check(
        receipt.action.modified_parameters?.limit === 100,
        "the receipt does not show the modification",
      );
    },
  },
  {
    id: "9.4.37",
    requirement: "R4",
    title: "MODIFY redaction: the SSN is [REDACTED] before the tool gets it",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({ identity: alice("s37"), intent: "update customer c-7" });
      const r = await s.call("crm.update", { id: "c-7", ssn: "123-45-6789" });
      expectRan(t, r, "MODIFY", "crm.update");
      t.check(
        d.executions[0]?.args.ssn === "[REDACTED]",
        `the tool got ssn ${String(d.executions[0]?.args.ssn)}`,
      );
      t.observe("the tool received ssn [REDACTED]");
    },
  },
  {
    id: "9.4.38",
    requirement: "R4",
    title: "MODIFY filter: an analyst's read of /etc/secret is scoped to the allowed path",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({
        identity: alice("s38", { roles: ["analyst"] }),
        intent: "read the config",
      });
      const r = await s.call("fs.read", { path: "/etc/secret" });
      expectRan(t, r, "MODIFY", "fs.read(/etc/secret)");
      t.check(
        d.executions[0]?.args.path === "/workspace/etc",
        `the tool read ${String(d.executions[0]?.args.path)}`,
      );
      t.observe("the tool read /workspace/etc");
    },
  },
  {
    id: "9.4.39",
    requirement: "R4",
    title: "MODIFY: the modified action is checked against the forbid rules again",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({ identity: alice("s39"), intent: "read the link" });
      const r = await s.call("fs.read", { path: "/tmp/link" });
      t.check(!r.executed, "the modified action (now /etc/shadow) ran");
      t.check(r.reason.includes("shadow file is never read"), `denied for: ${r.reason}`);
      t.observe(
        `fs.read(/tmp/link) rewritten to /etc/shadow: ${r.decision ?? "refused"} (${r.reason})`,
        r.receiptId,
      );
    },
  },
  {
    id: "9.4.40",
    requirement: "R4",
    title:
      "STEP_UP approved: nothing runs until a quorum of verified approvers, who see the full context; then it runs once",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({ identity: alice("s40"), intent: "pay the March invoice of ACME, 5000" });
      await s.call("db.query", { sql: "select * from invoices", limit: 5 });
      const paying = s.call("bank.pay", { to: "ACME", amount: 5000 }, { callId: "p1" });
      const request = await openRequest(t, d);
      const note = d.approvals.notifications[0];
      t.check(note?.label === "[APPROVAL REQUIRED]", `notification label ${note?.label ?? "none"}`);
      t.check(
        JSON.stringify(note.approvers) ===
          JSON.stringify(["carol@example.com", "dave@example.com", ...GROUPS["group:treasury"]]),
        `notified ${note.approvers.join(", ")}`,
      );
      t.check(request.source === "step_up", `source ${request.source}`);
      t.check(
        request.original_request?.text === "pay the March invoice of ACME, 5000",
        "no original request",
      );
      t.check(request.prior_actions.map((a) => a.tool).join() === "db.query", "no prior actions");
      t.check(request.action.identity.human === "alice@example.com", "no identity chain");
      t.check(typeof request.semantic_distance === "number", "no semantic distance");
      t.check(
        "risk_level" in request && "data_classifications" in request,
        "no risk level or classifications",
      );
      t.check(request.rules.join() === "big_payment", `rules ${request.rules.join()}`);
      t.check(request.reasons[0] === "payments above 1000 need two approvers", "no reason");
      t.observe(
        `approval request ${request.request_id}: original request, ${request.prior_actions.length} prior action, classifications, semantic distance ${request.semantic_distance}, risk ${request.risk_level}, identity, policy rule ${request.rules.join()}`,
      );
      const self = await d.approvals.answer(request.request_id, "approve", "alice@example.com");
      t.check(!self.recorded, "the requester approved her own action");
      t.check(
        (await d.approvals.answer(request.request_id, "approve", "carol@example.com")).recorded,
        "carol's approval was refused",
      );
      t.check(runs(d, "bank.pay") === 0, "the payment ran on one approval of a quorum of two");
      t.check(
        (await d.approvals.answer(request.request_id, "approve", "dave@example.com")).recorded,
        "dave's approval was refused",
      );
      const paid = await paying;
      expectRan(t, paid, "STEP_UP", "bank.pay after two approvals");
      const settled = await settlementOf(t, d, paid);
      t.check(settled.approval?.decision === "approved", "the settlement receipt does not say approved");
      t.check(
        settled.approval.responses.map((r) => r.approver).join() === "carol@example.com,dave@example.com",
        "the settlement receipt does not list the approvers",
      );
      const again = await s.call("bank.pay", { to: "ACME", amount: 5000 }, { callId: "p1" });
      t.check(!again.executed && runs(d, "bank.pay") === 1, "the approval was used twice");
      t.observe("self-approval refused; ran once after carol and dave; the retry did not run again");
    },
  },
  {
    id: "9.4.41",
    requirement: "R4",
    title:
      "STEP_UP denied by the approver: nothing runs; the receipt has approver, decision, time and reason",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({ identity: alice("s41"), intent: "pay ACME" });
      const paying = s.call("bank.pay", { to: "ACME", amount: 5000 });
      const request = await openRequest(t, d);
      await d.approvals.answer(request.request_id, "deny", "carol@example.com", {
        reason: "not an invoice we owe",
      });
      const r = await paying;
      expectBlocked(t, r, "STEP_UP", "bank.pay denied by carol");
      const settled = await settlementOf(t, d, r);
      const response = settled.approval?.responses[0];
      t.check(settled.approval?.decision === "denied", "the receipt does not say denied");
      t.check(
        response?.approver === "carol@example.com" &&
          response.decision === "deny" &&
          response.identity_verified &&
          response.reason === "not an invoice we owe" &&
          /Z$/.test(response.responded_at),
        `the receipt's response: ${JSON.stringify(response ?? null)}`,
      );
    },
  },
  {
    id: "9.4.42",
    requirement: "R4",
    title: "STEP_UP timeout: DENY, the receipt says timeout, nothing runs, and the request is closed",
    async run(t: ScenarioContext) {
      const d = await hitl(t, { pendingMs: 300 });
      const s = await d.session({ identity: alice("s42"), intent: "pay ACME" });
      const paying = s.call("bank.pay", { to: "ACME", amount: 5000 });
      const request = await openRequest(t, d);
      const r = await paying;
      expectBlocked(t, r, "STEP_UP", "bank.pay with nobody answering");
      t.check(/timed out/.test(r.reason), `the agent was told: ${r.reason}`);
      t.check(
        (await settlementOf(t, d, r)).approval?.decision === "timeout",
        "the receipt does not say timeout",
      );
      const closed = await until(t, "the request to close", async () => {
        const got = await d.approvals.show(request.request_id);
        return got?.result?.decision === "timeout" ? got : undefined;
      });
      const late = await d.approvals.answer(request.request_id, "approve", "carol@example.com");
      t.check(!late.recorded && late.refusal === "settled", "a late approval was taken");
      t.observe(
        `request closed as ${closed.result?.decision ?? "?"}; a late approval was refused (${late.refusal})`,
      );
    },
  },
  {
    id: "9.4.43",
    requirement: "R4",
    title:
      "STEP_UP escalation: without an answer by escalation.after, the backup approver is notified and may answer",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({ identity: alice("s43"), intent: "wire ACME 10" });
      const wiring = s.call("bank.wire", { to: "ACME", amount: 10 });
      const request = await openRequest(t, d);
      t.check(
        d.approvals.notifications[0]?.approvers.join() === "carol@example.com",
        "the primary approver was not notified first",
      );
      const early = await d.approvals.answer(request.request_id, "approve", "dave@example.com");
      t.check(
        !early.recorded && early.refusal === "not_an_approver",
        "the backup answered before the escalation",
      );
      const escalated = await until(t, "the escalation", async () =>
        d.approvals.notifications.find((n) => n.type === "approval_escalated"),
      );
      t.check(
        escalated.approvers.join() === "dave@example.com",
        `escalated to ${escalated.approvers.join()}`,
      );
      t.check(
        (await d.approvals.answer(request.request_id, "approve", "dave@example.com")).recorded,
        "dave could not answer",
      );
      expectRan(t, await wiring, "STEP_UP", "bank.wire approved by the backup");
      t.observe("dave refused before escalation.after (not_an_approver), notified at it, then approved");
    },
  },
  {
    id: "9.4.44",
    requirement: "R4",
    title:
      "STEP_UP with approvers whose identity does not verify: recorded unverified, never counted; nothing runs",
    async run(t: ScenarioContext) {
      const d = await hitl(t, { pendingMs: 500 });
      const s = await d.session({ identity: alice("s44"), intent: "pay ACME" });
      const paying = s.call("bank.pay", { to: "ACME", amount: 5000 });
      const request = await openRequest(t, d);
      for (const who of ["carol@example.com", "dave@example.com"]) {
        const token = await d.token(who, { forged: true });
        const answered = await d.approvals.answer(request.request_id, "approve", who, { token });
        t.check(
          answered.recorded && !answered.verified,
          `${who}'s forged approval: ${JSON.stringify(answered)}`,
        );
      }
      const r = await paying;
      expectBlocked(t, r, "STEP_UP", "bank.pay with two forged approvals");
      t.check(
        (await settlementOf(t, d, r)).approval?.decision === "timeout",
        "the forged approvals settled it",
      );
      const stored = await d.approvals.show(request.request_id);
      t.check(
        stored?.responses.map((x) => x.identity_verified).join() === "false,false",
        "the responses are not marked identity_verified=false",
      );
      t.observe("both answers recorded with identity_verified=false; the request timed out");
    },
  },
  {
    id: "9.4.45",
    requirement: "R4",
    title: "STEP_UP where the requester's token is revoked before the approval arrives: re-validated, DENY",
    async run(t: ScenarioContext) {
      const d = await hitl(t, { identity: "jwt" });
      const token = await d.token("alice@example.com", { roles: ["employee"] });
      const s = await d.session({ identity: alice("s45", { token }), intent: "pay ACME" });
      const paying = s.call("bank.pay", { to: "ACME", amount: 5000 });
      const request = await openRequest(t, d);
      d.revoke("alice@example.com");
      await d.approvals.answer(request.request_id, "approve", "carol@example.com");
      await d.approvals.answer(request.request_id, "approve", "dave@example.com");
      const r = await paying;
      expectBlocked(t, r, "STEP_UP", "bank.pay approved after alice's token was revoked");
      t.check(/identity/.test(r.reason), `the agent was told: ${r.reason}`);
    },
  },
  {
    id: "9.4.46",
    requirement: "R4",
    title: "DEFER resolved to ALLOW by a resolver: it runs; the resolution receipt links to the deferral",
    async run(t: ScenarioContext) {
      const d = await hitl(t, {
        resolvers: [{ id: "change-calendar", answer: { facts: { window_open: true } } }],
      });
      const s = await d.session({ identity: alice("s46"), intent: "rotate the db1 credentials" });
      const r = await s.call("creds.rotate", ROTATE);
      expectRan(t, r, "DEFER", "creds.rotate once the change calendar confirmed the window");
      const deferral = await receiptOf(t, d, r);
      t.check(
        deferral.deferral?.context_needed.join() === "window_open",
        "the deferral receipt does not name what it needs",
      );
      const resolution = await settlementOf(t, d, r);
      const how = resolution.deferral?.resolution;
      t.check(
        resolution.related_receipt_id === r.receiptId,
        "the resolution receipt does not link to the deferral",
      );
      t.check(
        how?.method === "re_evaluation" && how.result === "ALLOW",
        `resolution ${JSON.stringify(how ?? null)}`,
      );
      t.check(/Z$/.test(how.resolved_at), "no resolution time");
      t.check(
        how.original_identity.human === "alice@example.com",
        "the resolution lost the original principal",
      );
    },
  },
  {
    id: "9.4.47",
    requirement: "R4",
    title: "DEFER resolved to DENY: nothing runs, with a resolution receipt",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({ identity: alice("s47"), intent: "rotate the db1 credentials" });
      const rotating = s.call("creds.rotate", ROTATE);
      const deferral = await openDeferral(t, d);
      t.check(
        await d.deferrals.provideFacts(deferral.deferred.deferral_id, { window_open: false }),
        "the facts were not taken",
      );
      const r = await rotating;
      expectBlocked(t, r, "DEFER", "creds.rotate with the window closed");
      const how = (await settlementOf(t, d, r)).deferral?.resolution;
      t.check(
        how?.method === "re_evaluation" && how.result === "DENY",
        `resolution ${JSON.stringify(how ?? null)}`,
      );
    },
  },
  {
    id: "9.4.48",
    requirement: "R4",
    title: "DEFER with automatic resolution exhausted: escalated to STEP_UP, labelled defer_escalation",
    async run(t: ScenarioContext) {
      const d = await hitl(t, { maxResolverAttempts: 2, resolvers: [{ id: "cmdb", answer: "unresolved" }] });
      const s = await d.session({ identity: alice("s48"), intent: "deploy web" });
      const deploying = s.call("deploy.run", { service: "web" });
      const request = await openRequest(t, d);
      const note = d.approvals.notifications[0];
      t.check(note?.label === "[DEFER ESCALATION]", `labelled ${note?.label ?? "nothing"}`);
      t.check(request.source === "defer_escalation", `source ${request.source}`);
      t.check(/^dfr_/.test(request.deferral_id ?? ""), "the request does not name the deferral");
      await d.approvals.answer(request.request_id, "approve", "carol@example.com");
      expectRan(t, await deploying, "DEFER", "deploy.run approved after the escalation");
      const chain = await receiptsOf(d, s.id);
      const methods = chain.map((r) => r.deferral?.resolution?.method).filter((m) => m !== undefined);
      t.check(methods.includes("resolver_exhausted"), `resolutions: ${methods.join(", ")}`);
      t.check(
        chain.some((r) => r.approval?.source === "defer_escalation"),
        "no receipt of the escalated approval",
      );
      t.observe(`request ${request.request_id} labelled ${note.label}; resolutions ${methods.join(", ")}`);
    },
  },
  {
    id: "9.4.49",
    requirement: "R4",
    title: "DEFER timeout: DENY, whatever the resolvers; no policy can ask for ALLOW on timeout",
    async run(t: ScenarioContext) {
      for (const resolvers of [[], [{ id: "slow", answer: "hang" as const }]]) {
        const d = await hitl(t, { pendingMs: 150, resolvers });
        const s = await d.session({ identity: alice(`s49-${resolvers.length}`), intent: "rotate" });
        const r = await s.call("creds.rotate", ROTATE);
        expectBlocked(
          t,
          r,
          "DEFER",
          `creds.rotate with ${resolvers.length === 0 ? "no resolver" : "a hanging resolver"}`,
        );
        const how = (await settlementOf(t, d, r)).deferral?.resolution;
        t.check(
          how?.method === "timeout" && how.result === "TIMEOUT",
          `resolution ${JSON.stringify(how ?? null)}`,
        );
      }
      const allowing = compileText(POLICY.replace("then step_up approvers", "then allow approvers"));
      t.check(allowing.ir === null, "a policy asking for ALLOW on timeout compiled");
      t.observe(`\`then allow\` on a deferral does not compile: ${allowing.diagnostics[0]?.message ?? ""}`);
    },
  },
  {
    id: "9.4.50",
    requirement: "R4",
    title: "A dependent action (it uses the deferred action's output) waits, and runs only after it",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({ identity: alice("s50"), intent: "rotate db1 and post the new password" });
      const a = s.call("creds.rotate", ROTATE);
      const deferral = await openDeferral(t, d);
      let bDone = false;
      const b = s
        .call("chat.send", { text: `new password from ${deferral.deferred.action.action_id}` })
        .then((r) => {
          bDone = true;
          return r;
        });
      await sleep(50);
      t.check(!bDone && runs(d, "chat.send") === 0, "the dependent action did not wait");
      await d.deferrals.provideFacts(deferral.deferred.deferral_id, { window_open: true });
      expectRan(t, await a, "DEFER", "creds.rotate");
      expectRan(t, await b, "ALLOW", "chat.send after it");
      t.check(d.executions.map((e) => e.tool).join() === "creds.rotate,chat.send", "out of order");
    },
  },
  {
    id: "9.4.51",
    requirement: "R4",
    title: "An independent action proceeds without waiting for the deferred one",
    async run(t: ScenarioContext) {
      const d = await hitl(t, { pendingMs: 400 });
      const s = await d.session({ identity: alice("s51"), intent: "rotate db1, report status" });
      const a = s.call("creds.rotate", ROTATE);
      await openDeferral(t, d);
      expectRan(t, await s.call("chat.send", { text: "status: working" }), "ALLOW", "chat.send meanwhile");
      t.check(d.executions.map((e) => e.tool).join() === "chat.send", "the deferred action ran");
      expectBlocked(t, await a, "DEFER", "creds.rotate, never resolved");
    },
  },
  {
    id: "9.4.52",
    requirement: "R4",
    title: "Ordering: a deferred action resolved ALLOW runs before the later actions that depend on it",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({ identity: alice("s52"), intent: "rotate db1 and announce it" });
      const a = s.call("creds.rotate", ROTATE);
      const deferral = await openDeferral(t, d);
      const b = s.call("creds.rotate", ROTATE, { callId: "again" });
      const c = s.call("chat.send", { text: `done: ${deferral.deferred.action.action_id}` });
      await d.deferrals.provideFacts(deferral.deferred.deferral_id, { window_open: true });
      const results = await Promise.all([a, b, c]);
      t.check(
        d.executions.map((e) => e.tool).join() === "creds.rotate,chat.send",
        `executions in order: ${d.executions.map((e) => e.tool).join(", ")}`,
      );
      for (const r of results)
        t.observe(`${r.decision ?? "refused"}${r.executed ? ", executed" : ""}`, r.receiptId);
    },
  },
  {
    id: "9.4.53",
    requirement: "R4",
    title: "Cascade limit: a chain of deferrals deeper than the limit is denied",
    async run(t: ScenarioContext) {
      const d = await hitl(t, { pendingMs: 300, maxDeferralDepth: 1 });
      const s = await d.session({ identity: alice("s53"), intent: "rotate and report" });
      const a = s.call("creds.rotate", ROTATE);
      const deferral = await openDeferral(t, d);
      const b = s.call(
        "chat.send",
        { text: `after ${deferral.deferred.action.action_id}` },
        { callId: "call-b" },
      );
      await sleep(20);
      // C uses the result of call B, which waits behind A: a chain of two, beyond the limit of one.
      const c = await s.call("chat.send", { text: "call-b" });
      t.check(!c.executed && /chain of 2 deferrals; at most 1/.test(c.reason), `C: ${c.reason}`);
      t.observe(`C denied: ${c.reason}`, c.receiptId);
      for (const r of await Promise.all([a, b])) t.check(!r.executed, "a deferred action ran unresolved");
      t.check(d.executions.length === 0, "something ran");
    },
  },
  {
    id: "9.4.54",
    requirement: "R4",
    title: "A flood of retries of a deferred action: none runs twice; they attach to the same deferral",
    async run(t: ScenarioContext) {
      const d = await hitl(t);
      const s = await d.session({ identity: alice("s54"), intent: "rotate db1" });
      const a = s.call("creds.rotate", ROTATE, { callId: "r1" });
      const deferral = await openDeferral(t, d);
      const repeats = Array.from({ length: 20 }, () => s.call("creds.rotate", ROTATE, { callId: "r1" }));
      await sleep(20);
      await d.deferrals.provideFacts(deferral.deferred.deferral_id, { window_open: true });
      await Promise.all([a, ...repeats]);
      t.check(runs(d, "creds.rotate") === 1, `creds.rotate ran ${runs(d, "creds.rotate")} times`);
      const all = await d.deferrals.all();
      t.check(all.length === 1, `${all.length} deferrals for one action`);
      t.observe("21 submissions of call r1: one deferral, one execution");
    },
  },
  {
    id: "9.4.55",
    requirement: "R4",
    title: "Resolver retries are capped, and every resolution attempt is audited",
    async run(t: ScenarioContext) {
      const d = await hitl(t, {
        maxResolverAttempts: 3,
        resolvers: [{ id: "inventory", answer: "unresolved" }],
      });
      const s = await d.session({ identity: alice("s55"), intent: "rotate db1" });
      const r = await s.call("creds.rotate", ROTATE);
      expectBlocked(t, r, "DEFER", "creds.rotate with the inventory knowing nothing");
      const audited = d.deferrals.attempts.map((a) => `${a.attempt} ${a.source} ${a.outcome}`);
      t.check(
        audited.join() === "1 inventory unresolved,2 inventory unresolved,3 inventory unresolved",
        `attempts: ${audited.join(", ")}`,
      );
      const how = (await settlementOf(t, d, r)).deferral?.resolution;
      t.check(
        how?.method === "resolver_exhausted" && how.attempts === 3,
        `resolution ${JSON.stringify(how ?? null)}`,
      );
      t.observe(`audited attempts: ${audited.join("; ")}`);
    },
  },
];
