/**
 * The storage interface behind the runtime: sessions, their hash-chained
 * context logs and receipt chains, approvals and deferrals.
 *
 * Every method is asynchronous so that a networked database (PostgreSQL for
 * deployments with several instances) can implement it unchanged, and every
 * write that must not interleave with another is one method, atomic by
 * contract: an append checks the chain head and extends it in the same
 * transaction, or fails with a `conflict` and changes nothing, so two writers
 * can never fork a chain. Nothing throws on the decision path: failures are
 * {@link StoreError} values, which the caller turns into a fail-closed
 * decision.
 *
 * The store keeps chain records as opaque canonical JSON text with their chain
 * metadata; recomputing hashes and checking signatures is the job of the
 * context log and the receipt verifier, which must see a tampered row as it is
 * stored. Approvals and deferrals are typed documents, validated against their
 * schemas on the way in and on the way out.
 *
 * @module
 */
import type {
  ApprovalRequest,
  ApprovalResult,
  ApproverResponse,
  DeferralResolution,
  DeferredAction,
} from "../../schema/generated/types.ts";

/**
 * Why a store operation failed.
 *
 * - `conflict`: the write lost a race or breaks an invariant (the chain head moved, the id exists, the
 *   session has ended, the version is stale, the record is already final); nothing was changed.
 * - `not_found`: the session, receipt, approval or deferral does not exist.
 * - `invalid`: the store refuses the input (an id, digest or sequence number out of shape, a document
 *   over the size bound or not matching its schema).
 * - `unsupported`: the database was written by a newer aarm (a schema version this build does not know).
 * - `io`: the storage medium failed (disk, lock timeout, connection).
 * - `corrupt`: stored data is not what the store wrote (bad shape, oversized row, invalid document).
 */
export type StoreErrorKind = "conflict" | "not_found" | "invalid" | "unsupported" | "io" | "corrupt";

/** A store failure, as a value. */
export interface StoreError {
  readonly kind: StoreErrorKind;
  readonly message: string;
}

/** The outcome of a store operation. */
export type StoreResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: StoreError };

/** The last link of a chain: its sequence number (0, 1, 2, …) and its `sha256:` hash. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** The last receipt of a session's receipt chain. */
export interface ReceiptHead extends ChainHead {
  readonly receipt_id: string;
}

/** `active` sessions accept context entries; `ended` ones keep their context, read-only. */
export type SessionState = "active" | "ended";

/** A session and the heads of its two chains. */
export interface SessionRecord {
  readonly session_id: string;
  readonly state: SessionState;
  /** UTC timestamp (RFC 3339, `Z`). */
  readonly started_at: string;
  readonly ended_at: string | null;
  /** The last context entry, or null while the log is empty. */
  readonly context_head: ChainHead | null;
  /** The last receipt, or null before the first. */
  readonly receipt_head: ReceiptHead | null;
}

/** One context-log entry as stored: chain metadata and the entry's canonical JSON. */
export interface ContextRecord {
  readonly session_id: string;
  readonly seq: number;
  readonly prev_hash: string;
  readonly hash: string;
  /** The canonical JSON of the whole entry (its `seq`, `prev_hash` and `hash` included). */
  readonly body: string;
}

/** One receipt as stored: chain metadata and the signed receipt's canonical JSON. */
export interface ReceiptRecord {
  readonly receipt_id: string;
  readonly session_id: string;
  /** Position in the session's receipt chain, from 0. */
  readonly seq: number;
  /** `prev_receipt_hash` of the receipt: null for the session's first. */
  readonly prev_hash: string | null;
  /** Canonical hash of the signed receipt, signature included. */
  readonly hash: string;
  readonly body: string;
}

/** The heads of a session's two chains after {@link Store.appendChains}: null for a chain it did not extend. */
export interface ChainHeads {
  readonly context: ChainHead | null;
  readonly receipt: ReceiptHead | null;
}

/** How to append a context entry. */
export interface AppendOptions {
  /**
   * False for an entry that releases nothing by itself (an action's entry,
   * written before its decision): the store may return before it is synced
   * to disk, provided it keeps writes in order, so that the next synced write
   * (the decision's, before anything is released) makes it durable too. A
   * process crash keeps it; a power loss may lose it, with everything written
   * after it. Default true. (PostgreSQL: `synchronous_commit = off` for the
   * transaction.)
   */
  readonly sync?: boolean;
}

/** A session and every record of one of its chains, read in one consistent snapshot. */
export interface ChainSnapshot<R> {
  readonly session: SessionRecord;
  /** Ordered by `seq`. */
  readonly records: readonly R[];
}

/** An approval request, the responses gathered so far and, once settled, its result. */
export interface ApprovalRecord {
  readonly request: ApprovalRequest;
  /** Responses in the order received. */
  readonly responses: readonly ApproverResponse[];
  /** Null while pending; once set the record is final. */
  readonly result: ApprovalResult | null;
  /** Optimistic-concurrency counter: 0 when created, +1 per update. */
  readonly version: number;
}

/** The next state of an approval, written by {@link Store.updateApproval}. */
export interface ApprovalChange {
  readonly responses: readonly ApproverResponse[];
  readonly result: ApprovalResult | null;
}

/** A suspended action and, once settled, its resolution. */
export interface DeferralRecord {
  readonly deferred: DeferredAction;
  /** Null while unresolved; once set the record is final. */
  readonly resolution: DeferralResolution | null;
  /** Optimistic-concurrency counter: 0 when created, +1 per update. */
  readonly version: number;
}

