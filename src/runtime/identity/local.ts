/**
 * The trusted-local verifier, for embedded single-user deployments (an SDK in
 * a developer's own process, a Claude Code hook on their machine) where no
 * identity provider exists.
 *
 * It TRUSTS THE HOST: the plain claims are taken as true because the process
 * that passes them is the one that vouches for the user. It verifies no
 * signature and consults no revocation list. Use it only where whoever
 * supplies the claims is already trusted with everything those claims could
 * name; never where an agent, a tool's output or a network peer can influence
 * them (a gateway, an HTTP service): use `jwtVerifier` there.
 *
 * It still enforces everything that does not need a trusted source: a session
 * and a human or service are required, every field is bounded, and the
 * delegation chain must hold exactly as under `jwtVerifier` (contiguous, in
 * force, narrowing). Identities it produces say `method: "trusted-local"`, so
 * receipts show that nothing cryptographic stood behind them.
 *
 * @module
 */
import { bindIdentity } from "./bind.ts";
import { readClaims } from "./claims.ts";
import {
  DEFAULT_MAX_DELEGATION_LENGTH,
  describe,
  failed,
  MAX_DELEGATION_LENGTH,
  type IdentitySetupResult,
} from "./fields.ts";
import type { IdentityClaims, IdentityResult, IdentityVerifier } from "./types.ts";

/** The id and method of the trusted-local verifier. */
export const TRUSTED_LOCAL = "trusted-local";

/** Options of {@link trustedLocalVerifier}. */
export interface TrustedLocalOptions {
  /** The longest delegation chain; default 5, at most 32. */
  readonly maxDelegationLength?: number;
}

function verifyLocal(claims: IdentityClaims, now: Date, maxDelegationLength: number): IdentityResult {
  if (Number.isNaN(now.getTime())) return failed("unavailable", "the verification time is not a valid date");
  const read = readClaims(claims, { maxDelegationLength, maxTokenLength: Number.POSITIVE_INFINITY });
  if (!read.ok) return read;
  const plain = read.value;
  // A token is never ignored: a caller that sent one expects it checked, and this verifier cannot.
  if (plain.token !== undefined) {
    return failed(
      "unavailable",
      "the trusted-local verifier does not verify tokens; configure a JWT verifier",
    );
  }
  return bindIdentity(
    plain,
    {
      ...(plain.human === undefined ? {} : { human: plain.human }),
      ...(plain.service === undefined ? {} : { service: plain.service }),
      roles: plain.roles ?? [],
      scope: plain.scope ?? [],
    },
    { method: TRUSTED_LOCAL, now, validUntil: null },
  );
}

/**
 * A verifier that accepts the host's plain claims as the identity (see the
 * module comment for when that is safe), or why the options are unusable.
 * An absent `roles` or `scope` is empty, never "everything".
 */
export function trustedLocalVerifier(
  options: TrustedLocalOptions = {},
): IdentitySetupResult<IdentityVerifier> {
  const maxDelegationLength = options.maxDelegationLength ?? DEFAULT_MAX_DELEGATION_LENGTH;
  if (
    !Number.isSafeInteger(maxDelegationLength) ||
    maxDelegationLength < 0 ||
    maxDelegationLength > MAX_DELEGATION_LENGTH
  ) {
    return { ok: false, error: `maxDelegationLength must be an integer from 0 to ${MAX_DELEGATION_LENGTH}` };
  }
  return {
    ok: true,
    value: {
      id: TRUSTED_LOCAL,
      verify(claims: IdentityClaims, now: Date): Promise<IdentityResult> {
        try {
          return Promise.resolve(verifyLocal(claims, now, maxDelegationLength));
        } catch (caught) {
          return Promise.resolve(failed("unavailable", `identity verification failed: ${describe(caught)}`));
        }
      },
    },
  };
}
