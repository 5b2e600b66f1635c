/**
 * Reading identity claims as they arrive: checks the shape and bounds of
 * every plain field before any verifier looks at them, so that a verifier
 * works on well-formed, bounded values and nothing an adapter passes through
 * (a header, a JSON body) can make it throw or spin.
 *
 * @module
 */
import { parseDelegation } from "./delegation.ts";
import { type Checked, failed, identifierSet, isIdentifier } from "./fields.ts";
import type { DelegationLink } from "./types.ts";

/** Plain claims after shape checks: identifiers, sorted sets, a well-formed chain. */
export interface PlainClaims {
  readonly human?: string;
  readonly service?: string;
  readonly agent?: string;
  readonly session: string;
  readonly roles?: readonly string[];
  readonly scope?: readonly string[];
  readonly delegation: readonly DelegationLink[];
  readonly token?: string;
}

/** Bounds on what claims may carry. */
export interface ClaimLimits {
  readonly maxDelegationLength: number;
  /** Longest token accepted, in characters; irrelevant to verifiers that refuse tokens. */
  readonly maxTokenLength: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const PRINCIPAL_FIELDS = ["human", "service", "agent"] as const;
const SET_FIELDS = ["roles", "scope"] as const;

/** `claims` checked against `limits`; fields that are absent (or `undefined`) stay absent. */
export function readClaims(claims: unknown, limits: ClaimLimits): Checked<PlainClaims> {
  if (typeof claims !== "object" || claims === null) return failed("missing", "no identity claims");
  const raw = claims as Record<string, unknown>;
  if (raw.session === undefined) return failed("missing", "the claims name no session");
  if (!isIdentifier(raw.session)) return failed("malformed", "claims.session is not an identifier");
  const read: Mutable<PlainClaims> = { session: raw.session, delegation: [] };
  for (const field of PRINCIPAL_FIELDS) {
    const value = raw[field];
    if (value === undefined) continue;
    if (!isIdentifier(value)) {
      return failed(
        "malformed",
        `claims.${field} is not an identifier (1–256 characters, no control characters)`,
      );
    }
    read[field] = value;
  }
  for (const field of SET_FIELDS) {
    if (raw[field] === undefined) continue;
    const set = identifierSet(raw[field]);
    if (set === null) return failed("malformed", `claims.${field} is not a set of at most 256 identifiers`);
    read[field] = set;
  }
  const delegation = parseDelegation(raw.delegation, limits.maxDelegationLength);
  if (!delegation.ok) return delegation;
  read.delegation = delegation.value;
  const token = raw.token;
  if (token !== undefined) {
    if (typeof token !== "string" || token.length === 0) {
      return failed("malformed", "claims.token is not a string");
    }
    if (token.length > limits.maxTokenLength) {
      return failed("malformed", `claims.token is longer than ${limits.maxTokenLength} characters`);
    }
    read.token = token;
  }
  return { ok: true, value: read };
}
