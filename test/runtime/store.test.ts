// The storage contract: one suite, run against every Store implementation (memory and SQLite).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/runtime/store/memory.ts";
import { SqliteStore } from "../../src/runtime/store/sqlite.ts";
import type {
  ContextRecord,
  ReceiptRecord,
  Store,
  StoreErrorKind,
  StoreResult,
} from "../../src/runtime/store/types.ts";
import { sha256Hex } from "../../src/schema/canonical.ts";
import {
  approvalRequests,
  approvalResults,
  deferralResolutions,
  deferredActions,
} from "../schema/fixtures.ts";

const T0 = "2026-11-22T09:00:00.000Z";
const T1 = "2026-11-22T10:00:00.000Z";
const digest = (of: string) => `sha256:${sha256Hex(of)}`;

let dir: string;
let counter = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aarm-store-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function value<T>(result: StoreResult<T>): T {
  if (!result.ok) throw new Error(`${result.error.kind}: ${result.error.message}`);
  return result.value;
}

function kind(result: StoreResult<unknown>): StoreErrorKind | "ok" {
  return result.ok ? "ok" : result.error.kind;
}

const implementations: { readonly name: string; readonly open: (maxDocumentChars?: number) => Store }[] = [
  {
    name: "MemoryStore",
    open: (maxDocumentChars) => new MemoryStore(maxDocumentChars ? { maxDocumentChars } : {}),
  },
  {
    name: "SqliteStore",
    open: (maxDocumentChars) =>
      value(
        SqliteStore.open(join(dir, `contract-${counter++}.db`), maxDocumentChars ? { maxDocumentChars } : {}),
      ),
  },
];

function contextRecord(session: string, seq: number, prev: string, body = `{"seq":${seq}}`): ContextRecord {
  return { session_id: session, seq, prev_hash: prev, hash: digest(`${session}/${seq}/${body}`), body };
}

function receiptRecord(id: string, session: string, seq: number, prev: string | null): ReceiptRecord {
  return {
    receipt_id: id,
    session_id: session,
    seq,
    prev_hash: prev,
    hash: digest(id),
    body: `{"id":"${id}"}`,
  };
}

