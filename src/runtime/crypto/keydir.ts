/**
 * The embedded default key store: a directory of JSON files (Node only).
 *
 *   <dir>/                     mode 0700
 *     keyring.json             names the active key
 *     <key id>.json            one per key, mode 0600; only the active key's holds the private key
 *
 * Every file is written atomically (temporary file, fsync, rename, fsync of
 * the directory), so a crash leaves either the old or the new file. Saving
 * writes the active key first, then the manifest (the commit point of a
 * rotation), then the retired keys without their private keys. A crash
 * before the manifest leaves an extra key that never signed anything; a
 * crash after it leaves a retired key file that still holds its private key,
 * which loading ignores and the next save removes.
 *
 * Loading validates every `*.json` file and refuses the directory on the
 * first problem, naming the file. Like ssh, it refuses a private key file
 * that group or others can read.
 *
 * @module
 */
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { keyFileJson, MANIFEST_FORMAT, type ManifestJson, parseKeyFile, parseManifest } from "./key-json.ts";
import { type KeyRecord, Keyring } from "./keyring.ts";
import type { Ed25519Backend } from "./signer.ts";

export const MANIFEST_FILE = "keyring.json";
const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;
// Windows has no POSIX permission bits; there the directory's ACL is the protection.
const POSIX = process.platform !== "win32";

export interface KeyDirectoryError {
  /** The file (or directory) at fault. */
  readonly file: string;
  /** A sentence that starts with the file name. */
  readonly message: string;
}

export type KeyDirectoryResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: KeyDirectoryError };

function fail(file: string, problem: string): { readonly ok: false; readonly error: KeyDirectoryError } {
  return { ok: false, error: { file, message: `${file}: ${problem}` } };
}

function describe(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}

function fsyncDirectory(dir: string): void {
  if (!POSIX) return;
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAtomic(path: string, text: string): void {
  const suffix = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(6)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
  const temporary = join(dirname(path), `.${basename(path)}.${suffix}.tmp`);
  const fd = openSync(temporary, "wx", FILE_MODE);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temporary, path);
  } catch (caught) {
    unlinkSync(temporary);
    throw caught;
  }
  fsyncDirectory(dirname(path));
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes `keyring` to `dir`, creating the directory if needed. Key files of keys not in the keyring are left alone. */
export function saveKeyring(dir: string, keyring: Keyring): KeyDirectoryResult<Keyring> {
  const active = keyring.activeKeyId;
  let file = dir;
  try {
    mkdirSync(dir, { recursive: true, mode: DIRECTORY_MODE });
    if (POSIX) chmodSync(dir, DIRECTORY_MODE);
    const records = keyring.records();
    const activeRecord = records.find((record) => record.keyId === active)!;
    file = join(dir, `${active}.json`);
    const seed = keyring.exportActiveSeed();
    try {
      writeAtomic(file, json(keyFileJson(activeRecord, seed)));
    } finally {
      seed.fill(0);
    }
    file = join(dir, MANIFEST_FILE);
    const manifest: ManifestJson = { format: MANIFEST_FORMAT, active_key_id: active };
    writeAtomic(file, json(manifest));
    for (const record of records) {
      if (record.keyId === active) continue;
      file = join(dir, `${record.keyId}.json`);
      writeAtomic(file, json(keyFileJson(record, null)));
    }
  } catch (caught) {
    return fail(file, `cannot write: ${describe(caught)}`);
  }
  return { ok: true, value: keyring };
}

/** Creates a key directory holding one new key made at `now`. Refuses a directory that already has a keyring. */
export function createKeyDirectory(
  dir: string,
  backend: Ed25519Backend,
  now: Date,
): KeyDirectoryResult<Keyring> {
  const manifest = join(dir, MANIFEST_FILE);
  try {
    statSync(manifest);
    return fail(manifest, "a keyring already exists here");
  } catch (caught) {
    if ((caught as NodeJS.ErrnoException).code !== "ENOENT") return fail(manifest, describe(caught));
  }
  return saveKeyring(dir, Keyring.generate(backend, now));
}

function readJson(file: string): KeyDirectoryResult<unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (caught) {
    return fail(file, `cannot read: ${describe(caught)}`);
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (caught) {
    return fail(file, `not valid JSON: ${describe(caught)}`);
  }
}

interface LoadedKey {
  readonly file: string;
  readonly record: KeyRecord;
  readonly seed: Uint8Array | null;
}

function loadKeyFile(file: string, backend: Ed25519Backend): KeyDirectoryResult<LoadedKey> {
  let mode: number;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) return fail(file, "not a regular file");
    mode = stats.mode & 0o777;
  } catch (caught) {
    return fail(file, `cannot read: ${describe(caught)}`);
  }
  const value = readJson(file);
  if (!value.ok) return value;
  const parsed = parseKeyFile(value.value, backend);
  if (!parsed.ok) return fail(file, parsed.error);
  const { record, seed } = parsed.value;
  if (basename(file) !== `${record.keyId}.json`) {
    return fail(file, `holds key ${record.keyId}, so it must be named ${record.keyId}.json`);
  }
  if (POSIX && seed !== null && (mode & 0o077) !== 0) {
    return fail(
      file,
      `holds a private key but its permissions ${mode.toString(8).padStart(4, "0")} are too open; expected 0600`,
    );
  }
  return { ok: true, value: { file, record, seed } };
}

/** Loads and validates the keyring in `dir`. */
export function loadKeyDirectory(dir: string, backend: Ed25519Backend): KeyDirectoryResult<Keyring> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (caught) {
    return fail(dir, `cannot read key directory: ${describe(caught)}`);
  }
  const manifestFile = join(dir, MANIFEST_FILE);
  const manifestJson = readJson(manifestFile);
  if (!manifestJson.ok) return manifestJson;
  const manifest = parseManifest(manifestJson.value);
  if (!manifest.ok) return fail(manifestFile, manifest.error);
  const activeId = manifest.value.active_key_id;

  const keys: LoadedKey[] = [];
  // Dot files are temporaries of an interrupted write; other files are not ours to judge.
  for (const name of names.sort()) {
    if (name === MANIFEST_FILE || name.startsWith(".") || !name.endsWith(".json")) continue;
    const key = loadKeyFile(join(dir, name), backend);
    if (!key.ok) return key;
    keys.push(key.value);
  }
  const active = keys.find((key) => key.record.keyId === activeId);
  if (active === undefined)
    return fail(manifestFile, `names active key ${activeId}, but ${activeId}.json is missing`);
  if (active.seed === null) return fail(active.file, "is the active key but holds no private_key");
  const retired = keys.filter((key) => key !== active).map((key) => key.record);
  const keyring = Keyring.restore(
    backend,
    { seed: active.seed, keyId: activeId, createdAt: active.record.createdAt },
    retired,
  );
  return keyring.ok ? keyring : fail(dir, keyring.error);
}
