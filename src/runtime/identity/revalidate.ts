/**
 * Revalidation before a deferred or approved action executes (AARM §3.4:
 * "stale identity must never authorize execution"). The action keeps the
 * identity it was decided with; revalidation proves that identity still holds
 * now, by verifying claims again and requiring them to establish the very
 * same identity.
 *
 * @module
 */
import { compareStrings, describe, type Failed, failed, missingFrom, quote, sameSet } from "./fields.ts";
import type {
  DelegationLink,
  IdentityClaims,
  IdentityResult,
  IdentityVerifier,
  VerifiedIdentity,
} from "./types.ts";

function listChange(field: string, before: readonly string[], after: readonly string[]): string {
  const lost = missingFrom(before, after).map((entry) => quote(entry));
  const gained = missingFrom(after, before).map((entry) => quote(entry));
  const parts = [
    ...(lost.length === 0 ? [] : [`lost ${lost.join(", ")}`]),
    ...(gained.length === 0 ? [] : [`gained ${gained.join(", ")}`]),
  ];
  return `${field} changed since the action was decided: ${parts.join("; ")}`;
}

function linkKey(link: DelegationLink): string {
  return JSON.stringify([
    link.delegator,
    link.delegatee,
    [...link.scope].sort(compareStrings),
    link.issued_at,
    link.expires_at,
  ]);
}

function sameChain(a: readonly DelegationLink[], b: readonly DelegationLink[]): boolean {
  return a.length === b.length && a.every((link, index) => linkKey(link) === linkKey(b[index]!));
}

/** Null when `fresh` establishes the same identity as `original`; else the failure naming the first change. */
function change(original: VerifiedIdentity, fresh: VerifiedIdentity): Failed | null {
  if (fresh.method !== original.method) {
    return failed("malformed", `verified by ${quote(fresh.method)}, not ${quote(original.method)} as before`);
  }
  for (const field of ["human", "service", "agent", "session"] as const) {
    if (fresh[field] !== original[field]) {
      const was = original[field] === undefined ? `no ${field}` : quote(original[field]);
      const now = fresh[field] === undefined ? `no ${field}` : quote(fresh[field]);
      return failed("malformed", `the claims name ${now} where the identity had ${was}`);
    }
  }
  // Roles need not be monotone in a policy (a "suspended" or "contractor" role can trigger a deny),
  // so a gained role invalidates the decision as surely as a lost one.
  for (const field of ["roles", "scope"] as const) {
    if (!sameSet(original[field], fresh[field])) {
      return failed("revoked", listChange(field, original[field], fresh[field]));
    }
  }
  if (!sameChain(original.delegation, fresh.delegation)) {
    return failed("delegation_invalid", "the delegation chain changed since the action was decided");
  }
  return null;
}

/**
 * Re-checks `identity` at `now` before its deferred or approved action
 * executes: `claims` (the original ones, or refreshed ones such as a renewed
 * token) are verified again by `verifier`, and must establish the same
 * principal, agent, session, method, roles, scope and delegation chain.
 *
 * Failures: whatever verification reports (`expired` for an expired or stale
 * token or delegation, `revoked` for a revoked token or principal, …);
 * `revoked` when roles or scope changed, naming what was lost and gained;
 * `delegation_invalid` when the chain changed; `malformed` when the claims
 * name someone else. An identity past its `valid_until` is therefore
 * re-established only by claims that verify now, e.g. a renewed token for
 * the same principal with the same roles and scope.
 *
 * On success the identity is the original, unchanged but for `verified_at`
 * and `valid_until`, which are the revalidation's. Never throws.
 */
export async function revalidate(
  identity: VerifiedIdentity,
  verifier: IdentityVerifier,
  claims: IdentityClaims,
  now: Date,
): Promise<IdentityResult> {
  try {
    const fresh = await verifier.verify(claims, now);
    if (!fresh.ok) return failed(fresh.failure, `revalidation: ${fresh.message}`);
    const changed = change(identity, fresh.identity);
    if (changed !== null) return failed(changed.failure, `revalidation: ${changed.message}`);
    return {
      ok: true,
      identity: Object.freeze({
        ...identity,
        verified_at: fresh.identity.verified_at,
        valid_until: fresh.identity.valid_until,
      }),
    };
  } catch (caught) {
    return failed("unavailable", `revalidation failed: ${describe(caught)}`);
  }
}
