// A STEP_UP delegated to the host's own approval prompt (Claude Code's `ask`): recorded and receipted as
// delegated, never released by the runtime, and settled later, from any process sharing the store, by the
// host's answer, once, for the very action delegated. Runtimes over one SQLite file stand for processes.
import { afterEach, describe, expect, it } from "vitest";
import type { PendingHandle } from "../../src/runtime/engine/types.ts";
import type { IdentityClaims } from "../../src/runtime/identity/types.ts";
import type { Receipt } from "../../src/schema/generated/types.ts";
import { policy, receiptsOf } from "./engine-harness.ts";
import { type Process, sharedStore } from "./processes.ts";

const IR = policy(`
policy host version "1.0"

tool db.query { args { sql: string } effect read output internal }
tool bank.pay { args { to: string, amount: number } effect egress target args.to }
tool bank.wire { args { to: string, amount: number } effect egress target args.to }
tool records.delete { args { table: string } effect delete target args.table }
fact user_confirmed: bool

step_up big_payment on bank.pay when args.amount > 1000 approvers ["finance"] timeout 15m
step_up wires on bank.wire approvers ["carol@example.com", "dave@example.com"] quorum 2 timeout 15m
defer confirm_delete on records.delete when true needs user_confirmed timeout 10m
deny huge on bank.pay when args.amount > 1000000 because "never this much"
allow reads when effect == read
allow pay on bank.pay

default deny
`);

const BIG = { to: "acme", amount: 5000 };
const { clock, start, chainVerifies, cleanup } = sharedStore(IR, {
  timeouts: { pendingCeilingMs: 60_000 },
});

function claims(session: string, token?: string): IdentityClaims {
  return {
    human: "alice@example.com",
    service: "agent-svc",
    agent: "finance-bot",
    session,
    roles: ["analyst"],
    scope: [],
    ...(token === undefined ? {} : { token }),
  };
}

async function pending(p: Process, session: string, callId: string, args = BIG): Promise<PendingHandle> {
  const s = await p.runtime.openSession({ identity: claims(session) });
  const handle = await s.evaluate({ tool: "bank.pay", args, callId });
  if (handle.kind !== "pending") throw new Error(`expected a pending handle, got ${handle.kind}`);
  return handle;
}

async function delegated(p: Process, session: string, callId: string) {
  const handle = await pending(p, session, callId);
  const delegation = await handle.delegateToHost();
  if (!delegation.ok) throw new Error(delegation.error);
  return { handle, delegation };
}

afterEach(() => cleanup("close"));

