/**
 * Shared harness of the runtime tests: a real SQLite store in a temporary
 * directory, a keyring, an identity verifier that checks claims against a
 * table of known principals (and fails as told for forged, revoked and
 * stale tokens), mock tools that record every execution, and the offline
 * checks every scenario ends with.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { compileText } from "../../src/compiler.ts";
import type { Json } from "../../src/ir/contract.ts";
import type { Ir } from "../../src/ir/types.ts";
import { Keyring } from "../../src/runtime/crypto/keyring.ts";
import { nodeBackend } from "../../src/runtime/crypto/node.ts";
import type { EnforcementHandle, RuntimeEvent, RuntimeFault } from "../../src/runtime/engine/types.ts";
import type { IdentityClaims, IdentityResult, IdentityVerifier } from "../../src/runtime/identity/types.ts";
import type { Session } from "../../src/runtime/engine/session.ts";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../src/runtime/runtime.ts";
import { SqliteStore } from "../../src/runtime/store/sqlite.ts";
import type { Store } from "../../src/runtime/store/types.ts";
import { verifyStoreReceipts } from "../../src/runtime/verify.ts";
import type { Receipt } from "../../src/schema/generated/types.ts";

/** Compiles policy text, failing the test on any error. */
export function policy(text: string): Ir {
  const result = compileText(text);
  if (result.ir === null) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  return result.ir;
}

