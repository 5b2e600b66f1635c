/**
 * Delegation chains: a principal lets an agent act for it, which may let a
 * sub-agent act in turn, each hop within a scope and a time window. Links are
 * plain claims (nothing signs them), so the chain is only ever allowed to
 * narrow what the verified principal holds: it can never grant a scope the
 * principal lacks, outlive a link, or name an agent other than the one acting.
 *
 * @module
 */
import {
  type Checked,
  failed,
  identifierSet,
  isIdentifier,
  missingFrom,
  parseTimestamp,
  quote,
} from "./fields.ts";
import type { DelegationLink } from "./types.ts";

/** What a chain is checked against. */
export interface DelegationContext {
  /** The verified principals (human, service); the first delegator must be one of them. */
  readonly principals: readonly string[];
  /** The acting agent; the last delegatee must be it. */
  readonly agent: string | undefined;
  /** The principal's scope; the effective scope is its intersection with the last link's. */
  readonly scope: readonly string[];
  /** Milliseconds since the epoch. */
  readonly now: number;
}

/** A chain that holds: the scope the acting agent may use, and when the first link lapses. */
export interface DelegationGrant {
  readonly scope: readonly string[];
  /** Milliseconds since the epoch; null for an empty chain. */
  readonly expiresAt: number | null;
}

function invalid(index: number, problem: string): Checked<never> {
  return failed("delegation_invalid", `delegation link ${index}: ${problem}`);
}

/**
 * The links of `value` in a normal form (scopes as sorted sets), or why they
 * are not a chain of at most `maxLength` well-formed links. The length is
 * checked before any link is read, so a huge array costs nothing.
 */
export function parseDelegation(value: unknown, maxLength: number): Checked<DelegationLink[]> {
  if (value === undefined) return { ok: true, value: [] };
  if (!Array.isArray(value)) return failed("delegation_invalid", "the delegation chain is not an array");
  if (value.length > maxLength) {
    return failed(
      "delegation_invalid",
      `the delegation chain has ${value.length} links; at most ${maxLength}`,
    );
  }
  const links: DelegationLink[] = [];
  for (const [index, raw] of (value as unknown[]).entries()) {
    if (typeof raw !== "object" || raw === null) return invalid(index, "not an object");
    const link = raw as Record<string, unknown>;
    if (!isIdentifier(link.delegator)) return invalid(index, "delegator is not an identifier");
    if (!isIdentifier(link.delegatee)) return invalid(index, "delegatee is not an identifier");
    const scope = identifierSet(link.scope);
    if (scope === null) return invalid(index, "scope is not a set of at most 256 identifiers");
    const issued = parseTimestamp(link.issued_at);
    const expires = parseTimestamp(link.expires_at);
    if (issued === null) return invalid(index, "issued_at is not a UTC timestamp");
    if (expires === null) return invalid(index, "expires_at is not a UTC timestamp");
    if (expires <= issued) return invalid(index, "expires_at is not after issued_at");
    links.push({
      delegator: link.delegator,
      delegatee: link.delegatee,
      scope,
      issued_at: link.issued_at as string,
      expires_at: link.expires_at as string,
    });
  }
  return { ok: true, value: links };
}

/**
 * Checks a parsed chain: contiguous from a verified principal to the acting
 * agent, every link in force (`issued_at ≤ now < expires_at`), each link's
 * scope within the previous link's. An expired link fails as `expired` and a
 * link not yet issued as `not_yet_valid`, like a token would; every other
 * problem is `delegation_invalid`.
 */
export function checkDelegation(
  links: readonly DelegationLink[],
  context: DelegationContext,
): Checked<DelegationGrant> {
  if (links.length === 0) return { ok: true, value: { scope: context.scope, expiresAt: null } };
  let previous: DelegationLink | undefined;
  let expiresAt = Number.POSITIVE_INFINITY;
  for (const [index, link] of links.entries()) {
    if (previous === undefined) {
      if (!context.principals.includes(link.delegator)) {
        return invalid(index, `delegator ${quote(link.delegator)} is not the verified principal`);
      }
    } else {
      if (link.delegator !== previous.delegatee) {
        return invalid(
          index,
          `delegator ${quote(link.delegator)} is not the previous delegatee ${quote(previous.delegatee)}`,
        );
      }
      const widened = missingFrom(link.scope, previous.scope);
      if (widened.length > 0) {
        return invalid(
          index,
          `scope widens the previous link's with ${widened.map((s) => quote(s)).join(", ")}`,
        );
      }
    }
    // parseDelegation guarantees both timestamps parse.
    const issued = parseTimestamp(link.issued_at)!;
    const expires = parseTimestamp(link.expires_at)!;
    if (context.now < issued) {
      return failed("not_yet_valid", `delegation link ${index} is not in force until ${link.issued_at}`);
    }
    if (context.now >= expires) {
      return failed("expired", `delegation link ${index} expired at ${link.expires_at}`);
    }
    expiresAt = Math.min(expiresAt, expires);
    previous = link;
  }
  const last = previous!;
  if (context.agent === undefined) {
    return invalid(
      links.length - 1,
      `the chain ends at ${quote(last.delegatee)} but the claims name no agent`,
    );
  }
  if (last.delegatee !== context.agent) {
    return invalid(
      links.length - 1,
      `the chain ends at ${quote(last.delegatee)}, not at the acting agent ${quote(context.agent)}`,
    );
  }
  const lastScope = new Set(last.scope);
  return {
    ok: true,
    value: { scope: context.scope.filter((entry) => lastScope.has(entry)), expiresAt },
  };
}
