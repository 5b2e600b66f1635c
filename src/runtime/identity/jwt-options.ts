/**
 * The options of the JWT verifier, their defaults and bounds, and their
 * checking: everything about a verifier that is settled once, when it is
 * created, so that `jwt.ts` is only about tokens.
 *
 * @module
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import {
  DEFAULT_MAX_DELEGATION_LENGTH,
  type IdentitySetupResult,
  isIdentifier,
  MAX_DELEGATION_LENGTH,
  sortedUnique,
} from "./fields.ts";
import { checkKeySet, isJwtAlgorithm, JWT_ALGORITHMS, type JwtAlgorithm } from "./jwks.ts";
import type { RevocationList } from "./revocation.ts";

/** The clock tolerance used when none is configured, in seconds. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
/** The largest clock tolerance accepted, in seconds. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;
/** The freshness window used when none is configured: a token's `iat` at most one hour ago. */
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 3_600;
/** The longest freshness window accepted: one day. */
export const MAX_TOKEN_AGE_SECONDS = 86_400;
/** The token length bound used when none is configured, in characters. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8_192;
/** The largest token length bound accepted, in characters. */
export const MAX_TOKEN_LENGTH = 65_536;

/** One trusted token issuer. */
export interface JwtIssuerOptions {
  /** The issuer's `iss` value, exactly. */
  readonly issuer: string;
  /** The algorithms its tokens may use: at least one of EdDSA, ES256, RS256. */
  readonly algorithms: readonly JwtAlgorithm[];
  /** Its public keys, configured locally (see `loadKeySetFile`); never fetched. */
  readonly keys: JSONWebKeySet;
  /** Which identity field the token's principal fills: `human` (default), or `service` for workload tokens. */
  readonly subjectKind?: "human" | "service";
  /** The top-level claim naming the principal; default `sub` (e.g. `email`). */
  readonly subjectClaim?: string;
  /**
   * For human tokens, a top-level claim naming the service the agent runs as
   * (e.g. `azp` or `client_id`); absent, the token names no service.
   */
  readonly serviceClaim?: string;
  /** The top-level claim holding roles: an array, or a space-separated string; default `roles`. */
  readonly rolesClaim?: string;
  /** The top-level claim holding the scope: an array, or a space-separated string; default `scope`. */
  readonly scopeClaim?: string;
}

/** Options of `jwtVerifier`. */
export interface JwtVerifierOptions {
  /** The verifier's id; default `jwt`. Identities record `jwt:<issuer>` as their method. */
  readonly id?: string;
  /** The trusted issuers, at least one, each `iss` once. */
  readonly issuers: readonly JwtIssuerOptions[];
  /** This runtime's audience value(s): tokens addressed elsewhere are refused. */
  readonly audience: string | readonly string[];
  /** Tolerated clock difference with issuers, in seconds; default 30, at most 300. */
  readonly clockToleranceSeconds?: number;
  /** Freshness: the longest time since a token's `iat`, in seconds; default 3600, at most 86400. */
  readonly maxTokenAgeSeconds?: number;
  /** Revocations to check by `jti` and by subject; absent, nothing is revoked. */
  readonly revocation?: RevocationList;
  /** The longest delegation chain; default 5, at most 32. */
  readonly maxDelegationLength?: number;
  /** The longest token, in characters; default 8192, at most 65536. */
  readonly maxTokenLength?: number;
}

/** An issuer ready for verification. */
export interface Issuer {
  readonly issuer: string;
  readonly algorithms: readonly JwtAlgorithm[];
  readonly keys: JWTVerifyGetKey;
  readonly subjectKind: "human" | "service";
  readonly subjectClaim: string;
  readonly serviceClaim: string | undefined;
  readonly rolesClaim: string;
  readonly scopeClaim: string;
}

/** Verifier options checked, with defaults applied. */
export interface Settings {
  readonly id: string;
  readonly issuers: ReadonlyMap<string, Issuer>;
  readonly audience: string[];
  readonly tolerance: number;
  readonly maxAge: number;
  readonly revocation: RevocationList | undefined;
  readonly limits: { readonly maxDelegationLength: number; readonly maxTokenLength: number };
}

function setupError(message: string): IdentitySetupResult<never> {
  return { ok: false, error: message };
}