/** A fresh temporary directory, removed by `cleanup`. */
export function tempDir(): { readonly dir: string; readonly cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "aarm-engine-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A clock that starts at `start` and advances one second per reading, or as set. */
export class TestClock {
  #now: number;
  step: number;
  constructor(start = "2026-11-22T09:00:00.000Z", step = 1000) {
    this.#now = Date.parse(start);
    this.step = step;
  }
  readonly now = (): Date => {
    const at = new Date(this.#now);
    this.#now += this.step;
    return at;
  };
  /** The time now, without advancing: for services (approval desks) that read it while they wait. */
  readonly current = (): Date => new Date(this.#now);
  set(iso: string): void {
    this.#now = Date.parse(iso);
  }
}

/**
 * Verifies claims against the principals it was told about. Tokens steer
 * failures: `forged` (bad signature), `revoked`, `stale` (expired),
 * `unavailable`, `throw`, `hang`. Delegations past their expiry are invalid.
 */
export class TestVerifier implements IdentityVerifier {
  readonly id = "test";
  readonly known: Set<string>;
  calls = 0;
  constructor(known: readonly string[] = ["alice@example.com", "bob@example.com", "agent-svc"]) {
    this.known = new Set(known);
  }
  verify(claims: IdentityClaims, now: Date): Promise<IdentityResult> {
    this.calls++;
    const fail = (failure: IdentityResult & { ok: false }): Promise<IdentityResult> =>
      Promise.resolve(failure);
    switch (claims.token) {
      case "forged":
        return fail({ ok: false, failure: "bad_signature", message: "signature does not verify" });
      case "revoked":
        return fail({ ok: false, failure: "revoked", message: "token revoked" });
      case "stale":
        return fail({ ok: false, failure: "expired", message: "token expired" });
      case "unavailable":
        return fail({ ok: false, failure: "unavailable", message: "identity provider unreachable" });
      case "throw":
        throw new Error("verifier crashed");
      case "hang":
        return new Promise(() => {});
    }
    if (claims.human === undefined && claims.service === undefined) {
      return fail({ ok: false, failure: "missing", message: "neither a human nor a service principal" });
    }
    for (const who of [claims.human, claims.service]) {
      if (who !== undefined && !this.known.has(who)) {
        return fail({ ok: false, failure: "untrusted_issuer", message: `${who} is unknown` });
      }
    }
    const delegation = claims.delegation ?? [];
    if (delegation.some((link) => Date.parse(link.expires_at) <= now.getTime())) {
      return fail({ ok: false, failure: "delegation_invalid", message: "a delegation has expired" });
    }
    return Promise.resolve({
      ok: true,
      identity: {
        ...(claims.human === undefined ? {} : { human: claims.human }),
        ...(claims.service === undefined ? {} : { service: claims.service }),
        ...(claims.agent === undefined ? {} : { agent: claims.agent }),
        session: claims.session,
        roles: claims.roles ?? [],
        scope: claims.scope ?? [],
        delegation,
        verified_at: now.toISOString(),
        valid_until: null,
        method: "test",
      },
    });
  }
}

/** Mock tools by name, each returning its output (or throwing, for `throws`). */
export class MockTools {
  readonly calls: { readonly tool: string; readonly args: { readonly [name: string]: Json } }[] = [];
  readonly outputs: Map<string, Json>;
  readonly throws: Set<string>;
  constructor(outputs: { readonly [tool: string]: Json } = {}, throws: readonly string[] = []) {
    this.outputs = new Map(Object.entries(outputs));
    this.throws = new Set(throws);
  }
  run(tool: string, args: { readonly [name: string]: Json }): Json {
    this.calls.push({ tool, args });
    if (this.throws.has(tool)) throw new Error(`${tool} failed`);
    return this.outputs.get(tool) ?? "ok";
  }
  ran(tool: string): number {
    return this.calls.filter((c) => c.tool === tool).length;
  }
}

/**
 * The enforcement point as an adapter implements it: run the tool only for a
 * non-replayed `allow`, with the handle's tool and arguments, and record the
 * outcome. Pending handles are awaited.
 */
export async function enforce(
  session: Session,
  tools: MockTools,
  handle: EnforcementHandle,
): Promise<EnforcementHandle> {
  const final = handle.kind === "pending" ? await handle.settled : handle;
  if (final.kind !== "allow" || final.replay) return final;
  try {
    const output = tools.run(final.tool, final.args);
    const recorded = await session.recordOutcome(final.actionId, { success: true, output });
    expect(recorded.ok, JSON.stringify(recorded)).toBe(true);
  } catch (caught) {
    await session.recordOutcome(final.actionId, {
      success: false,
      error: { message: caught instanceof Error ? caught.message : String(caught) },
    });
  }
  return final;
}

/** A runtime over a fresh SQLite store, with everything recorded for assertions. */
export interface Harness {
  readonly runtime: Runtime;
  readonly store: Store;
  readonly path: string;
  readonly keyring: Keyring;
  readonly clock: TestClock;
  readonly verifier: TestVerifier;
  readonly tools: MockTools;
  readonly events: RuntimeEvent[];
  readonly faults: RuntimeFault[];
  /** Starts a session for `human` (default alice) with `intent`. */
  session(options?: {
    readonly id?: string;
    readonly human?: string;
    readonly intent?: string;
    readonly claims?: Partial<IdentityClaims>;
  }): Promise<Session>;
  /** Evaluates and enforces one call. */
  call(
    session: Session,
    tool: string,
    args: { readonly [name: string]: Json },
    callId?: string,
  ): Promise<EnforcementHandle>;
  close(): Promise<void>;
}

let sessions = 0;

/** Builds a harness; `options` override the runtime's. */
export function harness(
  ir: Ir | { readonly path: string },
  options: Partial<RuntimeOptions> & {
    readonly outputs?: { readonly [tool: string]: Json };
    /** Wraps the SQLite store the runtime is given (for fault injection, or services built on it). */
    readonly wrap?: (store: Store, clock: TestClock) => Store;
  } = {},
): Harness {
  const { outputs, wrap, ...overrides } = options;
  const { dir, cleanup } = tempDir();
  const path = join(dir, "aarm.sqlite");
  const opened = SqliteStore.open(path);
  if (!opened.ok) throw new Error(opened.error.message);
  const clock = new TestClock();
  const store = wrap === undefined ? opened.value : wrap(opened.value, clock);
  const keyring = Keyring.generate(nodeBackend, new Date("2026-11-01T00:00:00Z"));
  const verifier = new TestVerifier();
  const tools = new MockTools(outputs ?? {});
  const events: RuntimeEvent[] = [];
  const faults: RuntimeFault[] = [];
  const runtime = createRuntime({
    policy: "path" in ir ? ir : { ir },
    store,
    keyring,
    identity: verifier,
    clock: clock.now,
    telemetry: (event) => events.push(event),
    onFault: (fault) => faults.push(fault),
    timeouts: { pendingCeilingMs: 200, scorerMs: 200, identityMs: 200, factsMs: 200 },
    ...overrides,
  });
  return {
    runtime,
    store,
    path,
    keyring,
    clock,
    verifier,
    tools,
    events,
    faults,
    session(o = {}) {
      const id = o.id ?? `sess_${++sessions}`;
      return runtime.startSession({
        identity: {
          human: o.human ?? "alice@example.com",
          service: "agent-svc",
          agent: "research-agent-v2",
          session: id,
          roles: ["analyst"],
          scope: ["db:read"],
          ...o.claims,
        },
        ...(o.intent === undefined ? {} : { intent: o.intent }),
      });
    },
    async call(session, tool, args, callId) {
      const handle = await session.evaluate({ tool, args, ...(callId === undefined ? {} : { callId }) });
      return enforce(session, tools, handle);
    },
    async close() {
      await runtime.close();
      await opened.value.close();
      cleanup();
    },
  };
}

/** Every stored receipt, parsed, in chain order per session. */
export async function receiptsOf(store: Store, sessionId: string): Promise<Receipt[]> {
  const chain = await store.readReceipts(sessionId);
  if (!chain.ok) throw new Error(chain.error.message);
  return chain.value.records.map((r) => JSON.parse(r.body) as Receipt);
}

/** One receipt by id. */
export async function receipt(store: Store, id: string | null): Promise<Receipt> {
  expect(id).not.toBeNull();
  const got = await store.getReceipt(id as string);
  if (!got.ok) throw new Error(got.error.message);
  return JSON.parse(got.value.body) as Receipt;
}

/**
 * What every scenario ends with: every receipt in the store verifies offline
 * with the public keys alone, and carries identity and the policy's id,
 * version and hash.
 */
export async function expectVerifiedReceipts(h: Harness, ir: Ir | null = null): Promise<Receipt[]> {
  const report = await verifyStoreReceipts(h.store, h.keyring);
  if (!report.ok) throw new Error(report.error.message);
  expect(report.value.issues).toEqual([]);
  expect(report.value.ok).toBe(true);
  const all: Receipt[] = [];
  for (const chain of report.value.sessions) all.push(...(await receiptsOf(h.store, chain.session_id)));
  for (const r of all) {
    expect(r.requester_context.session).toBeTruthy();
    expect(r.requester_context.human ?? r.requester_context.service).toBeTruthy();
    expect(r.decision.policy.policy_id).toBeTruthy();
    expect(r.decision.policy.version).toBeTruthy();
    expect(r.decision.policy.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    if (ir !== null) expect(r.decision.policy.hash).toBe(ir.hash);
  }
  return all;
}

/** The store methods a {@link FaultyStore} can be told to fail. */
export type StoreMethod = Exclude<keyof Store, "close">;

/**
 * A store that fails the methods in `failing` with an `io` error (or throws,
 * for those in `throwing`), and otherwise passes every call to `inner`.
 */
export class FaultyStore implements Store {
  readonly failing = new Set<StoreMethod>();
  readonly throwing = new Set<StoreMethod>();
  /** Calls of a failing method still let through before it starts failing. */
  readonly grace = new Map<StoreMethod, number>();
  readonly #inner: Store;
  constructor(inner: Store) {
    this.#inner = inner;
  }
  #call<T>(method: StoreMethod, run: () => Promise<T>): Promise<T> {
    const grace = this.grace.get(method) ?? 0;
    if (grace > 0 && (this.throwing.has(method) || this.failing.has(method))) {
      this.grace.set(method, grace - 1);
      return run();
    }
    if (this.throwing.has(method)) return Promise.reject(new Error(`${method} crashed`));
    if (this.failing.has(method)) {
      return Promise.resolve({
        ok: false,
        error: { kind: "io", message: `${method}: disk unavailable` },
      } as T);
    }
    return run();
  }
  createSession: Store["createSession"] = (...a) =>
    this.#call("createSession", () => this.#inner.createSession(...a));
  getSession: Store["getSession"] = (...a) => this.#call("getSession", () => this.#inner.getSession(...a));
  endSession: Store["endSession"] = (...a) => this.#call("endSession", () => this.#inner.endSession(...a));
  listSessions: Store["listSessions"] = (...a) =>
    this.#call("listSessions", () => this.#inner.listSessions(...a));
  appendContext: Store["appendContext"] = (...a) =>
    this.#call("appendContext", () => this.#inner.appendContext(...a));
  readContext: Store["readContext"] = (...a) =>
    this.#call("readContext", () => this.#inner.readContext(...a));
  appendReceipt: Store["appendReceipt"] = (...a) =>
    this.#call("appendReceipt", () => this.#inner.appendReceipt(...a));
  getReceipt: Store["getReceipt"] = (...a) => this.#call("getReceipt", () => this.#inner.getReceipt(...a));
  readReceipts: Store["readReceipts"] = (...a) =>
    this.#call("readReceipts", () => this.#inner.readReceipts(...a));
  createApproval: Store["createApproval"] = (...a) =>
    this.#call("createApproval", () => this.#inner.createApproval(...a));
  getApproval: Store["getApproval"] = (...a) =>
    this.#call("getApproval", () => this.#inner.getApproval(...a));
  updateApproval: Store["updateApproval"] = (...a) =>
    this.#call("updateApproval", () => this.#inner.updateApproval(...a));
  listApprovals: Store["listApprovals"] = (...a) =>
    this.#call("listApprovals", () => this.#inner.listApprovals(...a));
  createDeferral: Store["createDeferral"] = (...a) =>
    this.#call("createDeferral", () => this.#inner.createDeferral(...a));
  getDeferral: Store["getDeferral"] = (...a) =>
    this.#call("getDeferral", () => this.#inner.getDeferral(...a));
  updateDeferral: Store["updateDeferral"] = (...a) =>
    this.#call("updateDeferral", () => this.#inner.updateDeferral(...a));
  listDeferrals: Store["listDeferrals"] = (...a) =>
    this.#call("listDeferrals", () => this.#inner.listDeferrals(...a));
  close(): Promise<void> {
    return this.#inner.close();
  }
}
