/**
 * Offline verification of receipts and context logs: what an auditor runs
 * with nothing but the published public keys and an export (a JSON-lines
 * file or a copy of the SQLite database).
 *
 * Each receipt is checked on its own (the schema, then the signature against
 * the key its `key_id` names; receipts signed with a retired key verify as
 * long as the key set keeps it), then each session's receipts are put in
 * chain order by their `prev_receipt_hash` links, which shows what was done
 * to the set as a whole: a receipt removed (the next one's predecessor is
 * missing: a gap), receipts reordered (one appears before its predecessor),
 * duplicated, or forked (two receipts claim the same predecessor). Every bad
 * receipt is named by id, with where it was found and why. A verifier cannot
 * tell from the receipts alone that the last ones of a session were cut off;
 * given the heads the store recorded (as it is when reading a database), it
 * can.
 *
 * When one receipt is altered, it fails its signature, and its successor,
 * whose predecessor is now missing from the valid receipts, is reported as a
 * gap as well: the successor itself is intact, but the chain is broken there.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { canonicalHash, isPlainObject } from "../schema/canonical.ts";
import type { SchemaError } from "../schema/errors.ts";
import type { Receipt } from "../schema/generated/types.ts";
import { validateReceipt } from "../schema/validate.ts";
import { verifyDocument } from "./crypto/document.ts";
import type { KeyResolver } from "./crypto/keyring.ts";
import { DEFAULT_MAX_LINE_BYTES, readJsonLines } from "./receipts/lines.ts";
import { scanSessions } from "./store/scan.ts";
import { SqliteStore } from "./store/sqlite.ts";
import type { ReceiptHead, Store, StoreResult } from "./store/types.ts";

export {
  type ContextBreakReason,
  type ContextExpectation,
  type ContextVerification,
  verifyContext,
} from "./context/chain.ts";

/** Why a receipt failed verification. */
export type ReceiptIssueReason =
  /** Not a JSON object, an unreadable line or row, or a signature block that cannot be checked. */
  | "malformed"
  /** Does not match `receipt.schema.json`. */
  | "schema"
  /** Signed with a key id the key set does not know. */
  | "unknown_key"
  /** The signature does not match the receipt: a signed field was changed. */
  | "bad_signature"
  /** The same receipt appears again. */
  | "duplicate"
  /** A different receipt with an id already seen. */
  | "duplicate_id"
  /** Its predecessor is missing (a receipt was removed) or failed verification. */
  | "gap"
  /** It appears before its predecessor. */
  | "reordered"
  /** It claims a predecessor another receipt already follows, or is a second first receipt. */
  | "fork"
  /** The session's last receipt, as the store recorded it, is missing. */
  | "truncated"
  /** Its `related_receipt_id` names no valid receipt of the session. */
  | "related_missing";

/** One bad receipt. */
export interface ReceiptIssue {
  /** The receipt's id as it claims it, or as its storage row names it; null if neither can be read. */
  readonly receipt_id: string | null;
  /** The session it claims, when readable. */
  readonly session_id: string | null;
  /** Where it was found: `#3` (position in the input), `line 12`, `session "s1" receipt 4`. */
  readonly location: string;
  readonly reason: ReceiptIssueReason;
  readonly message: string;
}

/** A session's valid receipts in chain order. */
export interface SessionChain {
  readonly session_id: string;
  /** Receipt ids from the first to the last; after a gap, the chain resumes where it can. */
  readonly receipt_ids: readonly string[];
}

/** The outcome of verifying a set of receipts. */
export interface VerificationReport {
  /** True when every receipt verified and every session's chain is whole. */
  readonly ok: boolean;
  /** Receipts examined, unreadable ones included. */
  readonly checked: number;
  /** Receipts whose schema and signature verified. */
  readonly verified: number;
  readonly sessions: readonly SessionChain[];
  /** Every problem, in the order the receipts were read. */
  readonly issues: readonly ReceiptIssue[];
}

/** Options of {@link verifyReceipts}. */
export interface VerifyOptions {
  /** The last receipt of each session as the store recorded it; each must be present. */
  readonly heads?: ReadonlyMap<string, ReceiptHead>;
}

/** A receipt to verify, where it came from, and its position in the order it was read. */
interface Input {
  readonly order: number;
  readonly location: string;
  readonly value: unknown;
}

/** A receipt that passed its own checks. */
interface Checked {
  readonly order: number;
  readonly location: string;
  readonly receipt: Receipt;
  readonly hash: string;
}

/** An issue with the position it sorts at. */
interface Ordered {
  readonly order: number;
  readonly issue: ReceiptIssue;
}

function claimed(value: unknown): { readonly id: string | null; readonly session: string | null } {
  if (!isPlainObject(value)) return { id: null, session: null };
  const context = value.requester_context;
  const session = isPlainObject(context) && typeof context.session === "string" ? context.session : null;
  return { id: typeof value.receipt_id === "string" ? value.receipt_id : null, session };
}

