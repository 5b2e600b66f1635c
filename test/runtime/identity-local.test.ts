// The trusted-local verifier and delegation chains (AARM R6, §9.6 scenarios 67, 68 and 72): what the host
// vouches for, what is still checked without a token, and every rule a chain must follow.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { trustedLocalVerifier } from "../../src/runtime/identity/local.ts";
import { revalidate } from "../../src/runtime/identity/revalidate.ts";
import type {
  DelegationLink,
  IdentityClaims,
  IdentityFailure,
  IdentityResult,
  IdentityVerifier,
  VerifiedIdentity,
} from "../../src/runtime/identity/types.ts";
import { propertyParams } from "../support/property.ts";

const NOW = new Date("2026-11-22T10:00:00.000Z");
const MINUTE = 60_000;

function at(minutes: number): string {
  return new Date(NOW.getTime() + minutes * MINUTE).toISOString();
}

function link(delegator: string, delegatee: string, scope: string[], from = -5, to = 30): DelegationLink {
  return { delegator, delegatee, scope, issued_at: at(from), expires_at: at(to) };
}

function local(maxDelegationLength?: number): IdentityVerifier {
  const result = trustedLocalVerifier(maxDelegationLength === undefined ? {} : { maxDelegationLength });
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

const alice: IdentityClaims = {
  human: "alice@example.com",
  service: "agent-svc",
  agent: "sub-agent-email",
  session: "sess-alice",
  roles: ["analyst"],
  scope: ["db:read", "email:send", "files:write"],
};

function identity(result: IdentityResult): VerifiedIdentity {
  if (!result.ok) throw new Error(`${result.failure}: ${result.message}`);
  return result.identity;
}

async function refused(
  claims: IdentityClaims,
  verifier = local(),
  now = NOW,
): Promise<[IdentityFailure, string]> {
  const result = await verifier.verify(claims, now);
  if (result.ok) throw new Error("verified, expected a failure");
  return [result.failure, result.message];
}

describe("trustedLocalVerifier", () => {
  it("binds the host's claims as given, marked trusted-local (scenario 67)", async () => {
    const bob: IdentityClaims = { human: "bob@example.com", agent: "sub-agent-email", session: "sess-bob" };
    const [a, b] = await Promise.all([local().verify(alice, NOW), local().verify(bob, NOW)]);
    expect(identity(a)).toEqual({
      human: "alice@example.com",
      service: "agent-svc",
      agent: "sub-agent-email",
      session: "sess-alice",
      roles: ["analyst"],
      scope: ["db:read", "email:send", "files:write"],
      delegation: [],
      verified_at: NOW.toISOString(),
      valid_until: null,
      method: "trusted-local",
    });
    // Absent roles and scope are empty, never "everything".
    expect(identity(b)).toMatchObject({
      human: "bob@example.com",
      session: "sess-bob",
      roles: [],
      scope: [],
    });
  });

  it("requires a session and a human or a service (scenario 68)", async () => {
    expect((await refused({ session: "sess-1", agent: "a" }))[0]).toBe("missing");
    expect((await refused({ human: "alice@example.com" } as IdentityClaims))[0]).toBe("missing");
    expect((await local().verify({ service: "agent-svc", session: "sess-1" }, NOW)).ok).toBe(true);
  });

  it("refuses a token rather than ignore it", async () => {
    expect((await refused({ ...alice, token: "a.b.c" }))[0]).toBe("unavailable");
  });

  it("bounds every field", async () => {
    const cases: IdentityClaims[] = [
      { ...alice, human: "" },
      { ...alice, session: "x".repeat(257) },
      { ...alice, agent: "line\nbreak" },
      { ...alice, roles: Array.from({ length: 257 }, (_, i) => `role-${i}`) },
      { ...alice, scope: [""] },
      { ...alice, roles: "admin" as unknown as string[] },
    ];
    for (const claims of cases) expect((await refused(claims))[0]).toBe("malformed");
  });

  it("freezes the identity it returns", async () => {
    const verified = identity(
      await local().verify(
        { ...alice, delegation: [link("alice@example.com", "sub-agent-email", ["db:read"])] },
        NOW,
      ),
    );
    expect(
      Object.isFrozen(verified) && Object.isFrozen(verified.scope) && Object.isFrozen(verified.delegation[0]),
    ).toBe(true);
  });

  it("refuses an unusable delegation bound", () => {
    expect(trustedLocalVerifier({ maxDelegationLength: 33 }).ok).toBe(false);
    expect(trustedLocalVerifier({ maxDelegationLength: -1 }).ok).toBe(false);
  });
});

describe("delegation chains (scenario 72)", () => {
  const chain = [
    link("alice@example.com", "orchestrator", ["admin", "db:read", "email:send", "files:write"], -10, 60),
    link("orchestrator", "sub-agent-email", ["admin", "email:send"], -5, 20),
  ];

  it("binds a contiguous chain; the effective scope is what the principal and the last link share", async () => {
    const verified = identity(await local().verify({ ...alice, delegation: chain }, NOW));
    expect(verified.delegation).toEqual(chain);
    expect(verified.scope).toEqual(["email:send"]);
    expect(verified.valid_until).toBe(at(20));
  });

  it("lets a service principal delegate", async () => {
    const fromService = [link("agent-svc", "sub-agent-email", ["db:read"])];
    expect(identity(await local().verify({ ...alice, delegation: fromService }, NOW)).scope).toEqual([
      "db:read",
    ]);
  });

  it("refuses a broken link", async () => {
    const broken = [chain[0]!, link("someone-else", "sub-agent-email", ["email:send"])];
    const [failure, message] = await refused({ ...alice, delegation: broken });
    expect(failure).toBe("delegation_invalid");
    expect(message).toMatch(/link 1.*previous delegatee "orchestrator"/);
  });

  it("refuses a chain that does not start at the principal or does not end at the acting agent", async () => {
    expect(
      (await refused({ ...alice, delegation: [link("mallory", "sub-agent-email", ["db:read"])] }))[0],
    ).toBe("delegation_invalid");
    expect(
      (await refused({ ...alice, delegation: [link("alice@example.com", "other-agent", ["db:read"])] }))[1],
    ).toMatch(/not at the acting agent/);
    const { agent: _agent, ...noAgent } = alice;
    expect((await refused({ ...noAgent, delegation: chain }))[1]).toMatch(/name no agent/);
  });

  it("refuses an expired link, and one not yet issued", async () => {
    const expired = [chain[0]!, link("orchestrator", "sub-agent-email", ["email:send"], -30, -1)];
    expect(await refused({ ...alice, delegation: expired })).toEqual([
      "expired",
      expect.stringMatching(/link 1/),
    ]);
    const future = [chain[0]!, link("orchestrator", "sub-agent-email", ["email:send"], 5, 30)];
    expect((await refused({ ...alice, delegation: future }))[0]).toBe("not_yet_valid");
    // A link is in force from issued_at inclusive to expires_at exclusive.
    const edge = [link("alice@example.com", "sub-agent-email", ["db:read"], 0, 1)];
    expect((await local().verify({ ...alice, delegation: edge }, NOW)).ok).toBe(true);
    expect(
      (await refused({ ...alice, delegation: edge }, local(), new Date(NOW.getTime() + MINUTE)))[0],
    ).toBe("expired");
  });

  it("refuses a link that widens the scope", async () => {
    const widening = [chain[0]!, link("orchestrator", "sub-agent-email", ["email:send", "payments:send"])];
    const [failure, message] = await refused({ ...alice, delegation: widening });
    expect(failure).toBe("delegation_invalid");
    expect(message).toMatch(/widens.*"payments:send"/);
  });

  it("refuses a chain longer than the bound (default 5)", async () => {
    const names = ["alice@example.com", "a1", "a2", "a3", "a4", "a5", "sub-agent-email"];
    const long = names.slice(1).map((to, i) => link(names[i]!, to, ["db:read"]));
    expect(long).toHaveLength(6);
    expect((await refused({ ...alice, delegation: long }))[1]).toMatch(/6 links; at most 5/);
    expect((await local(6).verify({ ...alice, delegation: long }, NOW)).ok).toBe(true);
    expect((await refused({ ...alice, delegation: chain }, local(1)))[1]).toMatch(/2 links; at most 1/);
  });

  it("refuses malformed links", async () => {
    const good = link("alice@example.com", "sub-agent-email", ["db:read"]);
    const bad: unknown[] = [
      null,
      { ...good, delegator: "" },
      { ...good, scope: "db:read" },
      { ...good, issued_at: "2026-02-30T00:00:00Z" },
      { ...good, expires_at: "2026-11-22 10:30:00" },
      { ...good, expires_at: good.issued_at },
    ];
    for (const entry of bad) {
      const claims = { ...alice, delegation: [entry] } as unknown as IdentityClaims;
      expect((await refused(claims))[0]).toBe("delegation_invalid");
    }
    expect((await refused({ ...alice, delegation: {} } as unknown as IdentityClaims))[0]).toBe(
      "delegation_invalid",
    );
  });

  it("property: a chain that verifies never yields scope beyond the principal's or any link's", async () => {
    const pool = ["a", "b", "c", "d", "e"];
    const scope = fc.subarray(pool);
    const arbitrary = fc.record({
      principal: scope,
      links: fc.array(scope, { minLength: 1, maxLength: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ principal, links }) => {
        const parties = [
          "alice@example.com",
          ...links.slice(1).map((_, i) => `agent-${i}`),
          "sub-agent-email",
        ];
        const delegation = links.map((s, i) => link(parties[i]!, parties[i + 1]!, s));
        const result = await local().verify({ ...alice, scope: principal, delegation }, NOW);
        const narrowing = links.every((s, i) => i === 0 || s.every((entry) => links[i - 1]!.includes(entry)));
        expect(result.ok).toBe(narrowing);
        if (!result.ok) return;
        for (const entry of result.identity.scope) {
          expect(principal).toContain(entry);
          for (const s of links) expect(s).toContain(entry);
        }
      }),
      propertyParams(200),
    );
  });
});

describe("revalidate with trusted-local claims", () => {
  it("fails as expired once a delegation link has lapsed", async () => {
    const claims = {
      ...alice,
      delegation: [link("alice@example.com", "sub-agent-email", ["db:read"], -5, 10)],
    };
    const before = identity(await local().verify(claims, NOW));
    expect((await revalidate(before, local(), claims, new Date(NOW.getTime() + 5 * MINUTE))).ok).toBe(true);
    const after = await revalidate(before, local(), claims, new Date(NOW.getTime() + 10 * MINUTE));
    expect(after).toMatchObject({ ok: false, failure: "expired" });
  });

  it("names a role change, and refuses a changed chain", async () => {
    const before = identity(await local().verify(alice, NOW));
    const promoted = await revalidate(before, local(), { ...alice, roles: ["analyst", "admin"] }, NOW);
    expect(promoted).toMatchObject({ ok: false, failure: "revoked" });
    expect(promoted.ok ? "" : promoted.message).toMatch(/roles changed.*gained "admin"/);
    const original = {
      ...alice,
      delegation: [link("alice@example.com", "sub-agent-email", ["db:read"], -5, 30)],
    };
    const delegated = identity(await local().verify(original, NOW));
    const shortened = {
      ...alice,
      delegation: [link("alice@example.com", "sub-agent-email", ["db:read"], -5, 20)],
    };
    expect(await revalidate(delegated, local(), shortened, NOW)).toMatchObject({
      ok: false,
      failure: "delegation_invalid",
    });
  });
});
