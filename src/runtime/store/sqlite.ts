/**
 * The embedded {@link Store}: one SQLite file through Node's built-in
 * `node:sqlite` (no native build).
 *
 * The file runs in WAL mode, and a write's promise resolves only once its
 * transaction has committed: a receipt the runtime is told was stored is in the
 * file, and only then is the action released. How far "in the file" reaches is
 * the {@link SqliteDurability} option: by default (`"full"`) every commit is
 * synced, so it survives power loss; `"normal"` survives the process being
 * killed but not the machine losing power. A context entry appended with
 * `sync: false` is committed unsynced even at `"full"`; the next synced commit
 * syncs the whole write-ahead log, and so carries it. Foreign keys are
 * enforced.
 *
 * Writes are group-committed: the writes issued before the store next gets to
 * run (those of every session waiting on it) share one `BEGIN IMMEDIATE`
 * transaction and one sync, each inside its own savepoint, so a write that
 * fails is undone alone and the others still commit. `BEGIN IMMEDIATE` takes
 * the write lock before the chain head is read, so concurrent writers (other
 * processes on the same file included) cannot fork a chain; writes run in the
 * order they were issued. A read first commits the writes issued before it,
 * so it sees them. Reads that must agree with each other share one read
 * transaction. Statements are prepared once and reused. Documents longer than
 * the size bound are refused on write and reported as corrupt on read, without
 * being copied into JavaScript.
 *
 * `DatabaseSync` is synchronous; the methods are asynchronous for the
 * interface a networked database needs, and so that writes can be grouped.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue, type SQLOutputValue, type StatementSync } from "node:sqlite";
import {
  chainConflict,
  checkContextRecord,
  checkId,
  checkPage,
  checkReceiptRecord,
  checkTimestamp,
  DEFAULT_MAX_DOCUMENT_CHARS,
  failure,
  type StoreLimits,
  success,
} from "./checks.ts";
import {
  type ApprovalRow,
  type DeferralRow,
  decodeApproval,
  decodeDeferral,
  encodeApproval,
  encodeDeferral,
  nextApproval,
  nextDeferral,
} from "./documents.ts";
import { MIGRATIONS, SCHEMA_VERSION, VERSION_TABLE } from "./sqlite-schema.ts";
import type {
  ApprovalChange,
  AppendOptions,
  ApprovalRecord,
  ChainHead,
  ChainHeads,
  ChainSnapshot,
  ContextRecord,
  DeferralChange,
  DeferralRecord,
  ListFilter,
  Page,
  ReceiptHead,
  ReceiptRecord,
  SessionRecord,
  Store,
  StoreError,
  StoreResult,
} from "./types.ts";

/** How to open a SQLite store. */
export interface SqliteStoreOptions {
  /**
   * Open for reading only (offline verification of a copied file): nothing is
   * migrated or written, and a database that is not at this build's schema
   * version is refused.
   */
  readonly readOnly?: boolean;
  /** Longest document stored or read, in UTF-16 code units; default 1 MiB. */
  readonly maxDocumentChars?: number;
  /** How long to wait for another writer's lock before failing with `io`; default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** What a committed write survives; default `"full"`. Ignored when read-only. */
  readonly durability?: SqliteDurability;
}

/**
 * What a committed write survives.
 *
 * - `full` (SQLite `synchronous=FULL`): the write-ahead log is synced on every
 *   commit, so a stored receipt survives power loss and an operating-system
 *   crash. Each commit waits for the disk.
 * - `normal` (`synchronous=NORMAL`): commits reach the operating system but are
 *   synced only at checkpoints, so a stored receipt survives the process being
 *   killed, but the last commits can be lost (never half-written: the file
 *   stays consistent) if the machine loses power or crashes.
 */
export type SqliteDurability = "full" | "normal";

/** A write waiting for the next group commit, and how to hand back its result. */
interface QueuedWrite {
  readonly op: () => StoreResult<unknown>;
  /** False when the write may commit without a sync (see {@link AppendOptions.sync}). */
  readonly sync: boolean;
  readonly settle: (result: StoreResult<unknown>) => void;
}

