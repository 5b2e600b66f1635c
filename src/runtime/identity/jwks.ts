/**
 * Public key sets (JWK sets, RFC 7517) for token verification, configured
 * locally: aarm never fetches keys over the network, and never takes a key
 * from the token itself. Validation is strict, because most JWT forgeries are
 * key confusions: a symmetric or private key where a public one belongs, a
 * key used with an algorithm it was not made for, or a weak RSA modulus.
 * Only the public members the verifier needs survive validation.
 *
 * @module
 */
import type { JSONWebKeySet, JWK } from "jose";
import { decodeBase64url } from "../crypto/base64url.ts";
import { checkMaxBytes, DEFAULT_MAX_FILE_BYTES, readJsonFile } from "./file.ts";
import { isIdentifier, type IdentitySetupResult } from "./fields.ts";

/** The token signature algorithms aarm accepts: asymmetric only, never `none`, never HMAC. */
export const JWT_ALGORITHMS = ["EdDSA", "ES256", "RS256"] as const;

/** One of {@link JWT_ALGORITHMS}. */
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Most keys in one set. */
export const MAX_KEYS = 64;

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

/** Members that carry private or symmetric key material; their presence refuses the key. */
const SECRET_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** The key type (and curve) each algorithm verifies with. */
const KEY_TYPE: Readonly<Record<JwtAlgorithm, { readonly kty: string; readonly crv?: string }>> = {
  EdDSA: { kty: "OKP", crv: "Ed25519" },
  ES256: { kty: "EC", crv: "P-256" },
  RS256: { kty: "RSA" },
};

export function isJwtAlgorithm(value: unknown): value is JwtAlgorithm {
  return typeof value === "string" && (JWT_ALGORITHMS as readonly string[]).includes(value);
}

function fail(message: string): IdentitySetupResult<never> {
  return { ok: false, error: message };
}

function bytes(jwk: Readonly<Record<string, unknown>>, member: string): Uint8Array | null {
  const value = jwk[member];
  return typeof value === "string" ? decodeBase64url(value) : null;
}

function bitLength(big: Uint8Array): number {
  const first = big.findIndex((byte) => byte !== 0);
  return first < 0 ? 0 : (big.length - first - 1) * 8 + (32 - Math.clz32(big[first]!));
}

/** Checks the key material of one key against its type; null when it is sound. */
function checkMaterial(jwk: Readonly<Record<string, unknown>>): string | null {
  switch (jwk.kty) {
    case "OKP": {
      if (jwk.crv !== "Ed25519") return "an OKP key must be on curve Ed25519";
      return bytes(jwk, "x")?.length === 32 ? null : "x is not 32 bytes of base64url";
    }
    case "EC": {
      if (jwk.crv !== "P-256") return "an EC key must be on curve P-256";
      const ok = bytes(jwk, "x")?.length === 32 && bytes(jwk, "y")?.length === 32;
      return ok ? null : "x and y are not 32 bytes of base64url each";
    }
    case "RSA": {
      const n = bytes(jwk, "n");
      const e = bytes(jwk, "e");
      if (n === null || e === null) return "n and e are not base64url";
      const bits = bitLength(n);
      if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
        return `the modulus has ${bits} bits; ${MIN_RSA_BITS} to ${MAX_RSA_BITS} are accepted`;
      }
      return e.length >= 1 && e.length <= 4 && (e[e.length - 1]! & 1) === 1
        ? null
        : "e is not a small odd exponent";
    }
    default:
      return "kty is not OKP, EC or RSA (symmetric keys are never accepted)";
  }
}

function checkKey(raw: unknown, algorithms: readonly JwtAlgorithm[]): IdentitySetupResult<JWK> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return fail("not an object");
  const jwk = raw as Readonly<Record<string, unknown>>;
  const secret = SECRET_MEMBERS.filter((member) => Object.hasOwn(jwk, member));
  if (secret.length > 0) return fail(`carries private or symmetric key material (${secret.join(", ")})`);
  const problem = checkMaterial(jwk);
  if (problem !== null) return fail(problem);
  const usable = algorithms.filter((alg) => KEY_TYPE[alg].kty === jwk.kty);
  if (usable.length === 0) return fail(`a ${String(jwk.kty)} key verifies none of ${algorithms.join(", ")}`);
  if (jwk.alg !== undefined && !usable.includes(jwk.alg as JwtAlgorithm)) {
    return fail(`alg is not one of ${usable.join(", ")}`);
  }
  if (jwk.kid !== undefined && !isIdentifier(jwk.kid)) return fail("kid is not an identifier");
  if (jwk.use !== undefined && jwk.use !== "sig") return fail('use is not "sig"');
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes("verify"))) {
    return fail('key_ops does not include "verify"');
  }
  const copy: Record<string, string> = {};
  for (const member of ["kty", "crv", "x", "y", "n", "e", "kid", "alg"]) {
    const value = jwk[member];
    if (typeof value === "string") copy[member] = value;
  }
  return { ok: true, value: copy as JWK };
}

/**
 * The public keys of `set` usable with `algorithms`, or the first problem:
 * not a `{ "keys": [...] }` object, empty or more than {@link MAX_KEYS} keys,
 * a duplicate `kid`, or a key that is private, symmetric, malformed, weak
 * (RSA under 2048 bits), on another curve than the algorithm's, or usable
 * with none of `algorithms`.
 */
export function checkKeySet(
  set: unknown,
  algorithms: readonly JwtAlgorithm[],
): IdentitySetupResult<JSONWebKeySet> {
  if (typeof set !== "object" || set === null || !Array.isArray((set as { keys?: unknown }).keys)) {
    return fail('the key set is not an object with a "keys" array');
  }
  const raw = (set as { keys: unknown[] }).keys;
  if (raw.length === 0 || raw.length > MAX_KEYS) {
    return fail(`the key set has ${raw.length} keys; 1 to ${MAX_KEYS}`);
  }
  const keys: JWK[] = [];
  const kids = new Set<string>();
  for (const [index, entry] of raw.entries()) {
    const key = checkKey(entry, algorithms);
    if (!key.ok) return fail(`key ${index}: ${key.error}`);
    const kid = key.value.kid;
    if (kid !== undefined) {
      if (kids.has(kid)) return fail(`key ${index}: kid ${JSON.stringify(kid)} appears twice`);
      kids.add(kid);
    }
    keys.push(key.value);
  }
  return { ok: true, value: { keys } };
}

/** Options of {@link loadKeySetFile}. */
export interface KeySetFileOptions {
  /** Largest file accepted, in bytes; default 1 MiB, at most 64 MiB. */
  readonly maxBytes?: number;
}

/**
 * Reads a JWK set from a JSON file (for example an identity provider's
 * published `jwks.json`, downloaded out of band) and checks it with
 * {@link checkKeySet}. Node only.
 */
export async function loadKeySetFile(
  path: string,
  algorithms: readonly JwtAlgorithm[],
  options: KeySetFileOptions = {},
): Promise<IdentitySetupResult<JSONWebKeySet>> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const problem = checkMaxBytes(maxBytes);
  if (problem !== null) return fail(problem);
  const json = await readJsonFile(path, maxBytes);
  if (!json.ok) return json;
  const set = checkKeySet(json.value, algorithms);
  return set.ok ? set : fail(`${path}: ${set.error}`);
}
