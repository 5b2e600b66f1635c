// Resuming a stored session from another process: runtimes over one SQLite file, each standing for a process
// (the Claude Code hook runs one per tool call), sharing sessions through the store alone.
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { ContextLog } from "../../src/runtime/context/log.ts";
import type { ApprovalService } from "../../src/runtime/engine/types.ts";
import type { IdentityClaims } from "../../src/runtime/identity/types.ts";
import type { Scorer } from "../../src/runtime/scoring/types.ts";
import type { Receipt } from "../../src/schema/generated/types.ts";
import { policy, receiptsOf } from "./engine-harness.ts";
import { sharedStore } from "./processes.ts";

const IR = policy(`
policy resume version "1.0"

tool db.query { args { sql: string } effect read output internal }
tool bank.pay { args { to: string, amount: number } effect egress target args.to }

step_up big_payment on bank.pay when args.amount > 1000 approvers ["finance"] timeout 15m
allow reads when effect == read
allow pay on bank.pay

default deny
`);

const { databasePath, start, chainVerifies, cleanup } = sharedStore(IR, {
  timeouts: { pendingCeilingMs: 60_000, scorerMs: 10_000 },
});

function claims(session: string, human = "alice@example.com"): IdentityClaims {
  return { human, service: "agent-svc", agent: "finance-bot", session, roles: ["analyst"], scope: [] };
}

afterEach(() => cleanup("kill"));