/** Most writes in one transaction: bounds how long one commit holds the lock and the event loop. */
const MAX_BATCH = 256;

type Row = Record<string, SQLOutputValue>;

/** A stored value of the wrong type or size; turned into a `corrupt` error at the method boundary. */
class CorruptRow extends Error {}

// SQLite result codes (https://www.sqlite.org/rescode.html).
const SQLITE_CORRUPT = 11;
const SQLITE_CONSTRAINT = 19;
const SQLITE_NOTADB = 26;
const SQLITE_CONSTRAINT_FOREIGNKEY = 787;

function toStoreError(caught: unknown): StoreError {
  const message = caught instanceof Error ? caught.message : String(caught);
  if (caught instanceof CorruptRow) return { kind: "corrupt", message };
  const code = (caught as { errcode?: unknown } | null)?.errcode;
  if (typeof code === "number") {
    if (code === SQLITE_CONSTRAINT_FOREIGNKEY) return { kind: "not_found", message };
    if ((code & 0xff) === SQLITE_CONSTRAINT) return { kind: "conflict", message };
    if ((code & 0xff) === SQLITE_CORRUPT || (code & 0xff) === SQLITE_NOTADB) {
      return { kind: "corrupt", message };
    }
  }
  return { kind: "io", message };
}

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== "string")
    throw new CorruptRow(`column ${column} is not text (or exceeds the size bound)`);
  return value;
}

function textOrNull(row: Row, column: string): string | null {
  return row[column] === null ? null : text(row, column);
}

function integer(row: Row, column: string): number {
  const value = row[column];
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new CorruptRow(`column ${column} is not an integer`);
  }
  return value;
}

function integerOrNull(row: Row, column: string): number | null {
  return row[column] === null ? null : integer(row, column);
}

function flag(row: Row, column: string): boolean {
  const value = integer(row, column);
  if (value !== 0 && value !== 1) throw new CorruptRow(`column ${column} is not 0 or 1`);
  return value === 1;
}

function sessionFrom(row: Row): SessionRecord {
  const state = text(row, "state");
  if (state !== "active" && state !== "ended") throw new CorruptRow(`session state ${state} is unknown`);
  const contextSeq = integerOrNull(row, "context_seq");
  const contextHash = textOrNull(row, "context_hash");
  const receiptSeq = integerOrNull(row, "receipt_seq");
  const receiptHash = textOrNull(row, "receipt_hash");
  const receiptId = textOrNull(row, "receipt_id");
  if ((contextSeq === null) !== (contextHash === null)) throw new CorruptRow("context head is half set");
  if ((receiptSeq === null) !== (receiptHash === null) || (receiptSeq === null) !== (receiptId === null)) {
    throw new CorruptRow("receipt head is half set");
  }
  return {
    session_id: text(row, "session_id"),
    state,
    started_at: text(row, "started_at"),
    ended_at: textOrNull(row, "ended_at"),
    context_head: contextSeq === null ? null : { seq: contextSeq, hash: contextHash as string },
    receipt_head:
      receiptSeq === null
        ? null
        : { seq: receiptSeq, hash: receiptHash as string, receipt_id: receiptId as string },
  };
}

function contextFrom(row: Row): ContextRecord {
  return {
    session_id: text(row, "session_id"),
    seq: integer(row, "seq"),
    prev_hash: text(row, "prev_hash"),
    hash: text(row, "hash"),
    body: text(row, "body"),
  };
}

function receiptFrom(row: Row): ReceiptRecord {
  return {
    receipt_id: text(row, "receipt_id"),
    session_id: text(row, "session_id"),
    seq: integer(row, "seq"),
    prev_hash: textOrNull(row, "prev_hash"),
    hash: text(row, "hash"),
    body: text(row, "body"),
  };
}

function approvalFrom(row: Row): ApprovalRow {
  return {
    request_id: text(row, "request_id"),
    session_id: text(row, "session_id"),
    pending: flag(row, "pending"),
    version: integer(row, "version"),
    request: text(row, "request"),
    responses: text(row, "responses"),
    result: textOrNull(row, "result"),
  };
}

