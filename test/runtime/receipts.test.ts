// The receipt generator: assembly from parts, redaction, chaining, signing, schema, durable storage.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyDocument } from "../../src/runtime/crypto/document.ts";
import { Keyring, VerificationKeyring } from "../../src/runtime/crypto/keyring.ts";
import { nobleBackend } from "../../src/runtime/crypto/noble.ts";
import { nodeBackend } from "../../src/runtime/crypto/node.ts";
import type { Signer } from "../../src/runtime/crypto/signer.ts";
import type { ReceiptParts } from "../../src/runtime/receipts/assemble.ts";
import { type IssuedReceipt, ReceiptIssuer, type ReceiptResult } from "../../src/runtime/receipts/issuer.ts";
import { redactParameters } from "../../src/runtime/receipts/redact.ts";
import { MemoryStore } from "../../src/runtime/store/memory.ts";
import { SqliteStore } from "../../src/runtime/store/sqlite.ts";
import type { Store, StoreResult } from "../../src/runtime/store/types.ts";
import { verifyReceipts } from "../../src/runtime/verify.ts";
import { type CanonicalResult, canonicalHash, canonicalize } from "../../src/schema/canonical.ts";
import type { Action, ApprovalResult, Decision, ReceiptContext } from "../../src/schema/generated/types.ts";
import { validateReceipt } from "../../src/schema/validate.ts";
import { actions, approvalResults, decisions, deferralResolutions } from "../schema/fixtures.ts";

