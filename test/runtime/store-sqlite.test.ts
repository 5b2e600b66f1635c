// What only the SQLite store has: migrations, versioning, WAL, durability, append-only rows, bounded reads.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/runtime/store/sqlite.ts";
import { SCHEMA_VERSION } from "../../src/runtime/store/sqlite-schema.ts";
import type { StoreResult } from "../../src/runtime/store/types.ts";
import { sha256Hex } from "../../src/schema/canonical.ts";

const T0 = "2026-11-22T09:00:00.000Z";
const digest = (of: string) => `sha256:${sha256Hex(of)}`;

let dir: string;
let counter = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aarm-sqlite-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(): string {
  return join(dir, `db-${counter++}.sqlite`);
}

function value<T>(result: StoreResult<T>): T {
  if (!result.ok) throw new Error(`${result.error.kind}: ${result.error.message}`);
  return result.value;
}

/** A raw connection, for looking at (and tampering with) the file behind the store's back. */
function raw(path: string, run: (db: DatabaseSync) => void): void {
  const db = new DatabaseSync(path);
  try {
    run(db);
  } finally {
    db.close();
  }
}

describe("SqliteStore", () => {
  it("creates the schema on a fresh file, at the current version, in WAL mode", async () => {
    const path = file();
    const store = value(SqliteStore.open(path));
    await store.close();
    raw(path, (db) => {
      expect(db.prepare("SELECT version FROM schema_version").all()).toEqual([{ version: SCHEMA_VERSION }]);
      const tables = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .all()
        .map((row) => row.name);
      expect(tables).toEqual([
        "approvals",
        "context_entries",
        "deferrals",
        "receipts",
        "schema_version",
        "sessions",
      ]);
      // The journal mode is stored in the file, so a new connection sees it.
      expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    });
  });

  it("keeps its data across reopening, and migrating again changes nothing", async () => {
    const path = file();
    const first = value(SqliteStore.open(path));
    value(await first.createSession("s1", T0));
    value(
      await first.appendReceipt({
        receipt_id: "r0",
        session_id: "s1",
        seq: 0,
        prev_hash: null,
        hash: digest("r0"),
        body: "{}",
      }),
    );
    await first.close();
    const second = value(SqliteStore.open(path));
    expect(value(await second.getSession("s1")).receipt_head).toEqual({
      seq: 0,
      hash: digest("r0"),
      receipt_id: "r0",
    });
    expect(value(await second.getReceipt("r0")).body).toBe("{}");
    await second.close();
  });

  it("refuses a database from a newer schema version, and leaves it untouched", async () => {
    const path = file();
    await value(SqliteStore.open(path)).close();
    raw(path, (db) => {
      db.exec("PRAGMA journal_mode = DELETE");
      db.prepare("UPDATE schema_version SET version = ?").run(SCHEMA_VERSION + 1);
    });
    const opened = SqliteStore.open(path);
    expect(opened.ok).toBe(false);
    if (!opened.ok) {
      expect(opened.error.kind).toBe("unsupported");
      expect(opened.error.message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
    }
    raw(path, (db) => {
      expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "delete" });
      expect(db.prepare("SELECT version FROM schema_version").get()).toEqual({ version: SCHEMA_VERSION + 1 });
    });
  });

  it("refuses a database that is not an aarm store, and a broken version table", async () => {
    const foreign = file();
    raw(foreign, (db) => db.exec("CREATE TABLE notes (text TEXT)"));
    const opened = SqliteStore.open(foreign);
    expect(opened.ok ? "ok" : opened.error.kind).toBe("unsupported");
    const broken = file();
    await value(SqliteStore.open(broken)).close();
    raw(broken, (db) => db.exec("DELETE FROM schema_version"));
    const reopened = SqliteStore.open(broken);
    expect(reopened.ok ? "ok" : reopened.error.kind).toBe("corrupt");
  });

  it("refuses a file that is not a database", () => {
    const path = file();
    writeFileSync(path, "this is not a SQLite database, just text long enough to have a header".repeat(20));
    const opened = SqliteStore.open(path);
    expect(opened.ok ? "ok" : opened.error.kind).toBe("corrupt");
  });

  it("opens read-only for verification: reads work, writes fail, unmigrated files are refused", async () => {
    const path = file();
    const writer = value(SqliteStore.open(path));
    value(await writer.createSession("s1", T0));
    await writer.close();
    const reader = value(SqliteStore.open(path, { readOnly: true }));
    expect(value(await reader.getSession("s1")).state).toBe("active");
    const written = await reader.createSession("s2", T0);
    expect(written.ok ? "ok" : written.error.kind).toBe("io");
    await reader.close();
    const missing = SqliteStore.open(join(dir, "missing.sqlite"), { readOnly: true });
    expect(missing.ok ? "ok" : missing.error.kind).toBe("io");
    const empty = file();
    raw(empty, () => {});
    const unmigrated = SqliteStore.open(empty, { readOnly: true });
    expect(unmigrated.ok ? "ok" : unmigrated.error.kind).toBe("unsupported");
  });

  it("refuses updates and deletes of context entries and receipts", async () => {
    const path = file();
    const store = value(SqliteStore.open(path));
    value(await store.createSession("s1", T0));
    const record = { session_id: "s1", seq: 0, prev_hash: digest("g"), hash: digest("e0"), body: "{}" };
    value(await store.appendContext(record));
    value(
      await store.appendReceipt({
        receipt_id: "r0",
        session_id: "s1",
        seq: 0,
        prev_hash: null,
        hash: digest("r0"),
        body: "{}",
      }),
    );
    await store.close();
    raw(path, (db) => {
      expect(() => db.exec("UPDATE receipts SET body = '[]'")).toThrow(/append-only/);
      expect(() => db.exec("DELETE FROM receipts")).toThrow(/append-only/);
      expect(() => db.exec("UPDATE context_entries SET body = '[]'")).toThrow(/append-only/);
      expect(() => db.exec("DELETE FROM context_entries")).toThrow(/append-only/);
    });
  });

  it("reports a stored document over the size bound as corrupt without loading it", async () => {
    const path = file();
    const writer = value(SqliteStore.open(path));
    value(await writer.createSession("s1", T0));
    const body = JSON.stringify({ text: "x".repeat(500) });
    value(
      await writer.appendContext({
        session_id: "s1",
        seq: 0,
        prev_hash: digest("g"),
        hash: digest("e"),
        body,
      }),
    );
    await writer.close();
    const strict = value(SqliteStore.open(path, { maxDocumentChars: 100 }));
    const read = await strict.readContext("s1");
    expect(read.ok ? "ok" : read.error.kind).toBe("corrupt");
    await strict.close();
  });

  it("refuses a stale append from a second connection to the same file", async () => {
    const path = file();
    const a = value(SqliteStore.open(path));
    const b = value(SqliteStore.open(path));
    value(await a.createSession("s1", T0));
    const first = { session_id: "s1", seq: 0, prev_hash: digest("g"), hash: digest("a0"), body: "{}" };
    value(await a.appendContext(first));
    // `b` read the head before `a`'s append would have; its record for seq 0 no longer extends the chain.
    const stale = await b.appendContext({ ...first, hash: digest("b0") });
    expect(stale.ok ? "ok" : stale.error.kind).toBe("conflict");
    expect(value(await b.readContext("s1")).records.map((r) => r.hash)).toEqual([digest("a0")]);
    await a.close();
    await b.close();
  });

  it("has a receipt on disk once appendReceipt returns, even if the process is killed right after", () => {
    const path = file();
    const script = `
      import { SqliteStore } from ${JSON.stringify(join(process.cwd(), "src/runtime/store/sqlite.ts"))};
      const store = SqliteStore.open(${JSON.stringify(path)});
      if (!store.ok) process.exit(2);
      await store.value.createSession("s1", "${T0}");
      const stored = await store.value.appendReceipt({
        receipt_id: "r0", session_id: "s1", seq: 0, prev_hash: null, hash: "${digest("r0")}", body: "{}",
      });
      if (!stored.ok) process.exit(3);
      process.kill(process.pid, "SIGKILL");
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(child.signal).toBe("SIGKILL");
    raw(path, (db) => {
      expect(db.prepare("SELECT receipt_id FROM receipts").all()).toEqual([{ receipt_id: "r0" }]);
    });
  });
});