describe("openSession", () => {
  it("starts a session the store does not have, and resumes it in the next process", async () => {
    const first = start();
    const s1 = await first.runtime.openSession({ identity: claims("s-1"), intent: "read the orders" });
    const read = await s1.evaluate({ tool: "db.query", args: { sql: "select 1" }, callId: "c1" });
    expect(read).toMatchObject({ kind: "allow", replay: false });
    await first.kill();

    const second = start();
    const s2 = await second.runtime.openSession({ identity: claims("s-1"), intent: "something else" });
    const next = await s2.evaluate({ tool: "db.query", args: { sql: "select 2" }, callId: "c2" });
    expect(next).toMatchObject({ kind: "allow", replay: false });
    // The stored intent stands; the one given to openSession is ignored.
    const log = await new ContextLog({ store: second.store }).load("s-1");
    if (!log.ok) throw new Error("the log does not load");
    const intents = log.value.entries.filter((e) => e.type === "intent");
    expect(intents.map((e) => (e.type === "intent" ? e.intent.text : ""))).toEqual(["read the orders"]);
    // The same call again, in a new process, is the same action: its recorded decision, as a replay.
    const again = await s2.evaluate({ tool: "db.query", args: { sql: "select 1" }, callId: "c1" });
    expect(again).toMatchObject({ kind: "allow", replay: true, actionId: read.actionId });
    expect(second.faults).toEqual([]);
    await chainVerifies();
  });

  it("records the outcome of an action a previous process released", async () => {
    const first = start();
    const s1 = await first.runtime.openSession({ identity: claims("s-out") });
    const handle = await s1.evaluate({ tool: "db.query", args: { sql: "select 1" }, callId: "c1" });
    if (handle.kind !== "allow") throw new Error("not allowed");
    await first.kill();

    const second = start();
    const s2 = await second.runtime.openSession({ identity: claims("s-out") });
    const recorded = await s2.recordOutcome(handle.actionId, { success: true, output: "1 row" });
    expect(recorded.ok).toBe(true);
    if (!recorded.ok) return;
    const receipts = await receiptsOf(second.store, "s-out");
    const execution = receipts.find((r) => r.receipt_id === recorded.receiptId) as Receipt;
    expect(execution.related_receipt_id).toBe(handle.receiptId);
    expect(execution.execution?.success).toBe(true);
    expect(await s2.recordOutcome(handle.actionId, { success: true })).toMatchObject({ ok: false });
    await chainVerifies();
  });

  it("denies, with a receipt, an action a previous process left waiting for approval", async () => {
    const silent: ApprovalService = { request: () => new Promise(() => {}) };
    const first = start({ approvals: silent });
    const s1 = await first.runtime.openSession({ identity: claims("s-pend") });
    const pending = await s1.evaluate({ tool: "bank.pay", args: { to: "acme", amount: 5000 }, callId: "p1" });
    expect(pending).toMatchObject({ kind: "pending", decision: "STEP_UP" });
    await first.kill();

    const second = start();
    const s2 = await second.runtime.openSession({ identity: claims("s-pend") });
    const receipts = await receiptsOf(second.store, "s-pend");
    const followUp = receipts.at(-1) as Receipt;
    expect(followUp.related_receipt_id).toBe(pending.receiptId);
    expect(followUp.decision.result).toBe("DENY");
    expect(followUp.decision.reasons.join(" ")).toContain("the process holding it ended");
    expect(followUp.approval?.decision).toBe("denied");
    // Asked again, the action is the denied one.
    const again = await s2.evaluate({ tool: "bank.pay", args: { to: "acme", amount: 5000 }, callId: "p1" });
    expect(again).toMatchObject({ kind: "deny", replay: true, actionId: pending.actionId });
    await chainVerifies();
  });

  it("denies an action a previous process was still deciding; that process then cannot release it", async () => {
    // The first process hangs while scoring: its action is in the log, undecided.
    let answer: () => void = () => {};
    const scored = new Promise<void>((resolve) => (answer = resolve));
    let entered: () => void = () => {};
    const scoring = new Promise<void>((resolve) => (entered = resolve));
    const slow: Scorer = {
      id: "test.slow",
      version: "1",
      score: async () => {
        entered();
        await scored;
        return { alignment: 1, drift: 0 };
      },
    };
    const first = start({ scorer: slow });
    const s1 = await first.runtime.openSession({ identity: claims("s-orphan"), intent: "read the orders" });
    const deciding = s1.evaluate({ tool: "db.query", args: { sql: "select 1" }, callId: "c1" });
    await scoring;

    const second = start();
    const s2 = await second.runtime.openSession({ identity: claims("s-orphan") });
    const receipts = await receiptsOf(second.store, "s-orphan");
    const denial = receipts.at(-1) as Receipt;
    expect(denial.decision.result).toBe("DENY");
    expect(denial.decision.reasons).toEqual(["the process holding it ended"]);
    const again = await s2.evaluate({ tool: "db.query", args: { sql: "select 1" }, callId: "c1" });
    expect(again).toMatchObject({ kind: "deny", replay: true, actionId: denial.action.action_id });

    // The first process was alive after all: its ALLOW comes second in the log, so it is not released.
    answer();
    const late = await deciding;
    expect(late).toMatchObject({ kind: "deny", rules: ["runtime:context"] });
    expect(late.kind === "deny" ? late.reason : "").toContain(
      "another process recorded a decision on it first",
    );
    await chainVerifies();
  });

  it("fails closed on a log edited in storage", async () => {
    const first = start();
    const s1 = await first.runtime.openSession({ identity: claims("s-tamper"), intent: "read the orders" });
    await s1.evaluate({ tool: "db.query", args: { sql: "select 1" }, callId: "c1" });
    await first.kill();
    const db = new DatabaseSync(databasePath());
    db.exec("DROP TRIGGER context_entries_no_update");
    db.prepare("UPDATE context_entries SET body = replace(body, 'orders', 'payments') WHERE seq = 0").run();
    db.close();

    const second = start();
    const s2 = await second.runtime.openSession({ identity: claims("s-tamper") });
    expect(second.faults.map((f) => f.stage)).toEqual(["session"]);
    expect(second.faults[0]?.message).toMatch(/failed verification at entry 0/);
    const handle = await s2.evaluate({ tool: "db.query", args: { sql: "select 2" }, callId: "c2" });
    expect(handle).toMatchObject({ kind: "deny", rules: ["runtime:session"] });
    expect(handle.receiptId).not.toBeNull();
    await chainVerifies();
  });

  it("denies every call of an ended session, with receipts", async () => {
    const first = start();
    const s1 = await first.runtime.openSession({ identity: claims("s-ended") });
    expect(await s1.end()).toEqual({ ok: true });
    await first.kill();

    const second = start();
    const s2 = await second.runtime.openSession({ identity: claims("s-ended") });
    const handle = await s2.evaluate({ tool: "db.query", args: { sql: "select 1" } });
    expect(handle).toMatchObject({
      kind: "deny",
      rules: ["runtime:session"],
      reason: expect.stringContaining("the session has ended"),
    });
    expect(handle.receiptId).not.toBeNull();
    await chainVerifies();
  });

  it("fails closed when another principal resumes the session", async () => {
    const first = start();
    const s1 = await first.runtime.openSession({ identity: claims("s-owner") });
    await s1.evaluate({ tool: "db.query", args: { sql: "select 1" } });
    await first.kill();

    const second = start();
    const s2 = await second.runtime.openSession({ identity: claims("s-owner", "bob@example.com") });
    expect(second.faults[0]?.message).toContain("another principal");
    const handle = await s2.evaluate({ tool: "db.query", args: { sql: "select 2" } });
    expect(handle).toMatchObject({ kind: "deny", rules: ["runtime:session"] });
    await chainVerifies();
  });

  it("lets two processes share a session concurrently without forking its chains", async () => {
    const a = start();
    const b = start();
    const [sa, sb] = await Promise.all([
      a.runtime.openSession({ identity: claims("s-shared"), intent: "read the orders" }),
      b.runtime.openSession({ identity: claims("s-shared"), intent: "read the orders" }),
    ]);
    const calls = Array.from({ length: 12 }, (_, i) => i);
    const handles = await Promise.all(
      calls.map((i) =>
        (i % 2 === 0 ? sa : sb).evaluate({ tool: "db.query", args: { sql: `select ${i}` }, callId: `c${i}` }),
      ),
    );
    // Some calls may lose a race for the chain head and be denied; none is released without its decision logged.
    const allowed = handles.filter((h) => h.kind === "allow");
    expect(allowed.length).toBeGreaterThan(0);
    const log = await new ContextLog({ store: a.store }).load("s-shared");
    if (!log.ok) throw new Error("the shared log does not verify");
    for (const handle of allowed) {
      const first = log.value.entries.find((e) => e.type === "decision" && e.action_id === handle.actionId);
      expect(first?.type === "decision" ? first.decision.result : null).toBe("ALLOW");
    }
    await chainVerifies();
  });
});