function deferralFrom(row: Row): DeferralRow {
  return {
    deferral_id: text(row, "deferral_id"),
    session_id: text(row, "session_id"),
    pending: flag(row, "pending"),
    version: integer(row, "version"),
    deferred: text(row, "deferred"),
    resolution: textOrNull(row, "resolution"),
  };
}

/** A document column read back as NULL when it is over the bound, so an oversized row is never loaded. */
function bounded(column: string): string {
  return `CASE WHEN length(${column}) > :bound THEN NULL ELSE ${column} END AS ${column}`;
}

const SESSION_COLUMNS =
  "session_id, state, started_at, ended_at, context_seq, context_hash, receipt_seq, receipt_hash, receipt_id";
const CONTEXT_COLUMNS = `session_id, seq, prev_hash, hash, ${bounded("body")}`;
const RECEIPT_COLUMNS = `receipt_id, session_id, seq, prev_hash, hash, ${bounded("body")}`;
const APPROVAL_COLUMNS = `request_id, session_id, pending, version, ${bounded("request")}, ${bounded("responses")}, ${bounded("result")}`;
const DEFERRAL_COLUMNS = `deferral_id, session_id, pending, version, ${bounded("deferred")}, ${bounded("resolution")}`;
// `:x IS NULL OR …` lets one prepared statement serve every combination of filters.
const LIST_FILTER =
  "(:session IS NULL OR session_id = :session) AND (:pending IS NULL OR pending = :pending)";

const SQL = {
  getSession: `SELECT ${SESSION_COLUMNS} FROM sessions WHERE session_id = :session`,
  insertSession: "INSERT INTO sessions (session_id, state, started_at) VALUES (:session, 'active', :at)",
  endSession: "UPDATE sessions SET state = 'ended', ended_at = :at WHERE session_id = :session",
  listSessions: `SELECT ${SESSION_COLUMNS} FROM sessions WHERE (:after IS NULL OR session_id > :after) ORDER BY session_id LIMIT :limit`,
  insertContext:
    "INSERT INTO context_entries (session_id, seq, prev_hash, hash, body) VALUES (:session, :seq, :prev, :hash, :body)",
  setContextHead: "UPDATE sessions SET context_seq = :seq, context_hash = :hash WHERE session_id = :session",
  readContext: `SELECT ${CONTEXT_COLUMNS} FROM context_entries WHERE session_id = :session AND seq > :after ORDER BY seq`,
  insertReceipt:
    "INSERT INTO receipts (receipt_id, session_id, seq, prev_hash, hash, body) VALUES (:id, :session, :seq, :prev, :hash, :body)",
  setReceiptHead:
    "UPDATE sessions SET receipt_seq = :seq, receipt_hash = :hash, receipt_id = :id WHERE session_id = :session",
  receiptExists: "SELECT 1 AS found FROM receipts WHERE receipt_id = :id",
  getReceipt: `SELECT ${RECEIPT_COLUMNS} FROM receipts WHERE receipt_id = :id`,
  readReceipts: `SELECT ${RECEIPT_COLUMNS} FROM receipts WHERE session_id = :session ORDER BY seq`,
  insertApproval:
    "INSERT INTO approvals (request_id, session_id, pending, version, request, responses, result) VALUES (:id, :session, :pending, :version, :request, :responses, :result)",
  getApproval: `SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE request_id = :id`,
  updateApproval:
    "UPDATE approvals SET pending = :pending, version = :version, responses = :responses, result = :result WHERE request_id = :id",
  listApprovals: `SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE ${LIST_FILTER} AND (:after IS NULL OR request_id > :after) ORDER BY request_id LIMIT :limit`,
  insertDeferral:
    "INSERT INTO deferrals (deferral_id, session_id, pending, version, deferred, resolution) VALUES (:id, :session, :pending, :version, :deferred, :resolution)",
  getDeferral: `SELECT ${DEFERRAL_COLUMNS} FROM deferrals WHERE deferral_id = :id`,
  updateDeferral:
    "UPDATE deferrals SET pending = :pending, version = :version, deferred = :deferred, resolution = :resolution WHERE deferral_id = :id",
  listDeferrals: `SELECT ${DEFERRAL_COLUMNS} FROM deferrals WHERE ${LIST_FILTER} AND (:after IS NULL OR deferral_id > :after) ORDER BY deferral_id LIMIT :limit`,
} as const;

