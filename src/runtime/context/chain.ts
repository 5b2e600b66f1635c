/**
 * The hash chain of a context log: sealing a new entry, and verifying a
 * whole log as read back from storage.
 *
 * Verification recomputes every hash and every link, so a modified, removed,
 * inserted or reordered entry is found, and names the first sequence number
 * at which the log stops being the one that was written; the caller fails the
 * session closed. A chain alone cannot show that entries were cut off its
 * end: for that the verifier is given the head the store recorded with the
 * last append (and receipts, which are signed, point into the log by
 * sequence number).
 *
 * @module
 */
import { type CanonicalResult, canonicalHash, isPlainObject } from "../../schema/canonical.ts";
import type { ChainHead } from "../store/types.ts";
import {
  type ContextEntry,
  type ContextEntryBody,
  type ContextEntryHeader,
  GENESIS_HASH,
  validateContextEntry,
} from "./entry.ts";

/** Why a log failed verification. */
export type ContextBreakReason =
  /** The entry is not a well-formed context entry (or has no canonical JSON form). */
  | "malformed"
  /** The entry's `seq` is not its position: an entry was removed, inserted or moved. */
  | "sequence"
  /** The entry's content does not match its `hash`: it was modified. */
  | "hash"
  /** The entry's `prev_hash` is not the previous entry's `hash`. */
  | "link"
  /** The entry belongs to another session. */
  | "session"
  /** Entries the recorded head says exist are missing from the end. */
  | "truncated"
  /** The log does not end where the recorded head says it does. */
  | "head";

/** The outcome of verifying a context log. */
export type ContextVerification =
  | { readonly ok: true; readonly entries: readonly ContextEntry[]; readonly head: ChainHead | null }
  | {
      readonly ok: false;
      /** The first sequence number at which the log is not as written. */
      readonly seq: number;
      readonly reason: ContextBreakReason;
      readonly message: string;
    };

/** What the log is expected to be, beyond being a valid chain. */
export interface ContextExpectation {
  /** The session every entry must belong to; by default, that of the first entry. */
  readonly session_id?: string;
  /** The head the store recorded with the last append (null: the log is empty); by default not checked. */
  readonly head?: ChainHead | null;
  /**
   * The verified entry `entries` continue from: they must start at the seq
   * after it and link to its hash. By default they start the log.
   */
  readonly after?: ChainHead;
}

/** The entry with its `hash` computed from everything else in it. */
export function sealEntry(
  unsealed: ContextEntryBody & Omit<ContextEntryHeader, "hash">,
): CanonicalResult<ContextEntry> {
  const hash = canonicalHash(unsealed);
  return hash.ok ? { ok: true, value: { ...unsealed, hash: hash.value } as ContextEntry } : hash;
}

function broken(seq: number, reason: ContextBreakReason, message: string): ContextVerification {
  return { ok: false, seq, reason, message };
}

/**
 * Verifies a context log: `entries` are parsed JSON values in stored order.
 * Every entry must sit at its own `seq`, match its hash, link to the previous
 * entry (the first to {@link GENESIS_HASH}), belong to the session and be a
 * well-formed entry; with `expected.head`, the log must end exactly there.
 * Never throws.
 */
export function verifyContext(
  entries: readonly unknown[],
  expected: ContextExpectation = {},
): ContextVerification {
  const verified: ContextEntry[] = [];
  let prev = expected.after?.hash ?? GENESIS_HASH;
  const first = expected.after === undefined ? 0 : expected.after.seq + 1;
  let session = expected.session_id;
  for (const [position, value] of entries.entries()) {
    const seq = first + position;
    if (!isPlainObject(value)) return broken(seq, "malformed", `entry ${seq} is not a JSON object`);
    if (value.seq !== seq) {
      return broken(
        seq,
        "sequence",
        `entry at position ${seq} has seq ${JSON.stringify(value.seq)}: an entry was removed, inserted or moved`,
      );
    }
    const { hash, ...rest } = value;
    const computed = canonicalHash(rest);
    if (!computed.ok)
      return broken(seq, "malformed", `entry ${seq} has no canonical form: ${computed.error.message}`);
    if (hash !== computed.value) {
      return broken(seq, "hash", `entry ${seq} does not match its hash: it was modified`);
    }
    if (value.prev_hash !== prev) {
      return broken(seq, "link", `entry ${seq} does not link to entry ${seq - 1}`);
    }
    session ??= typeof value.session_id === "string" ? value.session_id : undefined;
    if (value.session_id !== session) {
      return broken(seq, "session", `entry ${seq} belongs to session ${JSON.stringify(value.session_id)}`);
    }
    const valid = validateContextEntry(value);
    if (!valid.ok) {
      const first = valid.errors[0];
      return broken(
        seq,
        "malformed",
        `entry ${seq} is malformed at ${first?.path || "/"}: ${first?.message}`,
      );
    }
    verified.push(valid.value);
    prev = valid.value.hash;
  }
  const last = verified.at(-1);
  const head: ChainHead | null =
    last === undefined ? (expected.after ?? null) : { seq: last.seq, hash: last.hash };
  if (expected.head !== undefined) {
    const problem = headProblem(head, expected.head);
    if (problem !== null) return problem;
  }
  return { ok: true, entries: verified, head };
}

/** Whether a verified log ending at `actual` ends where the store's `recorded` head says it does. */
function headProblem(actual: ChainHead | null, recorded: ChainHead | null): ContextVerification | null {
  const length = actual === null ? 0 : actual.seq + 1;
  if (recorded === null) {
    return length === 0 ? null : broken(0, "head", "the session records no entries, but the log has some");
  }
  if (recorded.seq >= length) {
    return broken(
      length,
      "truncated",
      `entries ${length} to ${recorded.seq} are missing from the end of the log`,
    );
  }
  if (recorded.seq < length - 1) {
    return broken(recorded.seq + 1, "head", `the log continues past its recorded last entry ${recorded.seq}`);
  }
  return actual?.hash === recorded.hash
    ? null
    : broken(recorded.seq, "head", `entry ${recorded.seq} is not the one recorded as the log's last`);
}
