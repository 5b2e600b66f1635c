// AARM acceptance scenarios §9.6 (R6: identity), against the public runtime API. Most use the test
// verifier of engine-harness.ts, to check that the runtime binds what a verifier vouches for and denies,
// with a receipt, whatever a verifier refuses; forged, revoked and stale tokens also go through the real
// JWT verifier.
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import type { DeferralService, DenyHandle, PendingHandle } from "../../src/runtime/engine/types.ts";
import { jwtVerifier } from "../../src/runtime/identity/jwt.ts";
import { MemoryRevocationList } from "../../src/runtime/identity/revocation.ts";
import type { IdentityVerifier } from "../../src/runtime/identity/types.ts";
import { verifyStoreReceipts } from "../../src/runtime/verify.ts";
import {
  expectVerifiedReceipts,
  type Harness,
  harness,
  policy,
  receipt,
  receiptsOf,
  TestVerifier,
} from "./engine-harness.ts";

const POLICY = `
policy identity version "6"

tool db.query { args { sql: string } effect read output internal }
tool db.write { args { sql: string } effect write }
tool creds.rotate { args { system: string } effect write target args.system }

fact window_open: bool

deny beyond_scope on db.write
  when "db:write" not in identity.scope
  because "the acting identity holds no db:write scope"
defer rotate_needs_window on creds.rotate when true needs window_open timeout 5m
allow reads when effect == read
allow writes on db.write

default deny
`;

const IR = policy(POLICY);

let h: Harness;
afterEach(async () => {
  await h?.close();
});

function denied(handle: { kind: string }): DenyHandle {
  expect(handle.kind).toBe("deny");
  return handle as DenyHandle;
}

