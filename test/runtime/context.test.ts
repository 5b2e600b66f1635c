// The hash-chained context log: appends, verification on load, tamper detection, concurrency, history.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealEntry } from "../../src/runtime/context/chain.ts";
import { type ContextEntry, type ContextEntryBody, GENESIS_HASH } from "../../src/runtime/context/entry.ts";
import { toHistory } from "../../src/runtime/context/history.ts";
import { ContextLog, type ContextResult } from "../../src/runtime/context/log.ts";
import { KeyedMutex } from "../../src/runtime/store/keyed-mutex.ts";
import { MemoryStore } from "../../src/runtime/store/memory.ts";
import { SqliteStore } from "../../src/runtime/store/sqlite.ts";
import type { Store, StoreResult } from "../../src/runtime/store/types.ts";
import { verifyContext } from "../../src/runtime/verify.ts";
import { canonicalize } from "../../src/schema/canonical.ts";
import type { Action, Decision } from "../../src/schema/generated/types.ts";
import { actions, approvalResults, decisions, deferralResolutions, intents } from "../schema/fixtures.ts";
import { propertyParams } from "../support/property.ts";

let dir: string;
let counter = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aarm-context-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function value<T>(result: ContextResult<T> | StoreResult<T>): T {
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

function sqlitePath(): string {
  return join(dir, `context-${counter++}.sqlite`);
}

const stores: { readonly name: string; readonly open: () => Store }[] = [
  { name: "MemoryStore", open: () => new MemoryStore() },
  { name: "SqliteStore", open: () => value(SqliteStore.open(sqlitePath())) },
];

/** A clock that advances one second per reading. */
function ticking(): () => Date {
  let t = Date.parse("2026-11-22T09:00:00.000Z");
  return () => {
    t += 1000;
    return new Date(t);
  };
}

const base = actions[0] as Action;
const [allow, deny, modify, stepUp, defer] = decisions as [Decision, Decision, Decision, Decision, Decision];

function action(id: string, overrides: Partial<Action> = {}): Action {
  return { ...base, action_id: id, ...overrides };
}

/** A session's worth of varied entries: intent, actions, decisions, outcome, approval, resolution. */
const sampleBodies: ContextEntryBody[] = [
  { type: "intent", intent: intents[0] as NonNullable<(typeof intents)[0]> },
  { type: "action", action: action("a1", { tool: "bank.read_file", effect: "read", targets: ["st.csv"] }) },
  { type: "decision", action_id: "a1", decision: allow, receipt_id: "rct_1" },
  {
    type: "outcome",
    action_id: "a1",
    completed_at: "2026-11-22T09:00:05.000Z",
    success: true,
    labels: ["confidential", "pii", "untrusted"],
    output_hash: `sha256:${"a".repeat(64)}`,
  },
  { type: "action", action: action("a2") },
  { type: "decision", action_id: "a2", decision: stepUp, receipt_id: null },
  {
    type: "approval",
    action_id: "a2",
    result: approvalResults[0] as NonNullable<(typeof approvalResults)[0]>,
  },
  {
    type: "deferral_resolution",
    resolution: {
      ...(deferralResolutions[0] as NonNullable<(typeof deferralResolutions)[0]>),
      action_id: "a2",
    },
  },
];

async function sampleLog(store: Store, session = "sess_1"): Promise<readonly ContextEntry[]> {
  const log = new ContextLog({ store, clock: ticking() });
  value(await log.start(session));
  for (const body of sampleBodies) value(await log.append(session, body));
  return value(await log.load(session)).entries;
}

describe.each(stores)("ContextLog on $name", ({ open }) => {
  it("appends sealed entries that chain from the genesis hash, and loads them verified", async () => {
    const store = open();
    const entries = await sampleLog(store);
    expect(entries.map((entry) => entry.seq)).toEqual(sampleBodies.map((_, i) => i));
    expect(entries[0]?.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < entries.length; i++) expect(entries[i]?.prev_hash).toBe(entries[i - 1]?.hash);
    expect(
      entries.map(({ session_id: _s, seq: _q, time: _t, prev_hash: _p, hash: _h, ...body }) => body),
    ).toEqual(sampleBodies);
    expect(entries[0]?.time).toBe("2026-11-22T09:00:02.000Z");
    expect(value(await store.getSession("sess_1")).context_head).toEqual({
      seq: entries.length - 1,
      hash: entries.at(-1)?.hash,
    });
    await store.close();
  });

  it("refuses an entry that is not a valid context entry, and stores nothing", async () => {
    const store = open();
    const log = new ContextLog({ store });
    value(await log.start("s1"));
    const bad = { type: "outcome", action_id: "a1", success: "yes" } as unknown as ContextEntryBody;
    const appended = await log.append("s1", bad);
    expect(appended.ok ? "ok" : appended.error.kind).toBe("invalid");
    const extra = { type: "intent", intent: intents[0], note: "x" } as unknown as ContextEntryBody;
    expect((await log.append("s1", extra)).ok).toBe(false);
    expect(value(await log.load("s1")).entries).toEqual([]);
    const missing = await log.append("nope", sampleBodies[0] as ContextEntryBody);
    expect(missing.ok ? "ok" : missing.error).toMatchObject({ kind: "store", error: { kind: "not_found" } });
    await store.close();
  });

  it("ends a session with its context kept, after which appends are refused", async () => {
    const store = open();
    const log = new ContextLog({ store });
    value(await log.start("s1"));
    value(await log.append("s1", sampleBodies[0] as ContextEntryBody));
    expect(value(await log.end("s1")).state).toBe("ended");
    const refused = await log.append("s1", sampleBodies[1] as ContextEntryBody);
    expect(refused.ok ? "ok" : refused.error).toEqual({ kind: "ended", session_id: "s1" });
    const loaded = value(await log.load("s1"));
    expect(loaded.session.state).toBe("ended");
    expect(loaded.entries).toHaveLength(1);
    const again = await log.end("s1");
    expect(again.ok ? "ok" : again.error).toMatchObject({ kind: "store", error: { kind: "conflict" } });
    await store.close();
  });

  it("keeps the chain linear when many appends to one session are fired at once", async () => {
    const store = open();
    const log = new ContextLog({ store });
    value(await log.start("s1"));
    const count = 60;
    const results = await Promise.all(
      Array.from({ length: count }, (_, i) => log.append("s1", { type: "action", action: action(`a${i}`) })),
    );
    const seqs = results.map((result) => value(result).seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
    // The mutex hands out the lock in arrival order.
    expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i));
    const loaded = value(await log.load("s1"));
    expect(loaded.entries).toHaveLength(count);
    await store.close();
  });

  it("never forks when two logs without a shared lock race on one store: the loser gets a conflict", async () => {
    const store = open();
    const a = new ContextLog({ store });
    const b = new ContextLog({ store });
    value(await a.start("s1"));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).append("s1", { type: "action", action: action(`a${i}`) }),
      ),
    );
    const won = results.filter((result) => result.ok).length;
    for (const result of results) {
      if (!result.ok) expect(result.error).toMatchObject({ kind: "store", error: { kind: "conflict" } });
    }
    const loaded = value(await a.load("s1"));
    expect(loaded.entries).toHaveLength(won);
    expect(won).toBeGreaterThan(0);
    await store.close();
  });
});

