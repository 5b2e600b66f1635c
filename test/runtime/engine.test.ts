// The runtime's pipeline through its public API: enforcement handles, receipts, context, idempotency,
// meta-tools, conformance, approvals and deferrals, outcomes, hot reload and replay.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PolicyLoadError } from "../../src/runtime/engine/policy.ts";
import { replayDecision } from "../../src/runtime/engine/snapshot.ts";
import type {
  AllowHandle,
  ApprovalService,
  DeferralService,
  DenyHandle,
  PendingHandle,
} from "../../src/runtime/engine/types.ts";
import { ContextLog } from "../../src/runtime/context/log.ts";
import { createRuntime } from "../../src/runtime/runtime.ts";
import type { ApprovalResult } from "../../src/schema/generated/types.ts";
import {
  expectVerifiedReceipts,
  type Harness,
  harness,
  policy,
  receipt,
  receiptsOf,
  tempDir,
  TestVerifier,
} from "./engine-harness.ts";

const POLICY = `
policy shop version "1.0"

tool db.query { args { sql: string, limit?: number } effect read output internal }
tool db.drop_table { args { name: string } effect delete target args.name }
tool email.send { args { to: string, body: string } effect egress target args.to }
tool bank.pay { args { to: string, amount: number } effect egress target args.to }
tool crm.lookup { args { id: string } effect read }
tool creds.rotate { args { system: string } effect write target args.system }
tool superpowers.brainstorming { args { topic?: string } effect read }

fact window_open: bool

classify ssn on crm.lookup when output matches /\\b\\d{3}-\\d{2}-\\d{4}\\b/ label restricted, pii

forbid no_drops on db.drop_table because "dropping tables is never allowed"
deny pii_out on email.send when session.seen(pii in labels) because "PII was read in this session"
step_up big_payment on bank.pay when args.amount > 1000 approvers ["finance"] timeout 15m
defer rotation on creds.rotate unless window_open needs window_open timeout 5m
modify cap on db.query when has(args.limit) and args.limit > 100 clamp args.limit to 1..100
allow reads when effect == read
allow mail on email.send
allow pay on bank.pay
allow rotate on creds.rotate when window_open

default deny
`;

const IR = policy(POLICY);

let h: Harness;
afterEach(async () => {
  await h?.close();
});

function allow(handle: unknown): AllowHandle {
  expect((handle as { kind: string }).kind).toBe("allow");
  return handle as AllowHandle;
}
function deny(handle: unknown): DenyHandle {
  expect((handle as { kind: string }).kind).toBe("deny");
  return handle as DenyHandle;
}

