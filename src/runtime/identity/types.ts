/**
 * Identity binding (AARM R6): who is acting, as claimed by the caller and as
 * verified by the runtime. The runtime never evaluates an action whose
 * identity is missing or unverifiable; it denies it, with a receipt.
 *
 * @module
 */

/** One hop of delegation: `delegator` let `delegatee` act within `scope` until `expires_at`. */
export interface DelegationLink {
  readonly delegator: string;
  readonly delegatee: string;
  readonly scope: readonly string[];
  /** ISO-8601 UTC. */
  readonly issued_at: string;
  /** ISO-8601 UTC. */
  readonly expires_at: string;
}

/** What the caller says about who is acting: plain fields, or signed tokens, or both. */
export interface IdentityClaims {
  readonly human?: string;
  readonly service?: string;
  readonly agent?: string;
  readonly session: string;
  readonly roles?: readonly string[];
  readonly scope?: readonly string[];
  readonly delegation?: readonly DelegationLink[];
  /** A signed token (JWT) asserting the human or service principal, its roles and scope. */
  readonly token?: string;
}

/** An identity the runtime has verified, at a time. */
export interface VerifiedIdentity {
  readonly human?: string;
  readonly service?: string;
  readonly agent?: string;
  readonly session: string;
  readonly roles: readonly string[];
  readonly scope: readonly string[];
  readonly delegation: readonly DelegationLink[];
  /** ISO-8601 UTC: when the claims were verified. */
  readonly verified_at: string;
  /** ISO-8601 UTC: when the verification stops holding (token expiry, earliest delegation expiry). */
  readonly valid_until: string | null;
  /** How it was verified: the verifier's id (e.g. `jwt:<issuer>`, `trusted-local`). */
  readonly method: string;
}

export type IdentityFailure =
  | "missing"
  | "malformed"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "revoked"
  | "untrusted_issuer"
  | "delegation_invalid"
  | "unavailable";

export type IdentityResult =
  | { readonly ok: true; readonly identity: VerifiedIdentity }
  | { readonly ok: false; readonly failure: IdentityFailure; readonly message: string };

/**
 * Verifies claims at a time. Implementations must not throw: every failure
 * (including their own faults, as `unavailable`) is a result, so that the
 * runtime can deny with a reason.
 */
export interface IdentityVerifier {
  readonly id: string;
  verify(claims: IdentityClaims, now: Date): Promise<IdentityResult>;
}
