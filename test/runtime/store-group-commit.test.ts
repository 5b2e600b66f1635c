// Group commit in the SQLite store: concurrent writes share a transaction, each keeps its own outcome, run
// in the order issued, and resolve only once committed; the durability option; and appendChains, which
// writes a decision's records in one step, in both stores.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { compileText } from "../../src/compiler.ts";
import { Keyring } from "../../src/runtime/crypto/keyring.ts";
import { nodeBackend } from "../../src/runtime/crypto/node.ts";
import { trustedLocalVerifier } from "../../src/runtime/identity/local.ts";
import { createRuntime } from "../../src/runtime/runtime.ts";
import { MemoryStore } from "../../src/runtime/store/memory.ts";
import { SqliteStore, type SqliteStoreOptions } from "../../src/runtime/store/sqlite.ts";
import type { ContextRecord, ReceiptRecord, Store, StoreResult } from "../../src/runtime/store/types.ts";
import { verifySqliteFile } from "../../src/runtime/verify.ts";
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

  it("lets a read see the writes issued before it, though their group commit has not run yet", async () => {
    const store = await withSessions(file(), 2);
    const writes = [store.appendReceipt(receipt("s0", 0)), store.appendReceipt(receipt("s1", 0))];
    const read = await store.readReceipts("s0");
    expect(value(read).records.map((r) => r.hash)).toEqual([digest("s0 r0")]);
    expect((await Promise.all(writes)).map(kind)).toEqual(["ok", "ok"]);
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

describe.each([
  ["MemoryStore", () => Promise.resolve(new MemoryStore())],
  ["SqliteStore", () => Promise.resolve(value(SqliteStore.open(file())))],
] as const)("%s.appendChains", (_, open: () => Promise<Store>) => {
  async function fresh(): Promise<Store & Required<Pick<Store, "appendChains">>> {
    const store = await open();
    value(await store.createSession("s0", T0));
    value(await store.createSession("s1", T0));
    if (store.appendChains === undefined) throw new Error("no appendChains");
    return store as Store & Required<Pick<Store, "appendChains">>;
  }

  it("stores entries and a receipt together, as the single appends would, and returns both heads", async () => {
    const store = await fresh();
    value(await store.appendContext(entry("s0", 0)));
    const heads = value(await store.appendChains([entry("s0", 1), entry("s0", 2)], receipt("s0", 0)));
    expect(heads).toEqual({
      context: { seq: 2, hash: digest("s0 2") },
      receipt: { seq: 0, hash: digest("s0 r0"), receipt_id: "s0-r0" },
    });
    const session = value(await store.getSession("s0"));
    expect([session.context_head, session.receipt_head]).toEqual([heads.context, heads.receipt]);
    expect(value(await store.readContext("s0")).records.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(value(await store.getReceipt("s0-r0")).seq).toBe(0);
    expect(value(await store.appendChains([], receipt("s0", 1)))).toEqual({
      context: null,
      receipt: { seq: 1, hash: digest("s0 r1"), receipt_id: "s0-r1" },
    });
    await store.close();
  });

  it("stores nothing when any record is refused, and says why", async () => {
    const store = await fresh();
    value(await store.appendReceipt(receipt("s1", 0)));
    const attempts = [
      // The receipt is stale: the entries before it must not stay.
      { context: [entry("s0", 0)], receipt: { ...receipt("s1", 0), receipt_id: "other" }, kind: "conflict" },
      // The second entry does not extend the first.
      { context: [entry("s0", 0), entry("s0", 2)], receipt: receipt("s0", 0), kind: "conflict" },
      // The receipt's id is taken.
      { context: [entry("s0", 0)], receipt: { ...receipt("s0", 0), receipt_id: "s1-r0" }, kind: "conflict" },
      { context: [entry("s0", 0)], receipt: { ...receipt("s0", 0), hash: "not a digest" }, kind: "invalid" },
      { context: [entry("nobody", 0)], receipt: null, kind: "not_found" },
    ];
    for (const attempt of attempts) {
      expect(kind(await store.appendChains(attempt.context, attempt.receipt))).toBe(attempt.kind);
    }
    const s0 = value(await store.getSession("s0"));
    expect([s0.context_head, s0.receipt_head]).toEqual([null, null]);
    expect(value(await store.readContext("s0")).records).toEqual([]);
    expect(value(await store.readReceipts("s0")).records).toEqual([]);
    expect(value(await store.readReceipts("s1")).records.map((r) => r.receipt_id)).toEqual(["s1-r0"]);
    // The same records, now in order, go in.
    value(await store.appendChains([entry("s0", 0)], receipt("s0", 0)));
    expect(kind(await store.getReceipt("other"))).toBe("not_found");
    await store.close();
  });

  it("refuses entries for an ended session but, like appendReceipt, still takes its receipt", async () => {
    const store = await fresh();
    value(await store.endSession("s0", T0));
    expect(kind(await store.appendChains([entry("s0", 0)], receipt("s0", 0)))).toBe("conflict");
    expect(value(await store.readReceipts("s0")).records).toEqual([]);
    expect(kind(await store.appendChains([], receipt("s0", 0)))).toBe("ok");
    await store.close();
  });
});

describe("the runtime on SQLite", () => {
  const compiled = compileText(`policy tx version "1"
tool docs.read { args { path: string } effect read }
allow reads when effect == read
default deny`).ir;
  const verifier = trustedLocalVerifier();
  if (compiled === null || !verifier.ok) throw new Error("the test policy does not compile");
  const ir = compiled;
  const identity = verifier.value;

  /** A runtime over the store at `path` (as `wrap` presents it) and one started session. */
  async function start(path: string, wrap: (store: SqliteStore) => Store = (store) => store) {
    const store = value(SqliteStore.open(path));
    const keyring = Keyring.generate(nodeBackend, new Date());
    const runtime = createRuntime({
      policy: { ir },
      store: wrap(store),
      keyring,
      identity,
      scorer: null,
    });
    const session = await runtime.startSession({
      identity: { session: "tx", human: "alice@example.com", agent: "agent" },
      intent: "read the docs",
    });
    const close = async () => {
      await session.end();
      await runtime.close();
      await store.close();
    };
    return { session, keyring, close };
  }

  it("writes a decision's receipt and log entry in one transaction, and an outcome's in one more", async () => {
    const path = file();
    const { session, keyring, close } = await start(path);
    const transactions = countTransactions();
    for (let i = 0; i < 3; i++) {
      const before = transactions();
      const handle = await session.evaluate({ tool: "docs.read", args: { path: `/d${i}` }, callId: `c${i}` });
      if (handle.kind !== "allow") throw new Error(`expected allow, got ${handle.kind}`);
      // The action's entry, then its decision entry with its receipt.
      expect(transactions() - before).toBe(2);
      const outcome = await session.recordOutcome(handle.actionId, { success: true, output: "ok" });
      expect(outcome.ok).toBe(true);
      expect(transactions() - before).toBe(3);
    }
    await close();
    const report = value(await verifySqliteFile(path, keyring));
    expect(report.issues).toEqual([]);
    expect(rows(path, "SELECT count(*) AS n FROM receipts")).toEqual([{ n: 6 }]);
    expect(
      rows(path, 'SELECT count(*) AS n FROM context_entries WHERE body LIKE \'%"type":"decision"%\''),
    ).toEqual([{ n: 3 }]);
  });

  it("commits an action's log entry without a sync; the decision's synced commit, before the release, carries it", async () => {
    const { session, close } = await start(file());
    const exec = vi.spyOn(DatabaseSync.prototype, "exec");
    const handle = await session.evaluate({ tool: "docs.read", args: { path: "/d" }, callId: "c" });
    expect(handle.kind).toBe("allow");
    const commits = exec.mock.calls
      .map(([sql]) => sql)
      .filter((sql) => sql.startsWith("PRAGMA synchronous") || sql === "BEGIN IMMEDIATE");
    expect(commits).toEqual([
      "PRAGMA synchronous = NORMAL",
      "BEGIN IMMEDIATE",
      "PRAGMA synchronous = FULL",
      "BEGIN IMMEDIATE",
    ]);
    await close();
  });

  it.each(["refuses", "throws"] as const)(
    "writes the records one at a time when appendChains %s: same decisions, nothing lost or doubled",
    async (how) => {
      const path = file();
      const failing = (store: SqliteStore): Store =>
        new Proxy(store, {
          get(target, name) {
            if (name === "appendChains") {
              return () =>
                how === "throws"
                  ? Promise.reject(new Error("appendChains crashed"))
                  : Promise.resolve({
                      ok: false,
                      error: { kind: "io", message: "appendChains: disk unavailable" },
                    });
            }
            const member: unknown = Reflect.get(target, name, target);
            return typeof member === "function"
              ? (member as (...a: unknown[]) => unknown).bind(target)
              : member;
          },
        });
      const { session, keyring, close } = await start(path, failing);
      for (let i = 0; i < 2; i++) {
        const handle = await session.evaluate({
          tool: "docs.read",
          args: { path: `/d${i}` },
          callId: `c${i}`,
        });
        if (handle.kind !== "allow") throw new Error(`expected allow, got ${handle.kind}`);
        expect((await session.recordOutcome(handle.actionId, { success: true, output: "ok" })).ok).toBe(true);
      }
      await close();
      expect(value(await verifySqliteFile(path, keyring)).issues).toEqual([]);
      expect(rows(path, "SELECT count(*) AS n FROM receipts")).toEqual([{ n: 4 }]);
      expect(rows(path, "SELECT count(*) AS n FROM context_entries")).toEqual([{ n: 7 }]);
    },
  );
});