function describe(errors: readonly SchemaError[]): string {
  const shown = errors
    .slice(0, 3)
    .map((error) => `${error.path === "" ? "/" : error.path}: ${error.message}`);
  return shown.join("; ") + (errors.length > 3 ? `; and ${errors.length - 3} more` : "");
}

/** Schema and signature of one receipt: the receipt with its hash, or the issue. */
function checkOne(input: Input, keys: KeyResolver): Checked | ReceiptIssue {
  const { id, session } = claimed(input.value);
  const issue = (reason: ReceiptIssueReason, message: string): ReceiptIssue => ({
    receipt_id: id,
    session_id: session,
    location: input.location,
    reason,
    message,
  });
  if (!isPlainObject(input.value)) return issue("malformed", "not a JSON object");
  const valid = validateReceipt(input.value);
  if (!valid.ok) return issue("schema", describe(valid.errors));
  const signature = verifyDocument(valid.value, keys);
  if (!signature.ok) return issue(signature.reason, signature.detail);
  const hash = canonicalHash(valid.value);
  if (!hash.ok) return issue("malformed", hash.error.message);
  return { order: input.order, location: input.location, receipt: valid.value, hash: hash.value };
}

/** Puts one session's receipts in chain order and reports what breaks the chain. */
function checkChain(
  sessionId: string,
  items: readonly Checked[],
  head: ReceiptHead | undefined,
  report: (order: number, issue: ReceiptIssue) => void,
): SessionChain {
  const issue = (item: Checked, reason: ReceiptIssueReason, message: string): void =>
    report(item.order, {
      receipt_id: item.receipt.receipt_id,
      session_id: sessionId,
      location: item.location,
      reason,
      message,
    });

  const byHash = new Map<string, Checked>();
  const byId = new Map<string, Checked>();
  const unique: Checked[] = [];
  for (const item of items) {
    const same = byHash.get(item.hash);
    const clash = byId.get(item.receipt.receipt_id);
    if (same !== undefined) issue(item, "duplicate", `the same receipt as at ${same.location}`);
    else if (clash !== undefined)
      issue(item, "duplicate_id", `a different receipt with this id is at ${clash.location}`);
    else {
      byHash.set(item.hash, item);
      byId.set(item.receipt.receipt_id, item);
      unique.push(item);
    }
  }

  // Successors by predecessor hash (null: the session's first receipt); a second claimant is a fork.
  const next = new Map<string | null, Checked>();
  const forked = new Set<Checked>();
  for (const item of unique) {
    const prev = item.receipt.prev_receipt_hash;
    const taken = next.get(prev);
    if (taken === undefined) next.set(prev, item);
    else {
      forked.add(item);
      issue(
        item,
        "fork",
        prev === null
          ? `a second first receipt of the session (the first is ${taken.receipt.receipt_id})`
          : `receipt ${taken.receipt.receipt_id} already follows the same predecessor`,
      );
    }
  }

  // Walk the chain from its start, then from every receipt whose predecessor is missing.
  const starts = unique.filter((item) => {
    if (forked.has(item)) return false;
    const prev = item.receipt.prev_receipt_hash;
    if (prev === null) return true;
    const parent = byHash.get(prev);
    return parent === undefined || forked.has(parent);
  });
  const ordered: Checked[] = [];
  for (const start of starts) {
    const prev = start.receipt.prev_receipt_hash;
    if (prev !== null && !byHash.has(prev)) {
      issue(start, "gap", `its predecessor ${prev} is missing (removed) or failed verification`);
    }
    let previous: Checked | null = null;
    for (let item: Checked | undefined = start; item !== undefined; item = next.get(item.hash)) {
      if (previous !== null && item.order < previous.order) {
        issue(
          item,
          "reordered",
          `it appears before its predecessor ${previous.receipt.receipt_id} (${previous.location})`,
        );
      }
      ordered.push(item);
      previous = item;
    }
  }

  for (const item of unique) {
    const related = item.receipt.related_receipt_id;
    if (related !== null && !byId.has(related)) {
      issue(
        item,
        "related_missing",
        `its related receipt ${related} is not among the session's valid receipts`,
      );
    }
  }
  if (head !== undefined && !byHash.has(head.hash)) {
    report(Number.MAX_SAFE_INTEGER, {
      receipt_id: head.receipt_id,
      session_id: sessionId,
      location: "store head",
      reason: "truncated",
      message: `the session's last receipt (number ${head.seq}) is missing or failed verification`,
    });
  }
  return { session_id: sessionId, receipt_ids: ordered.map((item) => item.receipt.receipt_id) };
}

