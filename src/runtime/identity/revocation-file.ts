/**
 * A revocation list kept in a JSON file (`RevocationFileJson`) that
 * operators edit while the runtime runs. Every question stats the file and
 * re-reads it when it changed, so a revocation takes effect on the next
 * verification without a restart.
 *
 * Fail closed: a file that is missing, too large, not UTF-8 JSON, or not a
 * valid revocation list makes every answer `{ ok: false }` (verification then
 * fails as `unavailable`) until the file is fixed. It never falls back to an
 * older version or to "nothing is revoked". Replace the file atomically
 * (write a temporary file, then rename it over the old one); an in-place
 * rewrite may be read half-written, which fails closed until it completes.
 *
 * Node only.
 *
 * @module
 */
import { stat } from "node:fs/promises";
import { checkMaxBytes, DEFAULT_MAX_FILE_BYTES, readJsonFile } from "./file.ts";
import { describe, type IdentitySetupResult } from "./fields.ts";
import {
  parseRevocationFile,
  RevocationIndex,
  type RevocationList,
  type RevocationQuery,
  type RevocationStatus,
} from "./revocation.ts";

/** Options of {@link revocationFile}. */
export interface RevocationFileOptions {
  /** Largest file accepted, in bytes; default 1 MiB, at most 64 MiB. */
  readonly maxBytes?: number;
}

/**
 * A file whose modification time is this close to the moment it was read may
 * be rewritten again within the file system's timestamp resolution with the
 * same size, leaving its stat unchanged; such a load is re-read until it is
 * old enough to trust (git's "racily clean" rule).
 */
const RACY_MS = 2_000;

interface Load {
  /** Identifies the file version the stat saw: device, inode, size, times. */
  readonly version: string;
  readonly modifiedMs: number;
  readonly readAtMs: number;
  readonly index: IdentitySetupResult<RevocationIndex>;
}

class RevocationFile implements RevocationList {
  readonly #path: string;
  readonly #maxBytes: number;
  #load: Load | undefined;
  #refreshing: Promise<Load> | undefined;

  constructor(path: string, maxBytes: number) {
    this.#path = path;
    this.#maxBytes = maxBytes;
  }

  async isRevoked(query: RevocationQuery, now: Date): Promise<RevocationStatus> {
    try {
      // Concurrent questions share one stat (and read), and see the same version.
      this.#refreshing ??= this.#refresh().finally(() => {
        this.#refreshing = undefined;
      });
      const { index } = await this.#refreshing;
      if (!index.ok) return { ok: false, message: `revocation list ${index.error}` };
      return { ok: true, revoked: index.value.matches(query, now.getTime()) };
    } catch (caught) {
      return { ok: false, message: `revocation list ${this.#path}: ${describe(caught)}` };
    }
  }

  async #refresh(): Promise<Load> {
    const path = this.#path;
    let version: string;
    let modifiedMs: number;
    try {
      const stats = await stat(path, { bigint: true });
      version = `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
      modifiedMs = Number(stats.mtimeNs / 1_000_000n);
    } catch (caught) {
      this.#load = undefined;
      return {
        version: "",
        modifiedMs: 0,
        readAtMs: 0,
        index: { ok: false, error: `${path}: ${describe(caught)}` },
      };
    }
    const previous = this.#load;
    if (
      previous !== undefined &&
      previous.version === version &&
      previous.readAtMs - previous.modifiedMs > RACY_MS
    ) {
      return previous;
    }
    const readAtMs = Date.now();
    const json = await readJsonFile(path, this.#maxBytes);
    const entries = json.ok ? parseRevocationFile(json.value) : json;
    const index: IdentitySetupResult<RevocationIndex> = entries.ok
      ? { ok: true, value: new RevocationIndex(entries.value) }
      : { ok: false, error: json.ok ? `${path}: ${entries.error}` : entries.error };
    // A read that raced a rewrite is recorded under the stat taken before it,
    // so the next question sees a new version and reads again.
    this.#load = { version, modifiedMs, readAtMs, index };
    return this.#load;
  }
}

/**
 * A revocation list backed by the JSON file at `path`. The file need not
 * exist yet, but until it does every answer is a failure.
 */
export function revocationFile(
  path: string,
  options: RevocationFileOptions = {},
): IdentitySetupResult<RevocationList> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const problem = checkMaxBytes(maxBytes);
  if (problem !== null) return { ok: false, error: problem };
  return { ok: true, value: new RevocationFile(path, maxBytes) };
}
