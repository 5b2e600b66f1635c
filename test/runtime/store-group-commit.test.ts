// Group commit in the SQLite store: concurrent writes share a transaction, each keeps its own outcome, run
// in the order issued, and resolve only once committed; and the durability option.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { SqliteStore, type SqliteStoreOptions } from "../../src/runtime/store/sqlite.ts";
import type { ContextRecord, ReceiptRecord, StoreResult } from "../../src/runtime/store/types.ts";
import { sha256Hex } from "../../src/schema/canonical.ts";

const T0 = "2026-11-22T09:00:00.000Z";
const digest = (of: string) => `sha256:${sha256Hex(of)}`;

let dir: string;
let counter = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aarm-group-commit-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

function file(): string {
  return join(dir, `db-${counter++}.sqlite`);
}

function value<T>(result: StoreResult<T>): T {
  if (!result.ok) throw new Error(`${result.error.kind}: ${result.error.message}`);
  return result.value;
}

function kind(result: StoreResult<unknown>): string {
  return result.ok ? "ok" : result.error.kind;
}

/** Context entry `seq` of `session`, chained on the hashes this helper gives earlier entries. */
function entry(session: string, seq: number): ContextRecord {
  const prev = seq === 0 ? digest(`genesis ${session}`) : digest(`${session} ${seq - 1}`);
  return {
    session_id: session,
    seq,
    prev_hash: prev,
    hash: digest(`${session} ${seq}`),
    body: `{"seq":${seq}}`,
  };
}

function receipt(session: string, seq: number): ReceiptRecord {
  return {
    receipt_id: `${session}-r${seq}`,
    session_id: session,
    seq,
    prev_hash: seq === 0 ? null : digest(`${session} r${seq - 1}`),
    hash: digest(`${session} r${seq}`),
    body: "{}",
  };
}

/** Opens a store with `count` sessions s0…, created one at a time. */
async function withSessions(
  path: string,
  count: number,
  options: SqliteStoreOptions = {},
): Promise<SqliteStore> {
  const store = value(SqliteStore.open(path, options));
  for (let i = 0; i < count; i++) value(await store.createSession(`s${i}`, T0));
  return store;
}

/** Counts the write transactions the store begins from now on. */
function countTransactions(): () => number {
  const exec = vi.spyOn(DatabaseSync.prototype, "exec");
  return () => exec.mock.calls.filter(([sql]) => sql === "BEGIN IMMEDIATE").length;
}

