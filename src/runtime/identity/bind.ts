/**
 * The last step every verifier shares: given the principal it has
 * established (from a token, or from a trusted host), check the delegation
 * chain against it and assemble the `VerifiedIdentity`, with `valid_until` the
 * earliest moment any part of the verification stops holding.
 *
 * @module
 */
import type { PlainClaims } from "./claims.ts";
import { checkDelegation } from "./delegation.ts";
import { failed } from "./fields.ts";
import type { IdentityResult, VerifiedIdentity } from "./types.ts";

/** Who the verifier established, with the roles and scope they hold. */
export interface Principal {
  readonly human?: string;
  readonly service?: string;
  /** Sorted set. */
  readonly roles: readonly string[];
  /** Sorted set. */
  readonly scope: readonly string[];
}

export interface Binding {
  /** The verifier's method, recorded in the identity. */
  readonly method: string;
  readonly now: Date;
  /** Milliseconds since the epoch when the principal's verification lapses; null if it does not. */
  readonly validUntil: number | null;
}

/**
 * The verified identity of `claims` acting for `principal`, or why there is
 * none. Requires a human or a service (AARM R6: an action without either is
 * denied) and a chain that holds; the identity's scope is the effective scope
 * after delegation. The result is frozen: it is bound into receipts and
 * preserved for deferred actions, and nothing may edit it on the way.
 */
export function bindIdentity(claims: PlainClaims, principal: Principal, binding: Binding): IdentityResult {
  const principals = [principal.human, principal.service].filter((name) => name !== undefined);
  if (principals.length === 0) return failed("missing", "the claims name neither a human nor a service");
  const grant = checkDelegation(claims.delegation, {
    principals,
    agent: claims.agent,
    scope: principal.scope,
    now: binding.now.getTime(),
  });
  if (!grant.ok) return grant;
  const ends = [binding.validUntil, grant.value.expiresAt].filter((time) => time !== null);
  const end = ends.length === 0 ? null : Math.min(...ends);
  // Every identity holds for a while after it is verified: an end at `now` (a token at the last
  // instant of its window, within the clock's resolution) is already past.
  if (end !== null && end <= binding.now.getTime()) {
    return failed("expired", `the verification lapses at ${new Date(end).toISOString()}`);
  }
  const identity: VerifiedIdentity = {
    ...(principal.human === undefined ? {} : { human: principal.human }),
    ...(principal.service === undefined ? {} : { service: principal.service }),
    ...(claims.agent === undefined ? {} : { agent: claims.agent }),
    session: claims.session,
    roles: Object.freeze([...principal.roles]),
    scope: Object.freeze([...grant.value.scope]),
    delegation: Object.freeze(
      claims.delegation.map((link) => Object.freeze({ ...link, scope: Object.freeze([...link.scope]) })),
    ),
    verified_at: binding.now.toISOString(),
    valid_until: end === null ? null : new Date(end).toISOString(),
    method: binding.method,
  };
  return { ok: true, identity: Object.freeze(identity) };
}
