// AARM acceptance scenarios §9.4 (R4: the five decisions), against the public runtime API, with the
// approval desk (STEP_UP) and the deferral desk (DEFER) over the runtime's SQLite store. Tools are mocks
// that record whether and with which arguments they ran; every scenario ends with its receipts verified
// offline.
import { afterEach, describe, expect, it } from "vitest";
import { GROUPS, POLICY } from "../../src/conformance/scenarios/r4.ts";
import { ApprovalDesk } from "../../src/runtime/approvals/desk.ts";
import type { ApprovalNotification } from "../../src/runtime/approvals/notify.ts";
import {
  type DeferralAttempt,
  DeferralDesk,
  type DeferralResolver,
} from "../../src/runtime/deferrals/desk.ts";
import type { DenyHandle, EnforcementHandle, PendingHandle } from "../../src/runtime/engine/types.ts";
import type { RuntimeOptions } from "../../src/runtime/runtime.ts";
import type { Store } from "../../src/runtime/store/types.ts";
import {
  enforce,
  expectVerifiedReceipts,
  type Harness,
  harness,
  policy,
  receipt,
  receiptsOf,
  TestVerifier,
} from "./engine-harness.ts";

// The policy the conformance suite runs §9.4 under: these tests check the same scenarios in-process.
const IR = policy(POLICY);
const APPROVERS = ["carol@example.com", "dave@example.com", "erin@example.com", "alice@example.com"];

let h: Harness;
afterEach(async () => {
  await h?.close();
});

interface Hitl {
  readonly approvals: ApprovalDesk;
  readonly deferrals: DeferralDesk;
  readonly notifications: ApprovalNotification[];
  readonly attempts: DeferralAttempt[];
}

/** A harness whose runtime has an approval desk and a deferral desk over its store. */
function hitlHarness(
  options: {
    readonly resolvers?: readonly DeferralResolver[];
    readonly maxAttempts?: number;
    readonly ceilingMs?: number;
    readonly frozenClock?: boolean;
    readonly runtime?: Partial<RuntimeOptions>;
  } = {},
): Hitl {
  const notifications: ApprovalNotification[] = [];
  const attempts: DeferralAttempt[] = [];
  let desks: { approvals: ApprovalDesk; deferrals: DeferralDesk } | null = null;
  const built = (): { approvals: ApprovalDesk; deferrals: DeferralDesk } => {
    if (desks === null) throw new Error("the store was not wrapped");
    return desks;
  };
  const clock = (): Date => h.clock.now();
  h = harness(IR, {
    wrap: (store: Store) => {
      desks = {
        approvals: new ApprovalDesk({
          store,
          verifier: new TestVerifier(APPROVERS),
          directory: { groups: GROUPS },
          notifiers: [{ notify: async (n) => void notifications.push(n) }],
          clock,
          pollMs: 20,
        }),
        deferrals: new DeferralDesk({
          store,
          resolvers: options.resolvers ?? [],
          maxAttempts: options.maxAttempts ?? 3,
          retryMs: 5,
          clock,
          onAttempt: (a) => attempts.push(a),
        }),
      };
      return store;
    },
    // The desks need the harness's store, made inside it: the runtime reaches them through these.
    approvals: { request: (request, signal) => built().approvals.request(request, signal) },
    deferrals: { defer: (deferred, signal, again) => built().deferrals.defer(deferred, signal, again) },
    timeouts: { pendingCeilingMs: options.ceilingMs ?? 3000, scorerMs: 200, identityMs: 200, factsMs: 200 },
    ...options.runtime,
  });
  if (options.frozenClock === true) h.clock.step = 0;
  return { ...built(), notifications, attempts };
}

function denied(handle: EnforcementHandle): DenyHandle {
  expect(handle.kind).toBe("deny");
  return handle as DenyHandle;
}

function pending(handle: EnforcementHandle): PendingHandle {
  expect(handle.kind).toBe("pending");
  return handle as PendingHandle;
}

