/**
 * `aarm/runtime`: the runtime harness around the policy evaluator. Today it
 * exports the receipt-signing primitives: Ed25519 signers and verifiers on
 * two interchangeable backends, keyrings with rotation, the key directory
 * store, and signed JSON documents.
 *
 * @module
 */
export { decodeBase64url, encodeBase64url } from "./crypto/base64url.ts";
export {
  type DocumentSignature,
  type DocumentVerification,
  type SignError,
  type SignedDocument,
  type SignResult,
  signDocument,
  verifyDocument,
} from "./crypto/document.ts";
export {
  exportPublicKeys,
  importPublicKeys,
  type KeyFileJson,
  type ManifestJson,
  type PublicKeyJson,
  type PublicKeySetJson,
} from "./crypto/key-json.ts";
export {
  createKeyDirectory,
  type KeyDirectoryError,
  type KeyDirectoryResult,
  loadKeyDirectory,
  MANIFEST_FILE,
  saveKeyring,
} from "./crypto/keydir.ts";
export {
  type KeyRecord,
  type KeyResolver,
  type KeyResult,
  Keyring,
  type KeyVerification,
  VerificationKeyring,
} from "./crypto/keyring.ts";
export { nobleBackend, nobleSigner, nobleVerifier, nobleVerify } from "./crypto/noble.ts";
export { nodeBackend, nodeSigner, nodeVerifier, nodeVerify } from "./crypto/node.ts";
export {
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  type Ed25519Backend,
  isKeyId,
  keyIdFor,
  randomSeed,
  type Signer,
  type Verifier,
} from "./crypto/signer.ts";
