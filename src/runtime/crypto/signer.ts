/**
 * The signing seam: one Ed25519 signer interface and one verifier shape, with
 * interchangeable backends (node:crypto for speed, @noble/ed25519 for
 * portability). Ed25519 is deterministic (RFC 8032), so every backend
 * produces the same signature bytes for the same key and message, and a
 * receipt signed by one verifies under the other.
 *
 * @module
 */
import { sha256Hex } from "../../schema/canonical.ts";

export const ED25519_SEED_LENGTH = 32;
export const ED25519_PUBLIC_KEY_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;

/** Holds one private key and signs with it; the key itself never leaves. */
export interface Signer {
  readonly algorithm: "Ed25519";
  readonly keyId: string;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The 64-byte Ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array;
}

/**
 * Checks a signature against one public key. Never throws: a malformed
 * signature or key is simply not a valid signature.
 */
export type Verifier = (message: Uint8Array, signature: Uint8Array) => boolean;

/** One Ed25519 implementation: key derivation, signing and verification. */
export interface Ed25519Backend {
  readonly name: "node" | "noble";
  /** The public key of a 32-byte RFC 8032 secret seed. */
  publicKey(seed: Uint8Array): Uint8Array;
  signer(seed: Uint8Array, keyId: string): Signer;
  /** A verifier for one public key, prepared once and reused for every signature. */
  verifier(publicKey: Uint8Array): Verifier;
}

// Key ids become file names in a key directory, so they are restricted to a safe alphabet.
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True if `keyId` is usable as a key id: 1–128 of `[A-Za-z0-9._-]`, not starting with a punctuation mark. */
export function isKeyId(keyId: string): boolean {
  return KEY_ID.test(keyId);
}

/**
 * The key id aarm gives a key it generates: `aarm-<UTC date>-<first 8 hex of
 * SHA-256(public key)>`. The date names the key's period (as the AARM
 * receipt-signing pattern asks); the hash tells keys of the same day apart
 * and lets a reader check that a key id belongs to a public key.
 */
export function keyIdFor(publicKey: Uint8Array, createdAt: Date): string {
  return `aarm-${createdAt.toISOString().slice(0, 10)}-${sha256Hex(publicKey).slice(0, 8)}`;
}

/** Fresh 32 bytes from the platform's CSPRNG (Web Crypto, present in Node, Deno, Bun and browsers). */
export function randomSeed(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(ED25519_SEED_LENGTH));
}

/** Throws unless `bytes` has `length` bytes; signers are built from trusted, already validated keys. */
export function requireLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${bytes.length}`);
}
