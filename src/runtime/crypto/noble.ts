/**
 * Ed25519 on @noble/ed25519: the portable backend (browsers, Deno, Bun, edge
 * runtimes), pure JavaScript and audited, about a tenth of node:crypto's speed.
 *
 * Verification uses RFC 8032's strict rules (`zip215: false`) rather than
 * noble's ZIP-215 default, so it accepts exactly what OpenSSL accepts: a
 * receipt must not verify on one backend and fail on the other. (ZIP-215
 * admits small-order public keys and non-canonical point encodings.)
 *
 * @module
 */
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import {
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  type Ed25519Backend,
  requireLength,
  type Signer,
  type Verifier,
} from "./signer.ts";

// noble's synchronous API needs a SHA-512; @noble/hashes provides one that runs everywhere.
ed.hashes.sha512 = sha512;

/** A @noble/ed25519 signer for a 32-byte RFC 8032 seed. */
export function nobleSigner(seed: Uint8Array, keyId: string): Signer {
  requireLength(seed, ED25519_SEED_LENGTH, "Ed25519 seed");
  // Copied so that a caller reusing its buffer cannot change the key under us.
  const secret = Uint8Array.from(seed);
  return {
    algorithm: "Ed25519",
    keyId,
    publicKey: ed.getPublicKey(secret),
    sign: (message) => ed.sign(message, secret),
  };
}

/** A @noble/ed25519 verifier for a 32-byte public key. */
export function nobleVerifier(publicKey: Uint8Array): Verifier {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) return () => false;
  const key = Uint8Array.from(publicKey);
  return (message, signature) => nobleVerify(key, message, signature);
}

/** One-shot verification with @noble/ed25519, strict RFC 8032 rules. */
export function nobleVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH || signature.length !== ED25519_SIGNATURE_LENGTH) {
    return false;
  }
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export const nobleBackend: Ed25519Backend = {
  name: "noble",
  publicKey: (seed) => {
    requireLength(seed, ED25519_SEED_LENGTH, "Ed25519 seed");
    return ed.getPublicKey(seed);
  },
  signer: nobleSigner,
  verifier: nobleVerifier,
};
