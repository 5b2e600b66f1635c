// AARM acceptance scenarios §9.5 (R5: tamper-evident receipts), against the public runtime API.
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { verifyDocument } from "../../src/runtime/crypto/document.ts";
import { exportPublicKeys, importPublicKeys } from "../../src/runtime/crypto/key-json.ts";
import { type Keyring, VerificationKeyring } from "../../src/runtime/crypto/keyring.ts";
import { nodeBackend } from "../../src/runtime/crypto/node.ts";
import type { ApprovalService, DeferralService } from "../../src/runtime/engine/types.ts";
import { exportReceipts } from "../../src/runtime/receipts/export.ts";
import { verifyReceiptLines, verifyReceipts, verifySqliteFile } from "../../src/runtime/verify.ts";
import { canonicalHash, canonicalize } from "../../src/schema/canonical.ts";
import type { Receipt } from "../../src/schema/generated/types.ts";
import { validateReceipt } from "../../src/schema/validate.ts";
import {
  expectVerifiedReceipts,
  type Harness,
  harness,
  policy,
  receipt,
  receiptsOf,
} from "./engine-harness.ts";

const POLICY = `
policy receipts version "5.0.1"

tool db.query { args { sql: string, limit?: number } effect read output internal }
tool db.drop { args { name: string } effect delete target args.name }
tool bank.pay { args { to: string, amount: number } effect egress target args.to }
tool creds.rotate { args { system: string } effect write target args.system }
tool email.send { args { to: string, body: string } effect egress target args.to }

fact window_open: bool

forbid no_drops on db.drop because "never"
step_up big on bank.pay when args.amount > 100 approvers ["finance"] timeout 10m
defer rotate_needs_window on creds.rotate when true needs window_open timeout 5m
modify cap on db.query when has(args.limit) and args.limit > 10 clamp args.limit to 1..10
allow reads when effect == read
allow mail on email.send

default deny
`;

const IR = policy(POLICY);

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const grant: ApprovalService = {
  request: (request) =>
    Promise.resolve({
      request_id: request.request_id,
      action_digest: request.action_digest,
      source: request.source,
      requirement: request.requirement,
      decision: "approved",
      responses: [
        {
          approver: "carol@example.com",
          identity_verified: true,
          decision: "approve",
          responded_at: request.created_at,
        },
      ],
      reason: "ok",
      decided_at: request.created_at,
    }),
};
const resolve: DeferralService = {
  defer: () =>
    Promise.resolve({ result: "ALLOW", method: "re_evaluation", reason: "window confirmed", attempts: 1 }),
};

/** One receipt of each decision type, with the STEP_UP and DEFER settled. */
async function everyDecision(): Promise<{ readonly receipts: Receipt[]; readonly session: string }> {
  h = harness(IR, { approvals: grant, deferrals: resolve });
  const s = await h.session({ intent: "check the numbers and pay acme" });
  await h.call(s, "db.query", { sql: "select 1" });
  await h.call(s, "db.drop", { name: "users" });
  await h.call(s, "db.query", { sql: "select 2", limit: 500 });
  await h.call(s, "bank.pay", { to: "acme", amount: 500 });
  await h.call(s, "creds.rotate", { system: "prod" });
  return { receipts: await receiptsOf(h.store, s.id), session: s.id };
}

function tampered(r: Receipt, change: (copy: Record<string, unknown>) => void): unknown {
  const copy = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
  change(copy);
  return copy;
}

function published(keyring: Keyring): VerificationKeyring {
  const imported = importPublicKeys(JSON.parse(JSON.stringify(exportPublicKeys(keyring))), nodeBackend);
  if (!imported.ok) throw new Error(imported.error);
  return imported.value;
}