describe("the decision pipeline", () => {
  it("releases an allowed action only after its receipt is stored, and receipts its outcome", async () => {
    h = harness(IR);
    const s = await h.session({ intent: "look up the orders table" });
    const handle = allow(await s.evaluate({ tool: "db.query", args: { sql: "select * from orders" } }));
    const decided = await receipt(h.store, handle.receiptId);
    expect(decided.decision.result).toBe("ALLOW");
    expect(decided.related_receipt_id).toBeNull();
    expect(decided.requester_context).toMatchObject({ human: "alice@example.com", session: s.id });
    const out = await s.recordOutcome(handle.actionId, { success: true, output: "3 rows" });
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.labels).toEqual(["internal"]);
    const executed = await receipt(h.store, out.receiptId);
    expect(executed.related_receipt_id).toBe(handle.receiptId);
    expect(executed.execution).toMatchObject({ success: true, error: null });
    expect(executed.execution?.output_hash).toMatch(/^sha256:/);
    expect(await s.recordOutcome(handle.actionId, { success: true })).toMatchObject({ ok: false });
    await expectVerifiedReceipts(h, IR);
  });

  it("modifies, denies, and never executes what it denies", async () => {
    h = harness(IR);
    const s = await h.session();
    const modified = allow(await h.call(s, "db.query", { sql: "select 1", limit: 5000 }));
    expect(modified.decision).toBe("MODIFY");
    expect(modified.args).toEqual({ sql: "select 1", limit: 100 });
    expect(h.tools.calls[0]?.args).toEqual({ sql: "select 1", limit: 100 });
    const r = await receipt(h.store, modified.receiptId);
    expect(r.action.parameters).toEqual({ sql: "select 1", limit: 5000 });
    expect(r.action.modified_parameters).toEqual({ sql: "select 1", limit: 100 });

    const denied = deny(await h.call(s, "db.drop_table", { name: "users" }));
    expect(denied.rules).toEqual(["no_drops"]);
    expect(denied.reason).toBe("dropping tables is never allowed");
    expect(h.tools.ran("db.drop_table")).toBe(0);
    await expectVerifiedReceipts(h, IR);
  });

  it("gives the same call id and request the same action and decision, and never releases it twice", async () => {
    h = harness(IR);
    const s = await h.session();
    const [first, second] = await Promise.all([
      s.evaluate({ tool: "db.query", args: { sql: "q" }, callId: "c1" }),
      s.evaluate({ tool: "db.query", args: { sql: "q" }, callId: "c1" }),
    ]);
    const a = allow(first);
    const b = allow(second);
    expect(b.actionId).toBe(a.actionId);
    expect(b.receiptId).toBe(a.receiptId);
    expect([a.replay, b.replay]).toEqual([false, true]);
    const third = allow(await h.call(s, "db.query", { sql: "q" }, "c1"));
    expect(third.replay).toBe(true);
    expect(h.tools.ran("db.query")).toBe(0);
    // A call id reused for a different request is refused (with its own action and receipt), and stays so.
    const other = deny(await s.evaluate({ tool: "db.query", args: { sql: "other" }, callId: "c1" }));
    expect(other.actionId).not.toBe(a.actionId);
    expect(other.reason).toBe('call id "c1" was already used for a different request');
    const again = deny(await s.evaluate({ tool: "db.query", args: { sql: "other" }, callId: "c1" }));
    expect([again.actionId, again.receiptId, again.replay]).toEqual([other.actionId, other.receiptId, true]);
    expect(allow(await s.evaluate({ tool: "db.query", args: { sql: "q" }, callId: "c1" })).replay).toBe(true);
    const receipts = await receiptsOf(h.store, s.id);
    expect(receipts.filter((r) => r.related_receipt_id === null)).toHaveLength(2);
  });

  it("denies an undeclared tool and arguments that do not conform, naming the problem", async () => {
    h = harness(IR);
    const s = await h.session();
    const unknown = deny(await h.call(s, "shell.exec", { cmd: "rm -rf /" }));
    expect(unknown.rules).toEqual(["unknown_tool"]);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ to: "x", amount: "ten" }, /args\.amount: expected a finite number/],
      [{ to: "x" }, /args\.amount: required argument missing/],
      [{ to: "x", amount: 1, memo: "hi" }, /args\.memo: bank\.pay declares no such argument/],
      [{ to: "x", amount: Number.NaN }, /not acceptable JSON/],
      [{ to: "x".repeat(300_000), amount: 1 }, /not acceptable JSON/],
    ];
    for (const [args, problem] of cases) {
      const refused = deny(await s.evaluate({ tool: "bank.pay", args }));
      expect(refused.rules).toEqual(["runtime:mediation"]);
      expect(refused.reason).toMatch(problem);
      expect(refused.receiptId).not.toBeNull();
    }
    expect(h.tools.calls).toEqual([]);
    await expectVerifiedReceipts(h, IR);
  });

  it("resolves meta-tools before the policy sees the action, keeping the wrapper's name", async () => {
    h = harness(IR);
    const s = await h.session();
    const wrapped = deny(
      await h.call(s, "mcp_tool", {
        mcp_server_name: "db",
        mcp_tool_name: "drop_table",
        arguments: { name: "t" },
      }),
    );
    expect(wrapped.rules).toEqual(["no_drops"]);
    const r = await receipt(h.store, wrapped.receiptId);
    expect(r.action).toMatchObject({
      tool: "db.drop_table",
      original_tool: "mcp_tool",
      parameters: { name: "t" },
    });
    const skill = allow(await h.call(s, "Skill", { skill: "superpowers:brainstorming", topic: "names" }));
    expect(skill.tool).toBe("superpowers.brainstorming");
    expect(h.tools.calls).toEqual([{ tool: "superpowers.brainstorming", args: { topic: "names" } }]);
    const broken = deny(await h.call(s, "mcp_tool", { mcp_tool_name: "drop_table" }));
    expect(broken.rules).toEqual(["runtime:mediation"]);
    expect(broken.reason).toMatch(/mcp_server_name/);
  });

  it("accumulates labelled outputs into the context of later decisions", async () => {
    h = harness(IR, { outputs: { "crm.lookup": "name: Jane, ssn 123-45-6789" } });
    const s = await h.session();
    allow(await h.call(s, "email.send", { to: "a@b.c", body: "hi" }));
    allow(await h.call(s, "crm.lookup", { id: "c1" }));
    const blocked = deny(await h.call(s, "email.send", { to: "a@b.c", body: "hi" }));
    expect(blocked.rules).toEqual(["pii_out"]);
    expect(h.tools.ran("email.send")).toBe(1);
    const r = await receipt(h.store, blocked.receiptId);
    expect(r.context.snapshot_summary.data_classifications).toEqual(["pii"]);
    expect(r.context.snapshot_summary.highest_sensitivity).toBe("restricted");
  });
});

