/**
 * The JSON forms of keys: one key file per key in a key directory, the
 * directory's manifest, and the public key set a deployment publishes so that
 * receipts can be verified offline. Parsing is strict (exact members, exact
 * lengths, canonical base64url, a private key that matches its public key)
 * and reports the first problem in words; the caller adds the file name.
 *
 * @module
 */
import { isPlainObject } from "../../schema/canonical.ts";
import { decodeBase64url, encodeBase64url } from "./base64url.ts";
import { type KeyRecord, type KeyResult, VerificationKeyring } from "./keyring.ts";
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SEED_LENGTH, type Ed25519Backend, isKeyId } from "./signer.ts";

export const KEY_FILE_FORMAT = "aarm-signing-key/1";
export const MANIFEST_FORMAT = "aarm-keyring/1";
export const PUBLIC_KEY_SET_FORMAT = "aarm-public-keys/1";

/** A public key as written in key files and public key sets. */
export interface PublicKeyJson {
  readonly key_id: string;
  readonly algorithm: "Ed25519";
  readonly created_at: string;
  /** 32 bytes, unpadded base64url. */
  readonly public_key: string;
}

/** One file of a key directory. Only the active key's file carries `private_key` (the 32-byte seed). */
export interface KeyFileJson extends PublicKeyJson {
  readonly format: typeof KEY_FILE_FORMAT;
  readonly private_key?: string;
}

/** `keyring.json` of a key directory: names the active key. Written last, it commits a rotation. */
export interface ManifestJson {
  readonly format: typeof MANIFEST_FORMAT;
  readonly active_key_id: string;
}

/** What a deployment publishes so receipts can be verified offline. */
export interface PublicKeySetJson {
  readonly format: typeof PUBLIC_KEY_SET_FORMAT;
  readonly keys: readonly PublicKeyJson[];
}

export interface ParsedKeyFile {
  readonly record: KeyRecord;
  readonly seed: Uint8Array | null;
}

export function publicKeyJson(record: KeyRecord): PublicKeyJson {
  return {
    key_id: record.keyId,
    algorithm: record.algorithm,
    created_at: record.createdAt,
    public_key: encodeBase64url(record.publicKey),
  };
}

export function keyFileJson(record: KeyRecord, seed: Uint8Array | null): KeyFileJson {
  const base = { format: KEY_FILE_FORMAT, ...publicKeyJson(record) } as const;
  return seed === null ? base : { ...base, private_key: encodeBase64url(seed) };
}

function unexpectedMembers(
  value: Readonly<Record<string, unknown>>,
  allowed: readonly string[],
): string | null {
  const extra = Object.keys(value).filter((key) => !allowed.includes(key));
  return extra.length === 0 ? null : `unexpected member${extra.length > 1 ? "s" : ""} ${extra.join(", ")}`;
}

function bytesMember(value: unknown, name: string, length: number): KeyResult<Uint8Array> {
  if (typeof value !== "string") return { ok: false, error: `${name} is missing or not a string` };
  const bytes = decodeBase64url(value);
  if (bytes === null) return { ok: false, error: `${name} is not valid unpadded base64url` };
  if (bytes.length !== length) {
    return { ok: false, error: `${name} is ${bytes.length} bytes, expected ${length}` };
  }
  return { ok: true, value: bytes };
}

function parsePublicKeyMembers(value: Readonly<Record<string, unknown>>): KeyResult<KeyRecord> {
  const { key_id: keyId, algorithm, created_at: createdAt } = value;
  if (typeof keyId !== "string" || !isKeyId(keyId)) {
    return { ok: false, error: "key_id is missing or not a valid key id ([A-Za-z0-9._-], at most 128)" };
  }
  if (algorithm !== "Ed25519") return { ok: false, error: `algorithm must be "Ed25519"` };
  if (typeof createdAt !== "string" || Number.isNaN(Date.parse(createdAt))) {
    return { ok: false, error: "created_at is missing or not a timestamp" };
  }
  const publicKey = bytesMember(value.public_key, "public_key", ED25519_PUBLIC_KEY_LENGTH);
  if (!publicKey.ok) return publicKey;
  return { ok: true, value: { keyId, algorithm, createdAt, publicKey: publicKey.value } };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** A key file's record and, if it holds one, its seed, checked against its public key. */
export function parseKeyFile(value: unknown, backend: Ed25519Backend): KeyResult<ParsedKeyFile> {
  if (!isPlainObject(value)) return { ok: false, error: "not a JSON object" };
  if (value.format !== KEY_FILE_FORMAT) return { ok: false, error: `format must be "${KEY_FILE_FORMAT}"` };
  const extra = unexpectedMembers(value, [
    "format",
    "key_id",
    "algorithm",
    "created_at",
    "public_key",
    "private_key",
  ]);
  if (extra !== null) return { ok: false, error: extra };
  const record = parsePublicKeyMembers(value);
  if (!record.ok) return record;
  if (value.private_key === undefined) return { ok: true, value: { record: record.value, seed: null } };
  const seed = bytesMember(value.private_key, "private_key", ED25519_SEED_LENGTH);
  if (!seed.ok) return seed;
  if (!sameBytes(backend.publicKey(seed.value), record.value.publicKey)) {
    return { ok: false, error: "private_key does not match public_key" };
  }
  return { ok: true, value: { record: record.value, seed: seed.value } };
}

export function parseManifest(value: unknown): KeyResult<ManifestJson> {
  if (!isPlainObject(value)) return { ok: false, error: "not a JSON object" };
  if (value.format !== MANIFEST_FORMAT) return { ok: false, error: `format must be "${MANIFEST_FORMAT}"` };
  const extra = unexpectedMembers(value, ["format", "active_key_id"]);
  if (extra !== null) return { ok: false, error: extra };
  const active = value.active_key_id;
  if (typeof active !== "string" || !isKeyId(active)) {
    return { ok: false, error: "active_key_id is missing or not a valid key id" };
  }
  return { ok: true, value: { format: MANIFEST_FORMAT, active_key_id: active } };
}

/** The public key set to publish for `keys`: every key, oldest first, no private material. */
export function exportPublicKeys(keys: VerificationKeyring): PublicKeySetJson {
  return { format: PUBLIC_KEY_SET_FORMAT, keys: keys.records().map(publicKeyJson) };
}

/** A verification keyring from a published public key set (parsed JSON). */
export function importPublicKeys(value: unknown, backend: Ed25519Backend): KeyResult<VerificationKeyring> {
  if (!isPlainObject(value)) return { ok: false, error: "public key set is not a JSON object" };
  if (value.format !== PUBLIC_KEY_SET_FORMAT) {
    return { ok: false, error: `public key set format must be "${PUBLIC_KEY_SET_FORMAT}"` };
  }
  const extra = unexpectedMembers(value, ["format", "keys"]);
  if (extra !== null) return { ok: false, error: `public key set: ${extra}` };
  if (!Array.isArray(value.keys)) return { ok: false, error: "public key set: keys is not an array" };
  const records: KeyRecord[] = [];
  for (const [i, entry] of value.keys.entries()) {
    if (!isPlainObject(entry)) return { ok: false, error: `keys[${i}] is not a JSON object` };
    const entryExtra = unexpectedMembers(entry, ["key_id", "algorithm", "created_at", "public_key"]);
    if (entryExtra !== null) return { ok: false, error: `keys[${i}]: ${entryExtra}` };
    const record = parsePublicKeyMembers(entry);
    if (!record.ok) return { ok: false, error: `keys[${i}]: ${record.error}` };
    records.push(record.value);
  }
  return VerificationKeyring.fromRecords(backend, records);
}
