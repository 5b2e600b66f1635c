/**
 * Keyrings: the public keys receipts are verified against, and the one
 * private key new receipts are signed with.
 *
 * Rotation makes a new active key and keeps every earlier key for
 * verification only, so receipts signed before a rotation stay verifiable for
 * as long as the keyring is kept. Keyrings are immutable: rotating returns a
 * new keyring. The active seed lives in an ES private field so that logging
 * or serialising a keyring cannot leak it.
 *
 * @module
 */
import {
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  type Ed25519Backend,
  isKeyId,
  keyIdFor,
  randomSeed,
  type Signer,
  type Verifier,
} from "./signer.ts";

/** A public key and when it was made. Whether it is active is a property of the keyring, not the key. */
export interface KeyRecord {
  readonly keyId: string;
  readonly algorithm: "Ed25519";
  readonly publicKey: Uint8Array;
  /** ISO 8601 timestamp of the key's creation. */
  readonly createdAt: string;
}

/** The outcome of checking one signature against a keyring. */
export type KeyVerification =
  { readonly ok: true } | { readonly ok: false; readonly reason: "unknown_key" | "bad_signature" };

/** Anything that can check a signature by key id; both keyring kinds are. */
export interface KeyResolver {
  verify(keyId: string, message: Uint8Array, signature: Uint8Array): KeyVerification;
}

export type KeyResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

interface Entry {
  readonly record: KeyRecord;
  readonly verifier: Verifier;
}

/** Checks that records are well formed and name distinct keys; returns the problem or null. */
function recordProblem(records: readonly KeyRecord[]): string | null {
  const seen = new Set<string>();
  for (const record of records) {
    if (!isKeyId(record.keyId)) return `"${record.keyId}" is not a valid key id`;
    if (seen.has(record.keyId)) return `key id ${record.keyId} appears more than once`;
    seen.add(record.keyId);
    if (record.publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
      return `key ${record.keyId}: public key must be ${ED25519_PUBLIC_KEY_LENGTH} bytes, got ${record.publicKey.length}`;
    }
    if (Number.isNaN(Date.parse(record.createdAt))) {
      return `key ${record.keyId}: created_at "${record.createdAt}" is not a timestamp`;
    }
  }
  return null;
}

/** Public keys only: verifies signatures, signs nothing. What an offline verifier holds. */
export class VerificationKeyring implements KeyResolver {
  readonly backend: Ed25519Backend;
  readonly #entries: ReadonlyMap<string, Entry>;

  protected constructor(backend: Ed25519Backend, records: readonly KeyRecord[]) {
    this.backend = backend;
    this.#entries = new Map(
      records.map((record) => [
        record.keyId,
        {
          record: { ...record, publicKey: Uint8Array.from(record.publicKey) },
          verifier: backend.verifier(record.publicKey),
        },
      ]),
    );
  }

  /** A verification keyring over `records`, or why they do not form one (bad key id, length, duplicate). */
  static fromRecords(backend: Ed25519Backend, records: readonly KeyRecord[]): KeyResult<VerificationKeyring> {
    const problem = recordProblem(records);
    if (problem !== null) return { ok: false, error: problem };
    return { ok: true, value: new VerificationKeyring(backend, records) };
  }

  get(keyId: string): KeyRecord | undefined {
    return this.#entries.get(keyId)?.record;
  }

  /** Every key, oldest first. */
  records(): readonly KeyRecord[] {
    return [...this.#entries.values()]
      .map((entry) => entry.record)
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.keyId < b.keyId ? -1 : 1));
  }

  verify(keyId: string, message: Uint8Array, signature: Uint8Array): KeyVerification {
    const entry = this.#entries.get(keyId);
    if (entry === undefined) return { ok: false, reason: "unknown_key" };
    return entry.verifier(message, signature) ? { ok: true } : { ok: false, reason: "bad_signature" };
  }
}

/** A verification keyring that also holds the active private key and signs with it. */
export class Keyring extends VerificationKeyring {
  /** Signs with the active key. */
  readonly signer: Signer;
  readonly #seed: Uint8Array;

  private constructor(
    backend: Ed25519Backend,
    signer: Signer,
    seed: Uint8Array,
    createdAt: string,
    retired: readonly KeyRecord[],
  ) {
    super(backend, [
      ...retired,
      { keyId: signer.keyId, algorithm: "Ed25519", publicKey: signer.publicKey, createdAt },
    ]);
    this.signer = signer;
    this.#seed = Uint8Array.from(seed);
  }

  /** A keyring with one freshly generated key, created at `now`. */
  static generate(backend: Ed25519Backend, now: Date): Keyring {
    return Keyring.#withNewKey(backend, now, []);
  }

  /**
   * A keyring from stored keys: the active key's seed, key id and creation
   * time, and the retired public keys. Fails if the records are malformed or
   * the seed has the wrong length.
   */
  static restore(
    backend: Ed25519Backend,
    active: { readonly seed: Uint8Array; readonly keyId: string; readonly createdAt: string },
    retired: readonly KeyRecord[],
  ): KeyResult<Keyring> {
    if (active.seed.length !== ED25519_SEED_LENGTH) {
      return { ok: false, error: `key ${active.keyId}: seed must be ${ED25519_SEED_LENGTH} bytes` };
    }
    const signer = backend.signer(active.seed, active.keyId);
    const problem = recordProblem([
      ...retired,
      { keyId: active.keyId, algorithm: "Ed25519", publicKey: signer.publicKey, createdAt: active.createdAt },
    ]);
    if (problem !== null) return { ok: false, error: problem };
    return { ok: true, value: new Keyring(backend, signer, active.seed, active.createdAt, retired) };
  }

  static #withNewKey(backend: Ed25519Backend, now: Date, retired: readonly KeyRecord[]): Keyring {
    const taken = new Set(retired.map((record) => record.keyId));
    let seed: Uint8Array;
    let keyId: string;
    // Two keys of one day share an id only if their hashes share 32 bits; draw again in that case.
    do {
      seed = randomSeed();
      keyId = keyIdFor(backend.publicKey(seed), now);
    } while (taken.has(keyId));
    return new Keyring(backend, backend.signer(seed, keyId), seed, now.toISOString(), retired);
  }

  get activeKeyId(): string {
    return this.signer.keyId;
  }

  /** A keyring whose active key is new (created at `now`) and in which every current key is retired. */
  rotate(now: Date): Keyring {
    return Keyring.#withNewKey(this.backend, now, this.records());
  }

  /** The active key's 32-byte seed, for persisting the keyring. Anyone holding it can sign as this keyring. */
  exportActiveSeed(): Uint8Array {
    return Uint8Array.from(this.#seed);
  }
}