function bounded(
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
  name: string,
): IdentitySetupResult<number> {
  const chosen = value ?? fallback;
  return Number.isSafeInteger(chosen) && chosen >= min && chosen <= max
    ? { ok: true, value: chosen }
    : setupError(`${name} must be an integer from ${min} to ${max}`);
}

function setupIssuer(options: JwtIssuerOptions): IdentitySetupResult<Issuer> {
  const name = isIdentifier(options.issuer) ? JSON.stringify(options.issuer) : "(invalid)";
  const fail = (problem: string) => setupError(`issuer ${name}: ${problem}`);
  if (!isIdentifier(options.issuer)) return fail("the issuer is not an identifier");
  if (options.algorithms.length === 0 || !options.algorithms.every(isJwtAlgorithm)) {
    return fail(`algorithms must list some of ${JWT_ALGORITHMS.join(", ")}`);
  }
  const algorithms = sortedUnique(options.algorithms) as JwtAlgorithm[];
  const claimNames = [options.subjectClaim, options.serviceClaim, options.rolesClaim, options.scopeClaim];
  if (!claimNames.every((claim) => claim === undefined || isIdentifier(claim))) {
    return fail("claim names must be identifiers");
  }
  const subjectKind = options.subjectKind ?? "human";
  if (subjectKind !== "human" && subjectKind !== "service") {
    return fail('subjectKind must be "human" or "service"');
  }
  if (subjectKind === "service" && options.serviceClaim !== undefined) {
    return fail("serviceClaim applies only to human tokens; the subject already names the service");
  }
  const keySet = checkKeySet(options.keys, algorithms);
  if (!keySet.ok) return fail(keySet.error);
  return {
    ok: true,
    value: {
      issuer: options.issuer,
      algorithms,
      keys: createLocalJWKSet(keySet.value),
      subjectKind,
      subjectClaim: options.subjectClaim ?? "sub",
      serviceClaim: options.serviceClaim,
      rolesClaim: options.rolesClaim ?? "roles",
      scopeClaim: options.scopeClaim ?? "scope",
    },
  };
}

/** `options` checked and completed, or the first problem. Throws only on inputs that defy the types. */
export function setup(options: JwtVerifierOptions): IdentitySetupResult<Settings> {
  const id = options.id ?? "jwt";
  if (!isIdentifier(id)) return setupError("id is not an identifier");
  if (options.issuers.length === 0) return setupError("no issuers are configured");
  const issuers = new Map<string, Issuer>();
  for (const entry of options.issuers) {
    const issuer = setupIssuer(entry);
    if (!issuer.ok) return issuer;
    if (issuers.has(issuer.value.issuer)) {
      return setupError(`issuer ${JSON.stringify(entry.issuer)} appears twice`);
    }
    issuers.set(issuer.value.issuer, issuer.value);
  }
  const audience = typeof options.audience === "string" ? [options.audience] : [...options.audience];
  if (audience.length === 0 || !audience.every(isIdentifier)) {
    return setupError("audience must be one or more identifiers");
  }
  const tolerance = bounded(
    options.clockToleranceSeconds,
    DEFAULT_CLOCK_TOLERANCE_SECONDS,
    0,
    MAX_CLOCK_TOLERANCE_SECONDS,
    "clockToleranceSeconds",
  );
  if (!tolerance.ok) return tolerance;
  const maxAge = bounded(
    options.maxTokenAgeSeconds,
    DEFAULT_MAX_TOKEN_AGE_SECONDS,
    1,
    MAX_TOKEN_AGE_SECONDS,
    "maxTokenAgeSeconds",
  );
  if (!maxAge.ok) return maxAge;
  const maxDelegationLength = bounded(
    options.maxDelegationLength,
    DEFAULT_MAX_DELEGATION_LENGTH,
    0,
    MAX_DELEGATION_LENGTH,
    "maxDelegationLength",
  );
  if (!maxDelegationLength.ok) return maxDelegationLength;
  const maxTokenLength = bounded(
    options.maxTokenLength,
    DEFAULT_MAX_TOKEN_LENGTH,
    1,
    MAX_TOKEN_LENGTH,
    "maxTokenLength",
  );
  if (!maxTokenLength.ok) return maxTokenLength;
  return {
    ok: true,
    value: {
      id,
      issuers,
      audience,
      tolerance: tolerance.value,
      maxAge: maxAge.value,
      revocation: options.revocation,
      limits: { maxDelegationLength: maxDelegationLength.value, maxTokenLength: maxTokenLength.value },
    },
  };
}
