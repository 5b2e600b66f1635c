/**
 * Ed25519 on node:crypto (OpenSSL): the fast backend for Node.
 *
 * The private key is imported as PKCS#8 DER (RFC 8410: a fixed 16-byte
 * prefix followed by the seed) rather than as a JWK, because a private JWK
 * must carry the public key `x`, which OpenSSL ignores, so it would have to
 * be computed first anyway. Public keys are imported as JWK from the raw 32
 * bytes. KeyObjects are built once per key and reused.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { encodeBase64url } from "./base64url.ts";
import {
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  type Ed25519Backend,
  requireLength,
  type Signer,
  type Verifier,
} from "./signer.ts";

const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

function privateKeyObject(seed: Uint8Array): KeyObject {
  requireLength(seed, ED25519_SEED_LENGTH, "Ed25519 seed");
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + ED25519_SEED_LENGTH);
  der.set(PKCS8_ED25519_PREFIX);
  der.set(seed, PKCS8_ED25519_PREFIX.length);
  try {
    return createPrivateKey({ key: Buffer.from(der.buffer), format: "der", type: "pkcs8" });
  } finally {
    // OpenSSL holds its own copy; do not leave the seed lying in a second buffer.
    der.fill(0);
  }
}

function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const { x } = createPublicKey(privateKey).export({ format: "jwk" });
  return new Uint8Array(Buffer.from(x ?? "", "base64url"));
}

/** A node:crypto signer for a 32-byte RFC 8032 seed. */
export function nodeSigner(seed: Uint8Array, keyId: string): Signer {
  const privateKey = privateKeyObject(seed);
  const publicKey = rawPublicKey(privateKey);
  return {
    algorithm: "Ed25519",
    keyId,
    publicKey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

/** A node:crypto verifier for a 32-byte public key; a key OpenSSL cannot import verifies nothing. */
export function nodeVerifier(publicKey: Uint8Array): Verifier {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) return () => false;
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: encodeBase64url(publicKey) },
      format: "jwk",
    });
  } catch {
    return () => false;
  }
  return (message, signature) => {
    if (signature.length !== ED25519_SIGNATURE_LENGTH) return false;
    try {
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  };
}

/** One-shot verification with node:crypto. */
export function nodeVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return nodeVerifier(publicKey)(message, signature);
}

export const nodeBackend: Ed25519Backend = {
  name: "node",
  publicKey: (seed) => rawPublicKey(privateKeyObject(seed)),
  signer: nodeSigner,
  verifier: nodeVerifier,
};
