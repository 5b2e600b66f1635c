/**
 * The decision service's operations, independent of HTTP framing: each takes
 * the authenticated client, the path parameters, the query and the checked
 * body, and returns a reply or a problem. `server.ts` does the wire work.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import { bounded } from "../../runtime/engine/bounded.ts";
import type { IntentInput } from "../../runtime/engine/session.ts";
import type { RuntimeEvent } from "../../runtime/engine/types.ts";
import type { IdentityClaims, IdentityVerifier } from "../../runtime/identity/types.ts";
import { exportReceipts } from "../../runtime/receipts/export.ts";
import type { Runtime } from "../../runtime/runtime.ts";
import type { SessionRecord, Store, StoreError, StoreResult } from "../../runtime/store/types.ts";
import { deskOperations, type Desks } from "./approvals.ts";
import type { Client } from "./auth.ts";
import { openApiDocument } from "./openapi.ts";
import { type HttpProblem, problem } from "./problem.ts";
import type { OperationId } from "./routes.ts";
import { handleJson, type HostedSession, track, waitSettled } from "./sessions.ts";

/** A successful answer. */
export type Reply =
  | {
      readonly kind: "json";
      readonly status: number;
      readonly body: unknown;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** JSON text sent as is (stored, signed documents are never re-serialised). */
  | { readonly kind: "text"; readonly status: number; readonly text: string }
  /** JSON lines, streamed: `emit` resolves once the line is written (back-pressure). */
  | {
      readonly kind: "lines";
      readonly produce: (emit: (line: string) => Promise<void>) => Promise<StoreResult<number>>;
    };

/** What an operation is called with. */
export interface OperationRequest {
  /** The authenticated client; null on public routes. */
  readonly client: Client | null;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The body, checked against the route's schema; undefined when there is none. */
  readonly body: unknown;
  /** Aborted when the client disconnects. */
  readonly signal: AbortSignal;
}

/** The bounds the service applies to sessions and waiting. */
export interface ServiceLimits {
  /** The longest a request waits for a pending action (`wait_ms`), in milliseconds; default 30000. */
  readonly maxWaitMs?: number;
  /** The most sessions one client holds at once; default 10000. */
  readonly maxSessions?: number;
  /** How long store and identity calls made by the service itself may take; default 5000. */
  readonly callTimeoutMs?: number;
}

/** What the service is built from. */
export interface ServiceOptions {
  readonly runtime: Runtime;
  /** The runtime's store, for reading sessions and receipts. */
  readonly store: Store;
  /** The runtime's identity verifier: a session's claims are checked once when it starts, to answer early. */
  readonly identity: IdentityVerifier;
  /** The runtime's approval and deferral desks, for the approver operations; without them those answer 501. */
  readonly desks?: Desks;
  readonly limits?: ServiceLimits;
}

/** One operation of the API: a reply, or the problem to answer instead. */
export type ServiceOperation = (request: OperationRequest) => Promise<Reply | HttpProblem>;

const DEFAULTS = { maxWaitMs: 30_000, maxSessions: 10_000, callTimeoutMs: 5_000 } as const;

function json(status: number, body: unknown, headers?: Readonly<Record<string, string>>): Reply {
  return headers === undefined ? { kind: "json", status, body } : { kind: "json", status, body, headers };
}

/** A store failure as a problem, never with its message: the store's messages are for operators. */
function storeProblem(error: StoreError): HttpProblem {
  if (error.kind === "not_found") return problem("not_found");
  if (error.kind === "invalid") return problem("invalid_request", "the store refuses this id");
  return problem("store_unavailable");
}

function sessionInfo(record: SessionRecord, live: boolean) {
  return {
    session_id: record.session_id,
    state: record.state,
    started_at: record.started_at,
    ended_at: record.ended_at,
    live,
    receipts: record.receipt_head === null ? 0 : record.receipt_head.seq + 1,
  };
}

/** The most session faults remembered between a session's start and its check. */
const MAX_FAULTS = 1_000;

/**
 * What the service learns from the runtime's events: whether the last
 * policy reload was rejected, and which sessions failed closed as they
 * started or resumed (the runtime reports that instead of throwing).
 */
export interface RuntimeWatch {
  /** Feeds runtime events in (wire it to the runtime's `telemetry`). */
  observe(event: RuntimeEvent): void;
  /** Whether the last reload was rejected (the previous policy stays in force). */
  readonly policyRejected: boolean;
  /** Takes the session-stage fault last reported for `sessionId`, if any. */
  takeSessionFault(sessionId: string): string | null;
}

/** Watches runtime events for the service. */
export function runtimeWatch(): RuntimeWatch {
  let rejected = false;
  const faults = new Map<string, string>();
  return {
    observe(event) {
      if (event.type === "policy_loaded") rejected = false;
      else if (event.type === "policy_rejected") rejected = true;
      else if (event.type === "fault" && event.fault.stage === "session" && event.fault.session_id !== null) {
        faults.delete(event.fault.session_id);
        faults.set(event.fault.session_id, event.fault.message);
        const oldest = faults.keys().next();
        if (faults.size > MAX_FAULTS && oldest.done !== true) faults.delete(oldest.value);
      }
    },
    get policyRejected() {
      return rejected;
    },
    takeSessionFault(sessionId) {
      const fault = faults.get(sessionId) ?? null;
      faults.delete(sessionId);
      return fault;
    },
  };
}

/** The decision service: its operations by id. */
export interface DecisionService {
  readonly operations: Readonly<Record<OperationId, ServiceOperation>>;
}

/** Creates the service's operations over a runtime and its store. */
export function createDecisionService(options: ServiceOptions, watch: RuntimeWatch): DecisionService {
  const { runtime, store, identity } = options;
  const limits = { ...DEFAULTS, ...options.limits };
  const sessions = new Map<string, HostedSession>();
  const starting = new Set<string>();
  const document = openApiDocument();

  const call = <T>(what: string, run: () => Promise<T>) => bounded(what, limits.callTimeoutMs, run);

  /** The session if `client` holds it here. */
  const held = (client: Client | null, sessionId: string | undefined): HostedSession | HttpProblem => {
    const hosted = sessionId === undefined ? undefined : sessions.get(sessionId);
    if (hosted === undefined || client === null || hosted.owner !== client.name) {
      return problem("not_found", "no live session with this id for this client");
    }
    return hosted;
  };

  /** The stored session, if `client` may read it: its owner, or an auditor. */
  const readable = async (
    client: Client | null,
    sessionId: string,
  ): Promise<{ readonly record: SessionRecord; readonly live: boolean } | HttpProblem> => {
    const hosted = sessions.get(sessionId);
    const owner = hosted !== undefined && client !== null && hosted.owner === client.name;
    if (!owner && !(client?.scopes.includes("audit") ?? false)) {
      return problem("not_found", "no session with this id for this client");
    }
    const found = await call("the store", () => store.getSession(sessionId));
    if (!found.ok) return problem("store_unavailable");
    if (!found.value.ok) return storeProblem(found.value.error);
    return { record: found.value.value, live: hosted !== undefined };
  };

  const waitMs = (query: URLSearchParams, fromBody: unknown): number => {
    const raw = typeof fromBody === "number" ? fromBody : Number(query.get("wait_ms") ?? "0");
    return Number.isFinite(raw) && raw > 0 ? Math.min(raw, limits.maxWaitMs) : 0;
  };

  const operations: Record<OperationId, ServiceOperation> = {
    ...deskOperations(options.desks ?? {}, limits.callTimeoutMs),
    async health() {
      const probe = await call("the store", () => store.listSessions({ limit: 1 }));
      const storeOk = probe.ok && probe.value.ok;
      const ref = runtime.policy;
      const status = !storeOk ? "unavailable" : watch.policyRejected ? "degraded" : "ok";
      return json(storeOk ? 200 : 503, {
        status,
        store: { ok: storeOk },
        policy: { ...ref, last_reload: watch.policyRejected ? "rejected" : "ok" },
      });
    },

    openapi() {
      return Promise.resolve(json(200, document));
    },

    async startSession({ client, body }) {
      const request = body as {
        readonly identity: Record<string, unknown>;
        readonly intent?: string | IntentInput;
        readonly resume?: boolean;
      };
      const resume = request.resume === true;
      const sessionId =
        typeof request.identity.session === "string"
          ? request.identity.session
          : `ses_${globalThis.crypto.randomUUID().replaceAll("-", "")}`;
      const claims = { ...request.identity, session: sessionId } as unknown as IdentityClaims;
      const owner = client?.name ?? "";
      let owned = 0;
      for (const hosted of sessions.values()) if (hosted.owner === owner) owned++;
      if (owned >= limits.maxSessions || starting.size >= limits.maxSessions) {
        return problem("too_many_sessions");
      }
      if (sessions.has(sessionId) || starting.has(sessionId)) return problem("session_exists");
      starting.add(sessionId);
      try {
        const existing = await call("the store", () => store.getSession(sessionId));
        if (!existing.ok) return problem("store_unavailable");
        if (existing.value.ok && !resume) return problem("session_exists", "resume it with resume: true");
        if (!existing.value.ok && existing.value.error.kind !== "not_found") {
          return storeProblem(existing.value.error);
        }
        const verified = await call("the identity verifier", () => identity.verify(claims, new Date()));
        if (!verified.ok) return problem("identity_rejected", "the identity could not be verified in time");
        if (!verified.value.ok) {
          return problem("identity_rejected", verified.value.message, { failure: verified.value.failure });
        }
        watch.takeSessionFault(sessionId);
        const intent = request.intent === undefined ? {} : { intent: request.intent };
        // The verified principal, spelled out in the claims (a token's subject otherwise is not), so
        // that resuming checks it against the stored session's: nobody resumes another's session.
        const { human, service } = verified.value.identity;
        const bound: IdentityClaims = {
          ...claims,
          ...(human === undefined ? {} : { human }),
          ...(service === undefined ? {} : { service }),
        };
        const session = resume
          ? await runtime.openSession({ identity: bound, ...intent })
          : await runtime.startSession({ identity: bound, ...intent });
        if (watch.takeSessionFault(sessionId) !== null) {
          return resume
            ? problem(
                "session_ended",
                "the session cannot be resumed: it has ended, or it is another principal's",
              )
            : problem("store_unavailable", "the session could not be started");
        }
        const started = await call("the store", () => store.getSession(sessionId));
        if (!started.ok || !started.value.ok) return problem("store_unavailable");
        sessions.set(sessionId, { session, owner, actions: new Map() });
        return json(existing.value.ok ? 200 : 201, sessionInfo(started.value.value, true), {
          Location: `/v1/sessions/${encodeURIComponent(sessionId)}`,
        });
      } finally {
        starting.delete(sessionId);
      }
    },

    async getSession({ client, params }) {
      const found = await readable(client, params.session_id ?? "");
      if (!("record" in found)) return found;
      return json(200, sessionInfo(found.record, found.live));
    },

    async endSession({ client, params }) {
      const hosted = held(client, params.session_id);
      if (!("session" in hosted)) return hosted;
      const ended = await hosted.session.end();
      sessions.delete(hosted.session.id);
      if (!ended.ok)
        return problem("session_ended", "the session could not be ended: it may have ended already");
      const record = await call("the store", () => store.getSession(hosted.session.id));
      if (!record.ok) return problem("store_unavailable");
      if (!record.value.ok) return storeProblem(record.value.error);
      return json(200, sessionInfo(record.value.value, false));
    },

    async evaluate({ client, params, query, body, signal }) {
      const hosted = held(client, params.session_id);
      if (!("session" in hosted)) return hosted;
      const request = body as {
        readonly tool: string;
        readonly args: Record<string, unknown>;
        readonly call_id?: string;
        readonly operation?: string;
        readonly wait_ms?: number;
      };
      const handle = await hosted.session.evaluate({
        tool: request.tool,
        args: request.args,
        ...(request.call_id === undefined ? {} : { callId: request.call_id }),
        ...(request.operation === undefined ? {} : { operation: request.operation }),
      });
      const tracked = track(hosted, handle);
      await waitSettled(tracked, waitMs(query, request.wait_ms), signal);
      const answer = handleJson(hosted.session.id, tracked);
      return answer.kind === "pending" ? json(202, answer, { Location: answer.poll }) : json(200, answer);
    },

    async getAction({ client, params, query, signal }) {
      const hosted = held(client, params.session_id);
      if (!("session" in hosted)) return hosted;
      const tracked = hosted.actions.get(params.action_id ?? "");
      if (tracked === undefined) return problem("not_found", "no action with this id in this session");
      await waitSettled(tracked, waitMs(query, undefined), signal);
      const answer = handleJson(hosted.session.id, tracked);
      return json(answer.kind === "pending" ? 202 : 200, answer);
    },

    async cancelAction({ client, params, signal }) {
      const hosted = held(client, params.session_id);
      if (!("session" in hosted)) return hosted;
      const tracked = hosted.actions.get(params.action_id ?? "");
      if (tracked === undefined) return problem("not_found", "no action with this id in this session");
      if (tracked.handle.kind === "pending") tracked.handle.cancel();
      await waitSettled(tracked, limits.maxWaitMs, signal);
      const answer = handleJson(hosted.session.id, tracked);
      return json(answer.kind === "pending" ? 202 : 200, answer);
    },

    async recordOutcome({ client, params, body }) {
      const hosted = held(client, params.session_id);
      if (!("session" in hosted)) return hosted;
      const actionId = params.action_id ?? "";
      const outcome = body as {
        readonly success: boolean;
        readonly output?: Json;
        readonly error?: { readonly message: string; readonly code?: string };
      };
      const recorded = await hosted.session.recordOutcome(actionId, outcome);
      if (!recorded.ok) {
        // The runtime's own refusals say what the client did wrong; store or signer failures stay inside.
        const own = /^(no released action|the outcome of|an outcome needs|the output is not JSON)/.test(
          recorded.error,
        );
        return problem("outcome_rejected", own ? recorded.error : "the outcome could not be recorded");
      }
      return json(200, { action_id: actionId, receipt_id: recorded.receiptId, labels: recorded.labels });
    },

    async listSessionReceipts({ client, params }) {
      const sessionId = params.session_id ?? "";
      const found = await readable(client, sessionId);
      if (!("record" in found)) return found;
      const chain = await call("the store", () => store.readReceipts(sessionId));
      if (!chain.ok) return problem("store_unavailable");
      if (!chain.value.ok) return storeProblem(chain.value.error);
      // Receipts as stored, byte for byte, so that their signatures verify from this answer.
      const receipts = chain.value.value.records.map((record) => record.body).join(",");
      return {
        kind: "text",
        status: 200,
        text: `{"session_id":${JSON.stringify(sessionId)},"receipts":[${receipts}]}`,
      };
    },

    exportReceipts() {
      return Promise.resolve({ kind: "lines", produce: (emit) => exportReceipts(store, emit) });
    },

    async getReceipt({ params }) {
      const found = await call("the store", () => store.getReceipt(params.receipt_id ?? ""));
      if (!found.ok) return problem("store_unavailable");
      if (!found.value.ok) return storeProblem(found.value.error);
      return { kind: "text", status: 200, text: found.value.value.body };
    },
  };

  return { operations };
}
