/**
 * A deployment's identity provider for the suite: an EdDSA key pair made
 * per instance, whose signed tokens (JWTs) the deployment trusts through the
 * runtime's own `jwtVerifier`, with a revocation list the scenarios can add
 * to. Approvers always prove who they are with its tokens; agents do when
 * the deployment is set up with `identity: "jwt"`.
 *
 * @module
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { jwtVerifier } from "../runtime/identity/jwt.ts";
import type { JwtIssuerOptions } from "../runtime/identity/jwt-options.ts";
import { MemoryRevocationList } from "../runtime/identity/revocation.ts";
import type { IdentityVerifier } from "../runtime/identity/types.ts";
import type { TokenOptions } from "./types.ts";

/** The issuer and audience the suite's tokens carry. */
export const ISSUER = "https://idp.conformance.aarm.test";
export const AUDIENCE = "aarm-conformance";

type Key = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

/** A local identity provider and the verifier that trusts it. */
export class TokenIssuer {
  /** Verifies the provider's tokens: signature, issuer, audience, time, freshness, revocation. */
  readonly verifier: IdentityVerifier;
  /** The options of a `jwtVerifier` trusting this provider, as an approvers configuration names them. */
  readonly trust: { readonly audience: string; readonly issuers: readonly JwtIssuerOptions[] };
  readonly #key: Key;
  /** A key nobody trusts, for forged tokens. */
  readonly #impostor: Key;
  readonly #revoked: MemoryRevocationList;

  private constructor(
    verifier: IdentityVerifier,
    trust: TokenIssuer["trust"],
    key: Key,
    impostor: Key,
    revoked: MemoryRevocationList,
  ) {
    this.verifier = verifier;
    this.trust = trust;
    this.#key = key;
    this.#impostor = impostor;
    this.#revoked = revoked;
  }

  /** A fresh provider, with tokens at most `maxTokenAgeSeconds` old accepted (600 by default). */
  static async create(maxTokenAgeSeconds = 600): Promise<TokenIssuer> {
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
    const impostor = await generateKeyPair("EdDSA");
    const revoked = new MemoryRevocationList();
    const trust = {
      audience: AUDIENCE,
      issuers: [
        {
          issuer: ISSUER,
          algorithms: ["EdDSA"] as const,
          keys: { keys: [{ ...(await exportJWK(publicKey)), kid: "conformance-1", alg: "EdDSA" }] },
        },
      ],
    };
    const verifier = jwtVerifier({
      ...trust,
      maxTokenAgeSeconds,
      clockToleranceSeconds: 0,
      revocation: revoked,
    });
    if (!verifier.ok) throw new Error(`the token verifier cannot be set up: ${verifier.error}`);
    return new TokenIssuer(verifier.value, trust, privateKey, impostor.privateKey, revoked);
  }

  /** A token asserting `subject` as a human principal. */
  sign(subject: string, options: TokenOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0);
    return new SignJWT({
      roles: [...(options.roles ?? [])],
      scope: [...(options.scope ?? [])],
    })
      .setProtectedHeader({ alg: "EdDSA", kid: "conformance-1" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(subject)
      .setJti(globalThis.crypto.randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + (options.lifetimeSeconds ?? 3600))
      .sign(options.forged === true ? this.#impostor : this.#key);
  }

  /** Revokes every token of `subject` from now on. */
  revoke(subject: string): void {
    this.#revoked.revoke({ kind: "subject", value: subject });
  }
}
