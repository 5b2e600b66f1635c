// AARM acceptance scenarios §9.2 (R2: context accumulation), against the public runtime API.
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { toHistory } from "../../src/runtime/context/history.ts";
import { ContextLog } from "../../src/runtime/context/log.ts";
import { replayDecision } from "../../src/runtime/engine/snapshot.ts";
import type { DenyHandle, PendingHandle } from "../../src/runtime/engine/types.ts";
import {
  expectVerifiedReceipts,
  type Harness,
  harness,
  policy,
  receipt,
  receiptsOf,
} from "./engine-harness.ts";

const POLICY = `
policy context version "3"

tool crm.lookup { args { customer: string } effect read }
tool files.read { args { path: string } effect read }
tool notes.list { args { folder: string } effect read output public }
tool email.send { args { to: string, body: string } effect egress target args.to }
tool http.post { args { url: string, body: string } effect egress target args.url }
tool records.delete { args { table: string } effect delete target args.table }

classify ssn on crm.lookup, files.read when output matches /\\b\\d{3}-\\d{2}-\\d{4}\\b/ label restricted, pii
classify plain on crm.lookup when not (output matches /\\b\\d{3}-\\d{2}-\\d{4}\\b/) label internal

deny pii_leaves on email.send
  when session.seen(pii in labels) and domain(args.to) != "example.com"
  because "PII was read in this session; it may not be emailed outside the company"
deny sensitive_egress on http.post
  when session.sensitivity >= confidential
  because "sensitive data was read in this session"
step_up requested_delete on records.delete
  when intent.mentions(args.table)
  approvers ["owner"] timeout 1m
deny unrequested_delete on records.delete
  unless intent.mentions(args.table)
  because "the user did not ask for this deletion"

allow reads when effect == read
allow mail on email.send
allow posts on http.post

default deny
`;

const IR = policy(POLICY);
const SSN_RECORD = "Jane Roe, SSN 123-45-6789, 12 Main St";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

function denied(handle: { kind: string }): DenyHandle {
  expect(handle.kind).toBe("deny");
  return handle as DenyHandle;
}

async function entriesOf(session: string) {
  const loaded = await new ContextLog({ store: h.store }).load(session);
  if (!loaded.ok) throw new Error(loaded.error.kind);
  return loaded.value.entries;
}

