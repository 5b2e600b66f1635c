/**
 * Revocation (AARM R6: claims are checked for freshness *and revocation*).
 * A revocation list answers whether a token (by its `jti`) or a principal (by
 * its subject) is revoked at a time. A list that cannot answer says so, and
 * the verifier then fails closed with `unavailable`: "cannot tell" never
 * means "not revoked".
 *
 * This module is portable; the file-backed list is in `revocation-file.ts`.
 *
 * @module
 */
import { isIdentifier, parseTimestamp, type IdentitySetupResult } from "./fields.ts";

/** What is revoked: one token by its `jti`, or every token of a principal by its subject. */
export type RevocationKind = "jti" | "subject";

/** A question to a revocation list. */
export interface RevocationQuery {
  readonly kind: RevocationKind;
  /** The token's `jti`, or the principal's name as the verified identity carries it. */
  readonly value: string;
  /** The token's issuer: an entry scoped to another issuer does not match. */
  readonly issuer: string;
}

/** A list's answer, or why it has none. */
export type RevocationStatus =
  { readonly ok: true; readonly revoked: boolean } | { readonly ok: false; readonly message: string };

/**
 * A source of revocations. Implementations must not throw: a fault is an
 * `{ ok: false }` answer, which verification turns into `unavailable`.
 */
export interface RevocationList {
  isRevoked(query: RevocationQuery, now: Date): Promise<RevocationStatus>;
}

/** One revocation. */
export interface RevocationEntry {
  readonly kind: RevocationKind;
  readonly value: string;
  /** Only tokens of this issuer; absent: tokens of every issuer. */
  readonly issuer?: string;
  /** In force from this moment (a scheduled revocation, e.g. at an offboarding date); absent: always. */
  readonly revokedAt?: Date;
}

/** Entries indexed by what they revoke. */
export class RevocationIndex {
  readonly #entries = new Map<string, { issuer: string | undefined; from: number }[]>();

  constructor(entries: Iterable<RevocationEntry>) {
    for (const entry of entries) this.add(entry);
  }

  add(entry: RevocationEntry): void {
    const key = `${entry.kind}:${entry.value}`;
    const list = this.#entries.get(key) ?? [];
    list.push({ issuer: entry.issuer, from: entry.revokedAt?.getTime() ?? Number.NEGATIVE_INFINITY });
    this.#entries.set(key, list);
  }

  matches(query: RevocationQuery, now: number): boolean {
    const list = this.#entries.get(`${query.kind}:${query.value}`) ?? [];
    return list.some(
      (entry) => (entry.issuer === undefined || entry.issuer === query.issuer) && entry.from <= now,
    );
  }
}

/** A revocation list held in memory, for tests and for hosts that manage revocations themselves. */
export class MemoryRevocationList implements RevocationList {
  readonly #index: RevocationIndex;

  constructor(entries: Iterable<RevocationEntry> = []) {
    this.#index = new RevocationIndex(entries);
  }

  /** Adds a revocation; from then on (or from `entry.revokedAt`) it matches. */
  revoke(entry: RevocationEntry): void {
    this.#index.add(entry);
  }

  isRevoked(query: RevocationQuery, now: Date): Promise<RevocationStatus> {
    return Promise.resolve({ ok: true, revoked: this.#index.matches(query, now.getTime()) });
  }
}

/** The `format` member of a revocation file. */
export const REVOCATION_FILE_FORMAT = "aarm-revocations/1";

/**
 * The JSON form of a revocation list:
 *
 * ```json
 * { "format": "aarm-revocations/1",
 *   "revoked": [ { "jti": "tok-81f2" },
 *                { "subject": "bob@example.com", "issuer": "https://idp.example.com",
 *                  "revoked_at": "2026-11-30T17:00:00Z" } ] }
 * ```
 */
export interface RevocationFileJson {
  readonly format: typeof REVOCATION_FILE_FORMAT;
  readonly revoked: readonly RevocationEntryJson[];
}

/** One entry of a revocation file: exactly one of `jti` and `subject`. */
export interface RevocationEntryJson {
  readonly jti?: string;
  readonly subject?: string;
  readonly issuer?: string;
  /** UTC timestamp with a `Z` suffix. */
  readonly revoked_at?: string;
}

const ENTRY_MEMBERS = new Set(["jti", "subject", "issuer", "revoked_at"]);

function problem(message: string): IdentitySetupResult<never> {
  return { ok: false, error: message };
}

function entryError(index: number, message: string): IdentitySetupResult<never> {
  return problem(`revoked[${index}] ${message}`);
}

/**
 * The entries of a revocation file's parsed JSON, or its first problem.
 * Strict: an unknown member is an error, not ignored, because a misspelt
 * `subjct` would otherwise silently revoke nothing.
 */
export function parseRevocationFile(json: unknown): IdentitySetupResult<RevocationEntry[]> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return problem("not a JSON object");
  }
  const file = json as Record<string, unknown>;
  const extra = Object.keys(file).filter((key) => key !== "format" && key !== "revoked");
  if (extra.length > 0) return problem(`unexpected member ${extra.join(", ")}`);
  if (file.format !== REVOCATION_FILE_FORMAT) {
    return problem(`format is not ${JSON.stringify(REVOCATION_FILE_FORMAT)}`);
  }
  if (!Array.isArray(file.revoked)) return problem("revoked is not an array");
  const entries: RevocationEntry[] = [];
  for (const [index, raw] of (file.revoked as unknown[]).entries()) {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      return entryError(index, "is not an object");
    }
    const entry = raw as Record<string, unknown>;
    const unknown = Object.keys(entry).filter((key) => !ENTRY_MEMBERS.has(key));
    if (unknown.length > 0) return entryError(index, `has unexpected member ${unknown.join(", ")}`);
    if ((entry.jti === undefined) === (entry.subject === undefined)) {
      return entryError(index, "needs exactly one of jti and subject");
    }
    const kind: RevocationKind = entry.jti === undefined ? "subject" : "jti";
    const value = entry[kind];
    if (!isIdentifier(value)) return entryError(index, `${kind} is not an identifier`);
    if (entry.issuer !== undefined && !isIdentifier(entry.issuer)) {
      return entryError(index, "issuer is not an identifier");
    }
    let revokedAt: Date | undefined;
    if (entry.revoked_at !== undefined) {
      const time = parseTimestamp(entry.revoked_at);
      if (time === null) return entryError(index, "revoked_at is not a UTC timestamp");
      revokedAt = new Date(time);
    }
    entries.push({
      kind,
      value,
      ...(entry.issuer === undefined ? {} : { issuer: entry.issuer as string }),
      ...(revokedAt === undefined ? {} : { revokedAt }),
    });
  }
  return { ok: true, value: entries };
}
