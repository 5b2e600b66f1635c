/**
 * The receipt generator: assembles a receipt from its parts, links it to the
 * session's previous receipt, signs it with the keyring's active key,
 * validates it against the schema and stores it, in that order, and reports
 * success only once the store has it durably. The runtime releases an action
 * only after that, so there is never an executed action without its receipt.
 *
 * The chain link is `prev_receipt_hash`: the `sha256:` hash of the previous
 * receipt's canonical JSON, signature included (null for a session's first
 * receipt). Issuing for one session is serialised in process, and the store's
 * compare-and-append refuses a receipt whose predecessor is no longer the
 * head, so the chain stays linear with any number of writers.
 *
 * @module
 */
import { sha256Hex } from "../../schema/canonical.ts";
import type { SchemaError } from "../../schema/errors.ts";
import type { Receipt } from "../../schema/generated/types.ts";
import { validateReceipt } from "../../schema/validate.ts";
import { type SignError, signDocument } from "../crypto/document.ts";
import type { Signer } from "../crypto/signer.ts";
import { KeyedMutex } from "../store/keyed-mutex.ts";
import type { ReceiptHead, ReceiptRecord, Store, StoreError } from "../store/types.ts";
import { assembleReceipt, type ReceiptParts } from "./assemble.ts";
import type { RedactionError } from "./redact.ts";

/** Why a receipt could not be issued. On the decision path every one of them means: do not release. */
export type ReceiptError =
  /** The store failed or refused (a `conflict` when another writer extended the chain first). */
  | { readonly kind: "store"; readonly error: StoreError }
  /** A sensitive-parameter pointer was malformed or a value had no canonical form. */
  | { readonly kind: "redaction"; readonly error: RedactionError }
  /** The assembled receipt does not match `receipt.schema.json`. */
  | { readonly kind: "schema"; readonly errors: readonly SchemaError[] }
  /** Signing failed. */
  | { readonly kind: "sign"; readonly error: SignError }
  /** `related_receipt_id` names no stored receipt of the same session. */
  | { readonly kind: "related"; readonly message: string };

/** The outcome of issuing a receipt. */
export type ReceiptResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ReceiptError };

/** A receipt as stored: the signed receipt, its hash and its place in the session's chain. */
export interface IssuedReceipt {
  readonly receipt: Receipt;
  /** `sha256:` of the receipt's canonical JSON, signature included: the next receipt's `prev_receipt_hash`. */
  readonly hash: string;
  readonly seq: number;
}

/** A receipt ready to store: its row, and what {@link ReceiptIssuer.issue} hands back once it is stored. */
export interface PreparedReceipt {
  readonly record: ReceiptRecord;
  readonly issued: IssuedReceipt;
}

/** How to build a {@link ReceiptIssuer}. */
export interface ReceiptIssuerOptions {
  readonly store: Store;
  /**
   * The signer to use, asked for every receipt, so that a keyring rotated
   * while the issuer runs signs the next receipt with the new key
   * (e.g. `() => keyring.signer`).
   */
  readonly signer: () => Signer;
  /** The time receipts are issued at; the system clock by default. */
  readonly clock?: () => Date;
  /** Generates receipt ids; `rct_` and 32 random hex digits by default. */
  readonly newId?: () => string;
}

function defaultId(): string {
  return `rct_${globalThis.crypto.randomUUID().replaceAll("-", "")}`;
}

/** Issues receipts into one store. */
export class ReceiptIssuer {
  readonly #store: Store;
  readonly #signer: () => Signer;
  readonly #clock: () => Date;
  readonly #newId: () => string;
  readonly #mutex = new KeyedMutex();

  constructor(options: ReceiptIssuerOptions) {
    this.#store = options.store;
    this.#signer = options.signer;
    this.#clock = options.clock ?? (() => new Date());
    this.#newId = options.newId ?? defaultId;
  }

  /**
   * Builds, chains, signs, validates and stores the receipt for `parts`.
   * Resolves successfully only once the receipt is durably stored. The
   * session (the action's `identity.session`) must exist in the store.
   */
  issue(parts: ReceiptParts): Promise<ReceiptResult<IssuedReceipt>> {
    const sessionId = parts.action.identity.session;
    return this.#mutex.run(sessionId, async () => {
      const session = await this.#store.getSession(sessionId);
      if (!session.ok) return { ok: false, error: { kind: "store", error: session.error } };
      const prepared = await this.prepare(parts, session.value.receipt_head);
      if (!prepared.ok) return prepared;
      const stored = await this.#store.appendReceipt(prepared.value.record);
      if (!stored.ok) return { ok: false, error: { kind: "store", error: stored.error } };
      return { ok: true, value: prepared.value.issued };
    });
  }

  /**
   * Builds, chains onto `head` (the session's last receipt), signs and
   * validates the receipt for `parts`, and hands back the record to store
   * without storing it: for a caller that stores it together with other
   * records ({@link Store.appendChains}) and holds the session's chain while
   * it does.
   */
  async prepare(parts: ReceiptParts, head: ReceiptHead | null): Promise<ReceiptResult<PreparedReceipt>> {
    const sessionId = parts.action.identity.session;
    const draft = assembleReceipt(parts, {
      receipt_id: parts.receipt_id ?? this.#newId(),
      issued_at: this.#clock().toISOString(),
    });
    if (!draft.ok) return { ok: false, error: { kind: "redaction", error: draft.error } };
    const related = draft.value.related_receipt_id;
    if (related !== null) {
      const original = await this.#store.getReceipt(related);
      if (!original.ok && original.error.kind !== "not_found") {
        return { ok: false, error: { kind: "store", error: original.error } };
      }
      if (!original.ok || original.value.session_id !== sessionId) {
        return {
          ok: false,
          error: { kind: "related", message: `no receipt ${related} in session ${sessionId}` },
        };
      }
    }
    const signed = signDocument({ ...draft.value, prev_receipt_hash: head?.hash ?? null }, this.#signer());
    if (!signed.ok) return { ok: false, error: { kind: "sign", error: signed.error } };
    const valid = validateReceipt(signed.document);
    if (!valid.ok) return { ok: false, error: { kind: "schema", errors: valid.errors } };
    const receipt = valid.value;
    // Validation checks the document and changes nothing, so this is the canonical form of `receipt`.
    const text = signed.canonical;
    const hash = `sha256:${sha256Hex(text)}`;
    const seq = head === null ? 0 : head.seq + 1;
    return {
      ok: true,
      value: {
        record: {
          receipt_id: receipt.receipt_id,
          session_id: sessionId,
          seq,
          prev_hash: receipt.prev_receipt_hash,
          hash,
          body: text,
        },
        // What is stored, sharing nothing with the caller's parts, which it may go on to change.
        issued: { receipt: JSON.parse(text) as Receipt, hash, seq },
      },
    };
  }
}