describe("§9.2 R2: context accumulation", () => {
  it("11. at step 5 the decision's input holds all four prior actions, their labels and the original request", async () => {
    h = harness(IR, { outputs: { "crm.lookup": "Jane Roe, plan gold", "notes.list": "3 notes" } });
    const s = await h.session({ intent: "prepare the briefing for Jane Roe" });
    await h.call(s, "crm.lookup", { customer: "jane" });
    await h.call(s, "notes.list", { folder: "jane" });
    await h.call(s, "files.read", { path: "/briefings/jane.md" });
    await h.call(s, "email.send", { to: "boss@example.com", body: "draft" });
    const fifth = await h.call(s, "notes.list", { folder: "archive" });
    const entries = await entriesOf(s.id);
    const replayed = replayDecision(IR, entries, fifth.actionId);
    if (!replayed.ok) throw new Error(replayed.problem);
    expect(replayed.matches).toBe(true);
    const { snapshot } = replayed.input;
    expect(snapshot.intent?.text).toBe("prepare the briefing for Jane Roe");
    // The input reads the history through the session queries' values; the log up to the action holds it.
    expect(replayed.features).toEqual({ tainted: false, sensitivity: "restricted", values: [false] });
    const at = entries.findIndex((e) => e.type === "action" && e.action.action_id === fifth.actionId);
    expect(toHistory(entries.slice(0, at)).map((e) => [e.tool, e.args, e.labels])).toEqual([
      ["crm.lookup", { customer: "jane" }, ["internal"]],
      ["notes.list", { folder: "jane" }, ["public"]],
      ["files.read", { path: "/briefings/jane.md" }, ["restricted"]],
      ["email.send", { to: "boss@example.com", body: "draft" }, ["restricted"]],
    ]);
    const r = await receipt(h.store, fifth.receiptId);
    expect(r.context.context_hash).toBe(replayed.context_hash);
    expect(r.context.snapshot_summary.prior_actions.map((p) => [p.tool, p.operation, p.decision])).toEqual([
      ["crm.lookup", "call", "ALLOW"],
      ["notes.list", "call", "ALLOW"],
      ["files.read", "call", "ALLOW"],
      ["email.send", "call", "ALLOW"],
    ]);
    expect(r.context.snapshot_summary.intent_hash).toMatch(/^sha256:/);
    await expectVerifiedReceipts(h, IR);
  });

  it("12. SSN patterns in an output mark the session as having seen PII, and the next action is judged with it", async () => {
    h = harness(IR, { outputs: { "crm.lookup": SSN_RECORD } });
    const s = await h.session();
    await h.call(s, "crm.lookup", { customer: "jane" });
    const handle = denied(await h.call(s, "email.send", { to: "x@gmail.com", body: "hello" }));
    expect(handle.rules).toEqual(["pii_leaves"]);
    expect(h.tools.ran("email.send")).toBe(0);
    const r = await receipt(h.store, handle.receiptId);
    expect(r.context.snapshot_summary.data_classifications).toContain("pii");
    expect((await h.call(s, "email.send", { to: "colleague@example.com", body: "hi" })).kind).toBe("allow");
    await expectVerifiedReceipts(h, IR);
  });

  it("13. output no classifier labels is restricted, and the next external send is treated as sensitive", async () => {
    h = harness(IR, { outputs: { "files.read": "quarterly numbers, unlabelled" } });
    const s = await h.session();
    await h.call(s, "files.read", { path: "/shared/q3.txt" });
    const r0 = await receiptsOf(h.store, s.id);
    expect(r0.at(-1)?.execution?.success).toBe(true);
    const handle = denied(await h.call(s, "http.post", { url: "https://paste.example/new", body: "x" }));
    expect(handle.rules).toEqual(["sensitive_egress"]);
    expect((await receipt(h.store, handle.receiptId)).context.snapshot_summary.highest_sensitivity).toBe(
      "restricted",
    );
    await expectVerifiedReceipts(h, IR);
  });

  it("14. context is per session: PII read in one session does not affect another", async () => {
    h = harness(IR, { outputs: { "crm.lookup": SSN_RECORD } });
    const a = await h.session({ id: "session-a" });
    const b = await h.session({ id: "session-b" });
    await h.call(a, "crm.lookup", { customer: "jane" });
    const inA = denied(await h.call(a, "email.send", { to: "x@gmail.com", body: "hi" }));
    const inB = await h.call(b, "email.send", { to: "x@gmail.com", body: "hi" });
    expect(inB.kind).toBe("allow");
    expect((await receipt(h.store, inA.receiptId)).requester_context.session).toBe("session-a");
    expect((await receipt(h.store, inB.receiptId)).requester_context.session).toBe("session-b");
    await expectVerifiedReceipts(h, IR);
  });

  it("15. an earlier context entry edited in storage fails the hash chain: the session fails closed", async () => {
    h = harness(IR, { outputs: { "crm.lookup": SSN_RECORD } });
    const s = await h.session({ id: "tampered" });
    await h.call(s, "crm.lookup", { customer: "jane" });
    // An insider rewrites the outcome entry so that the PII read disappears from the session's context.
    const db = new DatabaseSync(h.path);
    db.exec("DROP TRIGGER context_entries_no_update");
    const row = db
      .prepare(
        "SELECT seq, body FROM context_entries WHERE session_id = 'tampered' AND body LIKE '%\"outcome\"%'",
      )
      .get() as {
      seq: number;
      body: string;
    };
    db.prepare("UPDATE context_entries SET body = ? WHERE session_id = 'tampered' AND seq = ?").run(
      row.body.replace('"pii",', ""),
      row.seq,
    );
    db.close();
    const first = denied(await h.call(s, "email.send", { to: "x@gmail.com", body: "hi" }));
    expect(first.rules).toEqual(["runtime:context"]);
    expect(first.reason).toMatch(/failed verification at entry \d+ \(hash\)/);
    const later = denied(await h.call(s, "notes.list", { folder: "any" }));
    expect(later.rules).toEqual(["runtime:session"]);
    expect(h.tools.ran("email.send") + h.tools.ran("notes.list")).toBe(0);
    expect(h.faults.map((f) => f.stage)).toEqual(["context"]);
    await expectVerifiedReceipts(h, IR);
  });

  it("16. a long session loses nothing: PII read at the start still counts after a hundred more actions", async () => {
    h = harness(IR, { outputs: { "crm.lookup": SSN_RECORD } });
    const s = await h.session();
    await h.call(s, "crm.lookup", { customer: "jane" });
    for (let i = 0; i < 110; i++) await h.call(s, "notes.list", { folder: `f${i}` });
    const handle = denied(await h.call(s, "email.send", { to: "x@gmail.com", body: "hi" }));
    expect(handle.rules).toEqual(["pii_leaves"]);
    const r = await receipt(h.store, handle.receiptId);
    expect(r.context.snapshot_summary.data_classifications).toContain("pii");
    expect(r.context.snapshot_summary.prior_actions).toHaveLength(20);
  }, 120_000);

  it("17. an ended session's context stays stored, read-only, and the session takes no more actions", async () => {
    h = harness(IR);
    const s = await h.session({ id: "ending", intent: "list my notes" });
    await h.call(s, "notes.list", { folder: "me" });
    expect(await s.end()).toEqual({ ok: true });
    const stored = await h.store.readContext("ending");
    if (!stored.ok) throw new Error(stored.error.message);
    expect(stored.value.session.state).toBe("ended");
    expect(stored.value.records.map((r) => JSON.parse(r.body).type)).toEqual([
      "intent",
      "action",
      "decision",
      "outcome",
    ]);
    const after = denied(await s.evaluate({ tool: "notes.list", args: { folder: "me" } }));
    expect(after.reason).toBe("the session has ended");
    expect(h.tools.ran("notes.list")).toBe(1);
    await expectVerifiedReceipts(h, IR);
  });

  it("18. without an original request, rules that read the intent DEFER; context-dependent allows cannot fire", async () => {
    h = harness(IR);
    const s = await h.session();
    const handle = (await s.evaluate({
      tool: "records.delete",
      args: { table: "test_records" },
    })) as PendingHandle;
    expect(handle).toMatchObject({ kind: "pending", decision: "DEFER" });
    const r = await receipt(h.store, handle.receiptId);
    expect(r.decision.deferral_trigger).toBe("missing_context");
    expect(r.deferral?.context_needed).toEqual(["intent"]);
    expect((await handle.settled).kind).toBe("deny");
    expect(h.tools.calls).toEqual([]);
    await expectVerifiedReceipts(h, IR);
  });
});
