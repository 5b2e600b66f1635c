/**
 * A {@link Store} in process memory: for tests and for embedding where losing
 * everything on exit is acceptable. It applies the same checks and keeps
 * documents as the same canonical text as the SQLite store, so the two behave
 * identically in the contract tests. Each method runs to completion without
 * yielding, which makes every operation atomic.
 *
 * @module
 */
import {
  chainConflict,
  checkContextRecord,
  checkId,
  checkPage,
  checkReceiptRecord,
  checkTimestamp,
  compareIds,
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
import type {
  ApprovalChange,
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
  StoreResult,
} from "./types.ts";

interface SessionData {
  record: SessionRecord;
  readonly context: ContextRecord[];
  readonly receipts: ReceiptRecord[];
}

/** Rows ordered by key, after the page cursor, matching the filter, at most one page. */
function pageOf<R extends { readonly session_id: string; readonly pending: boolean }>(
  rows: ReadonlyMap<string, R>,
  filter: ListFilter,
  page: Page,
): R[] {
  return [...rows.keys()]
    .filter((key) => page.after === undefined || compareIds(key, page.after) > 0)
    .sort(compareIds)
    .map((key) => rows.get(key) as R)
    .filter(
      (row) =>
        (filter.session_id === undefined || row.session_id === filter.session_id) &&
        (filter.pending === undefined || row.pending === filter.pending),
    )
    .slice(0, page.limit);
}

/** Decodes every row, failing on the first bad one. */
function decodeAll<R, T>(rows: readonly R[], decode: (row: R) => StoreResult<T>): StoreResult<readonly T[]> {
  const out: T[] = [];
  for (const row of rows) {
    const decoded = decode(row);
    if (!decoded.ok) return decoded;
    out.push(decoded.value);
  }
  return success(out);
}

/** The in-memory store. */
export class MemoryStore implements Store {
  readonly #limits: StoreLimits;
  readonly #sessions = new Map<string, SessionData>();
  readonly #receiptIds = new Map<string, ReceiptRecord>();
  readonly #approvals = new Map<string, ApprovalRow>();
  readonly #deferrals = new Map<string, DeferralRow>();
  #closed = false;

  constructor(options: Partial<StoreLimits> = {}) {
    this.#limits = { maxDocumentChars: options.maxDocumentChars ?? DEFAULT_MAX_DOCUMENT_CHARS };
  }

  /** Runs `op` unless the store is closed; an async method so callers always get a Promise. */
  async #run<T>(op: () => StoreResult<T>): Promise<StoreResult<T>> {
    return this.#closed ? failure("io", "the store is closed") : op();
  }

  #session(sessionId: string): StoreResult<SessionData> {
    const data = this.#sessions.get(sessionId);
    return data === undefined ? failure("not_found", `no session ${sessionId}`) : success(data);
  }

  createSession(sessionId: string, startedAt: string): Promise<StoreResult<SessionRecord>> {
    return this.#run(() => {
      const problem = checkId("session id", sessionId) ?? checkTimestamp("started_at", startedAt);
      if (problem !== null) return { ok: false, error: problem };
      if (this.#sessions.has(sessionId)) return failure("conflict", `session ${sessionId} exists`);
      const record: SessionRecord = {
        session_id: sessionId,
        state: "active",
        started_at: startedAt,
        ended_at: null,
        context_head: null,
        receipt_head: null,
      };
      this.#sessions.set(sessionId, { record, context: [], receipts: [] });
      return success(record);
    });
  }

  getSession(sessionId: string): Promise<StoreResult<SessionRecord>> {
    return this.#run(() => {
      const data = this.#session(sessionId);
      return data.ok ? success(data.value.record) : data;
    });
  }

  endSession(sessionId: string, endedAt: string): Promise<StoreResult<SessionRecord>> {
    return this.#run(() => {
      const problem = checkTimestamp("ended_at", endedAt);
      if (problem !== null) return { ok: false, error: problem };
      const data = this.#session(sessionId);
      if (!data.ok) return data;
      if (data.value.record.state === "ended") return failure("conflict", `session ${sessionId} has ended`);
      data.value.record = { ...data.value.record, state: "ended", ended_at: endedAt };
      return success(data.value.record);
    });
  }

  listSessions(page: Page): Promise<StoreResult<readonly SessionRecord[]>> {
    return this.#run(() => {
      const problem = checkPage(page);
      if (problem !== null) return { ok: false, error: problem };
      const ids = [...this.#sessions.keys()].filter(
        (id) => page.after === undefined || compareIds(id, page.after) > 0,
      );
      return success(
        ids
          .sort(compareIds)
          .slice(0, page.limit)
          .map((id) => (this.#sessions.get(id) as SessionData).record),
      );
    });
  }

  appendContext(record: ContextRecord): Promise<StoreResult<ChainHead>> {
    return this.#run(() => this.#appendContext(record));
  }

  /** The checks and the change of {@link appendContext}; the change only if every check passes. */
  #appendContext(record: ContextRecord): StoreResult<ChainHead> {
    const problem = checkContextRecord(record, this.#limits);
    if (problem !== null) return { ok: false, error: problem };
    const data = this.#session(record.session_id);
    if (!data.ok) return data;
    const session = data.value.record;
    if (session.state === "ended") return failure("conflict", `session ${session.session_id} has ended`);
    const conflict = chainConflict("context", record, session.context_head);
    if (conflict !== null) return failure("conflict", conflict);
    const head: ChainHead = { seq: record.seq, hash: record.hash };
    data.value.context.push({ ...record });
    data.value.record = { ...session, context_head: head };
    return success(head);
  }

  readContext(sessionId: string, afterSeq?: number): Promise<StoreResult<ChainSnapshot<ContextRecord>>> {
    return this.#run(() => {
      const data = this.#session(sessionId);
      if (!data.ok) return data;
      // Records sit at their seq, so the tail is a slice.
      const from = afterSeq === undefined ? 0 : Math.max(0, Math.floor(afterSeq) + 1);
      return success({ session: data.value.record, records: data.value.context.slice(from) });
    });
  }

  appendReceipt(record: ReceiptRecord): Promise<StoreResult<ReceiptHead>> {
    return this.#run(() => this.#appendReceipt(record));
  }

  /** The checks and the change of {@link appendReceipt}; the change only if every check passes. */
  #appendReceipt(record: ReceiptRecord): StoreResult<ReceiptHead> {
    const problem = checkReceiptRecord(record, this.#limits);
    if (problem !== null) return { ok: false, error: problem };
    const data = this.#session(record.session_id);
    if (!data.ok) return data;
    if (this.#receiptIds.has(record.receipt_id)) {
      return failure("conflict", `receipt ${record.receipt_id} exists`);
    }
    const session = data.value.record;
    const conflict = chainConflict("receipt", record, session.receipt_head);
    if (conflict !== null) return failure("conflict", conflict);
    const stored = { ...record };
    const head: ReceiptHead = { seq: record.seq, hash: record.hash, receipt_id: record.receipt_id };
    data.value.receipts.push(stored);
    this.#receiptIds.set(record.receipt_id, stored);
    data.value.record = { ...session, receipt_head: head };
    return success(head);
  }

  appendChains(
    context: readonly ContextRecord[],
    receipt: ReceiptRecord | null,
  ): Promise<StoreResult<ChainHeads>> {
    return this.#run(() => {
      // Remember what the sessions looked like, and put that back if any record is refused.
      const ids = new Set([...context, ...(receipt === null ? [] : [receipt])].map((r) => r.session_id));
      const before = [...ids].flatMap((id) => {
        const data = this.#sessions.get(id);
        return data === undefined
          ? []
          : [{ data, record: data.record, context: data.context.length, receipts: data.receipts.length }];
      });
      const applied = this.#appendAll(context, receipt);
      if (!applied.ok) {
        for (const { data, record, context: contextLength, receipts } of before) {
          for (const undone of data.receipts.splice(receipts)) this.#receiptIds.delete(undone.receipt_id);
          data.context.length = contextLength;
          data.record = record;
        }
      }
      return applied;
    });
  }

  #appendAll(context: readonly ContextRecord[], receipt: ReceiptRecord | null): StoreResult<ChainHeads> {
    let contextHead: ChainHead | null = null;
    for (const record of context) {
      const appended = this.#appendContext(record);
      if (!appended.ok) return appended;
      contextHead = appended.value;
    }
    const receiptHead = receipt === null ? success(null) : this.#appendReceipt(receipt);
    return receiptHead.ok ? success({ context: contextHead, receipt: receiptHead.value }) : receiptHead;
  }

  getReceipt(receiptId: string): Promise<StoreResult<ReceiptRecord>> {
    return this.#run(() => {
      const record = this.#receiptIds.get(receiptId);
      return record === undefined ? failure("not_found", `no receipt ${receiptId}`) : success(record);
    });
  }

  readReceipts(sessionId: string): Promise<StoreResult<ChainSnapshot<ReceiptRecord>>> {
    return this.#run(() => {
      const data = this.#session(sessionId);
      if (!data.ok) return data;
      return success({ session: data.value.record, records: [...data.value.receipts] });
    });
  }

  createApproval(request: ApprovalRecord["request"]): Promise<StoreResult<ApprovalRecord>> {
    return this.#run(() => {
      const row = encodeApproval({ request, responses: [], result: null, version: 0 }, this.#limits);
      if (!row.ok) return row;
      if (this.#approvals.has(row.value.request_id)) {
        return failure("conflict", `approval ${row.value.request_id} exists`);
      }
      const session = this.#session(row.value.session_id);
      if (!session.ok) return session;
      this.#approvals.set(row.value.request_id, row.value);
      return decodeApproval(row.value, this.#limits);
    });
  }

  getApproval(requestId: string): Promise<StoreResult<ApprovalRecord>> {
    return this.#run(() => {
      const row = this.#approvals.get(requestId);
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
    return this.#run(() => {
      const row = this.#approvals.get(requestId);
      if (row === undefined) return failure("not_found", `no approval ${requestId}`);
      const next = nextApproval(row, expectedVersion, change, this.#limits);
      if (!next.ok) return next;
      this.#approvals.set(requestId, next.value);
      return decodeApproval(next.value, this.#limits);
    });
  }

  listApprovals(filter: ListFilter, page: Page): Promise<StoreResult<readonly ApprovalRecord[]>> {
    return this.#run(() => {
      const problem = checkPage(page);
      if (problem !== null) return { ok: false, error: problem };
      return decodeAll(pageOf(this.#approvals, filter, page), (row) => decodeApproval(row, this.#limits));
    });
  }

  createDeferral(deferred: DeferralRecord["deferred"]): Promise<StoreResult<DeferralRecord>> {
    return this.#run(() => {
      const row = encodeDeferral({ deferred, resolution: null, version: 0 }, this.#limits);
      if (!row.ok) return row;
      if (this.#deferrals.has(row.value.deferral_id)) {
        return failure("conflict", `deferral ${row.value.deferral_id} exists`);
      }
      const session = this.#session(row.value.session_id);
      if (!session.ok) return session;
      this.#deferrals.set(row.value.deferral_id, row.value);
      return decodeDeferral(row.value, this.#limits);
    });
  }

  getDeferral(deferralId: string): Promise<StoreResult<DeferralRecord>> {
    return this.#run(() => {
      const row = this.#deferrals.get(deferralId);
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
    return this.#run(() => {
      const row = this.#deferrals.get(deferralId);
      if (row === undefined) return failure("not_found", `no deferral ${deferralId}`);
      const next = nextDeferral(row, expectedVersion, change, this.#limits);
      if (!next.ok) return next;
      this.#deferrals.set(deferralId, next.value);
      return decodeDeferral(next.value, this.#limits);
    });
  }

  listDeferrals(filter: ListFilter, page: Page): Promise<StoreResult<readonly DeferralRecord[]>> {
    return this.#run(() => {
      const problem = checkPage(page);
      if (problem !== null) return { ok: false, error: problem };
      return decodeAll(pageOf(this.#deferrals, filter, page), (row) => decodeDeferral(row, this.#limits));
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