type Statements = { readonly [K in keyof typeof SQL]: StatementSync };

function prepareAll(db: DatabaseSync): Statements {
  const prepared: Partial<Record<keyof typeof SQL, StatementSync>> = {};
  for (const name of Object.keys(SQL) as (keyof typeof SQL)[]) {
    const statement = db.prepare(SQL[name]);
    // Statements list only the parameters they use; the shared filters pass every one of them.
    statement.setAllowUnknownNamedParameters(true);
    prepared[name] = statement;
  }
  return prepared as Statements;
}

/** Decodes every row, failing on the first bad one. */
function decodeRows<R, T>(rows: readonly R[], decode: (row: R) => StoreResult<T>): StoreResult<readonly T[]> {
  const out: T[] = [];
  for (const row of rows) {
    const decoded = decode(row);
    if (!decoded.ok) return decoded;
    out.push(decoded.value);
  }
  return success(out);
}

/** The schema version of `db`: 0 when it is empty, or why it cannot be used. */
function inspectVersion(db: DatabaseSync): StoreResult<number> {
  const hasVersionTable =
    db
      .prepare("SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'")
      .get() !== undefined;
  if (!hasVersionTable) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").get();
    return tables?.n === 0
      ? success(0)
      : failure("unsupported", "the database has tables but no schema_version: it is not an aarm store");
  }
  const rows = db.prepare("SELECT version FROM schema_version").all();
  const version = rows.length === 1 ? rows[0]?.version : undefined;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 0) {
    return failure("corrupt", "schema_version does not hold exactly one version number");
  }
  if (version > SCHEMA_VERSION) {
    return failure(
      "unsupported",
      `the database is at schema version ${version}, newer than this build's ${SCHEMA_VERSION}; upgrade aarm`,
    );
  }
  return success(version);
}

/** Brings `db` to {@link SCHEMA_VERSION} in one transaction. */
function migrate(db: DatabaseSync): StoreResult<number> {
  db.exec("BEGIN IMMEDIATE");
  try {
    // Read again under the write lock: another process may have migrated the file in the meantime.
    const current = inspectVersion(db);
    if (!current.ok) {
      db.exec("ROLLBACK");
      return current;
    }
    db.exec(VERSION_TABLE);
    for (let version = current.value; version < SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version] as string);
    }
    db.prepare(
      "INSERT INTO schema_version (id, version) VALUES (1, :version) ON CONFLICT (id) DO UPDATE SET version = :version",
    ).run({ version: SCHEMA_VERSION });
    db.exec("COMMIT");
    return success(SCHEMA_VERSION);
  } catch (caught) {
    if (db.isTransaction) db.exec("ROLLBACK");
    return { ok: false, error: toStoreError(caught) };
  }
}

