/**
 * Signed JSON documents (receipts, exported key sets, …), following the AARM
 * receipt-signing pattern: sign the UTF-8 bytes of the RFC 8785 canonical
 * form of the document without its `signature` member, then attach
 * `signature: { algorithm, key_id, value }`. Verification recomputes those
 * bytes, so a verifier needs only the document and the public key; storage
 * may reformat the JSON freely.
 *
 * The signature value is unpadded base64url, decoded strictly, and the
 * signature object may hold nothing else: it is the one part of a document
 * that is not signed, so nothing unsigned may hide in it.
 *
 * @module
 */
import {
  type CanonicalizationError,
  canonicalize,
  canonicalizeWithout,
  isPlainObject,
} from "../../schema/canonical.ts";
import { decodeBase64url, encodeBase64url } from "./base64url.ts";
import type { KeyResolver } from "./keyring.ts";
import { ED25519_SIGNATURE_LENGTH, type Signer } from "./signer.ts";

export interface DocumentSignature {
  readonly algorithm: "Ed25519";
  readonly key_id: string;
  /** The 64-byte signature, unpadded base64url. */
  readonly value: string;
}

export type SignedDocument<T> = Omit<T, "signature"> & { readonly signature: DocumentSignature };

export type SignError =
  | { readonly reason: "not_canonical"; readonly error: CanonicalizationError }
  | { readonly reason: "signer_failed"; readonly detail: string };

export type SignResult<T> =
  | {
      readonly ok: true;
      readonly document: SignedDocument<T>;
      /** The canonical form of the signed document, signature included (what a hash chain hashes). */
      readonly canonical: string;
    }
  | { readonly ok: false; readonly error: SignError };

export type DocumentVerification =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: "unknown_key" | "bad_signature" | "malformed";
      readonly detail: string;
    };

const encoder = new TextEncoder();

function withoutSignature(doc: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { signature: _, ...body } = doc;
  return body;
}

/**
 * Signs `doc` with `signer`. An existing `signature` member is replaced, not
 * signed over. `T` may be any object type, interfaces included; that the
 * value is a plain JSON object is checked here. Fails, as a value, if the
 * document has no canonical form or the signer throws (a remote or hardware
 * signer may).
 */
export function signDocument<T extends object>(doc: T, signer: Signer): SignResult<T> {
  if (!isPlainObject(doc)) {
    const error: CanonicalizationError = {
      code: "unsupported_type",
      path: "$",
      message: "a signed document must be a plain JSON object",
    };
    return { ok: false, error: { reason: "not_canonical", error } };
  }
  const body = withoutSignature(doc);
  const canonical = canonicalizeWithout(body, "signature");
  if (!canonical.ok) return { ok: false, error: { reason: "not_canonical", error: canonical.error } };
  let signature: Uint8Array;
  try {
    signature = signer.sign(encoder.encode(canonical.value.text));
  } catch (caught) {
    return {
      ok: false,
      error: { reason: "signer_failed", detail: caught instanceof Error ? caught.message : String(caught) },
    };
  }
  const attached: DocumentSignature = {
    algorithm: "Ed25519",
    key_id: signer.keyId,
    value: encodeBase64url(signature),
  };
  const signed = canonical.value.withMember(attached);
  if (!signed.ok) return { ok: false, error: { reason: "not_canonical", error: signed.error } };
  return {
    ok: true,
    document: { ...body, signature: attached } as SignedDocument<T>,
    canonical: signed.value,
  };
}

function malformed(detail: string): DocumentVerification {
  return { ok: false, reason: "malformed", detail };
}

/** Checks the signature of `doc` (any parsed JSON) against `keys`. Never throws. */
export function verifyDocument(doc: unknown, keys: KeyResolver): DocumentVerification {
  if (!isPlainObject(doc)) return malformed("document is not a JSON object");
  const signature = doc.signature;
  if (signature === undefined) return malformed("document has no signature");
  if (!isPlainObject(signature)) return malformed("signature is not a JSON object");
  const extra = Object.keys(signature).filter(
    (key) => key !== "algorithm" && key !== "key_id" && key !== "value",
  );
  if (extra.length > 0) return malformed(`signature has unexpected members: ${extra.join(", ")}`);
  const { algorithm, key_id: keyId, value } = signature;
  if (algorithm !== "Ed25519")
    return malformed(`unsupported signature algorithm ${JSON.stringify(algorithm)}`);
  if (typeof keyId !== "string") return malformed("signature.key_id is not a string");
  if (typeof value !== "string") return malformed("signature.value is not a string");
  const bytes = decodeBase64url(value);
  if (bytes === null) return malformed("signature.value is not canonical unpadded base64url");
  if (bytes.length !== ED25519_SIGNATURE_LENGTH) {
    return malformed(`signature.value is ${bytes.length} bytes, expected ${ED25519_SIGNATURE_LENGTH}`);
  }
  const canonical = canonicalize(withoutSignature(doc));
  if (!canonical.ok) {
    return malformed(`document has no canonical form at ${canonical.error.path}: ${canonical.error.message}`);
  }
  const result = keys.verify(keyId, encoder.encode(canonical.value), bytes);
  if (result.ok) return result;
  return result.reason === "unknown_key"
    ? { ok: false, reason: "unknown_key", detail: `no key with id ${JSON.stringify(keyId)} in the keyring` }
    : {
        ok: false,
        reason: "bad_signature",
        detail: `signature does not match the document under key ${keyId}`,
      };
}