describe("verifyContext", () => {
  let entries: readonly ContextEntry[];
  let head: { seq: number; hash: string };
  beforeAll(async () => {
    entries = await sampleLog(new MemoryStore());
    const last = entries.at(-1) as ContextEntry;
    head = { seq: last.seq, hash: last.hash };
  });

  it("accepts an intact log and returns its entries and head", () => {
    const verified = verifyContext(entries, { session_id: "sess_1", head });
    expect(verified).toEqual({ ok: true, entries, head });
    expect(verifyContext([])).toEqual({ ok: true, entries: [], head: null });
  });

  it("names the first bad entry of a removed, inserted, reordered or foreign entry", () => {
    const without = entries.filter((_, i) => i !== 3);
    expect(verifyContext(without)).toMatchObject({ ok: false, seq: 3, reason: "sequence" });
    const swapped = [...entries];
    [swapped[2], swapped[5]] = [swapped[5] as ContextEntry, swapped[2] as ContextEntry];
    expect(verifyContext(swapped)).toMatchObject({ ok: false, seq: 2, reason: "sequence" });
    const forged = sealEntry({
      type: "action",
      action: action("evil"),
      session_id: "sess_1",
      seq: 4,
      time: "2026-11-22T09:00:00.000Z",
      prev_hash: (entries[3] as ContextEntry).hash,
    });
    if (!forged.ok) throw new Error("seal failed");
    // The forged entry is a perfect link at 4; the original entry 4, now at position 5, gives it away.
    const inserted = [...entries.slice(0, 4), forged.value, ...entries.slice(4)];
    expect(verifyContext(inserted)).toMatchObject({ ok: false, seq: 5, reason: "sequence" });
    const duplicated = [...entries.slice(0, 4), entries[3], ...entries.slice(4)];
    expect(verifyContext(duplicated)).toMatchObject({ ok: false, seq: 4, reason: "sequence" });
    const { hash: _, ...first } = entries[0] as ContextEntry;
    const foreign = sealEntry({ ...first, session_id: "other" });
    if (!foreign.ok) throw new Error("seal failed");
    expect(verifyContext([foreign.value], { session_id: "sess_1" })).toMatchObject({
      seq: 0,
      reason: "session",
    });
  });

  it("finds entries cut off the end only against the recorded head", () => {
    const cut = entries.slice(0, -2);
    expect(verifyContext(cut).ok).toBe(true);
    expect(verifyContext(cut, { head })).toMatchObject({
      ok: false,
      seq: entries.length - 2,
      reason: "truncated",
    });
    expect(verifyContext(entries, { head: { ...head, seq: head.seq - 1 } })).toMatchObject({
      seq: head.seq,
      reason: "head",
    });
    expect(verifyContext(entries, { head: { ...head, hash: GENESIS_HASH } })).toMatchObject({
      seq: head.seq,
      reason: "head",
    });
    expect(verifyContext(entries, { head: null })).toMatchObject({ seq: 0, reason: "head" });
  });

  it("names the modified entry for any change of a field that alters its canonical JSON", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.constantFrom("replace", "delete", "add"),
        fc.jsonValue({ maxDepth: 2 }),
        (entryPick, pathPick, mode, replacement) => {
          const k = entryPick % entries.length;
          const original = entries[k] as ContextEntry;
          const copy = JSON.parse(JSON.stringify(original)) as Record<string, unknown>;
          const paths = pathsIn(copy);
          const path = paths[pathPick % paths.length] as (string | number)[];
          const parent = path
            .slice(0, -1)
            .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], copy) as
            Record<string, unknown> | unknown[];
          const key = path.at(-1) as string | number;
          if (mode === "replace") (parent as Record<string | number, unknown>)[key] = replacement;
          else if (mode === "delete" && !Array.isArray(parent)) delete parent[key as string];
          else if (Array.isArray(parent)) parent.push(replacement);
          else parent[`x_${String(key)}`] = replacement;
          fc.pre(canon(copy) !== canon(original));
          const tampered = entries.map((entry, i) => (i === k ? copy : entry));
          const verified = verifyContext(tampered, { session_id: "sess_1", head });
          expect(verified.ok).toBe(false);
          if (!verified.ok) expect(verified.seq).toBe(k);
        },
      ),
      propertyParams(300),
    );
  });
});

