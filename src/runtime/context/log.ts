/**
 * The context log of each session: append-only, hash-chained, persisted in a
 * {@link Store} with every append, verified whenever it is loaded.
 *
 * Appends to one session are serialised in process by a per-session mutex, so
 * parallel appends (an agent's parallel tool calls) line up one after another
 * instead of racing for the same head; across processes the store's atomic
 * compare-and-append refuses the loser with a `conflict`, so the chain never
 * forks. Nothing is cached: every append reads the head from the store, and
 * the log holds no session state in memory once a call returns, so ending a
 * session leaves nothing behind but what is stored. A reader that keeps what
 * it verified reads only what was appended since ({@link ContextLog.loadAfter}).
 *
 * @module
 */
import { canonicalize } from "../../schema/canonical.ts";
import { KeyedMutex } from "../store/keyed-mutex.ts";
import type {
  AppendOptions,
  ChainHead,
  ContextRecord,
  SessionRecord,
  Store,
  StoreError,
} from "../store/types.ts";
import { type ContextBreakReason, sealEntry, verifyContext } from "./chain.ts";
import { type ContextEntry, type ContextEntryBody, GENESIS_HASH, validateContextEntry } from "./entry.ts";

/** Why a context-log operation failed. Any of them on the decision path means: fail closed. */
export type ContextError =
  /** The store failed or refused (a `conflict` when another writer moved the head first). */
  | { readonly kind: "store"; readonly error: StoreError }
  /** The entry is not a valid context entry, or has no canonical JSON form. */
  | { readonly kind: "invalid"; readonly message: string }
  /** The session has ended and takes no more entries. */
  | { readonly kind: "ended"; readonly session_id: string }
  /** The stored log failed verification at `seq`: it is not the log that was written. */
  | {
      readonly kind: "broken";
      readonly seq: number;
      readonly reason: ContextBreakReason;
      readonly message: string;
    };

/** The outcome of a context-log operation. */
export type ContextResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ContextError };

/** A session and its verified log. */
export interface LoadedContext {
  readonly session: SessionRecord;
  readonly entries: readonly ContextEntry[];
}

/** An entry ready to store: its row and the sealed entry. */
export interface SealedEntry {
  readonly record: ContextRecord;
  readonly entry: ContextEntry;
}

/** How to build a {@link ContextLog}. */
export interface ContextLogOptions {
  readonly store: Store;
  /** The time entries are stamped with; the system clock by default. */
  readonly clock?: () => Date;
}

function fromStore<T>(error: StoreError): ContextResult<T> {
  return { ok: false, error: { kind: "store", error } };
}

function broken<T>(seq: number, reason: ContextBreakReason, message: string): ContextResult<T> {
  return { ok: false, error: { kind: "broken", seq, reason, message } };
}

function invalid<T>(message: string): ContextResult<T> {
  return { ok: false, error: { kind: "invalid", message } };
}

/** Per-session context logs over one store. */
export class ContextLog {
  readonly #store: Store;
  readonly #clock: () => Date;
  readonly #mutex = new KeyedMutex();

