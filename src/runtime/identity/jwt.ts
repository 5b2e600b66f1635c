/**
 * JWT identity verification (AARM R6: claims checked against trusted sources,
 * with freshness and revocation). A token signed by a configured issuer names
 * the principal, its roles and its scope; the plain claims add the agent, the
 * session and the delegation chain, and may repeat what the token says but
 * never contradict it.
 *
 * Defences, in the order they apply:
 * - size and shape: a compact JWS of three canonical base64url parts, JSON
 *   objects in the first two, within a length bound;
 * - algorithm confusion: `alg` must be one of EdDSA, ES256 or RS256 and one
 *   the issuer is configured for; `none` and HMAC are refused before any key
 *   is touched, keys are public and typed (see `jwks.ts`), and a header that
 *   carries or points at its own key (`jwk`, `jku`, `x5u`, `x5c`) is refused;
 * - issuer and audience: the issuer is looked up by `iss` among the configured
 *   ones, and the token must be addressed to this runtime;
 * - time: `exp` and `iat` are required, `nbf` is honoured, the token must be
 *   younger than the freshness window, all within a small clock tolerance;
 * - revocation by `jti` and by subject, failing closed when the list cannot
 *   answer;
 * - agreement: a plain `human`, `service`, `roles` or `scope` that differs
 *   from the token's is a failure, never silently overridden.
 *
 * @module
 */ import { errors, type JWTPayload, jwtVerify } from "jose";
import { decodeBase64url } from "../crypto/base64url.ts";
import { bindIdentity, type Principal } from "./bind.ts";
import { type PlainClaims, readClaims } from "./claims.ts";
import {
  type Checked,
  describe,
  failed,
  identifierSet,
  type IdentitySetupResult,
  isIdentifier,
  quote,
  sameSet,
} from "./fields.ts";
import { isJwtAlgorithm } from "./jwks.ts";
import { type Issuer, type JwtVerifierOptions, type Settings, setup } from "./jwt-options.ts";
import type { RevocationList, RevocationQuery } from "./revocation.ts";
import type { IdentityClaims, IdentityResult, IdentityVerifier } from "./types.ts";

/**
 * Header members that carry or point at a key; a verifier that honoured them
 * would let the token pick its own key.
 */
const KEY_HEADERS = ["jwk", "jku", "x5u", "x5c"];
const SEGMENT = /^[A-Za-z0-9_-]*$/;