describe.each(implementations)("$name", ({ open }) => {
  let store: Store;
  const opened: Store[] = [];
  const fresh = (maxDocumentChars?: number): Store => {
    const made = open(maxDocumentChars);
    opened.push(made);
    return made;
  };
  afterEach(async () => {
    for (const each of opened.splice(0)) await each.close();
  });

  describe("sessions", () => {
    it("are created active with empty chains, and read back", async () => {
      store = fresh();
      const created = value(await store.createSession("s1", T0));
      expect(created).toEqual({
        session_id: "s1",
        state: "active",
        started_at: T0,
        ended_at: null,
        context_head: null,
        receipt_head: null,
      });
      expect(value(await store.getSession("s1"))).toEqual(created);
    });

    it("refuse a taken id, and a missing one is not_found", async () => {
      store = fresh();
      value(await store.createSession("s1", T0));
      expect(kind(await store.createSession("s1", T1))).toBe("conflict");
      expect(kind(await store.getSession("nope"))).toBe("not_found");
    });

    it("refuse ids and timestamps out of shape", async () => {
      store = fresh();
      expect(kind(await store.createSession("", T0))).toBe("invalid");
      expect(kind(await store.createSession("a\u0000b", T0))).toBe("invalid");
      expect(kind(await store.createSession("x".repeat(257), T0))).toBe("invalid");
      expect(kind(await store.createSession("s1", "2026-11-22 09:00"))).toBe("invalid");
      expect(kind(await store.createSession("s1", "2026-11-22T09:00:00+01:00"))).toBe("invalid");
    });

    it("end once: ended sessions keep their data and refuse context entries, not receipts", async () => {
      store = fresh();
      value(await store.createSession("s1", T0));
      value(await store.appendContext(contextRecord("s1", 0, digest("genesis"))));
      const ended = value(await store.endSession("s1", T1));
      expect(ended).toMatchObject({ state: "ended", ended_at: T1, context_head: { seq: 0 } });
      expect(kind(await store.endSession("s1", T1))).toBe("conflict");
      expect(kind(await store.endSession("nope", T1))).toBe("not_found");
      const head = ended.context_head?.hash as string;
      expect(kind(await store.appendContext(contextRecord("s1", 1, head)))).toBe("conflict");
      expect(value(await store.readContext("s1")).records).toHaveLength(1);
      expect(kind(await store.appendReceipt(receiptRecord("r1", "s1", 0, null)))).toBe("ok");
    });

    it("are listed in id order, a page at a time", async () => {
      store = fresh();
      for (const id of ["c", "a", "é", "b", "😀", "ｚ"]) value(await store.createSession(id, T0));
      const ids = async (page: { after?: string; limit: number }) =>
        value(await store.listSessions(page)).map((session) => session.session_id);
      // Code point order, as SQLite's binary collation sorts UTF-8: U+FF5A before U+1F600.
      expect(await ids({ limit: 100 })).toEqual(["a", "b", "c", "é", "ｚ", "😀"]);
      expect(await ids({ limit: 2 })).toEqual(["a", "b"]);
      expect(await ids({ after: "b", limit: 2 })).toEqual(["c", "é"]);
      expect(await ids({ after: "ｚ", limit: 2 })).toEqual(["😀"]);
      expect(kind(await store.listSessions({ limit: 0 }))).toBe("invalid");
      expect(kind(await store.listSessions({ limit: 10_001 }))).toBe("invalid");
    });
  });

  describe("context log", () => {
    it("appends records that extend the head, and reads them back in order", async () => {
      store = fresh();
      value(await store.createSession("s1", T0));
      const first = contextRecord("s1", 0, digest("genesis"));
      expect(value(await store.appendContext(first))).toEqual({ seq: 0, hash: first.hash });
      const second = contextRecord("s1", 1, first.hash);
      value(await store.appendContext(second));
      const snapshot = value(await store.readContext("s1"));
      expect(snapshot.records).toEqual([first, second]);
      expect(snapshot.session.context_head).toEqual({ seq: 1, hash: second.hash });
    });

    it("refuses, with a conflict and no change, a record that does not extend the head", async () => {
      store = fresh();
      value(await store.createSession("s1", T0));
      expect(kind(await store.appendContext(contextRecord("s1", 1, digest("genesis"))))).toBe("conflict");
      const first = contextRecord("s1", 0, digest("genesis"));
      value(await store.appendContext(first));
      expect(kind(await store.appendContext(contextRecord("s1", 0, digest("genesis"))))).toBe("conflict");
      expect(kind(await store.appendContext(contextRecord("s1", 2, first.hash)))).toBe("conflict");
      expect(kind(await store.appendContext(contextRecord("s1", 1, digest("other"))))).toBe("conflict");
      const snapshot = value(await store.readContext("s1"));
      expect(snapshot.records).toEqual([first]);
      expect(snapshot.session.context_head).toEqual({ seq: 0, hash: first.hash });
    });

    it("needs the session, and refuses malformed or oversized records", async () => {
      store = fresh(64);
      expect(kind(await store.appendContext(contextRecord("nope", 0, digest("g"))))).toBe("not_found");
      expect(kind(await store.readContext("nope"))).toBe("not_found");
      value(await store.createSession("s1", T0));
      expect(kind(await store.appendContext(contextRecord("s1", 0, "sha256:XYZ")))).toBe("invalid");
      expect(kind(await store.appendContext({ ...contextRecord("s1", 0, digest("g")), hash: "md5:1" }))).toBe(
        "invalid",
      );
      expect(kind(await store.appendContext(contextRecord("s1", -1, digest("g"))))).toBe("invalid");
      expect(kind(await store.appendContext(contextRecord("s1", 0.5, digest("g"))))).toBe("invalid");
      expect(kind(await store.appendContext(contextRecord("s1", 0, digest("g"), "x".repeat(65))))).toBe(
        "invalid",
      );
      expect(kind(await store.appendContext(contextRecord("s1", 0, digest("g"), "x".repeat(64))))).toBe("ok");
    });

    it("keeps sessions apart", async () => {
      store = fresh();
      value(await store.createSession("s1", T0));
      value(await store.createSession("s2", T0));
      value(await store.appendContext(contextRecord("s1", 0, digest("g"))));
      value(await store.appendContext(contextRecord("s2", 0, digest("g"), "{}")));
      expect(value(await store.readContext("s1")).records.map((r) => r.session_id)).toEqual(["s1"]);
      expect(value(await store.readContext("s2")).records.map((r) => r.body)).toEqual(["{}"]);
    });
  });

  describe("receipts", () => {
    it("are appended as a chain and read back by id and by session", async () => {
      store = fresh();
      value(await store.createSession("s1", T0));
      const r0 = receiptRecord("r0", "s1", 0, null);
      const r1 = receiptRecord("r1", "s1", 1, r0.hash);
      expect(value(await store.appendReceipt(r0))).toEqual({ seq: 0, hash: r0.hash, receipt_id: "r0" });
      value(await store.appendReceipt(r1));
      expect(value(await store.getReceipt("r1"))).toEqual(r1);
      const snapshot = value(await store.readReceipts("s1"));
      expect(snapshot.records).toEqual([r0, r1]);
      expect(snapshot.session.receipt_head).toEqual({ seq: 1, hash: r1.hash, receipt_id: "r1" });
    });

    it("refuse a receipt that does not extend the chain, or a reused id, with no change", async () => {
      store = fresh();
      value(await store.createSession("s1", T0));
      value(await store.createSession("s2", T0));
      expect(kind(await store.appendReceipt(receiptRecord("r0", "s1", 0, digest("x"))))).toBe("conflict");
      const r0 = receiptRecord("r0", "s1", 0, null);
      value(await store.appendReceipt(r0));
      expect(kind(await store.appendReceipt(receiptRecord("r0", "s2", 0, null)))).toBe("conflict");
      expect(kind(await store.appendReceipt(receiptRecord("r1", "s1", 0, null)))).toBe("conflict");
      expect(kind(await store.appendReceipt(receiptRecord("r1", "s1", 1, digest("x"))))).toBe("conflict");
      expect(kind(await store.appendReceipt(receiptRecord("r1", "s1", 2, r0.hash)))).toBe("conflict");
      expect(value(await store.readReceipts("s1")).records).toEqual([r0]);
      expect(kind(await store.getReceipt("r1"))).toBe("not_found");
    });

    it("need the session and refuse malformed records", async () => {
      store = fresh();
      expect(kind(await store.appendReceipt(receiptRecord("r0", "nope", 0, null)))).toBe("not_found");
      expect(kind(await store.readReceipts("nope"))).toBe("not_found");
      value(await store.createSession("s1", T0));
      expect(kind(await store.appendReceipt(receiptRecord("", "s1", 0, null)))).toBe("invalid");
      expect(kind(await store.appendReceipt({ ...receiptRecord("r0", "s1", 0, null), hash: "x" }))).toBe(
        "invalid",
      );
    });
  });

  describe("approvals", () => {
    const [request, other] = approvalRequests as [(typeof approvalRequests)[0], (typeof approvalRequests)[0]];
    const [result] = approvalResults as [(typeof approvalResults)[0]];
    const response = result.responses[0] as (typeof result.responses)[0];

    async function withSessions(): Promise<Store> {
      const made = fresh();
      value(await made.createSession(request.action.identity.session, T0));
      value(await made.createSession(other.action.identity.session, T0));
      return made;
    }

    it("are created pending at version 0 and read back", async () => {
      store = await withSessions();
      const created = value(await store.createApproval(request));
      expect(created).toEqual({ request, responses: [], result: null, version: 0 });
      expect(value(await store.getApproval(request.request_id))).toEqual(created);
      expect(kind(await store.createApproval(request))).toBe("conflict");
      expect(kind(await store.getApproval("nope"))).toBe("not_found");
    });

    it("need their session and a valid request", async () => {
      store = fresh();
      expect(kind(await store.createApproval(request))).toBe("not_found");
      value(await store.createSession(request.action.identity.session, T0));
      expect(kind(await store.createApproval({ ...request, rules: [] }))).toBe("invalid");
      expect(kind(await store.createApproval({ ...request, extra: 1 } as typeof request))).toBe("invalid");
    });

    it("are updated at the expected version only, and are final once settled", async () => {
      store = await withSessions();
      value(await store.createApproval(request));
      const id = request.request_id;
      const step = value(await store.updateApproval(id, 0, { responses: [response], result: null }));
      expect(step).toMatchObject({ version: 1, responses: [response], result: null });
      expect(kind(await store.updateApproval(id, 0, { responses: [], result: null }))).toBe("conflict");
      expect(kind(await store.updateApproval("nope", 0, { responses: [], result: null }))).toBe("not_found");
      const wrong = { ...result, request_id: "apr_other" };
      expect(kind(await store.updateApproval(id, 1, { responses: [], result: wrong }))).toBe("invalid");
      const settled = value(await store.updateApproval(id, 1, { responses: result.responses, result }));
      expect(settled).toEqual({ request, responses: result.responses, result, version: 2 });
      expect(kind(await store.updateApproval(id, 2, { responses: [], result: null }))).toBe("conflict");
      expect(value(await store.getApproval(id))).toEqual(settled);
    });

    it("are listed by id, filtered by session and state, a page at a time", async () => {
      store = await withSessions();
      value(await store.createApproval(request));
      value(await store.createApproval(other));
      value(await store.updateApproval(request.request_id, 0, { responses: result.responses, result }));
      const ids = async (filter: { session_id?: string; pending?: boolean }, page = { limit: 10 }) =>
        value(await store.listApprovals(filter, page)).map((record) => record.request.request_id);
      expect(await ids({})).toEqual(["apr_3d9e", "apr_77aa"]);
      expect(await ids({ pending: true })).toEqual(["apr_77aa"]);
      expect(await ids({ pending: false })).toEqual(["apr_3d9e"]);
      expect(await ids({ session_id: request.action.identity.session })).toEqual(["apr_3d9e"]);
      expect(await ids({ session_id: request.action.identity.session, pending: true })).toEqual([]);
      expect(await ids({}, { limit: 1 })).toEqual(["apr_3d9e"]);
      expect(await ids({}, { after: "apr_3d9e", limit: 1 } as { limit: number })).toEqual(["apr_77aa"]);
      expect(kind(await store.listApprovals({}, { limit: 0 }))).toBe("invalid");
    });
  });

  describe("deferrals", () => {
    const [deferred, second] = deferredActions as [(typeof deferredActions)[0], (typeof deferredActions)[0]];
    const [resolution] = deferralResolutions as [(typeof deferralResolutions)[0]];

    async function withSessions(): Promise<Store> {
      const made = fresh();
      value(await made.createSession(deferred.action.identity.session, T0));
      value(await made.createSession(second.action.identity.session, T0));
      return made;
    }

    it("are created unresolved at version 0 and read back", async () => {
      store = await withSessions();
      const created = value(await store.createDeferral(deferred));
      expect(created).toEqual({ deferred, resolution: null, version: 0 });
      expect(value(await store.getDeferral(deferred.deferral_id))).toEqual(created);
      expect(kind(await store.createDeferral(deferred))).toBe("conflict");
      expect(kind(await store.getDeferral("nope"))).toBe("not_found");
    });

    it("need their session and a valid document", async () => {
      store = fresh();
      expect(kind(await store.createDeferral(deferred))).toBe("not_found");
      value(await store.createSession(deferred.action.identity.session, T0));
      expect(kind(await store.createDeferral({ ...deferred, cascade_depth: -1 }))).toBe("invalid");
    });

    it("move state at the expected version only, keep their action, and are final once resolved", async () => {
      store = await withSessions();
      value(await store.createDeferral(deferred));
      const id = deferred.deferral_id;
      const attempted = { ...deferred, attempts: deferred.attempts + 1 };
      expect(value(await store.updateDeferral(id, 0, { deferred: attempted, resolution: null }))).toEqual({
        deferred: attempted,
        resolution: null,
        version: 1,
      });
      expect(kind(await store.updateDeferral(id, 0, { deferred: attempted, resolution: null }))).toBe(
        "conflict",
      );
      const otherAction = { ...attempted, action: { ...attempted.action, parameters: { target: "prod" } } };
      expect(kind(await store.updateDeferral(id, 1, { deferred: otherAction, resolution: null }))).toBe(
        "invalid",
      );
      const renamed = { ...attempted, deferral_id: "dfr_other" };
      expect(kind(await store.updateDeferral(id, 1, { deferred: renamed, resolution: null }))).toBe(
        "invalid",
      );
      const resolved = { ...attempted, state: "resolved" as const };
      const final = value(await store.updateDeferral(id, 1, { deferred: resolved, resolution }));
      expect(final).toEqual({ deferred: resolved, resolution, version: 2 });
      expect(kind(await store.updateDeferral(id, 2, { deferred: resolved, resolution: null }))).toBe(
        "conflict",
      );
      expect(kind(await store.updateDeferral("nope", 0, { deferred, resolution: null }))).toBe("not_found");
    });

    it("are listed by id, filtered by session and state", async () => {
      store = await withSessions();
      value(await store.createDeferral(deferred));
      value(await store.createDeferral(second));
      value(await store.updateDeferral(deferred.deferral_id, 0, { deferred, resolution }));
      const ids = async (filter: { session_id?: string; pending?: boolean }) =>
        value(await store.listDeferrals(filter, { limit: 10 })).map((record) => record.deferred.deferral_id);
      expect(await ids({})).toEqual(["dfr_51c0", "dfr_51c1"]);
      expect(await ids({ pending: true })).toEqual(["dfr_51c1"]);
      expect(await ids({ session_id: deferred.action.identity.session })).toEqual(["dfr_51c0"]);
    });
  });

  it("fails every operation with io once closed", async () => {
    store = fresh();
    value(await store.createSession("s1", T0));
    await store.close();
    expect(kind(await store.getSession("s1"))).toBe("io");
    expect(kind(await store.createSession("s2", T0))).toBe("io");
    expect(kind(await store.appendContext(contextRecord("s1", 0, digest("g"))))).toBe("io");
    expect(kind(await store.readReceipts("s1"))).toBe("io");
    expect(kind(await store.listApprovals({}, { limit: 1 }))).toBe("io");
  });
});
