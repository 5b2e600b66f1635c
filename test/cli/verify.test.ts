/**
 * `aarm verify` as an auditor runs it: the built binary in a subprocess, on a JSON-lines export and on
 * the SQLite store a runtime wrote, with the published public keys.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportPublicKeys } from "../../src/runtime/crypto/key-json.ts";
import { Keyring } from "../../src/runtime/crypto/keyring.ts";
import { saveKeyring } from "../../src/runtime/crypto/keydir.ts";
import { nodeBackend } from "../../src/runtime/crypto/node.ts";
import { exportReceipts } from "../../src/runtime/receipts/export.ts";
import type { Receipt } from "../../src/schema/generated/types.ts";
import { harness, policy } from "../runtime/engine-harness.ts";
import { run } from "./run.ts";

let dir: string;
let lines: string[];
let receipts: Receipt[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aarm-verify-cli-"));
  const ir = policy(`
policy audit version "1"
tool db.query { args { sql: string } effect read }
tool db.drop { args { name: string } effect delete }
forbid no_drop on db.drop
allow reads when effect == read
default deny
`);
  const h = harness(ir);
  for (const human of ["alice@example.com", "bob@example.com"]) {
    const s = await h.session({ human });
    await h.call(s, "db.query", { sql: "select 1" });
    await h.call(s, "db.drop", { name: "users" });
    await h.call(s, "db.query", { sql: "select 2" });
  }
  lines = [];
  await exportReceipts(h.store, (line) => {
    lines.push(line);
  });
  receipts = lines.map((line) => JSON.parse(line) as Receipt);
  writeFileSync(join(dir, "receipts.jsonl"), `${lines.join("\n")}\n`);
  writeFileSync(join(dir, "public-keys.json"), JSON.stringify(exportPublicKeys(h.keyring)));
  const other = Keyring.generate(nodeBackend, new Date("2026-01-01T00:00:00Z"));
  writeFileSync(join(dir, "other-keys.json"), JSON.stringify(exportPublicKeys(other)));
  const saved = saveKeyring(join(dir, "keys"), h.keyring);
  if (!saved.ok) throw new Error(saved.error.message);
  // Closing checkpoints the write-ahead log into the database file, so the copy is complete.
  await h.store.close();
  copyFileSync(h.path, join(dir, "aarm.sqlite"));
  await h.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function variant(name: string, edit: (lines: string[]) => string[]): string {
  writeFileSync(join(dir, name), `${edit([...lines]).join("\n")}\n`);
  return name;
}

const verify = (...args: string[]) => run("aarm", ["verify", ...args], { cwd: dir });

describe("aarm verify", () => {
  it("accepts an intact export and an intact store (exit 0)", () => {
    const jsonl = verify("receipts.jsonl", "--keys", "public-keys.json");
    expect(jsonl.status, jsonl.stderr).toBe(0);
    expect(jsonl.stdout).toBe(`ok: ${receipts.length} receipts in 2 sessions verified\n`);
    const sqlite = verify("aarm.sqlite", "--keys", "keys");
    expect(sqlite.status, sqlite.stderr).toBe(0);
    expect(sqlite.stdout).toBe(`ok: ${receipts.length} receipts in 2 sessions verified\n`);
  });

  it("names a receipt whose field was changed (exit 1)", () => {
    const at = receipts.findIndex((r) => r.decision.result === "DENY");
    const name = variant("changed.jsonl", (all) =>
      all.map((line, i) => (i === at ? line.replace('"result":"DENY"', '"result":"ALLOW"') : line)),
    );
    const r = verify(name, "--keys", "public-keys.json");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`BAD ${(receipts[at] as Receipt).receipt_id} bad_signature at line ${at + 1}`);
    expect(r.stdout).toMatch(new RegExp(`FAILED: \\d+ problems? among ${receipts.length} receipts`));
  });

  it("names the receipt after a removed one (exit 1)", () => {
    const name = variant("removed.jsonl", (all) => all.filter((_, i) => i !== 1));
    const r = verify(name, "--keys", "public-keys.json");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`BAD ${(receipts[2] as Receipt).receipt_id} gap`);
  });

  it("names reordered receipts (exit 1)", () => {
    const name = variant("reordered.jsonl", (all) => {
      [all[1], all[2]] = [all[2] as string, all[1] as string];
      return all;
    });
    const r = verify(name, "--keys", "public-keys.json");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`BAD ${(receipts[2] as Receipt).receipt_id} reordered`);
  });

  it("names receipts signed with a key id the key set does not know (exit 1)", () => {
    const r = verify("receipts.jsonl", "--keys", "other-keys.json");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`BAD ${(receipts[0] as Receipt).receipt_id} unknown_key`);
    expect(r.stdout.split("\n").filter((line) => line.includes("unknown_key"))).toHaveLength(receipts.length);
  });

  it("prints the report as JSON on request", () => {
    const r = verify("receipts.jsonl", "--keys", "public-keys.json", "--json");
    expect(r.status).toBe(0);
    const n = receipts.length;
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, checked: n, verified: n, issues: [] });
  });

  it("refuses input it cannot use (exit 2)", () => {
    writeFileSync(join(dir, "not-keys.json"), "{}");
    expect(verify("missing.jsonl", "--keys", "public-keys.json").status).toBe(2);
    expect(verify("receipts.jsonl", "--keys", "not-keys.json").status).toBe(2);
    expect(verify("receipts.jsonl", "--keys", "nowhere").status).toBe(2);
    expect(verify("receipts.jsonl").status).toBe(2);
    expect(verify("--keys", "public-keys.json").status).toBe(2);
    const r = verify("receipts.jsonl", "--keys", "not-keys.json");
    expect(r.stderr).toMatch(/not-keys\.json: public key set format/);
  });
});