/** The SQLite store. Open it with {@link SqliteStore.open}. */
export class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  readonly #limits: StoreLimits;
  readonly #sql: Statements;
  #closed = false;
  /** Writes issued since the last group commit, in order. */
  #queue: QueuedWrite[] = [];
  #flushScheduled = false;
  /** Whether commits sync at all (`full`), and whether the connection is set to sync the next one. */
  readonly #durable: boolean;
  #syncing: boolean;

  private constructor(db: DatabaseSync, limits: StoreLimits, durability: SqliteDurability) {
    this.#durable = durability === "full";
    this.#syncing = this.#durable;
    this.#db = db;
    this.#limits = limits;
    this.#sql = prepareAll(db);
  }

  /**
   * Opens (creating it if needed) the store in the file at `path` and
   * migrates it to this build's schema. Fails with `unsupported` for a
   * database written by a newer aarm or one that is not an aarm store, and
   * with `io` when the file cannot be opened or WAL mode cannot be enabled.
   */
  static open(path: string, options: SqliteStoreOptions = {}): StoreResult<SqliteStore> {
    const readOnly = options.readOnly ?? false;
    const limits = { maxDocumentChars: options.maxDocumentChars ?? DEFAULT_MAX_DOCUMENT_CHARS };
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, {
        readOnly,
        enableForeignKeyConstraints: true,
        timeout: options.busyTimeoutMs ?? 5000,
      });
    } catch (caught) {
      return { ok: false, error: toStoreError(caught) };
    }
    try {
      const ready = prepareDatabase(db, readOnly, options.durability ?? "full");
      if (ready.ok) return success(new SqliteStore(db, limits, options.durability ?? "full"));
      db.close();
      return ready;
    } catch (caught) {
      db.close();
      return { ok: false, error: toStoreError(caught) };
    }
  }

  /**
   * Runs `op` in the next group commit, inside its own savepoint: kept if it
   * succeeds, undone if it fails or throws. Resolves once the transaction has
   * committed (or with `io` for every write in it if the commit fails).
   */
  #write<T>(op: () => StoreResult<T>, sync = true): Promise<StoreResult<T>> {
    if (this.#closed) return Promise.resolve(failure("io", "the store is closed"));
    return new Promise((resolve) => {
      this.#queue.push({ op, sync, settle: resolve as (result: StoreResult<unknown>) => void });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // After the microtasks: every session woken by the last commit gets to issue its next write first.
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Commits the queued writes, a batch at a time, and settles their promises. */
  #flush(): void {
    this.#flushScheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      const results = this.#commit(batch);
      batch.forEach((write, i) => write.settle(results[i] as StoreResult<unknown>));
      if (!this.#closed && this.#queue.length > 0) {
        // Let the event loop run between full batches; close() drains whatever is left.
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
        return;
      }
    }
  }

  /** One transaction for `batch`, one savepoint per write; the results in batch order. */
  #commit(batch: readonly QueuedWrite[]): StoreResult<unknown>[] {
    const db = this.#db;
    const results: StoreResult<unknown>[] = [];
    try {
      // At `full`, a batch of writes that all may skip the sync commits without one; the next synced
      // commit syncs the whole write-ahead log, so it carries them (and the file keeps them in order).
      const sync = this.#durable && batch.some((write) => write.sync);
      if (sync !== this.#syncing) {
        db.exec(sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        this.#syncing = sync;
      }
      db.exec("BEGIN IMMEDIATE");
      for (const write of batch) {
        db.exec("SAVEPOINT write");
        let result: StoreResult<unknown>;
        try {
          result = write.op();
        } catch (caught) {
          result = { ok: false, error: toStoreError(caught) };
        }
        results.push(result);
        // Some errors (disk full, I/O) make SQLite roll the whole transaction back: then nothing commits.
        if (!db.isTransaction) throw new Error("SQLite rolled the transaction back");
        db.exec(result.ok ? "RELEASE write" : "ROLLBACK TO write; RELEASE write");
      }
      db.exec("COMMIT");
      return results;
    } catch (caught) {
      // The transaction (or beginning it) failed: nothing in it was stored.
      try {
        if (db.isTransaction) db.exec("ROLLBACK");
      } catch {
        // The connection is unusable; the writes still fail below, and the next batch reports its own error.
      }
      const error = toStoreError(caught);
      return batch.map((_, i) => {
        const own = results[i];
        return own !== undefined && !own.ok ? own : { ok: false, error };
      });
    }
  }

  /** Runs `op` in one read transaction, so every statement in it sees the same snapshot. */
  async #read<T>(op: () => StoreResult<T>): Promise<StoreResult<T>> {
    if (this.#closed) return failure("io", "the store is closed");
    // A read sees every write issued before it: the writes still waiting for their group commit are
    // committed first. (An HTTP request answered with a 202 can be followed by the client's next one
    // in the same turn of the event loop, before the scheduled commit.)
    if (this.#queue.length > 0) this.#flush();
    try {
      this.#db.exec("BEGIN");
      const result = op();
      this.#db.exec("COMMIT");
      return result;
    } catch (caught) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      return { ok: false, error: toStoreError(caught) };
    }
  }

  get #bound(): number {
    return this.#limits.maxDocumentChars;
  }

  #session(sessionId: string): StoreResult<SessionRecord> {
    const row = this.#sql.getSession.get({ session: sessionId });
    return row === undefined ? failure("not_found", `no session ${sessionId}`) : success(sessionFrom(row));
  }

  createSession(sessionId: string, startedAt: string): Promise<StoreResult<SessionRecord>> {
    return this.#write(() => {
      const problem = checkId("session id", sessionId) ?? checkTimestamp("started_at", startedAt);
      if (problem !== null) return { ok: false, error: problem };
      if (this.#sql.getSession.get({ session: sessionId }) !== undefined) {
        return failure("conflict", `session ${sessionId} exists`);
      }
      this.#sql.insertSession.run({ session: sessionId, at: startedAt });
      return this.#session(sessionId);
    });
  }

  getSession(sessionId: string): Promise<StoreResult<SessionRecord>> {
    return this.#read(() => this.#session(sessionId));
  }

  endSession(sessionId: string, endedAt: string): Promise<StoreResult<SessionRecord>> {
    return this.#write(() => {
      const problem = checkTimestamp("ended_at", endedAt);
      if (problem !== null) return { ok: false, error: problem };
      const session = this.#session(sessionId);
      if (!session.ok) return session;
      if (session.value.state === "ended") return failure("conflict", `session ${sessionId} has ended`);
      this.#sql.endSession.run({ session: sessionId, at: endedAt });
      return this.#session(sessionId);
    });
  }

  listSessions(page: Page): Promise<StoreResult<readonly SessionRecord[]>> {
    return this.#read(() => {
      const problem = checkPage(page);
      if (problem !== null) return { ok: false, error: problem };
      const rows = this.#sql.listSessions.all({ after: page.after ?? null, limit: page.limit });
      return success(rows.map(sessionFrom));
    });
  }

  appendContext(record: ContextRecord, options: AppendOptions = {}): Promise<StoreResult<ChainHead>> {
    return this.#write(() => this.#appendContext(record), options.sync ?? true);
  }

  /** The statements of {@link appendContext}, inside the caller's transaction. */
  #appendContext(record: ContextRecord): StoreResult<ChainHead> {
    const problem = checkContextRecord(record, this.#limits);
    if (problem !== null) return { ok: false, error: problem };
    const session = this.#session(record.session_id);
    if (!session.ok) return session;
    if (session.value.state === "ended") return failure("conflict", `session ${record.session_id} has ended`);
    const conflict = chainConflict("context", record, session.value.context_head);
    if (conflict !== null) return failure("conflict", conflict);
    const { seq, hash } = record;
    this.#sql.insertContext.run({
      session: record.session_id,
      seq,
      prev: record.prev_hash,
      hash,
      body: record.body,
    });
    this.#sql.setContextHead.run({ session: record.session_id, seq, hash });
    return success({ seq, hash });
  }

  readContext(sessionId: string, afterSeq?: number): Promise<StoreResult<ChainSnapshot<ContextRecord>>> {
    return this.#read(() => {
      const session = this.#session(sessionId);
      if (!session.ok) return session;
      const after = afterSeq === undefined ? -1 : afterSeq;
      const rows = this.#sql.readContext.all({ session: sessionId, after, bound: this.#bound });
      return success({ session: session.value, records: rows.map(contextFrom) });
    });
  }

  appendReceipt(record: ReceiptRecord): Promise<StoreResult<ReceiptHead>> {
    return this.#write(() => this.#appendReceipt(record));
  }

  /** The statements of {@link appendReceipt}, inside the caller's transaction. */
  #appendReceipt(record: ReceiptRecord): StoreResult<ReceiptHead> {
    const problem = checkReceiptRecord(record, this.#limits);
    if (problem !== null) return { ok: false, error: problem };
    const session = this.#session(record.session_id);
    if (!session.ok) return session;
    if (this.#sql.receiptExists.get({ id: record.receipt_id }) !== undefined) {
      return failure("conflict", `receipt ${record.receipt_id} exists`);
    }
    const conflict = chainConflict("receipt", record, session.value.receipt_head);
    if (conflict !== null) return failure("conflict", conflict);
    const { receipt_id: id, seq, hash } = record;
    this.#sql.insertReceipt.run({
      id,
      session: record.session_id,
      seq,
      prev: record.prev_hash,
      hash,
      body: record.body,
    });
    this.#sql.setReceiptHead.run({ id, session: record.session_id, seq, hash });
    return success({ seq, hash, receipt_id: id });
  }

  appendChains(
    context: readonly ContextRecord[],
    receipt: ReceiptRecord | null,
  ): Promise<StoreResult<ChainHeads>> {
    // One write, so one savepoint: a refused record undoes the ones before it.
    return this.#write(() => {
      let contextHead: ChainHead | null = null;
      for (const record of context) {
        const appended = this.#appendContext(record);
        if (!appended.ok) return appended;
        contextHead = appended.value;
      }
      const receiptHead = receipt === null ? success(null) : this.#appendReceipt(receipt);
      return receiptHead.ok ? success({ context: contextHead, receipt: receiptHead.value }) : receiptHead;
    });
  }

  getReceipt(receiptId: string): Promise<StoreResult<ReceiptRecord>> {
    return this.#read(() => {
      const row = this.#sql.getReceipt.get({ id: receiptId, bound: this.#bound });
      return row === undefined ? failure("not_found", `no receipt ${receiptId}`) : success(receiptFrom(row));
    });
  }

  readReceipts(sessionId: string): Promise<StoreResult<ChainSnapshot<ReceiptRecord>>> {
    return this.#read(() => {
      const session = this.#session(sessionId);
      if (!session.ok) return session;
      const rows = this.#sql.readReceipts.all({ session: sessionId, bound: this.#bound });
      return success({ session: session.value, records: rows.map(receiptFrom) });
    });
  }

  #approvalRow(requestId: string): ApprovalRow | undefined {
    const row = this.#sql.getApproval.get({ id: requestId, bound: this.#bound });
    return row === undefined ? undefined : approvalFrom(row);
  }

  #writeApproval(row: ApprovalRow, statement: StatementSync): void {
    const { request_id: id, session_id: session, pending, version, request, responses, result } = row;
    statement.run({ id, session, pending: pending ? 1 : 0, version, request, responses, result });
  }

  createApproval(request: ApprovalRecord["request"]): Promise<StoreResult<ApprovalRecord>> {
    return this.#write(() => {
      const row = encodeApproval({ request, responses: [], result: null, version: 0 }, this.#limits);
      if (!row.ok) return row;
      const id = row.value.request_id;
      if (this.#approvalRow(id) !== undefined) return failure("conflict", `approval ${id} exists`);
      const session = this.#session(row.value.session_id);
      if (!session.ok) return session;
      this.#writeApproval(row.value, this.#sql.insertApproval);
      return decodeApproval(row.value, this.#limits);
    });
  }

  getApproval(requestId: string): Promise<StoreResult<ApprovalRecord>> {
    return this.#read(() => {
      const row = this.#approvalRow(requestId);
      return row === undefined
        ? failure("not_found", `no approval ${requestId}`)
        : decodeApproval(row, this.#limits);
    });
  }

  updateApproval(
    requestId: string,
    expectedVersion: number,
    change: ApprovalChange,
  ): Promise<StoreResult<ApprovalRecord>> {
    return this.#write(() => {
      const row = this.#approvalRow(requestId);
      if (row === undefined) return failure("not_found", `no approval ${requestId}`);
      const next = nextApproval(row, expectedVersion, change, this.#limits);
      if (!next.ok) return next;
      this.#writeApproval(next.value, this.#sql.updateApproval);
      return decodeApproval(next.value, this.#limits);
    });
  }

  listApprovals(filter: ListFilter, page: Page): Promise<StoreResult<readonly ApprovalRecord[]>> {
    return this.#read(() => {
      const problem = checkPage(page);
      if (problem !== null) return { ok: false, error: problem };
      const rows = this.#sql.listApprovals.all(this.#listParams(filter, page));
      return decodeRows(rows.map(approvalFrom), (row) => decodeApproval(row, this.#limits));
    });
  }

  #deferralRow(deferralId: string): DeferralRow | undefined {
    const row = this.#sql.getDeferral.get({ id: deferralId, bound: this.#bound });
    return row === undefined ? undefined : deferralFrom(row);
  }

  #writeDeferral(row: DeferralRow, statement: StatementSync): void {
    const { deferral_id: id, session_id: session, pending, version, deferred, resolution } = row;
    statement.run({ id, session, pending: pending ? 1 : 0, version, deferred, resolution });
  }

  createDeferral(deferred: DeferralRecord["deferred"]): Promise<StoreResult<DeferralRecord>> {
    return this.#write(() => {
      const row = encodeDeferral({ deferred, resolution: null, version: 0 }, this.#limits);
      if (!row.ok) return row;
      const id = row.value.deferral_id;
      if (this.#deferralRow(id) !== undefined) return failure("conflict", `deferral ${id} exists`);
      const session = this.#session(row.value.session_id);
      if (!session.ok) return session;
      this.#writeDeferral(row.value, this.#sql.insertDeferral);
      return decodeDeferral(row.value, this.#limits);
    });
  }

  getDeferral(deferralId: string): Promise<StoreResult<DeferralRecord>> {
    return this.#read(() => {
      const row = this.#deferralRow(deferralId);
      return row === undefined
        ? failure("not_found", `no deferral ${deferralId}`)
        : decodeDeferral(row, this.#limits);
    });
  }

  updateDeferral(
    deferralId: string,
    expectedVersion: number,
    change: DeferralChange,
  ): Promise<StoreResult<DeferralRecord>> {
    return this.#write(() => {
      const row = this.#deferralRow(deferralId);
      if (row === undefined) return failure("not_found", `no deferral ${deferralId}`);
      const next = nextDeferral(row, expectedVersion, change, this.#limits);
      if (!next.ok) return next;
      this.#writeDeferral(next.value, this.#sql.updateDeferral);
      return decodeDeferral(next.value, this.#limits);
    });
  }

  listDeferrals(filter: ListFilter, page: Page): Promise<StoreResult<readonly DeferralRecord[]>> {
    return this.#read(() => {
      const problem = checkPage(page);
      if (problem !== null) return { ok: false, error: problem };
      const rows = this.#sql.listDeferrals.all(this.#listParams(filter, page));
      return decodeRows(rows.map(deferralFrom), (row) => decodeDeferral(row, this.#limits));
    });
  }

  #listParams(filter: ListFilter, page: Page): Record<string, SQLInputValue> {
    return {
      session: filter.session_id ?? null,
      pending: filter.pending === undefined ? null : filter.pending ? 1 : 0,
      after: page.after ?? null,
      limit: page.limit,
      bound: this.#bound,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Writes issued before close still commit.
    this.#flush();
    this.#db.close();
  }
}

/** Checks the version, switches to WAL at the given durability and migrates; a read-only database is only checked. */
function prepareDatabase(
  db: DatabaseSync,
  readOnly: boolean,
  durability: SqliteDurability,
): StoreResult<number> {
  // Refuse a foreign or newer database before changing anything about it, its journal mode included.
  const version = inspectVersion(db);
  if (!version.ok) return version;
  if (readOnly) {
    return version.value === SCHEMA_VERSION
      ? version
      : failure(
          "unsupported",
          `the database is at schema version ${version.value}, not ${SCHEMA_VERSION}; open it read-write to migrate`,
        );
  }
  const mode = db.prepare("PRAGMA journal_mode = WAL").get()?.journal_mode;
  // An in-memory database (no file) has no WAL; every file database must have one.
  if (mode !== "wal" && db.location() !== null) {
    return failure("io", `could not enable WAL mode (journal mode is ${String(mode)})`);
  }
  db.exec(durability === "normal" ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  return migrate(db);
}
