// JWT identity verification (AARM R6, §9.6 scenarios 67–72): algorithms, forgeries, time, revocation,
// claim agreement, malformed input, key-set configuration, and revalidation of deferred actions.
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  type CryptoKey,
  SignJWT,
} from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeBase64url } from "../../src/runtime/crypto/base64url.ts";
import { type JwtAlgorithm, loadKeySetFile } from "../../src/runtime/identity/jwks.ts";
import { jwtVerifier } from "../../src/runtime/identity/jwt.ts";
import type { JwtIssuerOptions, JwtVerifierOptions } from "../../src/runtime/identity/jwt-options.ts";
import { revalidate } from "../../src/runtime/identity/revalidate.ts";
import { revocationFile } from "../../src/runtime/identity/revocation-file.ts";
import { MemoryRevocationList, type RevocationList } from "../../src/runtime/identity/revocation.ts";
import type {
  IdentityClaims,
  IdentityFailure,
  IdentityResult,
  IdentityVerifier,
  VerifiedIdentity,
} from "../../src/runtime/identity/types.ts";
import { propertyParams } from "../support/property.ts";

const NOW = new Date("2026-11-22T10:00:00.000Z");
const NOW_S = NOW.getTime() / 1000;
const ISSUER = "https://idp.example.com";
const OTHER_ISSUER = "https://other-idp.example.com";
const AUDIENCE = "aarm-runtime";
const ALGORITHMS: readonly JwtAlgorithm[] = ["EdDSA", "ES256", "RS256"];

interface TestKey {
  readonly alg: JwtAlgorithm;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
}

async function makeKey(alg: JwtAlgorithm, kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

const keys = new Map<JwtAlgorithm, TestKey>();
let impostor: TestKey; // same kid and algorithm as the EdDSA key, different key pair
let otherIssuerKey: TestKey;
let tmp: string;

beforeAll(async () => {
  for (const alg of ALGORITHMS) keys.set(alg, await makeKey(alg, `key-${alg.toLowerCase()}`));
  impostor = await makeKey("EdDSA", "key-eddsa");
  otherIssuerKey = await makeKey("EdDSA", "other-1");
  tmp = mkdtempSync(join(tmpdir(), "aarm-identity-"));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function key(alg: JwtAlgorithm = "EdDSA"): TestKey {
  return keys.get(alg)!;
}

// Overrides may set any claim to anything, `undefined` included, to build broken tokens.
function baseClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: "alice@example.com",
    iat: NOW_S - 60,
    exp: NOW_S + 600,
    jti: "tok-1",
    roles: ["analyst"],
    scope: "db:read email:send",
    ...overrides,
  };
}

async function sign(
  payload: JWTPayload = baseClaims(),
  signer: TestKey = key(),
  header: object = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, ...header })
    .sign(signer.privateKey);
}

function segment(value: unknown): string {
  return encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));
}

function issuerOptions(overrides: Partial<JwtIssuerOptions> = {}): JwtIssuerOptions {
  return {
    issuer: ISSUER,
    algorithms: ALGORITHMS,
    keys: { keys: ALGORITHMS.map((alg) => key(alg).jwk) },
    ...overrides,
  };
}

function options(overrides: Partial<JwtVerifierOptions> = {}): JwtVerifierOptions {
  return {
    issuers: [
      issuerOptions(),
      { issuer: OTHER_ISSUER, algorithms: ["EdDSA"], keys: { keys: [otherIssuerKey.jwk] } },
    ],
    audience: AUDIENCE,
    ...overrides,
  };
}