describe("STEP_UP and DEFER", () => {
  it("denies a STEP_UP when no approval service answers before the timeout, with a follow-up receipt", async () => {
    h = harness(IR);
    const s = await h.session();
    const handle = (await s.evaluate({
      tool: "bank.pay",
      args: { to: "acme", amount: 5000 },
    })) as PendingHandle;
    expect(handle).toMatchObject({ kind: "pending", decision: "STEP_UP" });
    const settled = deny(await handle.settled);
    expect(settled.reason).toMatch(/timed out/);
    expect(settled.decision).toBe("STEP_UP");
    const followUp = await receipt(h.store, settled.receiptId);
    expect(followUp.related_receipt_id).toBe(handle.receiptId);
    expect(followUp.decision.result).toBe("DENY");
    expect(followUp.approval?.decision).toBe("timeout");
    expect(h.tools.calls).toEqual([]);
    await expectVerifiedReceipts(h, IR);
  });

  it("releases a STEP_UP once a quorum of verified approvers other than the requester approves", async () => {
    const answer = (approver: string, verified: boolean): ApprovalService => ({
      request: (request) =>
        Promise.resolve<ApprovalResult>({
          request_id: request.request_id,
          action_digest: request.action_digest,
          source: request.source,
          requirement: request.requirement,
          decision: "approved",
          responses: [
            { approver, identity_verified: verified, decision: "approve", responded_at: request.created_at },
          ],
          reason: "looks right",
          decided_at: request.created_at,
        }),
    });
    for (const [approver, verified, released] of [
      ["carol@example.com", true, true],
      ["carol@example.com", false, false],
      ["alice@example.com", true, false],
    ] as const) {
      h = harness(IR, { approvals: answer(approver, verified) });
      const s = await h.session();
      const handle = (await s.evaluate({
        tool: "bank.pay",
        args: { to: "acme", amount: 5000 },
      })) as PendingHandle;
      const final = await handle.settled;
      expect(final.kind).toBe(released ? "allow" : "deny");
      const followUp = await receipt(h.store, final.receiptId);
      expect(followUp.approval?.request_id).toMatch(/^apr_/);
      if (released) {
        expect(followUp.approval?.responses[0]?.approver).toBe(approver);
        expect(followUp.decision.result).toBe("ALLOW");
      }
      await expectVerifiedReceipts(h, IR);
      await h.close();
    }
  });

  it("resolves a DEFER through the deferral service, with two receipts and the original identity", async () => {
    const deferrals: DeferralService = {
      defer: () =>
        Promise.resolve({
          result: "ALLOW",
          method: "re_evaluation",
          reason: "window confirmed",
          attempts: 2,
        }),
    };
    h = harness(IR, { deferrals });
    const s = await h.session();
    const handle = (await s.evaluate({ tool: "creds.rotate", args: { system: "prod" } })) as PendingHandle;
    expect(handle.decision).toBe("DEFER");
    const deferred = await receipt(h.store, handle.receiptId);
    expect(deferred.deferral).toMatchObject({
      trigger: "missing_context",
      context_needed: ["window_open"],
      resolution: null,
    });
    const released = allow(await enforceSettled(h, s, handle));
    const resolution = await receipt(h.store, released.receiptId);
    expect(resolution.related_receipt_id).toBe(handle.receiptId);
    expect(resolution.deferral?.resolution).toMatchObject({
      method: "re_evaluation",
      result: "ALLOW",
      attempts: 2,
      original_identity: { human: "alice@example.com", session: s.id },
    });
    expect(h.tools.ran("creds.rotate")).toBe(1);
    await expectVerifiedReceipts(h, IR);
  });

  it("denies on cancel and when the session ends, and lets independent calls proceed meanwhile", async () => {
    h = harness(IR, { timeouts: { pendingCeilingMs: 60_000 } });
    const s = await h.session();
    const waiting = (await s.evaluate({
      tool: "bank.pay",
      args: { to: "a", amount: 9999 },
    })) as PendingHandle;
    allow(await h.call(s, "db.query", { sql: "independent" }));
    waiting.cancel();
    expect(deny(await waiting.settled).reason).toBe("cancelled");
    const second = (await s.evaluate({ tool: "creds.rotate", args: { system: "x" } })) as PendingHandle;
    expect(await s.end()).toEqual({ ok: true });
    expect(deny(await second.settled).receiptId).not.toBeNull();
    expect(deny(await s.evaluate({ tool: "db.query", args: { sql: "late" } })).rules).toEqual([
      "runtime:session",
    ]);
    expect(h.tools.calls.map((c) => c.tool)).toEqual(["db.query"]);
  });
});

async function enforceSettled(h: Harness, s: Awaited<ReturnType<Harness["session"]>>, handle: PendingHandle) {
  const final = await handle.settled;
  if (final.kind === "allow") {
    h.tools.run(final.tool, final.args);
    await s.recordOutcome(final.actionId, { success: true });
  }
  return final;
}