describe("delegating a STEP_UP to the host's prompt", () => {
  it("records the delegation without releasing; another process records the approval once, then the outcome", async () => {
    const first = start();
    const { handle, delegation } = await delegated(first, "s-host", "p1");
    // Nothing runs through the runtime: the handle settles to deny.
    const settled = await handle.settled;
    expect(settled).toMatchObject({ kind: "deny", decision: "STEP_UP" });
    const marked = (await receiptsOf(first.store, "s-host")).at(-1) as Receipt;
    expect(marked.receipt_id).toBe(delegation.receiptId);
    expect(marked.related_receipt_id).toBe(handle.receiptId);
    expect(marked.decision.result).toBe("STEP_UP");
    expect(marked.approval).toMatchObject({
      decision: "delegated",
      method: "host_prompt",
      responses: [],
      action_digest: delegation.actionDigest,
    });
    await first.close();

    // Resuming does not take the delegated action for one its process abandoned.
    const second = start();
    const s2 = await second.runtime.openSession({ identity: claims("s-host") });
    expect(await receiptsOf(second.store, "s-host")).toHaveLength(2);
    expect(second.faults).toEqual([]);
    const repeat = await s2.evaluate({ tool: "bank.pay", args: BIG, callId: "p1" });
    expect(repeat).toMatchObject({ kind: "deny", replay: true, actionId: handle.actionId });
    expect(repeat.kind === "deny" ? repeat.reason : "").toContain("host's approval prompt");
    expect(await s2.recordOutcome(handle.actionId, { success: true })).toMatchObject({ ok: false });

    const answer = {
      approver: "alice",
      approved: true,
      at: clock.now(),
      actionDigest: delegation.actionDigest,
    };
    const approved = await s2.recordHostApproval(handle.actionId, answer);
    expect(approved).toMatchObject({ ok: true, released: true });
    if (!approved.ok) return;
    const grant = (await receiptsOf(second.store, "s-host")).at(-1) as Receipt;
    expect(grant.receipt_id).toBe(approved.receiptId);
    expect(grant.related_receipt_id).toBe(delegation.receiptId);
    expect(grant.decision.result).toBe("ALLOW");
    expect(grant.approval).toMatchObject({
      decision: "approved",
      method: "host_prompt",
      action_digest: delegation.actionDigest,
      responses: [{ approver: "alice", identity_verified: false, decision: "approve" }],
    });
    expect(grant.approval?.reason).toContain("identity not verified");
    // Once only.
    expect(await s2.recordHostApproval(handle.actionId, answer)).toMatchObject({ ok: false });

    const third = start();
    const s3 = await third.runtime.openSession({ identity: claims("s-host") });
    const outcome = await s3.recordOutcome(handle.actionId, { success: true, output: "paid" });
    expect(outcome.ok).toBe(true);
    // The session goes on.
    const next = await s3.evaluate({ tool: "db.query", args: { sql: "select 1" }, callId: "q1" });
    expect(next).toMatchObject({ kind: "allow", replay: false });
    await chainVerifies();
  });

  it("a denial, or an approval for a stale identity, leaves the action denied", async () => {
    const p = start();
    const { handle, delegation } = await delegated(p, "s-no", "p1");
    const s = await p.runtime.openSession({ identity: claims("s-no") });
    const at = clock.now();
    const refused = await s.recordHostApproval(handle.actionId, {
      approver: "alice",
      approved: false,
      at,
      actionDigest: delegation.actionDigest,
    });
    expect(refused).toMatchObject({ ok: true, released: false });
    const denial = (await receiptsOf(p.store, "s-no")).at(-1) as Receipt;
    expect(denial.decision.result).toBe("DENY");
    expect(denial.approval).toMatchObject({ decision: "denied", method: "host_prompt" });
    expect(await s.recordOutcome(handle.actionId, { success: true })).toMatchObject({ ok: false });
    expect(
      await s.recordHostApproval(handle.actionId, {
        approver: "alice",
        approved: true,
        at,
        actionDigest: delegation.actionDigest,
      }),
    ).toMatchObject({ ok: false });

    // Approved, but the claims no longer verify: recorded, not released, and not logged as approved.
    const second = await delegated(p, "s-stale", "p1");
    const stale = await p.runtime.openSession({ identity: claims("s-stale", "revoked") });
    const late = await stale.recordHostApproval(second.handle.actionId, {
      approver: "alice",
      approved: true,
      at: clock.now(),
      actionDigest: second.delegation.actionDigest,
    });
    expect(late).toMatchObject({ ok: true, released: false });
    expect(late.ok ? late.reason : "").toContain("token revoked");
    expect(await stale.recordOutcome(second.handle.actionId, { success: true })).toMatchObject({ ok: false });
    await chainVerifies();
  });
});