function verifier(overrides: Partial<JwtVerifierOptions> = {}): IdentityVerifier {
  const result = jwtVerifier(options(overrides));
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

function claims(token: string, extra: Partial<IdentityClaims> = {}): IdentityClaims {
  return { session: "sess-1", agent: "research-agent", token, ...extra };
}

function identity(result: IdentityResult): VerifiedIdentity {
  if (!result.ok) throw new Error(`${result.failure}: ${result.message}`);
  return result.identity;
}

async function failure(result: Promise<IdentityResult> | IdentityResult): Promise<IdentityFailure> {
  const settled = await result;
  if (settled.ok) throw new Error("verified, expected a failure");
  return settled.failure;
}

describe("jwtVerifier: valid tokens", () => {
  it.each(ALGORITHMS)(
    "verifies a %s token and binds principal, roles, scope, agent and session",
    async (alg) => {
      const token = await sign(baseClaims(), key(alg));
      const verified = identity(await verifier().verify(claims(token), NOW));
      expect(verified).toEqual({
        human: "alice@example.com",
        agent: "research-agent",
        session: "sess-1",
        roles: ["analyst"],
        scope: ["db:read", "email:send"],
        delegation: [],
        verified_at: NOW.toISOString(),
        // The expiry (exp + 30 s tolerance) comes before the end of the freshness window (iat + 3600 s + 30 s).
        valid_until: new Date((NOW_S + 600 + 30) * 1000).toISOString(),
        method: `jwt:${ISSUER}`,
      });
      expect(Object.isFrozen(verified)).toBe(true);
    },
  );

  it("ends valid_until with the freshness window when that comes before the expiry", async () => {
    const token = await sign(baseClaims({ exp: NOW_S + 86_400 }));
    const verified = identity(await verifier({ clockToleranceSeconds: 5 }).verify(claims(token), NOW));
    expect(verified.valid_until).toBe(new Date((NOW_S - 60 + 3600 + 5) * 1000).toISOString());
  });

  it("maps a workload token's subject to the service, and a service claim of a human token", async () => {
    const workload = verifier({
      issuers: [issuerOptions({ subjectKind: "service", rolesClaim: "groups" })],
    });
    const token = await sign(baseClaims({ sub: "billing-svc", groups: ["batch"] }));
    const svc = identity(await workload.verify(claims(token), NOW));
    expect([svc.human, svc.service, svc.roles]).toEqual([undefined, "billing-svc", ["batch"]]);

    const human = verifier({ issuers: [issuerOptions({ serviceClaim: "azp", subjectClaim: "email" })] });
    const both = await sign(baseClaims({ email: "alice@example.com", sub: "00u1", azp: "agent-svc" }));
    const bound = identity(await human.verify(claims(both, { service: "agent-svc" }), NOW));
    expect([bound.human, bound.service]).toEqual(["alice@example.com", "agent-svc"]);
  });

  it("accepts plain fields that repeat the token, in any order", async () => {
    const token = await sign();
    const result = await verifier().verify(
      claims(token, { human: "alice@example.com", roles: ["analyst"], scope: ["email:send", "db:read"] }),
      NOW,
    );
    expect(result.ok).toBe(true);
  });

  it("accepts a token inside the clock tolerance on either side", async () => {
    const late = await sign(baseClaims({ exp: NOW_S - 10 }));
    const early = await sign(baseClaims({ nbf: NOW_S + 10, iat: NOW_S + 10 }));
    expect((await verifier().verify(claims(late), NOW)).ok).toBe(true);
    expect((await verifier().verify(claims(early), NOW)).ok).toBe(true);
  });
});

describe("jwtVerifier: forged and misdirected tokens (scenario 69)", () => {
  it("refuses a token signed by another key under the same kid", async () => {
    const token = await sign(baseClaims(), impostor);
    expect(await failure(verifier().verify(claims(token), NOW))).toBe("bad_signature");
  });

  it("refuses a token whose payload was altered after signing", async () => {
    const [header, , signature] = (await sign()).split(".");
    const forged = `${header}.${segment(baseClaims({ sub: "mallory@example.com" }))}.${signature}`;
    expect(await failure(verifier().verify(claims(forged), NOW))).toBe("bad_signature");
  });

  it("refuses an unknown issuer, and a trusted issuer's claim signed with another issuer's key", async () => {
    const unknown = await sign(baseClaims({ iss: "https://evil.example.com" }));
    expect(await failure(verifier().verify(claims(unknown), NOW))).toBe("untrusted_issuer");
    const crossed = await sign(baseClaims(), otherIssuerKey);
    expect(await failure(verifier().verify(claims(crossed), NOW))).toBe("bad_signature");
  });

  it("refuses a token addressed to another audience, or to none", async () => {
    const other = await sign(baseClaims({ aud: "someone-else" }));
    expect(await failure(verifier().verify(claims(other), NOW))).toBe("untrusted_issuer");
    const none = await sign(baseClaims({ aud: undefined }));
    expect(await failure(verifier().verify(claims(none), NOW))).toBe("malformed");
  });

  it("refuses alg none, with or without a signature part", async () => {
    const unsigned = `${segment({ alg: "none", typ: "JWT" })}.${segment(baseClaims())}.`;
    const result = await verifier().verify(claims(unsigned), NOW);
    expect(result).toMatchObject({ ok: false, failure: "bad_signature" });
    expect(await failure(verifier().verify(claims(`${unsigned}c2ln`), NOW))).toBe("bad_signature");
    expect(await failure(verifier().verify(claims(unsigned.slice(0, -1)), NOW))).toBe("malformed");
  });

  it("refuses HS256 tokens keyed with the issuer's public key (algorithm confusion)", async () => {
    const rsa = key("RS256");
    const secrets = [
      new TextEncoder().encode(await exportSPKI(rsa.publicKey)),
      new TextEncoder().encode(JSON.stringify(rsa.jwk)),
    ];
    for (const secret of secrets) {
      for (const kid of [rsa.kid, undefined]) {
        const token = await new SignJWT(baseClaims())
          .setProtectedHeader({ alg: "HS256", ...(kid === undefined ? {} : { kid }) })
          .sign(secret);
        const result = await verifier().verify(claims(token), NOW);
        expect(result).toMatchObject({ ok: false, failure: "bad_signature" });
        expect(result.ok ? "" : result.message).toMatch(/symmetric/);
      }
    }
  });

  it("refuses an algorithm the issuer is not configured for", async () => {
    const only = verifier({
      issuers: [issuerOptions({ algorithms: ["EdDSA"], keys: { keys: [key().jwk] } })],
    });
    const token = await sign(baseClaims(), key("ES256"));
    expect(await failure(only.verify(claims(token), NOW))).toBe("bad_signature");
  });

  it("refuses a header that carries or points at its own key", async () => {
    for (const header of [
      { jwk: impostor.jwk },
      { jku: "https://evil.example.com/jwks" },
      { x5u: "https://x" },
    ]) {
      const token = await sign(baseClaims(), impostor, header);
      expect(await failure(verifier().verify(claims(token), NOW))).toBe("bad_signature");
    }
  });

  it("refuses a signature spelt non-canonically", async () => {
    const token = await sign();
    // Ed25519 signatures are 64 bytes: the last base64url character carries 4 unused bits.
    const last = token.at(-1)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(await failure(verifier().verify(claims(token.slice(0, -1) + sibling), NOW))).toBe("malformed");
  });

  it("requires a token (scenario 68: no verifiable identity → deny)", async () => {
    expect(await failure(verifier().verify({ session: "sess-1", human: "alice@example.com" }, NOW))).toBe(
      "missing",
    );
    expect(await failure(verifier().verify({ token: await sign() } as unknown as IdentityClaims, NOW))).toBe(
      "missing",
    );
  });
});

describe("jwtVerifier: time (scenario 70)", () => {
  it("refuses an expired token", async () => {
    const token = await sign(baseClaims({ exp: NOW_S - 31 }));
    const result = await verifier().verify(claims(token), NOW);
    expect(result).toMatchObject({ ok: false, failure: "expired" });
  });

  it("refuses a token not valid yet, or issued in the future", async () => {
    const nbf = await sign(baseClaims({ nbf: NOW_S + 120 }));
    expect(await failure(verifier().verify(claims(nbf), NOW))).toBe("not_yet_valid");
    const iat = await sign(baseClaims({ iat: NOW_S + 120 }));
    expect(await failure(verifier().verify(claims(iat), NOW))).toBe("not_yet_valid");
  });

  it("refuses a token older than the freshness window even if it has not expired", async () => {
    const token = await sign(baseClaims({ iat: NOW_S - 7200, exp: NOW_S + 7200 }));
    const result = await verifier().verify(claims(token), NOW);
    expect(result).toMatchObject({ ok: false, failure: "expired" });
    expect(result.ok ? "" : result.message).toMatch(/freshness/);
    expect((await verifier({ maxTokenAgeSeconds: 10_800 }).verify(claims(token), NOW)).ok).toBe(true);
  });

  it("requires exp and iat", async () => {
    for (const missing of ["exp", "iat"]) {
      const token = await sign(baseClaims({ [missing]: undefined }));
      expect(await failure(verifier().verify(claims(token), NOW))).toBe("malformed");
    }
  });

  it("refuses an invalid verification time", async () => {
    expect(await failure(verifier().verify(claims(await sign()), new Date(Number.NaN)))).toBe("unavailable");
  });
});

describe("jwtVerifier: revocation (scenario 70)", () => {
  it("refuses a token revoked by jti, and a principal revoked by subject", async () => {
    const token = await sign();
    const byJti = new MemoryRevocationList([{ kind: "jti", value: "tok-1" }]);
    expect(await failure(verifier({ revocation: byJti }).verify(claims(token), NOW))).toBe("revoked");
    const bySubject = new MemoryRevocationList([
      { kind: "subject", value: "alice@example.com", issuer: ISSUER },
    ]);
    expect(await failure(verifier({ revocation: bySubject }).verify(claims(token), NOW))).toBe("revoked");
  });

  it("ignores revocations of other issuers and those not yet in force", async () => {
    const token = await sign();
    const list = new MemoryRevocationList([
      { kind: "subject", value: "alice@example.com", issuer: OTHER_ISSUER },
      { kind: "jti", value: "tok-1", revokedAt: new Date(NOW.getTime() + 60_000) },
      { kind: "subject", value: "tok-1" },
    ]);
    expect((await verifier({ revocation: list }).verify(claims(token), NOW)).ok).toBe(true);
  });

  it("fails closed when the revocation list cannot answer", async () => {
    const broken: RevocationList = {
      isRevoked: () => Promise.resolve({ ok: false, message: "database down" }),
    };
    const result = await verifier({ revocation: broken }).verify(claims(await sign()), NOW);
    expect(result).toMatchObject({ ok: false, failure: "unavailable" });
    const throwing: RevocationList = { isRevoked: () => Promise.reject(new Error("boom")) };
    expect(await failure(verifier({ revocation: throwing }).verify(claims(await sign()), NOW))).toBe(
      "unavailable",
    );
  });

  it("follows a revocation file as it changes, and fails closed while it is malformed", async () => {
    const path = join(tmp, "revoked.json");
    writeFileSync(path, JSON.stringify({ format: "aarm-revocations/1", revoked: [] }));
    const list = revocationFile(path);
    if (!list.ok) throw new Error(list.error);
    const jwt = verifier({ revocation: list.value });
    const token = await sign();
    expect((await jwt.verify(claims(token), NOW)).ok).toBe(true);

    writeFileSync(path, JSON.stringify({ format: "aarm-revocations/1", revoked: [{ jti: "tok-1" }] }));
    expect(await failure(jwt.verify(claims(token), NOW))).toBe("revoked");

    writeFileSync(path, '{ "format": "aarm-revocations/1", "revoked": [ ');
    const malformed = await jwt.verify(claims(token), NOW);
    expect(malformed).toMatchObject({ ok: false, failure: "unavailable" });
    expect(malformed.ok ? "" : malformed.message).toContain(path);

    rmSync(path);
    expect(await failure(jwt.verify(claims(token), NOW))).toBe("unavailable");

    writeFileSync(
      path,
      JSON.stringify({ format: "aarm-revocations/1", revoked: [{ subject: "bob@example.com" }] }),
    );
    expect((await jwt.verify(claims(token), NOW)).ok).toBe(true);
  });
});

describe("jwtVerifier: plain claims never override the token", () => {
  it.each([
    ["human", { human: "bob@example.com" }],
    ["service", { service: "agent-svc" }],
    ["roles", { roles: ["analyst", "admin"] }],
    ["scope", { scope: ["db:read"] }],
  ] as const)("refuses a disagreeing claims.%s", async (field, extra) => {
    const result = await verifier().verify(claims(await sign(), extra), NOW);
    expect(result).toMatchObject({ ok: false, failure: "malformed" });
    expect(result.ok ? "" : result.message).toContain(`claims.${field}`);
  });

  it("reads roles and scope from arrays or space-separated strings, and refuses anything else", async () => {
    const spaced = await sign(baseClaims({ roles: "analyst  auditor", scope: ["a", "a", "b"] }));
    const verified = identity(await verifier().verify(claims(spaced), NOW));
    expect([verified.roles, verified.scope]).toEqual([
      ["analyst", "auditor"],
      ["a", "b"],
    ]);
    for (const roles of [42, [1], { admin: true }, Array.from({ length: 257 }, (_, i) => `r${i}`)]) {
      const token = await sign(baseClaims({ roles }));
      expect(await failure(verifier().verify(claims(token), NOW))).toBe("malformed");
    }
  });

  it("refuses a token whose subject is not an identifier", async () => {
    for (const sub of [undefined, 7, "", "a\u0000b", "x".repeat(300)]) {
      const token = await sign(baseClaims({ sub }));
      expect(await failure(verifier().verify(claims(token), NOW))).toBe("malformed");
    }
  });
});

describe("jwtVerifier: malformed input never verifies and never throws", () => {
  const wellFormedTokens = async (): Promise<string[]> =>
    Promise.all(ALGORITHMS.map((alg) => sign(baseClaims(), key(alg))));

  it("refuses odd claims objects without throwing", async () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("trap");
        },
      },
    );
    for (const value of [null, undefined, 42, "token", [], hostile]) {
      const result = await verifier().verify(value as unknown as IdentityClaims, NOW);
      expect(result.ok).toBe(false);
    }
    const long = await verifier().verify(claims("a".repeat(9000)), NOW);
    expect(long).toMatchObject({ ok: false, failure: "malformed" });
  });

  it("property: random strings are refused", async () => {
    const jwt = verifier();
    const segmentish = fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/);
    const candidates = fc.oneof(
      fc.string({ maxLength: 200, unit: "binary" }),
      fc.tuple(segmentish, segmentish, segmentish).map((parts) => parts.join(".")),
      fc
        .tuple(fc.jsonValue(), fc.jsonValue(), segmentish)
        .map(([h, p, s]) => `${segment(h)}.${segment(p)}.${s}`),
    );
    await fc.assert(
      fc.asyncProperty(candidates, async (token) => {
        const result = await jwt.verify(claims(token), NOW);
        expect(result.ok).toBe(false);
      }),
      propertyParams(200),
    );
  });

  it("property: every mutation of a valid token is refused", async () => {
    const jwt = verifier();
    const tokens = await wellFormedTokens();
    const mutation = fc.record({
      token: fc.constantFrom(...tokens),
      kind: fc.constantFrom("replace", "delete", "insert", "truncate"),
      at: fc.nat(),
      char: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ "),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ token, kind, at, char }) => {
        const i = at % token.length;
        const mutated =
          kind === "replace"
            ? token.slice(0, i) + char + token.slice(i + 1)
            : kind === "delete"
              ? token.slice(0, i) + token.slice(i + 1)
              : kind === "insert"
                ? token.slice(0, i) + char + token.slice(i)
                : token.slice(0, i);
        fc.pre(mutated !== token);
        const result = await jwt.verify(claims(mutated), NOW);
        expect(result.ok).toBe(false);
      }),
      propertyParams(300),
    );
  });
});