describe("ContextLog on SQLite, tampered behind its back", () => {
  let path: string;
  let store: Store;
  let log: ContextLog;
  let entries: readonly ContextEntry[];
  let db: DatabaseSync;
  beforeAll(async () => {
    path = sqlitePath();
    store = value(SqliteStore.open(path));
    log = new ContextLog({ store, clock: ticking() });
    entries = await sampleLog(store);
    db = new DatabaseSync(path);
    db.exec("DROP TRIGGER context_entries_no_update; DROP TRIGGER context_entries_no_delete");
  });
  afterAll(async () => {
    db.close();
    await store.close();
  });

  const bodyAt = (seq: number): string =>
    db.prepare("SELECT body FROM context_entries WHERE session_id = 'sess_1' AND seq = ?").get(seq)
      ?.body as string;
  const setBody = (seq: number, body: string): void => {
    db.prepare("UPDATE context_entries SET body = ? WHERE session_id = 'sess_1' AND seq = ?").run(body, seq);
  };

  it("fails the load naming the first bad entry for any single changed byte of a stored entry", async () => {
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (entryPick, bytePick, delta) => {
          const k = entryPick % entries.length;
          const original = bodyAt(k);
          const bytes = encoder.encode(original);
          const at = bytePick % bytes.length;
          bytes[at] = ((bytes[at] as number) + delta) % 256;
          setBody(k, decoder.decode(bytes));
          try {
            const loaded = await log.load("sess_1");
            expect(loaded.ok ? "ok" : loaded.error).toMatchObject({ kind: "broken", seq: k });
          } finally {
            setBody(k, original);
          }
        },
      ),
      propertyParams(40),
    );
    expect(value(await log.load("sess_1")).entries).toHaveLength(entries.length);
  });

  it("fails the load when a row's own columns are edited, or the last row is deleted", async () => {
    db.prepare("UPDATE context_entries SET hash = ? WHERE session_id = 'sess_1' AND seq = 2").run(
      GENESIS_HASH,
    );
    expect(await log.load("sess_1")).toMatchObject({ ok: false, error: { seq: 2, reason: "malformed" } });
    db.prepare("UPDATE context_entries SET hash = ? WHERE session_id = 'sess_1' AND seq = 2").run(
      (entries[2] as ContextEntry).hash,
    );
    const last = entries.length - 1;
    db.prepare("DELETE FROM context_entries WHERE session_id = 'sess_1' AND seq = ?").run(last);
    expect(await log.load("sess_1")).toMatchObject({ ok: false, error: { seq: last, reason: "truncated" } });
  });
});