  constructor(options: ContextLogOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** Starts a session with an empty log. A store `conflict` if it exists already. */
  async start(sessionId: string): Promise<ContextResult<SessionRecord>> {
    const created = await this.#store.createSession(sessionId, this.#clock().toISOString());
    return created.ok ? created : fromStore(created.error);
  }

  /**
   * Appends one entry to the session's log and returns it, sealed. Succeeds
   * only once the store has it (durably, unless `options.sync` is false);
   * refused for an ended session.
   */
  append(
    sessionId: string,
    body: ContextEntryBody,
    options: AppendOptions = {},
  ): Promise<ContextResult<ContextEntry>> {
    return this.#mutex.run(sessionId, async () => {
      const session = await this.#store.getSession(sessionId);
      if (!session.ok) return fromStore(session.error);
      if (session.value.state === "ended")
        return { ok: false, error: { kind: "ended", session_id: sessionId } };
      const sealed = this.seal(sessionId, body, session.value.context_head);
      if (!sealed.ok) return sealed;
      const appended = await this.#store.appendContext(sealed.value.record, options);
      if (!appended.ok) return fromStore(appended.error);
      return { ok: true, value: sealed.value.entry };
    });
  }

  /**
   * Seals `body` as the entry after `head` (the log's last entry, null for
   * an empty log) and hands back the record to store without storing it: for
   * a caller that stores it together with other records
   * ({@link Store.appendChains}) and holds the session's log while it does.
   */
  seal(sessionId: string, body: ContextEntryBody, head: ChainHead | null): ContextResult<SealedEntry> {
    const sealed = sealEntry({
      ...body,
      session_id: sessionId,
      seq: head === null ? 0 : head.seq + 1,
      time: this.#clock().toISOString(),
      prev_hash: head === null ? GENESIS_HASH : head.hash,
    });
    if (!sealed.ok) return invalid(`the entry has no canonical form: ${sealed.error.message}`);
    const valid = validateContextEntry(sealed.value);
    if (!valid.ok) {
      const first = valid.errors[0];
      return invalid(`the entry is malformed at ${first?.path || "/"}: ${first?.message}`);
    }
    const entry = valid.value;
    const text = canonicalize(entry);
    if (!text.ok) return invalid(`the entry has no canonical form: ${text.error.message}`);
    return {
      ok: true,
      value: {
        record: {
          session_id: sessionId,
          seq: entry.seq,
          prev_hash: entry.prev_hash,
          hash: entry.hash,
          body: text.value,
        },
        // What is stored, sharing nothing with the caller's body, which it may go on to change.
        entry: JSON.parse(text.value) as ContextEntry,
      },
    };
  }

  /**
   * The session and its log, verified entry by entry against the chain and
   * the head the store recorded. Any difference from what was written is a
   * `broken` error naming the first bad sequence number.
   */
  load(sessionId: string): Promise<ContextResult<LoadedContext>> {
    return this.#mutex.run(sessionId, () => this.#read(sessionId, undefined));
  }

  /**
   * The session and the entries appended after `after`, an entry of its log
   * the caller has verified (its seq and hash): they are read alone, must
   * chain onto it and end at the head the store recorded, or the log is
   * `broken` as for {@link load} — a log rewritten below `after` no longer
   * ends at a head that chains onto it.
   */
  loadAfter(sessionId: string, after: ChainHead): Promise<ContextResult<LoadedContext>> {
    return this.#mutex.run(sessionId, () => this.#read(sessionId, after));
  }

  async #read(sessionId: string, after: ChainHead | undefined): Promise<ContextResult<LoadedContext>> {
    const snapshot = await this.#store.readContext(sessionId, after?.seq);
    if (!snapshot.ok) return fromStore(snapshot.error);
    const { session, records } = snapshot.value;
    const first = after === undefined ? 0 : after.seq + 1;
    const expected = { session_id: sessionId, ...(after === undefined ? {} : { after }) };
    const values: unknown[] = [];
    for (const [position, record] of records.entries()) {
      let value: unknown;
      try {
        value = JSON.parse(record.body);
      } catch {
        // Report the first bad entry, which may come before this unreadable one.
        const prefix = verifyContext(values, expected);
        if (!prefix.ok) return broken(prefix.seq, prefix.reason, prefix.message);
        return broken(first + position, "malformed", `entry ${first + position} is not JSON`);
      }
      values.push(value);
    }
    const verified = verifyContext(values, { ...expected, head: session.context_head });
    if (!verified.ok) return broken(verified.seq, verified.reason, verified.message);
    // The row's own columns are an index into the entries; they must agree with what they index.
    for (const [position, record] of records.entries()) {
      const entry = verified.entries[position] as ContextEntry;
      if (record.seq !== entry.seq || record.hash !== entry.hash || record.prev_hash !== entry.prev_hash) {
        return broken(
          entry.seq,
          "malformed",
          `the stored row of entry ${entry.seq} disagrees with the entry`,
        );
      }
    }
    return { ok: true, value: { session, entries: verified.entries } };
  }

  /** Ends the session: its log stays stored and refuses further entries. */
  end(sessionId: string): Promise<ContextResult<SessionRecord>> {
    return this.#mutex.run(sessionId, async () => {
      const ended = await this.#store.endSession(sessionId, this.#clock().toISOString());
      return ended.ok ? ended : fromStore(ended.error);
    });
  }
}