/** The next state of a deferral, written by {@link Store.updateDeferral}. */
export interface DeferralChange {
  /** The updated deferred action (state, attempts, …); its `deferral_id` must not change. */
  readonly deferred: DeferredAction;
  readonly resolution: DeferralResolution | null;
}

/** Which approvals or deferrals to list. */
export interface ListFilter {
  /** Only those of this session. */
  readonly session_id?: string;
  /** Only unsettled (`true`) or only settled (`false`) ones. */
  readonly pending?: boolean;
}

/** A page of a listing ordered by id: ids strictly after `after`, at most `limit` of them. */
export interface Page {
  readonly after?: string;
  /** 1 to {@link MAX_PAGE_SIZE}. */
  readonly limit: number;
}

/** The largest page a listing returns. */
export const MAX_PAGE_SIZE = 10_000;

/**
 * Persistence for the runtime. Implementations: `MemoryStore` (tests,
 * single-process embedding) and `SqliteStore` (the embedded default, durable
 * on return). All of them pass the same contract tests.
 */
export interface Store {
  /** Creates an active session with empty chains. `conflict` if the id is taken. */
  createSession(sessionId: string, startedAt: string): Promise<StoreResult<SessionRecord>>;

  /** The session, with its chain heads. `not_found` if there is none. */
  getSession(sessionId: string): Promise<StoreResult<SessionRecord>>;

  /**
   * Marks the session ended; its context stays stored and no entry can be
   * appended any more. `conflict` if it has already ended.
   */
  endSession(sessionId: string, endedAt: string): Promise<StoreResult<SessionRecord>>;

  /** Sessions ordered by id, one page at a time. */
  listSessions(page: Page): Promise<StoreResult<readonly SessionRecord[]>>;

  /**
   * Appends one entry to the session's context log, atomically: the record
   * must extend the current head (`seq` one past it and `prev_hash` equal to
   * its hash, or `seq` 0 on an empty log) and the session must be active.
   * Otherwise `conflict`, and nothing changes. Returns the new head.
   */
  appendContext(record: ContextRecord, options?: AppendOptions): Promise<StoreResult<ChainHead>>;

  /**
   * The session and its context log, from one consistent snapshot: the whole
   * log, or with `afterSeq` only the entries past that sequence number (what
   * a reader that has verified the log up to there still needs).
   */
  readContext(sessionId: string, afterSeq?: number): Promise<StoreResult<ChainSnapshot<ContextRecord>>>;

  /**
   * Appends one receipt to the session's receipt chain, atomically: the
   * record must extend the current head (`seq` one past it and `prev_hash`
   * equal to its hash, or `seq` 0 and `prev_hash` null before the first
   * receipt) and its id must be new. Otherwise `conflict`, and nothing
   * changes. Ended sessions still accept receipts (a deferral may time out
   * after its session ended). Durable when it returns. Returns the new head.
   */
  appendReceipt(record: ReceiptRecord): Promise<StoreResult<ReceiptHead>>;

  /**
   * Appends context entries (in order), then a receipt, in one atomic step:
   * each is checked as {@link appendContext} and {@link appendReceipt} check
   * it, and if any is refused nothing is stored and that refusal is
   * returned. Durable when it returns. A decision's receipt and log entry
   * go through it together, one transaction (and one sync) instead of two.
   * Optional: without it (or when it refuses) the runtime writes the records
   * one at a time, with the methods above.
   */
  appendChains?(
    context: readonly ContextRecord[],
    receipt: ReceiptRecord | null,
  ): Promise<StoreResult<ChainHeads>>;

  /** One receipt by id. `not_found` if there is none. */
  getReceipt(receiptId: string): Promise<StoreResult<ReceiptRecord>>;

  /** The session and its whole receipt chain, from one consistent snapshot. */
  readReceipts(sessionId: string): Promise<StoreResult<ChainSnapshot<ReceiptRecord>>>;

  /**
   * Records a new, pending approval request (version 0, no responses).
   * `conflict` if the request id exists; `not_found` if its session does not.
   */
  createApproval(request: ApprovalRequest): Promise<StoreResult<ApprovalRecord>>;

  /** One approval by request id. `not_found` if there is none. */
  getApproval(requestId: string): Promise<StoreResult<ApprovalRecord>>;

  /**
   * Replaces the responses and result of an approval if its version is still
   * `expectedVersion` and it is not settled; otherwise `conflict`. Returns the
   * record with its version incremented.
   */
  updateApproval(
    requestId: string,
    expectedVersion: number,
    change: ApprovalChange,
  ): Promise<StoreResult<ApprovalRecord>>;

  /** Approvals ordered by request id, filtered, one page at a time. */
  listApprovals(filter: ListFilter, page: Page): Promise<StoreResult<readonly ApprovalRecord[]>>;

  /**
   * Records a new, unresolved deferral (version 0). `conflict` if the id
   * exists; `not_found` if the action's session does not.
   */
  createDeferral(deferred: DeferredAction): Promise<StoreResult<DeferralRecord>>;

  /** One deferral by id. `not_found` if there is none. */
  getDeferral(deferralId: string): Promise<StoreResult<DeferralRecord>>;

  /**
   * Replaces a deferral's state and resolution if its version is still
   * `expectedVersion` and it is not resolved; otherwise `conflict`. Returns
   * the record with its version incremented.
   */
  updateDeferral(
    deferralId: string,
    expectedVersion: number,
    change: DeferralChange,
  ): Promise<StoreResult<DeferralRecord>>;

  /** Deferrals ordered by id, filtered, one page at a time. */
  listDeferrals(filter: ListFilter, page: Page): Promise<StoreResult<readonly DeferralRecord[]>>;

  /** Releases the store's resources; later calls fail with `io`. */
  close(): Promise<void>;
}
