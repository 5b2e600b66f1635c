/**
 * Field rules every identity verifier applies: identifiers, identifier sets
 * and timestamps, with the bounds of the canonical `Identity` schema
 * (`src/schema/json/common.schema.json`), so that a verified identity always
 * validates as a receipt's identity. Inputs are `unknown` because claims reach
 * the runtime from adapters (headers, JSON bodies) whatever their static type.
 *
 * @module
 */
import type { IdentityFailure, IdentityResult } from "./types.ts";

/** Most entries in a role or scope set (the schema's `maxItems`). */
export const MAX_SET_ENTRIES = 256;

/** The longest delegation chain any verifier accepts (the schema's `maxItems`). */
export const MAX_DELEGATION_LENGTH = 32;

/** The delegation chain bound used when none is configured. */
export const DEFAULT_MAX_DELEGATION_LENGTH = 5;

// The schemas' Identifier: 1–256 code points, no C0 control or DEL.
const IDENTIFIER = /^[^\u0000-\u001F\u007F]{1,256}$/u;
// 256 code points are at most 512 UTF-16 units; longer strings are refused before the regex runs.
const MAX_IDENTIFIER_UNITS = 512;
const TIMESTAMP = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?Z$/;

/** A failed verification. */
export type Failed = Extract<IdentityResult, { readonly ok: false }>;

/** A value, or the verification failure that prevented it. */
export type Checked<T> = { readonly ok: true; readonly value: T } | Failed;

/** The result of setting up a verifier or loading its configuration: the thing, or why not. */
export type IdentitySetupResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export function failed(failure: IdentityFailure, message: string): Failed {
  return { ok: false, failure, message };
}

/** True for a schema Identifier: 1–256 characters, no control characters. */
export function isIdentifier(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_IDENTIFIER_UNITS && IDENTIFIER.test(value);
}

/**
 * An array of identifiers as a sorted set, or null when `value` is not an
 * array of at most {@link MAX_SET_ENTRIES} identifiers. Roles and scopes are
 * sets: sorting gives every identity one spelling, so receipts and
 * revalidation compare them exactly.
 */
export function identifierSet(value: unknown): string[] | null {
  if (!Array.isArray(value) || value.length > MAX_SET_ENTRIES) return null;
  const entries: unknown[] = value;
  if (!entries.every(isIdentifier)) return null;
  return sortedUnique(entries);
}

export function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compareStrings);
}

/** Code-unit order, independent of locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Entries of `a` that are not in `b`. */
export function missingFrom(a: readonly string[], b: readonly string[]): string[] {
  const present = new Set(b);
  return a.filter((entry) => !present.has(entry));
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return missingFrom(a, b).length === 0 && missingFrom(b, a).length === 0;
}

/**
 * Milliseconds since the epoch for a UTC timestamp with a `Z` suffix, or null.
 * Calendar fields are checked, not rolled over: `Date.parse` reads
 * `2026-02-30` as 2 March, which would move an expiry.
 */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const match = TIMESTAMP.exec(value);
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    return null;
  }
  // Sub-millisecond digits are truncated: Date has millisecond resolution.
  const millis = Number((match[7] ?? "").padEnd(3, "0").slice(0, 3));
  return date.getTime() + millis;
}

/** `value` JSON-quoted and cut short, for messages about input that may be long or hostile. */
export function quote(value: string, max = 80): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

export function describe(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}