describe("toHistory", () => {
  it("lists the released actions in proposal order, with modified arguments and output labels", () => {
    const read = action("a1", {
      tool: "bank.read_file",
      effect: "read",
      targets: ["st.csv"],
      parameters: { f: 1 },
    });
    const query = action("a3", {
      tool: "db.query",
      effect: "read",
      targets: [],
      parameters: { limit: 5000 },
    });
    const modified: Decision = {
      ...modify,
      modifications: { applied: modify.modifications?.applied ?? [], parameters: { limit: 100 } },
    };
    const approved = approvalResults[0] as NonNullable<(typeof approvalResults)[0]>;
    const resolved = deferralResolutions[0] as NonNullable<(typeof deferralResolutions)[0]>;
    const bodies: ContextEntryBody[] = [
      { type: "intent", intent: intents[1] as NonNullable<(typeof intents)[1]> },
      { type: "action", action: read },
      { type: "decision", action_id: "a1", decision: allow, receipt_id: null },
      { type: "action", action: action("a2") },
      { type: "decision", action_id: "a2", decision: deny, receipt_id: null },
      { type: "action", action: query },
      { type: "decision", action_id: "a3", decision: modified, receipt_id: null },
      { type: "action", action: action("a4") },
      { type: "decision", action_id: "a4", decision: stepUp, receipt_id: null },
      { type: "action", action: action("a5") },
      { type: "decision", action_id: "a5", decision: stepUp, receipt_id: null },
      { type: "approval", action_id: "a5", result: { ...approved, decision: "denied" } },
      { type: "action", action: action("a6") },
      { type: "decision", action_id: "a6", decision: defer, receipt_id: null },
      { type: "action", action: action("a7") },
      { type: "decision", action_id: "a7", decision: defer, receipt_id: null },
      {
        type: "deferral_resolution",
        resolution: { ...resolved, action_id: "a7", method: "timeout", result: "TIMEOUT" },
      },
      { type: "approval", action_id: "a4", result: approved },
      { type: "deferral_resolution", resolution: { ...resolved, action_id: "a6" } },
      {
        type: "outcome",
        action_id: "a1",
        completed_at: "2026-11-22T09:00:05.000Z",
        success: true,
        labels: ["untrusted", "confidential", "pii"],
        output_hash: null,
      },
    ];
    const entries = bodies.map((body, seq) => ({ ...body, seq }) as unknown as ContextEntry);
    const time = Date.parse(base.timestamp);
    expect(toHistory(entries)).toEqual([
      {
        tool: "bank.read_file",
        effect: "read",
        args: { f: 1 },
        target: "st.csv",
        time,
        labels: ["confidential", "pii", "untrusted"],
      },
      { tool: "db.query", effect: "read", args: { limit: 100 }, time, labels: [] },
      {
        tool: base.tool,
        effect: base.effect,
        args: base.parameters,
        target: base.targets[0],
        time,
        labels: [],
      },
      {
        tool: base.tool,
        effect: base.effect,
        args: base.parameters,
        target: base.targets[0],
        time,
        labels: [],
      },
    ]);
  });
});

describe("KeyedMutex", () => {
  it("runs tasks of one key in order, other keys alongside, survives failures and frees idle keys", async () => {
    const mutex = new KeyedMutex();
    const trace: string[] = [];
    const task =
      (name: string, ms: number, fail = false) =>
      async () => {
        trace.push(`${name}+`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        trace.push(`${name}-`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      mutex.run("k", task("a", 20, true)),
      mutex.run("k", task("b", 1)),
      mutex.run("j", task("c", 1)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(trace.indexOf("b+")).toBeGreaterThan(trace.indexOf("a-"));
    expect(trace.indexOf("c-")).toBeLessThan(trace.indexOf("a-"));
    expect(mutex.activeKeys).toBe(0);
  });
});

function canon(value: unknown): string {
  const result = canonicalize(value);
  return result.ok ? result.value : `!${result.error.code}`;
}

/** Every member and element path inside `value`, below the root. */
function pathsIn(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      out.push([...prefix, index], ...pathsIn(item, [...prefix, index]));
    });
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value))
      out.push([...prefix, key], ...pathsIn(item, [...prefix, key]));
  }
  return out;
}
