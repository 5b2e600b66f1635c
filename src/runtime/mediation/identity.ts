/**
 * Identity in its three forms: as claimed by the caller, as verified by the
 * runtime (both `identity/types.ts`), as bound into the canonical action
 * (`Identity` of the schemas) and as the evaluator reads it (`EvalIdentity`).
 *
 * A refused action still gets a receipt; its requester context then carries
 * the identity as claimed, with `identity_verified_at` null, so a reader
 * sees both who was claimed and that it was not verified.
 *
 * @module
 */
import type { EvalIdentity } from "../../ir/contract.ts";
import type { DelegationLink as SchemaDelegationLink, Identity } from "../../schema/generated/types.ts";
import type { DelegationLink, IdentityClaims, VerifiedIdentity } from "../identity/types.ts";

/** Distinct items in first-appearance order: roles and scopes are sets, the schema wants them unique. */
function distinct(items: readonly string[] | undefined): string[] {
  return [...new Set(items ?? [])];
}

function link(link: DelegationLink): SchemaDelegationLink {
  return {
    delegator: link.delegator,
    delegatee: link.delegatee,
    scope: distinct(link.scope),
    issued_at: link.issued_at,
    expires_at: link.expires_at,
  };
}

function principals(who: {
  readonly human?: string | undefined;
  readonly service?: string | undefined;
  readonly agent?: string | undefined;
}): Pick<Identity, "human" | "service" | "agent"> {
  return {
    ...(who.human === undefined ? {} : { human: who.human }),
    ...(who.service === undefined ? {} : { service: who.service }),
    ...(who.agent === undefined ? {} : { agent: who.agent }),
  };
}

/** The identity a verifier vouched for, as bound to an action. */
export function boundIdentity(verified: VerifiedIdentity): Identity {
  return {
    ...principals(verified),
    session: verified.session,
    roles: distinct(verified.roles),
    scope: distinct(verified.scope),
    delegation_chain: verified.delegation.map(link),
  };
}

/** The identity as the caller claimed it, unverified: for the receipt of an action refused before binding. */
export function claimedIdentity(claims: IdentityClaims): Identity {
  return {
    ...principals(claims),
    session: claims.session,
    roles: distinct(claims.roles),
    scope: distinct(claims.scope),
    delegation_chain: (claims.delegation ?? []).map(link),
  };
}

/** The identity as the evaluator reads it: delegators outermost first. */
export function evalIdentity(identity: Identity): EvalIdentity {
  return {
    ...principals(identity),
    session: identity.session,
    roles: identity.roles,
    scope: identity.scope,
    delegation: identity.delegation_chain.map((l) => l.delegator),
  };
}