/** Waits until `check` holds, polling, for at most `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const token = (who: string) => ({ approver: who, token: `token-of-${who}` });

describe("§9.4 R4: ALLOW, DENY and MODIFY", () => {
  it("34. ALLOW executes once with the original parameters", async () => {
    hitlHarness();
    const s = await h.session();
    const handle = await h.call(s, "db.query", { sql: "select 1", limit: 10 }, "c1");
    expect(handle).toMatchObject({ kind: "allow", decision: "ALLOW", replay: false });
    const again = await h.call(s, "db.query", { sql: "select 1", limit: 10 }, "c1");
    expect(again).toMatchObject({ kind: "allow", replay: true });
    expect(h.tools.calls).toEqual([{ tool: "db.query", args: { sql: "select 1", limit: 10 } }]);
    await expectVerifiedReceipts(h, IR);
  });

  it("35. DENY does not execute and gives the agent the reason", async () => {
    hitlHarness();
    const s = await h.session();
    const handle = denied(await h.call(s, "db.query", { sql: "DROP TABLE users", limit: 1 }));
    expect(handle.reason).toContain("no DROP statements");
    expect(handle.rules).toEqual(["no_drops"]);
    expect(h.tools.calls).toEqual([]);
    await expectVerifiedReceipts(h, IR);
  });

  it("36. MODIFY: db.query(limit=5000) executes with limit=100 and the receipt shows the modification", async () => {
    hitlHarness();
    const s = await h.session();
    const handle = await h.call(s, "db.query", { sql: "select *", limit: 5000 });
    expect(handle).toMatchObject({ kind: "allow", decision: "MODIFY", args: { limit: 100 } });
    expect(h.tools.calls).toEqual([{ tool: "db.query", args: { sql: "select *", limit: 100 } }]);
    const r = await receipt(h.store, handle.kind === "allow" ? handle.receiptId : null);
    expect(r.action.parameters).toMatchObject({ limit: 5000 });
    expect(r.action.modified_parameters).toMatchObject({ limit: 100 });
    await expectVerifiedReceipts(h, IR);
  });

  it("37. MODIFY redaction: params.ssn is [REDACTED] before forwarding", async () => {
    hitlHarness();
    const s = await h.session();
    await h.call(s, "crm.update", { id: "c-7", ssn: "123-45-6789" });
    expect(h.tools.calls).toEqual([{ tool: "crm.update", args: { id: "c-7", ssn: "[REDACTED]" } }]);
    await expectVerifiedReceipts(h, IR);
  });

  it("38. MODIFY filter: an analyst's read_file('/etc/secret') is scoped to the allowed path", async () => {
    hitlHarness();
    const s = await h.session();
    await h.call(s, "fs.read", { path: "/etc/secret" });
    expect(h.tools.calls).toEqual([{ tool: "fs.read", args: { path: "/workspace/etc" } }]);
    await expectVerifiedReceipts(h, IR);
  });

  it("39. MODIFY: the modified action is checked against the forbid rules again", async () => {
    hitlHarness();
    const s = await h.session();
    const handle = denied(await h.call(s, "fs.read", { path: "/tmp/link" }));
    expect(handle.rules).toContain("no_shadow");
    expect(h.tools.calls).toEqual([]);
    await expectVerifiedReceipts(h, IR);
  });
});

describe("§9.4 R4: STEP_UP", () => {
  it("40. STEP_UP approved: blocks, approvers see the full context, then it executes once", async () => {
    const hitl = hitlHarness();
    const s = await h.session({ intent: "pay the March invoice of ACME, 5000" });
    await h.call(s, "db.query", { sql: "select * from invoices", limit: 5 });
    const handle = pending(
      await s.evaluate({ tool: "bank.pay", args: { to: "ACME", amount: 5000 }, callId: "p1" }),
    );
    expect(handle.decision).toBe("STEP_UP");
    await until(() => hitl.notifications.length > 0);
    const note = hitl.notifications[0];
    expect(note).toMatchObject({ type: "approval_requested", label: "[APPROVAL REQUIRED]" });
    expect(note?.approvers).toEqual(["carol@example.com", "dave@example.com", ...GROUPS["group:treasury"]]);
    const request = note?.request;
    expect(request?.source).toBe("step_up");
    expect(request?.original_request?.text).toBe("pay the March invoice of ACME, 5000");
    expect(request?.action).toMatchObject({ tool: "bank.pay", parameters: { to: "ACME", amount: 5000 } });
    expect(request?.action.identity).toMatchObject({ human: "alice@example.com", service: "agent-svc" });
    expect(request?.action.identity.roles).toEqual(["analyst"]);
    expect(request?.prior_actions.map((a) => a.tool)).toEqual(["db.query"]);
    expect(request?.data_classifications).toBeDefined();
    expect(request?.highest_sensitivity).toBe("internal");
    expect(typeof request?.semantic_distance).toBe("number");
    expect(request).toHaveProperty("risk_level");
    expect(request?.rules).toEqual(["big_payment"]);
    expect(request?.reasons).toEqual(["payments above 1000 need two approvers"]);
    expect(request?.requirement).toMatchObject({ quorum: 2 });
    const listed = await hitl.approvals.list();
    expect(listed.ok && listed.value.map((r) => r.request.request_id)).toEqual([request?.request_id]);

    const id = request?.request_id ?? "";
    // The requester may not approve their own action; one approval is not a quorum of two.
    expect(await hitl.approvals.approve(id, token("alice@example.com"))).toMatchObject({
      ok: false,
      kind: "self_approval",
    });
    expect(await hitl.approvals.approve(id, token("carol@example.com"))).toMatchObject({ ok: true });
    expect(await hitl.approvals.approve(id, token("carol@example.com"))).toMatchObject({
      ok: false,
      kind: "duplicate",
    });
    expect(h.tools.calls.filter((c) => c.tool === "bank.pay")).toEqual([]);
    const done = await hitl.approvals.approve(id, token("dave@example.com"), {
      actionDigest: request?.action_digest ?? "",
    });
    expect(done.ok && done.record.result?.decision).toBe("approved");
    const final = await enforce(s, h.tools, handle);
    expect(final).toMatchObject({ kind: "allow", decision: "STEP_UP" });
    expect(h.tools.ran("bank.pay")).toBe(1);
    // Single use: the settled request cannot be answered again, and a repeat of the call does not run again.
    expect(await hitl.approvals.approve(id, token("erin@example.com"))).toMatchObject({
      ok: false,
      kind: "settled",
    });
    await enforce(
      s,
      h.tools,
      await s.evaluate({ tool: "bank.pay", args: { to: "ACME", amount: 5000 }, callId: "p1" }),
    );
    expect(h.tools.ran("bank.pay")).toBe(1);
    const followUp = await receipt(h.store, final.receiptId);
    expect(followUp.approval?.decision).toBe("approved");
    expect(followUp.approval?.responses.map((r) => r.approver)).toEqual([
      "carol@example.com",
      "dave@example.com",
    ]);
    await expectVerifiedReceipts(h, IR);
  });

  it("41. STEP_UP denied by the approver: no execution; the receipt has approver, decision, time and reason", async () => {
    const hitl = hitlHarness();
    const s = await h.session();
    const handle = pending(await s.evaluate({ tool: "bank.pay", args: { to: "ACME", amount: 5000 } }));
    await until(() => hitl.notifications.length > 0);
    const id = hitl.notifications[0]?.request_id ?? "";
    await hitl.approvals.deny(id, token("carol@example.com"), { reason: "not an invoice we owe" });
    const final = denied(await enforce(s, h.tools, handle));
    expect(final.decision).toBe("STEP_UP");
    expect(h.tools.calls).toEqual([]);
    const r = await receipt(h.store, final.receiptId);
    expect(r.approval?.decision).toBe("denied");
    expect(r.approval?.responses[0]).toMatchObject({
      approver: "carol@example.com",
      decision: "deny",
      identity_verified: true,
      reason: "not an invoice we owe",
    });
    expect(r.approval?.responses[0]?.responded_at).toMatch(/Z$/);
    await expectVerifiedReceipts(h, IR);
  });

  it("42. STEP_UP timeout: DENY, the receipt says timeout, nothing runs and the request is closed", async () => {
    const hitl = hitlHarness({ ceilingMs: 150 });
    const s = await h.session();
    const handle = pending(await s.evaluate({ tool: "bank.pay", args: { to: "ACME", amount: 5000 } }));
    const final = denied(await enforce(s, h.tools, handle));
    expect(final.reason).toMatch(/timed out/);
    expect((await receipt(h.store, final.receiptId)).approval?.decision).toBe("timeout");
    expect(h.tools.calls).toEqual([]);
    const id = hitl.notifications[0]?.request_id ?? "";
    await until(async () => {
      const got = await hitl.approvals.show(id);
      return got.ok && got.value.result?.decision === "timeout";
    });
    expect(await hitl.approvals.approve(id, token("carol@example.com"))).toMatchObject({
      ok: false,
      kind: "settled",
    });
    await expectVerifiedReceipts(h, IR);
  });

  it("43. STEP_UP escalation: without an answer by escalation.after, the backup approver is notified and may answer", async () => {
    const hitl = hitlHarness({ frozenClock: true });
    const s = await h.session();
    const handle = pending(await s.evaluate({ tool: "bank.wire", args: { to: "ACME", amount: 10 } }));
    await until(() => hitl.notifications.length > 0);
    const id = hitl.notifications[0]?.request_id ?? "";
    expect(hitl.notifications[0]?.approvers).toEqual(["carol@example.com"]);
    expect(await hitl.approvals.approve(id, token("dave@example.com"))).toMatchObject({
      ok: false,
      kind: "not_an_approver",
    });
    await until(() => hitl.notifications.some((n) => n.type === "approval_escalated"));
    expect(hitl.notifications.find((n) => n.type === "approval_escalated")?.approvers).toEqual([
      "dave@example.com",
    ]);
    h.clock.set("2026-11-22T09:00:05.000Z");
    expect(await hitl.approvals.approve(id, token("dave@example.com"))).toMatchObject({ ok: true });
    expect(await enforce(s, h.tools, handle)).toMatchObject({ kind: "allow" });
    expect(h.tools.ran("bank.wire")).toBe(1);
    await expectVerifiedReceipts(h, IR);
  });

  it("44. STEP_UP with an approver whose identity does not verify: rejected (identity_verified=false), nothing runs", async () => {
    const hitl = hitlHarness({ ceilingMs: 300 });
    const s = await h.session();
    const handle = pending(await s.evaluate({ tool: "bank.pay", args: { to: "ACME", amount: 5000 } }));
    await until(() => hitl.notifications.length > 0);
    const id = hitl.notifications[0]?.request_id ?? "";
    for (const who of ["carol@example.com", "dave@example.com"]) {
      const answered = await hitl.approvals.approve(id, { approver: who, token: "forged" });
      expect(answered).toMatchObject({ ok: true, verified: false });
    }
    const final = denied(await enforce(s, h.tools, handle));
    expect(h.tools.calls).toEqual([]);
    expect((await receipt(h.store, final.receiptId)).approval?.decision).toBe("timeout");
    const stored = await hitl.approvals.show(id);
    expect(stored.ok && stored.value.responses.map((x) => x.identity_verified)).toEqual([false, false]);
    await expectVerifiedReceipts(h, IR);
  });

  it("45. STEP_UP where the requester's identity is revoked before the approval arrives: DENY", async () => {
    const hitl = hitlHarness();
    const s = await h.session();
    const handle = pending(await s.evaluate({ tool: "bank.pay", args: { to: "ACME", amount: 5000 } }));
    await until(() => hitl.notifications.length > 0);
    const id = hitl.notifications[0]?.request_id ?? "";
    h.verifier.known.delete("alice@example.com");
    await hitl.approvals.approve(id, token("carol@example.com"));
    await hitl.approvals.approve(id, token("dave@example.com"));
    const final = denied(await enforce(s, h.tools, handle));
    expect(final.reason).toMatch(/approved, but the identity no longer holds/);
    expect(h.tools.calls).toEqual([]);
    await expectVerifiedReceipts(h, IR);
  });
});

const rotate = { tool: "creds.rotate", args: { system: "db1" } } as const;

describe("§9.4 R4: DEFER", () => {
  it("46. DEFER resolved to ALLOW by a resolver: executes; two receipts, the resolution linked to the deferral", async () => {
    hitlHarness({
      resolvers: [
        { id: "change-calendar", resolve: async () => ({ kind: "facts", facts: { window_open: true } }) },
      ],
    });
    const s = await h.session();
    const handle = pending(await s.evaluate(rotate));
    expect(handle.decision).toBe("DEFER");
    const final = await enforce(s, h.tools, handle);
    expect(final).toMatchObject({ kind: "allow", decision: "DEFER" });
    expect(h.tools.ran("creds.rotate")).toBe(1);
    const deferral = await receipt(h.store, handle.receiptId);
    expect(deferral.deferral?.context_needed).toEqual(["window_open"]);
    const resolution = await receipt(h.store, final.receiptId);
    expect(resolution.related_receipt_id).toBe(handle.receiptId);
    expect(resolution.deferral?.resolution).toMatchObject({ method: "re_evaluation", result: "ALLOW" });
    expect(resolution.deferral?.resolution?.resolved_at).toMatch(/Z$/);
    expect(resolution.deferral?.resolution?.original_identity.human).toBe("alice@example.com");
    await expectVerifiedReceipts(h, IR);
  });

  it("47. DEFER resolved to DENY: no execution, with a resolution receipt", async () => {
    const hitl = hitlHarness();
    const s = await h.session();
    const handle = pending(await s.evaluate(rotate));
    const deferralId = (await receipt(h.store, handle.receiptId)).deferral?.deferral_id ?? "";
    await until(() => hitl.deferrals.provideFacts(deferralId, { window_open: false }).ok);
    const final = denied(await enforce(s, h.tools, handle));
    expect(h.tools.calls).toEqual([]);
    const r = await receipt(h.store, final.receiptId);
    expect(r.deferral?.resolution).toMatchObject({ method: "re_evaluation", result: "DENY" });
    const stored = await hitl.deferrals.show(deferralId);
    expect(stored.ok && stored.value.resolution?.result).toBe("DENY");
    await expectVerifiedReceipts(h, IR);
  });

  it("48. DEFER with automatic resolution exhausted: escalated to STEP_UP, labelled defer_escalation", async () => {
    const hitl = hitlHarness({
      maxAttempts: 2,
      resolvers: [{ id: "cmdb", resolve: async () => ({ kind: "unresolved", reason: "no record" }) }],
    });
    const s = await h.session();
    const handle = pending(await s.evaluate({ tool: "deploy.run", args: { service: "web" } }));
    await until(() => hitl.notifications.length > 0);
    const note = hitl.notifications[0];
    expect(note).toMatchObject({ label: "[DEFER ESCALATION]" });
    expect(note?.request.source).toBe("defer_escalation");
    expect(note?.request.deferral_id).toMatch(/^dfr_/);
    await hitl.approvals.approve(note?.request_id ?? "", token("carol@example.com"));
    const final = await enforce(s, h.tools, handle);
    expect(final).toMatchObject({ kind: "allow", decision: "DEFER" });
    expect(h.tools.ran("deploy.run")).toBe(1);
    const chain = await receiptsOf(h.store, s.id);
    const resolutions = chain.map((r) => r.deferral?.resolution?.method).filter((m) => m !== undefined);
    expect(resolutions).toContain("resolver_exhausted");
    expect(chain.at(-2)?.approval?.source).toBe("defer_escalation");
    await expectVerifiedReceipts(h, IR);
  });

  it("49. DEFER timeout: DENY, whatever the configuration", async () => {
    for (const resolvers of [[], [{ id: "slow", resolve: () => new Promise<never>(() => {}) }]]) {
      hitlHarness({ ceilingMs: 100, resolvers });
      const s = await h.session();
      const handle = pending(await s.evaluate(rotate));
      const final = denied(await enforce(s, h.tools, handle));
      expect(final.reason).toMatch(/timed out/);
      const r = await receipt(h.store, final.receiptId);
      expect(r.deferral?.resolution).toMatchObject({ method: "timeout", result: "TIMEOUT" });
      expect(h.tools.calls).toEqual([]);
      await expectVerifiedReceipts(h, IR);
      await h.close();
    }
    // No policy can ask for ALLOW on timeout: the language has only `then deny` and `then step_up`.
    expect(() => policy(POLICY.replace("then step_up approvers", "then allow approvers"))).toThrow();
  });

  it("50. a dependent action (it uses the deferred action's output) waits, and runs only after it", async () => {
    const hitl = hitlHarness();
    const s = await h.session();
    const a = pending(await s.evaluate(rotate));
    const b = s.evaluate({ tool: "chat.send", args: { text: `new password from ${a.actionId}` } });
    let bDecided = false;
    void b.then(() => {
      bDecided = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(bDecided).toBe(false);
    const deferralId = (await receipt(h.store, a.receiptId)).deferral?.deferral_id ?? "";
    expect(hitl.deferrals.provideFacts(deferralId, { window_open: true }).ok).toBe(true);
    await enforce(s, h.tools, a);
    await enforce(s, h.tools, await b);
    expect(h.tools.calls.map((c) => c.tool)).toEqual(["creds.rotate", "chat.send"]);
    await expectVerifiedReceipts(h, IR);
  });

  it("51. an independent action proceeds without waiting for the deferred one", async () => {
    hitlHarness();
    const s = await h.session();
    const a = pending(await s.evaluate(rotate));
    const c = await h.call(s, "chat.send", { text: "status: working" });
    expect(c).toMatchObject({ kind: "allow" });
    expect(h.tools.calls.map((x) => x.tool)).toEqual(["chat.send"]);
    a.cancel();
    denied(await a.settled);
    await expectVerifiedReceipts(h, IR);
  });

  it("52. ordering: a deferred action resolved ALLOW runs before the later actions that depend on it", async () => {
    const hitl = hitlHarness();
    const s = await h.session();
    const a = pending(await s.evaluate(rotate));
    // Touches the same target; then one naming A's call by its id.
    const b = s.evaluate({ tool: "creds.rotate", args: { system: "db1" }, callId: "again" });
    const c = s.evaluate({ tool: "chat.send", args: { text: `done: ${a.actionId}` } });
    const deferralId = (await receipt(h.store, a.receiptId)).deferral?.deferral_id ?? "";
    await until(() => hitl.deferrals.provideFacts(deferralId, { window_open: true }).ok);
    await enforce(s, h.tools, a);
    await enforce(s, h.tools, await b);
    await enforce(s, h.tools, await c);
    expect(h.tools.calls.map((x) => x.tool)).toEqual(["creds.rotate", "chat.send"]);
    await expectVerifiedReceipts(h, IR);
  });

  it("53. cascade limit: a chain of deferrals deeper than the limit is denied", async () => {
    hitlHarness({ ceilingMs: 300, runtime: { maxDeferralDepth: 1 } });
    const s = await h.session();
    const a = pending(await s.evaluate(rotate));
    const b = s.evaluate({ tool: "chat.send", args: { text: `after ${a.actionId}` }, callId: "call-b" });
    await new Promise((r) => setTimeout(r, 20));
    // C uses the result of call B, which waits behind A: a chain of two, beyond the limit of one.
    const c = denied(await s.evaluate({ tool: "chat.send", args: { text: "call-b" } }));
    expect(c.reason).toMatch(/chain of 2 deferrals; at most 1/);
    expect(h.tools.calls).toEqual([]);
    denied(await enforce(s, h.tools, a));
    denied(await b);
    expect(h.tools.calls).toEqual([]);
    await expectVerifiedReceipts(h, IR);
  });

  it("54. a flood of retries of a deferred action: none runs twice; they attach to the same deferral", async () => {
    const hitl = hitlHarness();
    const s = await h.session();
    const a = pending(await s.evaluate(rotate));
    const repeats = await Promise.all(Array.from({ length: 20 }, () => s.evaluate(rotate)));
    for (const r of repeats) expect(r).toMatchObject({ kind: "pending", actionId: a.actionId, replay: true });
    const deferralId = (await receipt(h.store, a.receiptId)).deferral?.deferral_id ?? "";
    await until(() => hitl.deferrals.provideFacts(deferralId, { window_open: true }).ok);
    await Promise.all([a, ...repeats].map((handle) => enforce(s, h.tools, handle)));
    expect(h.tools.ran("creds.rotate")).toBe(1);
    const all = await hitl.deferrals.list({}, { limit: 100 });
    expect(all.ok && all.value.length).toBe(1);
    await expectVerifiedReceipts(h, IR);
  });

  it("55. resolver retries are capped and every resolution attempt is audited", async () => {
    let calls = 0;
    const hitl = hitlHarness({
      maxAttempts: 3,
      resolvers: [
        {
          id: "inventory",
          resolve: async () => {
            calls++;
            return { kind: "unresolved", reason: "inventory has no entry" };
          },
        },
      ],
    });
    const s = await h.session();
    const handle = pending(await s.evaluate(rotate));
    const final = denied(await enforce(s, h.tools, handle));
    expect(calls).toBe(3);
    expect(hitl.attempts.map((a) => [a.attempt, a.source, a.outcome])).toEqual([
      [1, "inventory", "unresolved"],
      [2, "inventory", "unresolved"],
      [3, "inventory", "unresolved"],
    ]);
    const r = await receipt(h.store, final.receiptId);
    expect(r.deferral?.resolution).toMatchObject({ method: "resolver_exhausted", attempts: 3 });
    const stored = await hitl.deferrals.list({}, { limit: 10 });
    expect(stored.ok && stored.value[0]?.deferred.attempts).toBe(3);
    expect(h.tools.calls).toEqual([]);
    await expectVerifiedReceipts(h, IR);
  });
});