describe("jwtVerifier: configuration", () => {
  const setupError = (overrides: Partial<JwtVerifierOptions>): string => {
    const result = jwtVerifier(options(overrides));
    return result.ok ? "" : result.error;
  };
  const withKeys = (jwks: unknown, algorithms: readonly JwtAlgorithm[] = ["RS256"]): string =>
    setupError({ issuers: [issuerOptions({ algorithms, keys: jwks as JwtIssuerOptions["keys"] })] });

  it("accepts only EdDSA, ES256 and RS256", () => {
    for (const alg of ["HS256", "none", "RS384", "PS256"]) {
      expect(setupError({ issuers: [issuerOptions({ algorithms: [alg as JwtAlgorithm] })] })).toMatch(
        /algorithms/,
      );
    }
    expect(setupError({ issuers: [issuerOptions({ algorithms: [] })] })).toMatch(/algorithms/);
  });

  it("refuses private, symmetric, weak, mismatched and duplicate keys", async () => {
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    expect(withKeys({ keys: [privateJwk] })).toMatch(/private or symmetric/);
    expect(withKeys({ keys: [{ kty: "oct", k: "c2VjcmV0" }] })).toMatch(/private or symmetric/);
    // jose refuses to generate a weak key; node:crypto does not.
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" });
    expect(withKeys({ keys: [weak] })).toMatch(/1024 bits/);
    expect(withKeys({ keys: [key("EdDSA").jwk] })).toMatch(/verifies none of RS256/);
    expect(withKeys({ keys: [{ ...key("RS256").jwk, alg: "RS512" }] })).toMatch(/alg is not/);
    expect(withKeys({ keys: [{ ...key("ES256").jwk, crv: "P-384" }] }, ["ES256"])).toMatch(/P-256/);
    expect(withKeys({ keys: [key("RS256").jwk, key("RS256").jwk] })).toMatch(/appears twice/);
    expect(withKeys({ keys: [{ ...key("RS256").jwk, use: "enc" }] })).toMatch(/use/);
    expect(withKeys({ keys: [] })).toMatch(/1 to 64/);
    expect(withKeys([key("RS256").jwk])).toMatch(/"keys" array/);
  });

  it("bounds tolerance, freshness, delegation length and token length", () => {
    expect(setupError({ clockToleranceSeconds: 301 })).toMatch(/clockToleranceSeconds/);
    expect(setupError({ clockToleranceSeconds: -1 })).toMatch(/clockToleranceSeconds/);
    expect(setupError({ maxTokenAgeSeconds: 0 })).toMatch(/maxTokenAgeSeconds/);
    expect(setupError({ maxTokenAgeSeconds: 86_401 })).toMatch(/maxTokenAgeSeconds/);
    expect(setupError({ maxDelegationLength: 33 })).toMatch(/maxDelegationLength/);
    expect(setupError({ maxTokenLength: 1.5 })).toMatch(/maxTokenLength/);
  });

  it("refuses missing issuers or audience, duplicate issuers and an odd service mapping", () => {
    expect(setupError({ issuers: [] })).toMatch(/no issuers/);
    expect(setupError({ audience: [] })).toMatch(/audience/);
    expect(setupError({ issuers: [issuerOptions(), issuerOptions()] })).toMatch(/twice/);
    expect(setupError({ issuers: [issuerOptions({ subjectKind: "service", serviceClaim: "azp" })] })).toMatch(
      /serviceClaim/,
    );
  });

  it("loads a key set from a bounded JSON file", async () => {
    const path = join(tmp, "jwks.json");
    writeFileSync(path, JSON.stringify({ keys: [key("ES256").jwk] }));
    const loaded = await loadKeySetFile(path, ["ES256"]);
    expect(loaded.ok).toBe(true);
    const jwt = verifier({
      issuers: [issuerOptions({ algorithms: ["ES256"], keys: loaded.ok ? loaded.value : { keys: [] } })],
    });
    expect((await jwt.verify(claims(await sign(baseClaims(), key("ES256"))), NOW)).ok).toBe(true);

    expect(await loadKeySetFile(path, ["ES256"], { maxBytes: 64 })).toMatchObject({ ok: false });
    writeFileSync(path, "{ not json");
    expect(await loadKeySetFile(path, ["ES256"])).toMatchObject({ ok: false });
    expect(await loadKeySetFile(join(tmp, "absent.json"), ["ES256"])).toMatchObject({ ok: false });
    expect(await loadKeySetFile(tmp, ["ES256"])).toMatchObject({ ok: false });
  });
});