const NOW = new Date("2026-11-22T10:00:00.000Z");
const LATER = new Date("2026-12-01T08:00:00.000Z");
const [allow, deny, modify, stepUp, defer] = decisions as [Decision, Decision, Decision, Decision, Decision];
const base = actions[0] as Action;
const approved = approvalResults[0] as ApprovalResult;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aarm-receipts-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function value<T>(result: ReceiptResult<T> | StoreResult<T> | CanonicalResult<T>): T {
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

function actionIn(session: string, id = "act_1"): Action {
  return { ...base, action_id: id, identity: { ...base.identity, session } };
}

function context(seq: number): ReceiptContext {
  return {
    context_hash: value(canonicalHash({ seq })),
    context_log_seq: seq,
    snapshot_summary: {
      prior_actions: [],
      data_classifications: [],
      highest_sensitivity: null,
      risk_signals: {},
      intent_hash: null,
    },
  };
}

function parts(decision: Decision, session = "s1", extra: Partial<ReceiptParts> = {}): ReceiptParts {
  return {
    action: actionIn(session),
    identity_verified_at: NOW.toISOString(),
    decision,
    context: context(3),
    ...extra,
  };
}

function issuerFor(store: Store, signer: () => Signer): ReceiptIssuer {
  let n = 0;
  return new ReceiptIssuer({ store, signer, clock: () => NOW, newId: () => `rct_${n++}` });
}

async function withSession(store: Store, ...sessions: string[]): Promise<Store> {
  for (const session of sessions) value(await store.createSession(session, NOW.toISOString()));
  return store;
}

describe("ReceiptIssuer", () => {
  const keyring = Keyring.generate(nodeBackend, NOW);

  it("issues a schema-valid, signed, chained receipt for each of the five decisions", async () => {
    const store = await withSession(new MemoryStore(), "s1");
    const issuer = issuerFor(store, () => keyring.signer);
    const deferral = {
      deferral_id: "dfr_1",
      trigger: "missing_context" as const,
      context_needed: ["maintenance_window"],
      timeout_at: "2026-11-22T10:05:00.000Z",
      resolution: null,
    };
    const issued: IssuedReceipt[] = [];
    for (const decision of [allow, deny, modify, stepUp, defer]) {
      const extra = decision === defer ? { deferral } : {};
      issued.push(value(await issuer.issue(parts(decision, "s1", extra))));
    }
    let prev: string | null = null;
    for (const [seq, { receipt, hash, seq: position }] of issued.entries()) {
      expect(validateReceipt(receipt).ok).toBe(true);
      expect(verifyDocument(receipt, keyring)).toEqual({ ok: true });
      expect(receipt.signature.key_id).toBe(keyring.activeKeyId);
      expect(position).toBe(seq);
      expect(receipt.prev_receipt_hash).toBe(prev);
      expect(hash).toBe(value(canonicalHash(receipt)));
      const stored = value(await store.getReceipt(receipt.receipt_id));
      expect(stored).toMatchObject({ session_id: "s1", seq, prev_hash: prev, hash });
      expect(stored.body).toBe(value(canonicalize(receipt)));
      prev = hash;
    }
    const [allowed, denied, modified, stepped, deferred] = issued.map((entry) => entry.receipt);
    expect(allowed?.requester_context).toEqual({
      human: base.identity.human,
      service: base.identity.service,
      agent: base.identity.agent,
      session: "s1",
      roles: base.identity.roles,
      scope: base.identity.scope,
      delegation_chain: base.identity.delegation_chain,
      identity_verified_at: NOW.toISOString(),
    });
    expect(allowed?.action).toMatchObject({
      original_tool: "mcp_tool",
      parameters: base.parameters,
      modified_parameters: null,
    });
    expect(denied?.decision).toMatchObject({
      result: "DENY",
      classification: "forbidden",
      policy: {
        policy_id: deny.policy.name,
        rule_ids: deny.rules,
        version: deny.policy.version,
        hash: deny.policy.hash,
      },
      reasons: deny.reasons,
      risk_level: "critical",
    });
    expect(modified?.action.modified_parameters).toEqual(modify.modifications?.parameters);
    expect(modified?.decision).toMatchObject({ confidence: 0.97, alignment: 0.88, semantic_distance: 0.12 });
    expect(stepped?.decision.result).toBe("STEP_UP");
    expect(deferred?.decision.deferral_trigger).toBe("missing_context");
    expect(deferred?.deferral).toEqual(deferral);
    expect(value(await store.getSession("s1")).receipt_head).toEqual({
      seq: 4,
      hash: issued[4]?.hash,
      receipt_id: deferred?.receipt_id,
    });
  });

  it("links follow-up receipts to the STEP_UP or DEFER receipt they resolve", async () => {
    const store = await withSession(new MemoryStore(), "s1", "s2");
    const issuer = issuerFor(store, () => keyring.signer);
    const stepped = value(await issuer.issue(parts(stepUp))).receipt;
    const followUp = value(
      await issuer.issue(
        parts(stepUp, "s1", {
          related_receipt_id: stepped.receipt_id,
          approval: approved,
          execution: {
            started_at: NOW.toISOString(),
            completed_at: NOW.toISOString(),
            success: false,
            output_hash: null,
            error: { code: "BANK_503", message: "bank unavailable" },
          },
        }),
      ),
    ).receipt;
    expect(followUp).toMatchObject({ related_receipt_id: stepped.receipt_id, approval: approved });
    expect(followUp.execution).toMatchObject({ success: false, error: { code: "BANK_503" } });
    const resolution = { ...(deferralResolutions[0] as NonNullable<(typeof deferralResolutions)[0]>) };
    const deferral = {
      deferral_id: resolution.deferral_id,
      trigger: "missing_context" as const,
      context_needed: ["maintenance_window"],
      timeout_at: "2026-11-22T10:05:00.000Z",
      resolution: null,
    };
    const deferred = value(await issuer.issue(parts(defer, "s1", { deferral }))).receipt;
    const resolved = value(
      await issuer.issue(
        parts(allow, "s1", {
          related_receipt_id: deferred.receipt_id,
          deferral: { ...deferral, resolution },
        }),
      ),
    ).receipt;
    expect(resolved.deferral?.resolution).toEqual(resolution);
    expect(resolved.related_receipt_id).toBe(deferred.receipt_id);
    const missing = await issuer.issue(parts(allow, "s1", { related_receipt_id: "rct_nope" }));
    expect(missing.ok ? "ok" : missing.error.kind).toBe("related");
    const foreign = await issuer.issue(parts(allow, "s2", { related_receipt_id: deferred.receipt_id }));
    expect(foreign.ok ? "ok" : foreign.error.kind).toBe("related");
  });

  it("records sensitive parameters by hash only, requested and modified alike", async () => {
    const store = await withSession(new MemoryStore(), "s1");
    const issuer = issuerFor(store, () => keyring.signer);
    const action = {
      ...actionIn("s1"),
      parameters: { to: "carol@example.org", body: "SSN 078-05-1120", n: 1 },
    };
    const modified: Decision = {
      ...modify,
      modifications: {
        applied: modify.modifications?.applied ?? [],
        parameters: { ...action.parameters, n: 2 },
      },
    };
    const issued = value(
      await issuer.issue({ ...parts(modified), action, sensitive: ["/body", "/to", "/absent"] }),
    );
    const body = value(await store.getReceipt(issued.receipt.receipt_id)).body;
    expect(body).not.toContain("078-05-1120");
    expect(body).not.toContain("carol@example.org");
    const hidden = {
      to: value(canonicalHash("carol@example.org")),
      body: value(canonicalHash("SSN 078-05-1120")),
    };
    expect(issued.receipt.action.parameters).toEqual({ ...hidden, n: 1 });
    expect(issued.receipt.action.modified_parameters).toEqual({ ...hidden, n: 2 });
    const bad = await issuer.issue({ ...parts(allow), sensitive: ["body"] });
    expect(bad.ok ? "ok" : bad.error).toMatchObject({ kind: "redaction", error: { pointer: "body" } });
  });

  it("signs with the active key after a rotation, and receipts under the retired key still verify", async () => {
    const store = await withSession(new MemoryStore(), "s1");
    let current = keyring;
    const issuer = issuerFor(store, () => current.signer);
    const before = value(await issuer.issue(parts(allow))).receipt;
    current = keyring.rotate(LATER);
    const after = value(await issuer.issue(parts(deny))).receipt;
    expect(before.signature.key_id).toBe(keyring.activeKeyId);
    expect(after.signature.key_id).toBe(current.activeKeyId);
    expect(after.signature.key_id).not.toBe(before.signature.key_id);
    // An offline verifier holds only the public keys, on either backend.
    for (const backend of [nodeBackend, nobleBackend]) {
      const published = VerificationKeyring.fromRecords(backend, current.records());
      if (!published.ok) throw new Error(published.error);
      expect(verifyReceipts([before, after], published.value).ok).toBe(true);
    }
    const oldOnly = VerificationKeyring.fromRecords(nodeBackend, keyring.records());
    if (!oldOnly.ok) throw new Error(oldOnly.error);
    expect(verifyReceipts([before, after], oldOnly.value).issues).toMatchObject([
      { receipt_id: after.receipt_id, reason: "unknown_key" },
    ]);
  });

  it("reports every failure as a value and stores nothing", async () => {
    const store = await withSession(new MemoryStore(), "s1");
    const issuer = issuerFor(store, () => keyring.signer);
    const badContext = { ...parts(allow), context: { ...context(1), context_hash: "sha256:nothex" } };
    const schema = await issuer.issue(badContext);
    expect(schema.ok ? "ok" : schema.error.kind).toBe("schema");
    const throwing: Signer = {
      ...keyring.signer,
      sign: () => {
        throw new Error("HSM offline");
      },
    };
    const unsigned = await issuerFor(store, () => throwing).issue(parts(allow));
    expect(unsigned.ok ? "ok" : unsigned.error).toMatchObject({
      kind: "sign",
      error: { reason: "signer_failed" },
    });
    const noSession = await issuer.issue(parts(allow, "unknown"));
    expect(noSession.ok ? "ok" : noSession.error).toMatchObject({
      kind: "store",
      error: { kind: "not_found" },
    });
    expect(value(await store.readReceipts("s1")).records).toEqual([]);
    await store.close();
    const closed = await issuer.issue(parts(allow));
    expect(closed.ok ? "ok" : closed.error).toMatchObject({ kind: "store", error: { kind: "io" } });
  });

  it("has the receipt in the database file when issue returns", async () => {
    const path = join(dir, "durable.sqlite");
    const store = await withSession(value(SqliteStore.open(path)), "s1");
    const issued = value(await issuerFor(store, () => keyring.signer).issue(parts(allow)));
    const reader = value(SqliteStore.open(path, { readOnly: true }));
    expect(JSON.parse(value(await reader.getReceipt(issued.receipt.receipt_id)).body)).toEqual(
      issued.receipt,
    );
    await reader.close();
    await store.close();
  });

  it("keeps one session's chain linear under concurrent issuing, and never forks across issuers", async () => {
    const store = await withSession(new MemoryStore(), "s1", "s2");
    const issuer = issuerFor(store, () => keyring.signer);
    const all = await Promise.all(Array.from({ length: 40 }, () => issuer.issue(parts(allow))));
    expect(all.map((result) => value(result).seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    let n = 0;
    const racing = [0, 1].map(
      (which) =>
        new ReceiptIssuer({
          store,
          signer: () => keyring.signer,
          clock: () => NOW,
          newId: () => `r${which}_${n++}`,
        }),
    );
    const raced = await Promise.all(
      Array.from({ length: 10 }, (_, i) => racing[i % 2]?.issue(parts(allow, "s2"))),
    );
    for (const result of raced) {
      if (result !== undefined && !result.ok) {
        expect(result.error).toMatchObject({ kind: "store", error: { kind: "conflict" } });
      }
    }
    const chain = value(await store.readReceipts("s2")).records.map((record) => JSON.parse(record.body));
    expect(chain).toHaveLength(raced.filter((result) => result?.ok).length);
    expect(verifyReceipts(chain, keyring).ok).toBe(true);
  });
});

describe("redactParameters", () => {
  const hash = (of: unknown) => value(canonicalHash(of));
  const params = {
    body: "secret",
    card: { number: "4111", exp: "12/30" },
    to: ["a@x", "b@x"],
    "a/b": 1,
    "m~n": 2,
  };

  it("replaces the values at JSON Pointers by their hashes, leaving the rest and the input alone", () => {
    const before = JSON.stringify(params);
    const redacted = redactParameters(params, ["/body", "/card/number", "/to/1", "/a~1b", "/m~0n"]);
    expect(redacted).toEqual({
      ok: true,
      value: {
        body: hash("secret"),
        card: { number: hash("4111"), exp: "12/30" },
        to: ["a@x", hash("b@x")],
        "a/b": hash(1),
        "m~n": hash(2),
      },
    });
    expect(JSON.stringify(params)).toBe(before);
  });

  it("skips absent members, hashes an outer value whole whatever the order, and each value once", () => {
    expect(redactParameters(params, ["/nope", "/card/cvv", "/to/7", "/to/01", "/body/x"])).toEqual({
      ok: true,
      value: params,
    });
    const outer = { ok: true, value: { ...params, card: hash(params.card) } };
    expect(redactParameters(params, ["/card/number", "/card"])).toEqual(outer);
    expect(redactParameters(params, ["/card", "/card/number"])).toEqual(outer);
    expect(redactParameters(params, ["/body", "/body"])).toEqual({
      ok: true,
      value: { ...params, body: hash("secret") },
    });
  });

  it("keeps a __proto__ key an ordinary member", () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const redacted = redactParameters(hostile, ["/__proto__"]);
    if (!redacted.ok) throw new Error("redaction failed");
    expect(Object.getPrototypeOf(redacted.value)).toBe(Object.prototype);
    expect(Object.keys(redacted.value)).toEqual(["__proto__", "x"]);
    expect(Object.getOwnPropertyDescriptor(redacted.value, "__proto__")?.value).toBe(
      hash({ polluted: true }),
    );
  });

  it("refuses what is not a JSON Pointer below the parameters", () => {
    for (const pointer of ["body", "", "/a~2b", "/a~"]) {
      expect(redactParameters(params, [pointer])).toMatchObject({ ok: false, error: { pointer } });
    }
  });
});