function rows(path: string, sql: string): unknown[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

describe("SqliteStore group commit", () => {
  it("commits concurrent writers' appends in one transaction, each with its own result, all stored", async () => {
    const path = file();
    const store = await withSessions(path, 20);
    const transactions = countTransactions();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? store.appendContext(entry(`s${i}`, 0)) : store.appendReceipt(receipt(`s${i}`, 0)),
      ),
    );
    expect(transactions()).toBe(1);
    results.forEach((result, i) => {
      expect(value(result)).toMatchObject({
        seq: 0,
        hash: i % 2 === 0 ? digest(`s${i} 0`) : digest(`s${i} r0`),
      });
    });
    await store.close();
    expect(rows(path, "SELECT count(*) AS n FROM context_entries")).toEqual([{ n: 10 }]);
    expect(rows(path, "SELECT count(*) AS n FROM receipts")).toEqual([{ n: 10 }]);
  });

  it("fails a bad write alone: the rest of its batch commits and the bad one leaves nothing behind", async () => {
    const path = file();
    const store = await withSessions(path, 4);
    value(await store.appendReceipt(receipt("s3", 0)));
    // A write that fails half-way: its context row is inserted, then moving the head aborts.
    const db = new DatabaseSync(path);
    db.exec(`CREATE TRIGGER fail_s1 BEFORE UPDATE OF context_seq ON sessions WHEN NEW.session_id = 's1'
             BEGIN SELECT RAISE(ABORT, 'injected'); END`);
    db.close();
    const transactions = countTransactions();
    const [good, halfWay, stale, duplicate, missing, later] = await Promise.all([
      store.appendContext(entry("s0", 0)),
      store.appendContext(entry("s1", 0)),
      store.appendContext(entry("s2", 1)),
      store.appendReceipt(receipt("s3", 0)),
      store.appendContext(entry("nobody", 0)),
      store.appendReceipt(receipt("s0", 0)),
    ]);
    expect(transactions()).toBe(1);
    expect([good, halfWay, stale, duplicate, missing, later].map(kind)).toEqual([
      "ok",
      "conflict",
      "conflict",
      "conflict",
      "not_found",
      "ok",
    ]);
    expect(value(await store.readContext("s0")).records).toHaveLength(1);
    const s1 = value(await store.readContext("s1"));
    expect(s1.records).toEqual([]);
    expect(s1.session.context_head).toBeNull();
    expect(value(await store.readReceipts("s3")).records).toHaveLength(1);
    await store.close();
    expect(rows(path, "SELECT session_id, seq FROM context_entries")).toEqual([{ session_id: "s0", seq: 0 }]);
  });

  it("runs writes in the order they were issued, within a batch and across batches", async () => {
    const store = await withSessions(file(), 1);
    // Issued without waiting: each extends the head the one before it sets.
    const chained = await Promise.all([0, 1, 2, 3].map((seq) => store.appendContext(entry("s0", seq))));
    expect(chained.map((r) => value(r).seq)).toEqual([0, 1, 2, 3]);
    // A second append of seq 4 issued after the first loses, as it would one at a time.
    const [first, second] = await Promise.all([
      store.appendContext(entry("s0", 4)),
      store.appendContext({ ...entry("s0", 4), hash: digest("other") }),
    ]);
    expect([kind(first), kind(second)]).toEqual(["ok", "conflict"]);
    const ended = store.endSession("s0", T0);
    const afterEnd = store.appendContext(entry("s0", 5));
    expect([kind(await ended), kind(await afterEnd)]).toEqual(["ok", "conflict"]);
    await store.close();
  });

  it("resolves a write only after its transaction commits, so a failed commit fails every write in it", async () => {
    const path = file();
    const store = await withSessions(path, 3, { busyTimeoutMs: 20 });
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    const blocked = await Promise.all([0, 1, 2].map((i) => store.appendReceipt(receipt(`s${i}`, 0))));
    expect(blocked.map(kind)).toEqual(["io", "io", "io"]);
    other.exec("ROLLBACK");
    other.close();
    expect(rows(path, "SELECT count(*) AS n FROM receipts")).toEqual([{ n: 0 }]);
    // Nothing was half-applied: the same writes succeed once the lock is free.
    const retried = await Promise.all([0, 1, 2].map((i) => store.appendReceipt(receipt(`s${i}`, 0))));
    expect(retried.map(kind)).toEqual(["ok", "ok", "ok"]);
    await store.close();
  });

  it("commits writes issued before close, and refuses those after", async () => {
    const path = file();
    const store = await withSessions(path, 2);
    const pending = [store.appendReceipt(receipt("s0", 0)), store.appendReceipt(receipt("s1", 0))];
    await store.close();
    expect((await Promise.all(pending)).map(kind)).toEqual(["ok", "ok"]);
    expect(kind(await store.appendReceipt(receipt("s0", 1)))).toBe("io");
    expect(rows(path, "SELECT count(*) AS n FROM receipts")).toEqual([{ n: 2 }]);
  });
});

describe("SqliteStore durability", () => {
  it("syncs every commit by default and only at checkpoints with durability normal", async () => {
    const exec = vi.spyOn(DatabaseSync.prototype, "exec");
    const pragmas = () =>
      exec.mock.calls.map(([sql]) => sql).filter((sql) => sql.startsWith("PRAGMA synchronous"));
    await value(SqliteStore.open(file())).close();
    await value(SqliteStore.open(file(), { durability: "full" })).close();
    await value(SqliteStore.open(file(), { durability: "normal" })).close();
    expect(pragmas()).toEqual([
      "PRAGMA synchronous = FULL",
      "PRAGMA synchronous = FULL",
      "PRAGMA synchronous = NORMAL",
    ]);
  });

  it("keeps a stored receipt with durability normal when the process is killed right after", () => {
    const path = file();
    const script = `
      import { SqliteStore } from ${JSON.stringify(join(process.cwd(), "src/runtime/store/sqlite.ts"))};
      const store = SqliteStore.open(${JSON.stringify(path)}, { durability: "normal" });
      if (!store.ok) process.exit(2);
      await store.value.createSession("s1", "${T0}");
      const stored = await Promise.all([0, 1, 2].map((seq) => store.value.appendReceipt({
        receipt_id: "r" + seq, session_id: "s1", seq, prev_hash: seq === 0 ? null : "sha256:" + String(seq - 1).repeat(64),
        hash: "sha256:" + String(seq).repeat(64), body: "{}",
      })));
      if (!stored.every((r) => r.ok)) process.exit(3);
      process.kill(process.pid, "SIGKILL");
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(child.signal).toBe("SIGKILL");
    expect(rows(path, "SELECT receipt_id FROM receipts ORDER BY seq")).toEqual([
      { receipt_id: "r0" },
      { receipt_id: "r1" },
      { receipt_id: "r2" },
    ]);
  });
});