describe("§9.5 R5: receipts", () => {
  it("56. one receipt per decision type, each with every required field, identity scope included", async () => {
    const { receipts } = await everyDecision();
    const decisions = receipts.filter((r) => r.related_receipt_id === null).map((r) => r.decision.result);
    expect(decisions).toEqual(["ALLOW", "DENY", "MODIFY", "STEP_UP", "DEFER"]);
    for (const r of receipts) {
      expect(validateReceipt(r).ok).toBe(true);
      expect(r.requester_context).toMatchObject({
        human: "alice@example.com",
        service: "agent-svc",
        agent: "research-agent-v2",
        roles: ["analyst"],
        scope: ["db:read"],
      });
      expect(r.requester_context.identity_verified_at).toMatch(/Z$/);
      expect(r.decision.policy).toEqual({
        policy_id: "receipts",
        rule_ids: r.decision.policy.rule_ids,
        version: "5.0.1",
        hash: IR.hash,
      });
      expect(r.context.context_hash).toMatch(/^sha256:/);
    }
    const deferral = receipts.find((r) => r.decision.result === "DEFER");
    expect(deferral?.deferral).toMatchObject({ trigger: "rule", context_needed: ["window_open"] });
    const resolution = receipts.find((r) => r.related_receipt_id === deferral?.receipt_id);
    expect(resolution?.deferral?.resolution).toMatchObject({ method: "re_evaluation", result: "ALLOW" });
    expect(resolution?.deferral?.resolution?.resolved_at).toMatch(/Z$/);
    const approved = receipts.find((r) => r.approval !== null);
    expect(approved?.approval).toMatchObject({
      decision: "approved",
      responses: [{ approver: "carol@example.com" }],
    });
    await expectVerifiedReceipts(h, IR);
  });

  it("57. receipts verify offline with only the published public keys", async () => {
    const { receipts } = await everyDecision();
    const lines: string[] = [];
    const exported = await exportReceipts(h.store, (line) => {
      lines.push(line);
    });
    expect(exported).toEqual({ ok: true, value: receipts.length });
    const report = await verifyReceiptLines(lines.join("\n"), published(h.keyring));
    expect(report.issues).toEqual([]);
    expect(report.verified).toBe(receipts.length);
  });

  it("58–61. changing the requester, the policy hash or the decision, or the signature, fails verification", async () => {
    const { receipts } = await everyDecision();
    const keys = published(h.keyring);
    const denied = receipts.find((r) => r.decision.result === "DENY") as Receipt;
    const changes: [string, (r: Record<string, unknown>) => void, string][] = [
      [
        "58 requester",
        (r) => ((r.requester_context as { human: string }).human = "alicf@example.com"),
        "bad_signature",
      ],
      [
        "59 policy hash",
        (r) => ((r.decision as { policy: { hash: string } }).policy.hash = `sha256:${"0".repeat(64)}`),
        "bad_signature",
      ],
      ["60 DENY to ALLOW", (r) => ((r.decision as { result: string }).result = "ALLOW"), "bad_signature"],
      ["61 no signature", (r) => delete r.signature, "schema"],
      [
        "61 unknown key",
        (r) => ((r.signature as { key_id: string }).key_id = "aarm-2020-01-01-00000000"),
        "unknown_key",
      ],
    ];
    for (const [name, change, reason] of changes) {
      const report = verifyReceipts([tampered(denied, change)], keys);
      expect(
        report.issues.map((i) => i.reason),
        name,
      ).toEqual([reason]);
    }
  });

  it("62. after a key rotation old receipts still verify and new ones carry the new key id", async () => {
    let keyring: Keyring | null = null;
    h = harness(IR, { keyring: () => keyring ?? h.keyring });
    const s = await h.session();
    const before = await h.call(s, "db.query", { sql: "a" });
    keyring = h.keyring.rotate(new Date("2026-12-01T00:00:00Z"));
    const after = await h.call(s, "db.query", { sql: "b" });
    const oldKey = (await receipt(h.store, before.receiptId)).signature.key_id;
    const newKey = (await receipt(h.store, after.receiptId)).signature.key_id;
    expect(oldKey).toBe(h.keyring.activeKeyId);
    expect(newKey).toBe(keyring.activeKeyId);
    expect(newKey).not.toBe(oldKey);
    const report = await verifySqliteFile(h.path, published(keyring));
    expect(report.ok && report.value.issues).toEqual([]);
  });

  it("63. canonicalisation is stable: reordered keys and whitespace sign the same bytes", async () => {
    const { receipts } = await everyDecision();
    const r = receipts[0] as Receipt;
    const reverse = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reverse)
        : typeof value === "object" && value !== null
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reverse(v)]),
            )
          : value;
    const reordered = JSON.parse(JSON.stringify(reverse(r), null, 4)) as Receipt;
    expect(Object.keys(reordered)).toEqual(Object.keys(r).reverse());
    expect(canonicalize(reordered)).toEqual(canonicalize(r));
    expect(verifyDocument(reordered, h.keyring)).toEqual({ ok: true });
  });

  it("64. a failed execution is receipted with success false and the error", async () => {
    h = harness(IR);
    h.tools.throws.add("db.query");
    const s = await h.session();
    const handle = await h.call(s, "db.query", { sql: "select 1" });
    const receipts = await receiptsOf(h.store, s.id);
    const execution = receipts.find((r) => r.related_receipt_id === handle.receiptId);
    expect(execution?.execution).toMatchObject({ success: false, error: { message: "db.query failed" } });
    await expectVerifiedReceipts(h, IR);
  });

  it("65. the receipt store is append-only: updates are refused, and a deletion shows in the chain", async () => {
    const { receipts } = await everyDecision();
    const db = new DatabaseSync(h.path);
    expect(() => db.exec("UPDATE receipts SET body = '{}'")).toThrow(/append-only/);
    expect(() => db.exec("DELETE FROM receipts")).toThrow(/append-only/);
    db.exec("DROP TRIGGER receipts_no_delete");
    db.prepare("DELETE FROM receipts WHERE receipt_id = ?").run((receipts[1] as Receipt).receipt_id);
    db.close();
    const report = await verifySqliteFile(h.path, h.keyring);
    if (!report.ok) throw new Error(report.error.message);
    expect(report.value.issues.map((i) => [i.receipt_id, i.reason])).toEqual([
      [(receipts[2] as Receipt).receipt_id, "gap"],
    ]);
  });

  it("66. receipt minimisation: a sensitive body is recorded by its hash, not in clear", async () => {
    h = harness(IR, { mediation: { sensitiveParameters: { "email.send": ["/body"] } } });
    const s = await h.session();
    const body = "Jane Roe, SSN 123-45-6789";
    const handle = await h.call(s, "email.send", { to: "jane@example.com", body });
    const r = await receipt(h.store, handle.receiptId);
    const digest = canonicalHash(body);
    expect(digest.ok && r.action.parameters.body).toBe(digest.ok ? digest.value : null);
    const raw = await h.store.getReceipt(r.receipt_id);
    expect(raw.ok && raw.value.body.includes("123-45-6789")).toBe(false);
    expect(h.tools.calls[0]?.args.body).toBe(body);
    await expectVerifiedReceipts(h, IR);
  });

  it("the STEP_UP and DEFER of scenario 56 settled as their follow-ups say", async () => {
    await everyDecision();
    const settled = h.events.filter((e) => e.type === "settlement");
    expect(settled.map((e) => e.type === "settlement" && e.released)).toEqual([true, true]);
    expect(h.tools.calls.map((c) => c.tool)).toEqual(["db.query", "db.query", "bank.pay", "creds.rotate"]);
    const pending = h.events.filter(
      (e) => e.type === "decision" && (e.decision === "STEP_UP" || e.decision === "DEFER"),
    );
    expect(pending).toHaveLength(2);
  });
});