function verifyInputs(
  inputs: readonly Input[],
  keys: KeyResolver,
  heads: ReadonlyMap<string, ReceiptHead>,
  unreadable: readonly Ordered[],
): VerificationReport {
  const issues: Ordered[] = [...unreadable];
  const report = (order: number, issue: ReceiptIssue): void => {
    issues.push({ order, issue });
  };
  const bySession = new Map<string, Checked[]>();
  for (const input of inputs) {
    const checked = checkOne(input, keys);
    if (!("receipt" in checked)) {
      report(input.order, checked);
      continue;
    }
    const session = checked.receipt.requester_context.session;
    const list = bySession.get(session) ?? [];
    list.push(checked);
    bySession.set(session, list);
  }
  const verified = [...bySession.values()].reduce((sum, list) => sum + list.length, 0);
  const sessions = [...bySession].map(([session, items]) =>
    checkChain(session, items, heads.get(session), report),
  );
  for (const [session, head] of heads) {
    if (!bySession.has(session)) checkChain(session, [], head, report);
  }
  issues.sort((a, b) => a.order - b.order);
  return {
    ok: issues.length === 0,
    checked: inputs.length + unreadable.length,
    verified,
    sessions,
    issues: issues.map((entry) => entry.issue),
  };
}

/**
 * Verifies receipts (parsed JSON values, in the order they were stored or
 * exported) against the public keys in `keys`. Never throws.
 */
export function verifyReceipts(
  receipts: readonly unknown[],
  keys: KeyResolver,
  options: VerifyOptions = {},
): VerificationReport {
  const inputs = receipts.map((value, order) => ({ order, location: `#${order}`, value }));
  return verifyInputs(inputs, keys, options.heads ?? new Map(), []);
}

/** Options for reading JSON lines. */
export interface LinesOptions {
  /** The longest line read, in bytes; longer lines are reported and skipped. Default 4 MiB. */
  readonly maxLineBytes?: number;
}

/**
 * Verifies a JSON-lines export (one receipt per line) given as text, bytes
 * or a stream of byte chunks. Lines that cannot be read are reported
 * (`malformed`) with their line numbers.
 */
export async function verifyReceiptLines(
  source: string | Uint8Array | AsyncIterable<Uint8Array>,
  keys: KeyResolver,
  options: LinesOptions = {},
): Promise<VerificationReport> {
  const chunks =
    typeof source === "string"
      ? [new TextEncoder().encode(source)]
      : source instanceof Uint8Array
        ? [source]
        : source;
  const parsed = await readJsonLines(chunks, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  const unreadable = parsed.problems.map((problem): Ordered => ({
    order: problem.line,
    issue: {
      receipt_id: null,
      session_id: null,
      location: `line ${problem.line}`,
      reason: "malformed",
      message: problem.message,
    },
  }));
  const inputs = parsed.values.map((entry) => ({
    order: entry.line,
    location: `line ${entry.line}`,
    value: entry.value,
  }));
  return verifyInputs(inputs, keys, new Map(), unreadable);
}

/** Verifies the JSON-lines export in the file at `path`, streaming it. `io` if it cannot be read. */
export async function verifyReceiptFile(
  path: string,
  keys: KeyResolver,
  options: LinesOptions = {},
): Promise<StoreResult<VerificationReport>> {
  try {
    return { ok: true, value: await verifyReceiptLines(createReadStream(path), keys, options) };
  } catch (caught) {
    return {
      ok: false,
      error: { kind: "io", message: caught instanceof Error ? caught.message : String(caught) },
    };
  }
}

/**
 * Verifies every receipt in a store, session by session, against the chain
 * heads the store recorded, so that receipts cut off the end of a session are
 * found too.
 */
export async function verifyStoreReceipts(
  store: Store,
  keys: KeyResolver,
): Promise<StoreResult<VerificationReport>> {
  const inputs: Input[] = [];
  const unreadable: Ordered[] = [];
  let order = 0;
  const heads = new Map<string, ReceiptHead>();
  const scanned = await scanSessions(store, async (session) => {
    const chain = await store.readReceipts(session.session_id);
    if (!chain.ok) return chain.error;
    const head = chain.value.session.receipt_head;
    if (head !== null) heads.set(session.session_id, head);
    for (const record of chain.value.records) {
      const location = `session ${JSON.stringify(session.session_id)} receipt ${record.seq}`;
      order++;
      try {
        inputs.push({ order, location, value: JSON.parse(record.body) });
      } catch {
        const { receipt_id, session_id } = record;
        const message = "the stored receipt is not JSON";
        unreadable.push({ order, issue: { receipt_id, session_id, location, reason: "malformed", message } });
      }
    }
    return null;
  });
  if (!scanned.ok) return scanned;
  return { ok: true, value: verifyInputs(inputs, keys, heads, unreadable) };
}

/** Verifies every receipt in the SQLite database at `path`, opened read-only. */
export async function verifySqliteFile(
  path: string,
  keys: KeyResolver,
): Promise<StoreResult<VerificationReport>> {
  const opened = SqliteStore.open(path, { readOnly: true });
  if (!opened.ok) return opened;
  try {
    return await verifyStoreReceipts(opened.value, keys);
  } finally {
    await opened.value.close();
  }
}
