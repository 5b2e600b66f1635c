/**
 * `aarm verify`: offline verification of receipts, as an auditor runs it with
 * nothing but an export (JSON lines, or a copy of the SQLite store) and the
 * published public keys.
 *
 * Each receipt's schema and signature are checked, and each session's chain:
 * a receipt removed, reordered, duplicated or forked, an unknown key id, a
 * follow-up whose original is missing. Every bad receipt gets one line, with
 * its id and the reason; a summary line ends the output. Exit 0 when every
 * receipt verifies, 1 when any does not, 2 when the input or the keys cannot
 * be read.
 *
 * @module
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { importPublicKeys, parseKeyFile } from "../../runtime/crypto/key-json.ts";
import { type KeyRecord, VerificationKeyring } from "../../runtime/crypto/keyring.ts";
import { MANIFEST_FILE } from "../../runtime/crypto/keydir.ts";
import { nodeBackend } from "../../runtime/crypto/node.ts";
import { type VerificationReport, verifyReceiptFile, verifySqliteFile } from "../../runtime/verify.ts";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { readJson } from "../files.ts";
import { paint } from "../io.ts";

const SQLITE_MAGIC = "SQLite format 3\u0000";

/** Whether the file at `path` is an SQLite database (by its header), rather than JSON lines. */
function isSqlite(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(SQLITE_MAGIC.length);
    const read = readSync(fd, header, 0, header.length, 0);
    return read === header.length && header.toString("latin1") === SQLITE_MAGIC;
  } finally {
    closeSync(fd);
  }
}

/**
 * The public keys to verify with: a published key set (`aarm-public-keys/1`
 * JSON file), or a key directory, whose key files are read for their public
 * keys only (so a directory of public key files will do).
 */
function loadKeys(path: string, cwd: string): VerificationKeyring {
  const full = resolve(cwd, path);
  let directory: boolean;
  try {
    directory = statSync(full).isDirectory();
  } catch {
    throw new CliError(`${path}: no such file or directory`);
  }
  if (!directory) {
    const keys = importPublicKeys(readJson(path, cwd), nodeBackend);
    if (!keys.ok) throw new CliError(`${path}: ${keys.error}`);
    return keys.value;
  }
  const records: KeyRecord[] = [];
  for (const name of readdirSync(full).sort()) {
    if (name === MANIFEST_FILE || name.startsWith(".") || !name.endsWith(".json")) continue;
    const parsed = parseKeyFile(readJson(join(path, name), cwd), nodeBackend);
    if (!parsed.ok) throw new CliError(`${join(path, name)}: ${parsed.error}`);
    records.push(parsed.value.record);
  }
  if (records.length === 0) throw new CliError(`${path}: no key files in the directory`);
  const keyring = VerificationKeyring.fromRecords(nodeBackend, records);
  if (!keyring.ok) throw new CliError(`${path}: ${keyring.error}`);
  return keyring.value;
}

function summary(report: VerificationReport): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
  const scope = `${plural(report.checked, "receipt")} in ${plural(report.sessions.length, "session")}`;
  if (report.ok) return `ok: ${scope} verified`;
  return `FAILED: ${plural(report.issues.length, "problem")} among ${scope} (${report.verified} with a valid signature)`;
}

export const verify: Command = {
  name: "verify",
  summary: "verify exported or stored receipts offline against the published public keys",
  usage: "<receipts.jsonl | store.sqlite> --keys <public-keys.json | key-dir> [--json]",
  description:
    "Checks every receipt's schema and Ed25519 signature, and every session's receipt chain (removed,\n" +
    "reordered, duplicated or forked receipts, unknown key ids, follow-ups without their original).\n" +
    "Prints one line per bad receipt and a summary. Exit 0: all verified; 1: some did not; 2: bad input.",
  options: {
    keys: {
      type: "string",
      value: "PATH",
      description: "the published public keys (aarm-public-keys/1 JSON) or a key directory",
    },
    json: { type: "boolean", description: "print the full verification report as JSON" },
  },
  examples: ["aarm verify receipts.jsonl --keys public-keys.json", "aarm verify aarm.sqlite --keys ./keys"],
  async run(positionals, values, io) {
    const [input, ...rest] = positionals;
    if (input === undefined) throw new CliError("verify: name a receipts file (.jsonl) or a store (.sqlite)");
    if (rest.length > 0) throw new CliError(`verify: unexpected argument "${rest[0]}"`);
    if (typeof values.keys !== "string") throw new CliError("verify: --keys is required");
    const keys = loadKeys(values.keys, io.cwd);
    const full = resolve(io.cwd, input);
    let sqlite: boolean;
    try {
      if (statSync(full).isDirectory()) throw new CliError(`${input}: is a directory, expected a file`);
      sqlite = isSqlite(full);
    } catch (caught) {
      if (caught instanceof CliError) throw caught;
      throw new CliError(`${input}: cannot be read`);
    }
    const verified = sqlite ? await verifySqliteFile(full, keys) : await verifyReceiptFile(full, keys);
    if (!verified.ok) throw new CliError(`${input}: ${verified.error.message}`);
    const report = verified.value;
    if (values.json === true) {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const issue of report.issues) {
        io.stdout(
          `${paint(io, "red", "BAD")} ${issue.receipt_id ?? "(unreadable)"} ${issue.reason} at ${issue.location}: ${issue.message}\n`,
        );
      }
      io.stdout(`${report.ok ? paint(io, "green", summary(report)) : paint(io, "red", summary(report))}\n`);
    }
    return report.ok ? EXIT.ok : EXIT.failure;
  },
};