/** The JSON object a token segment spells, or null. */
function decodeSegment(segment: string): Record<string, unknown> | null {
  const bytes = decodeBase64url(segment);
  if (bytes === null) return null;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Why `alg` is refused outright, before the issuer is known; null when it is one aarm supports. */
function refusedAlgorithm(alg: string): string | null {
  if (isJwtAlgorithm(alg)) return null;
  if (alg.toLowerCase() === "none") return "the token is unsigned (alg none)";
  if (/^HS/i.test(alg)) {
    return `symmetric algorithm ${quote(alg, 16)} is never accepted (algorithm confusion)`;
  }
  return `algorithm ${quote(alg, 16)} is not accepted`;
}

/** The shape and header checks, and the issuer: everything before the signature is verified. */
function inspect(token: string, settings: Settings): Checked<Issuer> {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) {
    return failed("malformed", "the token is not a compact JWS (three base64url parts)");
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeSegment(headerPart);
  if (header === null) return failed("malformed", "the token header is not a base64url JSON object");
  if (typeof header.alg !== "string") return failed("malformed", "the token header has no alg");
  const refused = refusedAlgorithm(header.alg);
  if (refused !== null) return failed("bad_signature", refused);
  const keyHeaders = KEY_HEADERS.filter((member) => Object.hasOwn(header, member));
  if (keyHeaders.length > 0) {
    return failed(
      "bad_signature",
      `the token header carries its own key (${keyHeaders.join(", ")}), never trusted`,
    );
  }
  if (signaturePart === "") return failed("bad_signature", "the token carries no signature");
  if (decodeBase64url(signaturePart) === null) {
    return failed("malformed", "the token signature is not base64url");
  }
  const payload = decodeSegment(payloadPart);
  if (payload === null) return failed("malformed", "the token payload is not a base64url JSON object");
  if (typeof payload.iss !== "string") return failed("malformed", "the token names no issuer (iss)");
  const issuer = settings.issuers.get(payload.iss);
  if (issuer === undefined) return failed("untrusted_issuer", `issuer ${quote(payload.iss)} is not trusted`);
  if (!(issuer.algorithms as readonly string[]).includes(header.alg)) {
    return failed(
      "bad_signature",
      `algorithm ${header.alg} is not accepted for issuer ${quote(issuer.issuer)}`,
    );
  }
  return { ok: true, value: issuer };
}

/** A jose verification error as an identity failure. */
function joseFailure(caught: unknown): IdentityResult {
  if (caught instanceof errors.JWTExpired) {
    return caught.claim === "iat"
      ? failed("expired", "the token is older than the freshness window (iat)")
      : failed("expired", "the token has expired (exp)");
  }
  if (caught instanceof errors.JWTClaimValidationFailed) {
    if (caught.reason === "missing") return failed("malformed", `the token lacks the ${caught.claim} claim`);
    if (caught.reason === "invalid") {
      return failed("malformed", `the token's ${caught.claim} claim is not a number`);
    }
    if (caught.claim === "nbf") return failed("not_yet_valid", "the token is not valid yet (nbf)");
    if (caught.claim === "iat") return failed("not_yet_valid", "the token was issued in the future (iat)");
    if (caught.claim === "aud") {
      return failed("untrusted_issuer", "the token is addressed to another audience (aud)");
    }
    return failed("malformed", `the token's ${caught.claim} claim failed validation`);
  }
  if (caught instanceof errors.JWSSignatureVerificationFailed) {
    return failed("bad_signature", "the token signature does not verify");
  }
  if (caught instanceof errors.JWKSNoMatchingKey) {
    return failed("bad_signature", "no configured key of the issuer matches the token (kid, alg)");
  }
  if (caught instanceof errors.JOSEAlgNotAllowed) {
    return failed("bad_signature", "the token algorithm is not accepted");
  }
  if (
    caught instanceof errors.JWSInvalid ||
    caught instanceof errors.JWTInvalid ||
    caught instanceof errors.JOSENotSupported
  ) {
    return failed("malformed", `the token is malformed: ${caught.message}`);
  }
  return failed("unavailable", `token verification failed: ${describe(caught)}`);
}

/** Roles or scope from a token claim: absent is empty, a string is space-separated (OAuth `scope`). */
function claimSet(payload: JWTPayload, claim: string): Checked<string[]> {
  const value = payload[claim];
  if (value === undefined) return { ok: true, value: [] };
  const set = identifierSet(
    typeof value === "string" ? value.split(" ").filter((entry) => entry !== "") : value,
  );
  return set === null
    ? failed("malformed", `the token's ${claim} claim is not a set of at most 256 identifiers`)
    : { ok: true, value: set };
}

/** The principal a verified token names, with its revocation queries. */
function principalOf(
  payload: JWTPayload,
  issuer: Issuer,
): Checked<{ principal: Principal; queries: RevocationQuery[] }> {
  const subject = payload[issuer.subjectClaim];
  if (!isIdentifier(subject)) {
    return failed("malformed", `the token's ${issuer.subjectClaim} claim does not name a principal`);
  }
  const service = issuer.serviceClaim === undefined ? undefined : payload[issuer.serviceClaim];
  if (service !== undefined && !isIdentifier(service)) {
    return failed("malformed", `the token's ${String(issuer.serviceClaim)} claim is not an identifier`);
  }
  if (payload.jti !== undefined && !isIdentifier(payload.jti)) {
    return failed("malformed", "the token's jti claim is not an identifier");
  }
  const roles = claimSet(payload, issuer.rolesClaim);
  if (!roles.ok) return roles;
  const scope = claimSet(payload, issuer.scopeClaim);
  if (!scope.ok) return scope;
  const principal: Principal =
    issuer.subjectKind === "service"
      ? { service: subject, roles: roles.value, scope: scope.value }
      : {
          human: subject,
          ...(service === undefined ? {} : { service }),
          roles: roles.value,
          scope: scope.value,
        };
  const names = [subject, ...(service === undefined ? [] : [service])];
  const queries: RevocationQuery[] = [
    ...(payload.jti === undefined
      ? []
      : [{ kind: "jti" as const, value: payload.jti, issuer: issuer.issuer }]),
    ...names.map((value) => ({ kind: "subject" as const, value, issuer: issuer.issuer })),
  ];
  return { ok: true, value: { principal, queries } };
}

/** Null when every plain field the claims repeat agrees with the token; else the first disagreement. */
function disagreement(claims: PlainClaims, principal: Principal): string | null {
  for (const field of ["human", "service"] as const) {
    const plain = claims[field];
    const token = principal[field];
    if (plain !== undefined && plain !== token) {
      const names = token === undefined ? `no ${field}` : quote(token);
      return `claims.${field} ${quote(plain)} disagrees with the token, which names ${names}`;
    }
  }
  for (const field of ["roles", "scope"] as const) {
    const plain = claims[field];
    if (plain !== undefined && !sameSet(plain, principal[field])) {
      return `claims.${field} disagree with the token's ${field}`;
    }
  }
  return null;
}

async function revocationFailure(
  revocation: RevocationList | undefined,
  queries: readonly RevocationQuery[],
  now: Date,
): Promise<IdentityResult | null> {
  if (revocation === undefined) return null;
  for (const query of queries) {
    const status = await revocation.isRevoked(query, now);
    if (!status.ok) return failed("unavailable", `cannot check revocation: ${status.message}`);
    if (status.revoked) {
      const what = query.kind === "jti" ? "the token (jti)" : `principal ${quote(query.value)}`;
      return failed("revoked", `${what} is revoked`);
    }
  }
  return null;
}

async function verifyToken(settings: Settings, claims: IdentityClaims, now: Date): Promise<IdentityResult> {
  if (Number.isNaN(now.getTime())) return failed("unavailable", "the verification time is not a valid date");
  const read = readClaims(claims, settings.limits);
  if (!read.ok) return read;
  const plain = read.value;
  if (plain.token === undefined) return failed("missing", "the claims carry no token");
  const inspected = inspect(plain.token, settings);
  if (!inspected.ok) return inspected;
  const issuer = inspected.value;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(plain.token, issuer.keys, {
      algorithms: [...issuer.algorithms],
      issuer: issuer.issuer,
      audience: settings.audience,
      clockTolerance: settings.tolerance,
      maxTokenAge: settings.maxAge,
      currentDate: now,
      requiredClaims: ["exp", "iat"],
    }));
  } catch (caught) {
    return joseFailure(caught);
  }
  const named = principalOf(payload, issuer);
  if (!named.ok) return named;
  const { principal, queries } = named.value;
  const revoked = await revocationFailure(settings.revocation, queries, now);
  if (revoked !== null) return revoked;
  const conflict = disagreement(plain, principal);
  if (conflict !== null) return failed("malformed", conflict);
  // jwtVerify required exp and iat as numbers and accepted now against both, so both ends are finite
  // and the freshness end is within a day of now.
  const expiry = ((payload.exp as number) + settings.tolerance) * 1000;
  const stale = ((payload.iat as number) + settings.maxAge + settings.tolerance) * 1000;
  return bindIdentity(plain, principal, {
    method: `jwt:${issuer.issuer}`,
    now,
    validUntil: Math.min(expiry, stale),
  });
}

/**
 * A verifier of JWT identity claims against locally configured issuers and
 * keys, or why the options are unusable. The verifier never throws: its own
 * faults come back as `unavailable`.
 *
 * `valid_until` of a verified identity is the earliest of the token's expiry,
 * the end of its freshness window (both plus the clock tolerance) and the
 * expiry of every delegation link.
 */
export function jwtVerifier(options: JwtVerifierOptions): IdentitySetupResult<IdentityVerifier> {
  let settings: IdentitySetupResult<Settings>;
  try {
    settings = setup(options);
  } catch (caught) {
    return { ok: false, error: describe(caught) };
  }
  if (!settings.ok) return settings;
  const ready = settings.value;
  return {
    ok: true,
    value: {
      id: ready.id,
      async verify(claims: IdentityClaims, now: Date): Promise<IdentityResult> {
        try {
          return await verifyToken(ready, claims, now);
        } catch (caught) {
          return failed("unavailable", `identity verification failed: ${describe(caught)}`);
        }
      },
    },
  };
}