describe("jwtVerifier: delegation (scenario 72)", () => {
  const link = (delegator: string, delegatee: string, scope: string[], minutes = 30) => ({
    delegator,
    delegatee,
    scope,
    issued_at: new Date(NOW.getTime() - 60_000).toISOString(),
    expires_at: new Date(NOW.getTime() + minutes * 60_000).toISOString(),
  });

  it("binds the chain and narrows the scope to what the principal and every link allow", async () => {
    const chain = [
      link("alice@example.com", "orchestrator", ["db:read", "email:send", "files:write"]),
      link("orchestrator", "research-agent", ["db:read", "files:write"], 10),
    ];
    const verified = identity(await verifier().verify(claims(await sign(), { delegation: chain }), NOW));
    expect(verified.scope).toEqual(["db:read"]);
    expect(verified.delegation).toEqual(chain);
    expect(verified.valid_until).toBe(chain[1]!.expires_at);
  });

  it("refuses a chain that does not start at the token's principal", async () => {
    const chain = [link("bob@example.com", "research-agent", ["db:read"])];
    expect(await failure(verifier().verify(claims(await sign(), { delegation: chain }), NOW))).toBe(
      "delegation_invalid",
    );
  });
});

describe("revalidate (scenario 71: deferred and approved actions)", () => {
  async function decided(token: string, revocation?: RevocationList) {
    const jwt = verifier(revocation === undefined ? {} : { revocation });
    const original = claims(token);
    return { jwt, original, identity: identity(await jwt.verify(original, NOW)) };
  }

  it("re-establishes the identity while it holds, keeping every field but the times", async () => {
    const { jwt, original, identity: before } = await decided(await sign());
    const later = new Date(NOW.getTime() + 5 * 60_000);
    const after = identity(await revalidate(before, jwt, original, later));
    expect(after).toEqual({ ...before, verified_at: later.toISOString() });
  });

  it("fails as expired once the token has expired or gone stale", async () => {
    const { jwt, original, identity: before } = await decided(await sign(baseClaims({ exp: NOW_S + 300 })));
    const later = new Date(NOW.getTime() + 10 * 60_000);
    expect(await failure(revalidate(before, jwt, original, later))).toBe("expired");
    const stale = new Date(NOW.getTime() + 2 * 3_600_000);
    const fresh = await decided(await sign(baseClaims({ exp: NOW_S + 86_400 })));
    expect(await failure(revalidate(fresh.identity, fresh.jwt, fresh.original, stale))).toBe("expired");
  });

  it("fails as revoked once the principal is revoked", async () => {
    const list = new MemoryRevocationList();
    const { jwt, original, identity: before } = await decided(await sign(), list);
    list.revoke({ kind: "subject", value: "alice@example.com" });
    expect(await failure(revalidate(before, jwt, original, new Date(NOW.getTime() + 60_000)))).toBe(
      "revoked",
    );
  });

  it("accepts a renewed token for the same identity, and names a role or scope change", async () => {
    const { jwt, identity: before } = await decided(await sign());
    const later = new Date(NOW.getTime() + 2 * 3_600_000);
    const renewed = await sign(
      baseClaims({ iat: later.getTime() / 1000 - 10, exp: later.getTime() / 1000 + 600, jti: "tok-2" }),
    );
    const after = identity(await revalidate(before, jwt, claims(renewed), later));
    expect([after.verified_at, after.roles, after.human]).toEqual([
      later.toISOString(),
      ["analyst"],
      "alice@example.com",
    ]);

    const renew = (overrides: Record<string, unknown>) =>
      sign(baseClaims({ iat: later.getTime() / 1000 - 10, exp: later.getTime() / 1000 + 600, ...overrides }));
    const demoted = await renew({ roles: ["contractor"] });
    const result = await revalidate(before, jwt, claims(demoted), later);
    expect(result).toMatchObject({ ok: false, failure: "revoked" });
    expect(result.ok ? "" : result.message).toMatch(/roles changed.*lost "analyst".*gained "contractor"/);

    const narrowed = await renew({ scope: "db:read" });
    const scoped = await revalidate(before, jwt, claims(narrowed), later);
    expect(scoped.ok ? "" : scoped.message).toMatch(/scope changed.*lost "email:send"/);
  });

  it("refuses claims that establish someone else", async () => {
    const { jwt, identity: before } = await decided(await sign());
    const bob = await sign(baseClaims({ sub: "bob@example.com" }));
    expect(await failure(revalidate(before, jwt, claims(bob), NOW))).toBe("malformed");
    const otherSession = await revalidate(before, jwt, claims(await sign(), { session: "sess-2" }), NOW);
    expect(otherSession.ok ? "" : otherSession.message).toMatch(/sess-2/);
  });

  it("never throws, even when the verifier does", async () => {
    const { original, identity: before } = await decided(await sign());
    const throwing: IdentityVerifier = { id: "broken", verify: () => Promise.reject(new Error("boom")) };
    expect(await failure(revalidate(before, throwing, original, NOW))).toBe("unavailable");
  });
});