describe("what may be delegated and answered", () => {
  it("binds the answer to the delegated action's digest", async () => {
    const p = start();
    const { handle, delegation } = await delegated(p, "s-digest", "p1");
    const other = await delegated(p, "s-digest", "p2");
    const s = await p.runtime.openSession({ identity: claims("s-digest") });
    const answer = { approver: "alice", approved: true, at: clock.now() };
    const swapped = await s.recordHostApproval(handle.actionId, {
      ...answer,
      actionDigest: other.delegation.actionDigest,
    });
    expect(swapped).toEqual({ ok: false, error: `the answer names another action than ${handle.actionId}` });
    expect(await s.recordOutcome(handle.actionId, { success: true })).toMatchObject({ ok: false });
    const early = await s.recordHostApproval(handle.actionId, {
      ...answer,
      at: new Date(0),
      actionDigest: delegation.actionDigest,
    });
    expect(early).toMatchObject({ ok: false });
    expect(
      await s.recordHostApproval(handle.actionId, { ...answer, actionDigest: delegation.actionDigest }),
    ).toMatchObject({ ok: true, released: true });
  });

  it("refuses to delegate or answer anything but a delegated STEP_UP", async () => {
    const p = start();
    const s = await p.runtime.openSession({ identity: claims("s-kinds") });
    const answer = (actionId: string) =>
      s.recordHostApproval(actionId, {
        approver: "alice",
        approved: true,
        at: clock.now(),
        actionDigest: "x",
      });

    const allowed = await s.evaluate({ tool: "db.query", args: { sql: "select 1" }, callId: "a" });
    const denied = await s.evaluate({ tool: "bank.pay", args: { to: "x", amount: 2_000_000 }, callId: "d" });
    expect(allowed.kind).toBe("allow");
    expect(denied.kind).toBe("deny");
    expect(await answer(allowed.actionId)).toMatchObject({ ok: false });
    expect(await answer(denied.actionId)).toMatchObject({ ok: false });

    const deferred = await s.evaluate({ tool: "records.delete", args: { table: "t" }, callId: "f" });
    if (deferred.kind !== "pending") throw new Error("not deferred");
    expect(await deferred.delegateToHost()).toMatchObject({ ok: false });
    expect(await answer(deferred.actionId)).toMatchObject({ ok: false });

    const quorum = await s.evaluate({ tool: "bank.wire", args: { to: "y", amount: 5 }, callId: "w" });
    if (quorum.kind !== "pending") throw new Error("not a STEP_UP");
    expect(await quorum.delegateToHost()).toMatchObject({
      ok: false,
      error: expect.stringContaining("quorum of 2"),
    });

    // A STEP_UP still waiting in its process (not delegated) cannot be answered as if it were.
    const waiting = await pending(p, "s-kinds", "p1");
    expect(await answer(waiting.actionId)).toMatchObject({ ok: false });
    // Cancelled, it can no longer be delegated.
    waiting.cancel();
    expect(await waiting.delegateToHost()).toMatchObject({ ok: false });
    for (const h of [deferred, quorum]) h.cancel();
  });
});

describe("failing closed", () => {
  it("does not delegate when the delegation cannot be logged", async () => {
    const p = start();
    const handle = await pending(p, "s-fail-d", "p1");
    p.faulty.failing.add("appendContext");
    expect(await handle.delegateToHost()).toMatchObject({ ok: false });
    expect(await handle.settled).toMatchObject({ kind: "deny" });
  });

  it("releases nothing when the store fails while the answer is recorded, and answers once", async () => {
    const p = start();
    const { handle, delegation } = await delegated(p, "s-fail-a", "p1");
    const s = await p.runtime.openSession({ identity: claims("s-fail-a") });
    const answer = {
      approver: "alice",
      approved: true,
      at: clock.now(),
      actionDigest: delegation.actionDigest,
    };

    p.faulty.failing.add("readReceipts");
    expect(await s.recordHostApproval(handle.actionId, answer)).toMatchObject({ ok: false });
    p.faulty.failing.clear();
    p.faulty.failing.add("readContext");
    expect(await s.recordHostApproval(handle.actionId, answer)).toMatchObject({ ok: false });
    p.faulty.failing.clear();

    // The approval cannot be logged: its receipt records a denial, and the answer is spent.
    p.faulty.failing.add("appendContext");
    const unlogged = await s.recordHostApproval(handle.actionId, answer);
    expect(unlogged).toMatchObject({ ok: true, released: false });
    p.faulty.failing.clear();
    expect(await s.recordOutcome(handle.actionId, { success: true })).toMatchObject({ ok: false });
    expect(await s.recordHostApproval(handle.actionId, answer)).toMatchObject({ ok: false });
  });
});