describe("policy loading", () => {
  it("hot-reloads a changed policy file, keeps the old one when the new one does not compile", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "policy.aarm");
    const text = (version: string, verdict: string) =>
      `policy p version "${version}"\ntool t.run { args { x: string } effect read }\n${verdict} r on t.run\ndefault deny\n`;
    writeFileSync(file, text("1", "allow"));
    h = harness({ path: file }, { policy: { path: file, reloadIntervalMs: 0 } });
    const s = await h.session();
    const first = allow(await h.call(s, "t.run", { x: "a" }));
    expect((await receipt(h.store, first.receiptId)).decision.policy.version).toBe("1");
    writeFileSync(file, text("2", "deny"));
    expect(h.runtime.reloadPolicy()).toMatchObject({ ok: true, changed: true });
    const second = deny(await h.call(s, "t.run", { x: "a" }));
    const r = await receipt(h.store, second.receiptId);
    expect(r.decision.policy.version).toBe("2");
    expect(r.decision.policy.hash).toBe(h.runtime.policy.hash);
    writeFileSync(file, "policy broken version");
    const failed = h.runtime.reloadPolicy();
    expect(failed.ok).toBe(false);
    expect(h.events.some((e) => e.type === "policy_rejected")).toBe(true);
    expect(h.runtime.policy.version).toBe("2");
    deny(await h.call(s, "t.run", { x: "a" }));
    cleanup();
  });

  it("settles an action waiting across a reload under the policy it was decided with", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "policy.aarm");
    const text = (version: string) =>
      `policy p version "${version}"\ntool t.run { args { x: string } effect write }\n` +
      `step_up r on t.run approvers ["ops"] timeout 1m\ndefault deny\n`;
    writeFileSync(file, text("1"));
    h = harness(
      { path: file },
      { policy: { path: file, reloadIntervalMs: 0 }, timeouts: { pendingCeilingMs: 60_000 } },
    );
    const s = await h.session();
    const waiting = (await s.evaluate({ tool: "t.run", args: { x: "a" } })) as PendingHandle;
    const v1 = h.runtime.policy;
    writeFileSync(file, text("2"));
    expect(h.runtime.reloadPolicy()).toMatchObject({ ok: true, changed: true });
    waiting.cancel();
    const followUp = await receipt(h.store, (await waiting.settled).receiptId);
    expect(followUp.decision.policy).toMatchObject({ version: "1", hash: v1.hash });
    const next = (await s.evaluate({ tool: "t.run", args: { x: "b" } })) as PendingHandle;
    expect((await receipt(h.store, next.receiptId)).decision.policy.version).toBe("2");
    next.cancel();
    await next.settled;
    cleanup();
  });

  it("polls the file and picks up a change without being asked", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "policy.aarm");
    writeFileSync(
      file,
      `policy p version "1"\ntool t.run { args { x: string } effect read }\ndefault deny\n`,
    );
    h = harness({ path: file }, { policy: { path: file, reloadIntervalMs: 10 } });
    writeFileSync(
      file,
      `policy p version "2"\ntool t.run { args { x: string } effect read }\ndefault deny\n`,
    );
    await expect.poll(() => h.runtime.policy.version, { timeout: 2000 }).toBe("2");
    expect(h.events.some((e) => e.type === "policy_loaded")).toBe(true);
    cleanup();
  });

  it("refuses to start without a policy that compiles", () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "policy.aarm");
    writeFileSync(file, "policy nope");
    h = harness(IR);
    expect(() =>
      createRuntime({
        policy: { path: file },
        store: h.store,
        keyring: h.keyring,
        identity: new TestVerifier(),
      }),
    ).toThrow(PolicyLoadError);
    cleanup();
  });
});

describe("replay", () => {
  it("rebuilds every decision's input from the log, matching the receipt's context hash", async () => {
    h = harness(IR, { outputs: { "crm.lookup": "ssn 123-45-6789" } });
    const s = await h.session({ intent: "email jane about her order" });
    const handles = [
      await h.call(s, "crm.lookup", { id: "jane" }),
      await h.call(s, "email.send", { to: "jane@example.com", body: "order" }),
      await h.call(s, "db.query", { sql: "select", limit: 1000 }),
    ];
    const loaded = await new ContextLog({ store: h.store }).load(s.id);
    if (!loaded.ok) throw new Error(loaded.error.kind);
    for (const handle of handles) {
      const replayed = replayDecision(IR, loaded.value.entries, handle.actionId);
      if (!replayed.ok) throw new Error(replayed.problem);
      expect(replayed.matches).toBe(true);
      const r = await receipt(h.store, handle.receiptId);
      expect(replayed.context_hash).toBe(r.context.context_hash);
      expect(replayed.decision.decision).toBe(r.decision.result);
      expect(replayed.input.snapshot.scores.alignment).toBe(r.decision.alignment);
    }
  });
});
