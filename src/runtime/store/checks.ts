/**
 * Checks every store implementation applies in the same way: the shape and
 * size bounds of what it is asked to write, the chain-extension rule of the
 * two appends, and page bounds. Keeping them here is what makes the memory and
 * SQLite stores behave identically in the contract tests.
 *
 * @module
 */
import {
  type ChainHead,
  type ContextRecord,
  MAX_PAGE_SIZE,
  type Page,
  type ReceiptRecord,
  type StoreError,
  type StoreErrorKind,
  type StoreResult,
} from "./types.ts";

/** The default bound on one stored document (a context entry, a receipt, an approval…), in UTF-16 units. */
export const DEFAULT_MAX_DOCUMENT_CHARS = 1_048_576;

/** Bounds a store enforces. */
export interface StoreLimits {
  /** Longest document accepted, and read back, in UTF-16 code units. */
  readonly maxDocumentChars: number;
}

// The schemas' Identifier (1–256 code points, no C0 control or DEL), Sha256Digest and Timestamp.
const IDENTIFIER = /^[^\u0000-\u001F\u007F]{1,256}$/u;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$/;

/** A failed result. */
export function failure<T>(kind: StoreErrorKind, message: string): StoreResult<T> {
  return { ok: false, error: { kind, message } };
}

/** A successful result. */
export function success<T>(value: T): StoreResult<T> {
  return { ok: true, value };
}

function invalid(message: string): StoreError {
  return { kind: "invalid", message };
}

/** Null when `id` is a valid identifier (1–256 characters, no control characters). */
export function checkId(what: string, id: string): StoreError | null {
  return IDENTIFIER.test(id) ? null : invalid(`${what} ${JSON.stringify(id)} is not a valid identifier`);
}

/** Null when `time` is a UTC timestamp with a `Z` suffix. */
export function checkTimestamp(what: string, time: string): StoreError | null {
  return TIMESTAMP.test(time) && !Number.isNaN(Date.parse(time))
    ? null
    : invalid(`${what} ${JSON.stringify(time)} is not a UTC timestamp`);
}

function checkDigest(what: string, digest: string): StoreError | null {
  return DIGEST.test(digest) ? null : invalid(`${what} is not a sha256: digest`);
}

function checkSeq(seq: number): StoreError | null {
  return Number.isSafeInteger(seq) && seq >= 0 ? null : invalid(`seq ${seq} is not a non-negative integer`);
}

/** Null when a document of `length` characters fits the bound. */
export function checkSize(what: string, length: number, limits: StoreLimits): StoreError | null {
  return length <= limits.maxDocumentChars
    ? null
    : invalid(`${what} is ${length} characters, over the bound of ${limits.maxDocumentChars}`);
}

/** Null when the record is well formed and within bounds. */
export function checkContextRecord(record: ContextRecord, limits: StoreLimits): StoreError | null {
  return (
    checkId("session id", record.session_id) ??
    checkSeq(record.seq) ??
    checkDigest("prev_hash", record.prev_hash) ??
    checkDigest("hash", record.hash) ??
    checkSize("context entry", record.body.length, limits)
  );
}

/** Null when the record is well formed and within bounds. */
export function checkReceiptRecord(record: ReceiptRecord, limits: StoreLimits): StoreError | null {
  return (
    checkId("receipt id", record.receipt_id) ??
    checkId("session id", record.session_id) ??
    checkSeq(record.seq) ??
    (record.prev_hash === null ? null : checkDigest("prev_hash", record.prev_hash)) ??
    checkDigest("hash", record.hash) ??
    checkSize("receipt", record.body.length, limits)
  );
}

/**
 * Why `record` does not extend the chain whose last link is `head`, or null
 * when it does. The first link of a context log may carry any `prev_hash`
 * (the log's genesis value); the first receipt's must be null.
 */
export function chainConflict(
  chain: "context" | "receipt",
  record: { readonly seq: number; readonly prev_hash: string | null },
  head: ChainHead | null,
): string | null {
  const expectedSeq = head === null ? 0 : head.seq + 1;
  if (record.seq !== expectedSeq) {
    return `${chain} chain head moved: expected seq ${expectedSeq}, got ${record.seq}`;
  }
  if (head === null) {
    return chain === "receipt" && record.prev_hash !== null
      ? "the first receipt must have no predecessor"
      : null;
  }
  return record.prev_hash === head.hash
    ? null
    : `${chain} chain head moved: prev_hash is not the head's hash`;
}

/** Null when the page is within bounds. */
export function checkPage(page: Page): StoreError | null {
  if (!Number.isSafeInteger(page.limit) || page.limit < 1 || page.limit > MAX_PAGE_SIZE) {
    return invalid(`page limit must be 1 to ${MAX_PAGE_SIZE}, got ${page.limit}`);
  }
  return null;
}

/**
 * Orders ids by Unicode code point, which is the byte order of their UTF-8
 * form and so the order SQLite's and PostgreSQL's binary collations list them
 * in (JavaScript's `<` compares UTF-16 units and differs above U+FFFF).
 */
export function compareIds(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done === true || y.done === true) return (x.done === true ? 0 : 1) - (y.done === true ? 0 : 1);
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx - cy;
  }
}