describe("§9.6 R6: identity", () => {
  it("67. identical actions by alice and bob in separate sessions are each attributed correctly", async () => {
    h = harness(IR);
    const alice = await h.session({
      human: "alice@example.com",
      claims: { roles: ["analyst"], scope: ["db:read"] },
    });
    const bob = await h.session({
      human: "bob@example.com",
      claims: { agent: "ops-agent", roles: ["admin"], scope: ["db:read", "db:write"] },
    });
    const a = await h.call(alice, "db.query", { sql: "select 1" });
    const b = await h.call(bob, "db.query", { sql: "select 1" });
    expect((await receipt(h.store, a.receiptId)).requester_context).toMatchObject({
      human: "alice@example.com",
      service: "agent-svc",
      agent: "research-agent-v2",
      session: alice.id,
      roles: ["analyst"],
      scope: ["db:read"],
    });
    expect((await receipt(h.store, b.receiptId)).requester_context).toMatchObject({
      human: "bob@example.com",
      service: "agent-svc",
      agent: "ops-agent",
      session: bob.id,
      roles: ["admin"],
      scope: ["db:read", "db:write"],
    });
    await expectVerifiedReceipts(h, IR);
  });

  it("68. an action with neither a human nor a service identity is denied, with a receipt", async () => {
    h = harness(IR);
    const s = await h.runtime.startSession({ identity: { session: "anonymous", agent: "stray-agent" } });
    const handle = denied(await h.call(s, "db.query", { sql: "select 1" }));
    expect(handle.rules).toEqual(["runtime:identity"]);
    expect(handle.reason).toMatch(/missing/);
    const r = await receipt(h.store, handle.receiptId);
    expect(r.requester_context).toMatchObject({
      agent: "stray-agent",
      session: "anonymous",
      identity_verified_at: null,
    });
    expect(r.decision.policy.hash).toBe(IR.hash);
    expect(h.tools.calls).toEqual([]);
    const report = await verifyStoreReceipts(h.store, h.keyring);
    expect(report.ok && report.value.issues).toEqual([]);
  });

  it("69–70. a forged, revoked or stale identity is denied; a verifier that fails or hangs is a fault", async () => {
    h = harness(IR);
    for (const [token, failure, fault] of [
      ["forged", "bad_signature", false],
      ["revoked", "revoked", false],
      ["stale", "expired", false],
      ["unavailable", "unavailable", true],
      ["throw", "crashed", true],
      ["hang", "did not answer", true],
    ] as const) {
      const s = await h.session({ claims: { token } });
      const handle = denied(await h.call(s, "db.query", { sql: "select 1" }));
      expect(handle.rules).toEqual(["runtime:identity"]);
      expect(handle.reason).toContain(failure);
      expect(handle.receiptId).not.toBeNull();
      expect(h.faults.some((f) => f.session_id === s.id)).toBe(fault);
    }
    expect(h.tools.calls).toEqual([]);
    await expectVerifiedReceipts(h, IR);
  });

  it("71. a resolved deferral keeps the original identity; a role change meanwhile stops the release", async () => {
    let roles = ["operator"];
    const base = new TestVerifier();
    const identity: IdentityVerifier = {
      id: "roles-change",
      async verify(claims, now) {
        const result = await base.verify(claims, now);
        return result.ok ? { ...result, identity: { ...result.identity, roles } } : result;
      },
    };
    const releases: (() => void)[] = [];
    const deferrals: DeferralService = {
      defer: () =>
        new Promise((done) => {
          releases.push(() =>
            done({ result: "ALLOW", method: "re_evaluation", reason: "window confirmed", attempts: 1 }),
          );
        }),
    };
    h = harness(IR, { identity, deferrals, timeouts: { pendingCeilingMs: 60_000 } });
    const s = await h.session();
    const settle = async (changeRoles: boolean) => {
      const handle = (await s.evaluate({ tool: "creds.rotate", args: { system: "prod" } })) as PendingHandle;
      expect(handle.decision).toBe("DEFER");
      if (changeRoles) roles = ["viewer"];
      releases.shift()?.();
      const final = await handle.settled;
      const resolution = await receipt(h.store, final.receiptId);
      expect(resolution.related_receipt_id).toBe(handle.receiptId);
      expect(resolution.requester_context.roles).toEqual(["operator"]);
      expect(resolution.deferral?.resolution?.original_identity).toMatchObject({
        human: "alice@example.com",
        session: s.id,
        roles: ["operator"],
        scope: ["db:read"],
      });
      return { final, resolution };
    };
    const unchanged = await settle(false);
    expect(unchanged.final.kind).toBe("allow");
    const changed = await settle(true);
    expect(changed.final.kind).toBe("deny");
    expect(changed.resolution.decision.result).toBe("DENY");
    expect(changed.resolution.deferral?.resolution?.reason).toMatch(
      /roles changed since the action was decided/,
    );
    await expectVerifiedReceipts(h, IR);
  });

  it("72. delegation: the chain is receipted; beyond the delegated scope, or expired, is denied", async () => {
    h = harness(IR);
    const link = {
      delegator: "orchestrator",
      delegatee: "sub-agent-email",
      scope: ["db:read"],
      issued_at: "2026-11-22T08:00:00.000Z",
      expires_at: "2026-11-22T10:00:00.000Z",
    };
    const s = await h.session({ claims: { delegation: [link], scope: ["db:read"] } });
    const read = await h.call(s, "db.query", { sql: "select 1" });
    expect(read.kind).toBe("allow");
    expect((await receipt(h.store, read.receiptId)).requester_context.delegation_chain).toEqual([link]);
    const write = denied(await h.call(s, "db.write", { sql: "update t set x = 1" }));
    expect(write.rules).toEqual(["beyond_scope"]);
    h.clock.set("2026-11-22T11:00:00.000Z");
    const expired = denied(await h.call(s, "db.query", { sql: "select 1" }));
    expect(expired.rules).toEqual(["runtime:identity"]);
    expect(expired.reason).toMatch(/delegation_invalid/);
    expect(h.tools.calls.map((c) => c.tool)).toEqual(["db.query"]);
    expect(
      (await receiptsOf(h.store, s.id)).every((r) => r.requester_context.delegation_chain.length === 1),
    ).toBe(true);
    await expectVerifiedReceipts(h, IR);
  });

  it("69–70 with signed tokens: forged, unsigned, revoked and stale JWTs are denied; a valid one binds", async () => {
    const issuer = "https://idp.example.com";
    const pair = async () => {
      const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
      return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: "k1", alg: "EdDSA" } };
    };
    const real = await pair();
    const impostor = await pair();
    const revocation = new MemoryRevocationList();
    const verifier = jwtVerifier({
      issuers: [{ issuer, algorithms: ["EdDSA"], keys: { keys: [real.jwk] } }],
      audience: "aarm",
      revocation,
    });
    if (!verifier.ok) throw new Error(verifier.error);
    h = harness(IR, { identity: verifier.value });
    const now = Date.parse("2026-11-22T09:00:00.000Z") / 1000;
    const token = (claims: Record<string, unknown>, key = real.privateKey) =>
      new SignJWT({
        iss: issuer,
        aud: "aarm",
        sub: "alice@example.com",
        iat: now - 60,
        exp: now + 3600,
        roles: ["analyst"],
        scope: "db:read",
        ...claims,
      })
        .setProtectedHeader({ alg: "EdDSA", kid: "k1" })
        .sign(key);
    const unsigned = (claims: Record<string, unknown>) => {
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
      return `${part({ alg: "none" })}.${part({ iss: issuer, aud: "aarm", sub: "alice@example.com", iat: now, exp: now + 60, ...claims })}.`;
    };
    revocation.revoke({ kind: "jti", value: "revoked-token" });
    const cases: [string, string, string | null][] = [
      ["valid", await token({ jti: "ok" }), null],
      ["forged", await token({ jti: "forged" }, impostor.privateKey), "bad_signature"],
      ["unsigned", unsigned({ jti: "none" }), "bad_signature"],
      ["revoked", await token({ jti: "revoked-token" }), "revoked"],
      ["stale", await token({ jti: "stale", iat: now - 7200, exp: now + 3600 }), "expired"],
    ];
    for (const [name, jwt, failure] of cases) {
      const s = await h.runtime.startSession({
        identity: { session: `jwt-${name}`, agent: "research-agent-v2", token: jwt },
      });
      const handle = await h.call(s, "db.query", { sql: "select 1" });
      const r = await receipt(h.store, handle.receiptId);
      if (failure === null) {
        expect(handle.kind, name).toBe("allow");
        expect(r.requester_context).toMatchObject({
          human: "alice@example.com",
          roles: ["analyst"],
          scope: ["db:read"],
        });
      } else {
        expect(denied(handle).rules, name).toEqual(["runtime:identity"]);
        expect(handle.kind === "deny" && handle.reason, name).toContain(`(${failure})`);
        expect(r.requester_context.identity_verified_at).toBeNull();
      }
    }
    expect(h.tools.calls).toHaveLength(1);
  });
});
