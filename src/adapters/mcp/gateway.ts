/**
 * The MCP gateway's core: one {@link GatewaySession} per client session,
 * answering the client's JSON-RPC messages, with every `tools/call` decided
 * by the aarm runtime before anything reaches an upstream server.
 *
 * Method table (see docs/gateway.md):
 *
 * | method | handling |
 * |---|---|
 * | `initialize` | answered by the gateway; starts the runtime session with the intent |
 * | `ping`, `tools/list` | answered by the gateway (tools listed at start, prefixed, with the policy's hints) |
 * | `tools/call` | decided by the runtime; forwarded only on release |
 * | `notifications/cancelled` | gives up the named call (a pending decision is cancelled, so denied) |
 * | other notifications, client responses | dropped |
 * | anything else (`resources/*`, `prompts/*`, `completion/complete`, `logging/setLevel`, `tasks/*`…) | `-32601`: not offered, so no data flows unmediated |
 *
 * A call is released to its upstream only by an `allow` handle that is not a
 * replay; a DENY (or a STEP_UP / DEFER that ends denied) is answered as a
 * tool result with `isError: true` and the reason, so the agent can re-plan.
 * The upstream's result goes back unchanged, and its text is recorded as the
 * action's outcome, labelled by the policy, before the client is answered.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import {
  LATEST_PROTOCOL_VERSION,
  McpError,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import { messageOf } from "../../runtime/engine/bounded.ts";
import type { IntentInput, Session } from "../../runtime/engine/session.ts";
import {
  type AllowHandle,
  type DenyHandle,
  MAX_ERROR_MESSAGE_CHARS,
  type ToolOutcome,
} from "../../runtime/engine/types.ts";
import type { IdentityClaims } from "../../runtime/identity/types.ts";
import type { Runtime } from "../../runtime/runtime.ts";
import {
  ERROR,
  failure,
  type Incoming,
  isObject,
  type JsonObject,
  type Outgoing,
  type RequestId,
  result,
} from "./jsonrpc.ts";
import { listedTools, type ToolTable, toolTable, undeclaredTools } from "./tools.ts";
import type { Upstream } from "./upstream.ts";

/** The `_meta` key of `initialize` params that carries the session's intent. */
export const INTENT_META_KEY = "aarm/intent";
/** The `_meta` key of a denial's tool result that carries the decision. */
export const DECISION_META_KEY = "aarm/decision";

/** Bounds on the gateway's work. */
export interface GatewayLimits {
  /** Most `tools/call`s in flight at once, over all sessions; default 32. More are refused (`-32000`). */
  readonly maxInFlight?: number;
  /** Longest wait for an upstream's answer to a released call, in ms; default 60 000. */
  readonly callTimeoutMs?: number;
}

/** What a gateway is built from. */
export interface GatewayOptions {
  /** Decides every call; the caller creates and closes it. */
  readonly runtime: Runtime;
  /** Connected upstreams; the caller closes them. */
  readonly upstreams: readonly Upstream[];
  /** Who acts in every session (the session id is the gateway's). */
  readonly identity: Omit<IdentityClaims, "session">;
  readonly limits?: GatewayLimits;
  /** The name and version the gateway announces. */
  readonly serverInfo?: { readonly name: string; readonly version: string };
  /** Hears of configuration problems: tools left out, tools the policy does not declare. */
  readonly onWarning?: (message: string) => void;
}

/** How a client session starts. */
export interface SessionStart {
  /** The intent when `initialize` carries none in `_meta["aarm/intent"]` (e.g. from a flag or an HTTP header). */
  readonly intent?: string | IntentInput;
}

/** One client session. */
export interface GatewaySession {
  /** The session id: the runtime session's, and the `Mcp-Session-Id` over HTTP. */
  readonly id: string;
  /** Answers one message; null when nothing is to be sent (a notification, a cancelled call). Never rejects. */
  handle(message: Incoming): Promise<Outgoing | null>;
  /** Cancels the calls in flight and ends the runtime session. */
  close(): Promise<void>;
}

/** A running gateway. */
export interface Gateway {
  /** The tools offered to clients, as their upstreams define them under prefixed names. */
  readonly tools: readonly Tool[];
  /** Starts a client session. */
  openSession(start?: SessionStart): GatewaySession;
  /** Closes every open session. */
  close(): Promise<void>;
}

/** Reads the intent from `initialize` params, or says why it is unusable. */
function intentFrom(params: JsonObject): { ok: true; intent: string | IntentInput | null } | { ok: false } {
  const meta = params._meta;
  if (!isObject(meta) || !Object.hasOwn(meta, INTENT_META_KEY)) return { ok: true, intent: null };
  const value = meta[INTENT_META_KEY];
  if (typeof value === "string" && value.length > 0) return { ok: true, intent: value };
  if (isObject(value) && typeof value.text === "string" && value.text.length > 0) {
    const scope = value.scope;
    if (scope === undefined) return { ok: true, intent: { text: value.text } };
    if (Array.isArray(scope) && scope.every((s) => typeof s === "string")) {
      return { ok: true, intent: { text: value.text, scope } };
    }
  }
  return { ok: false };
}

/** The call id the runtime sees: a number and a string id never collide. */
function callIdOf(id: RequestId): string {
  return typeof id === "number" ? `mcp:n:${id}` : `mcp:s:${id}`;
}

/** The text of a tool result, as its outcome is labelled: text parts as they are, other parts as JSON. */
export function outcomeOf(output: CallToolResult): ToolOutcome {
  const parts = output.content.map((part) => (part.type === "text" ? part.text : JSON.stringify(part)));
  if (parts.length === 0 && output.structuredContent !== undefined)
    parts.push(JSON.stringify(output.structuredContent));
  const text = parts.join("\n");
  if (output.isError !== true) return { success: true, output: text };
  // A failed call's text is its error message, cut where the execution receipt would cut it.
  return { success: false, output: text, error: { message: text.slice(0, MAX_ERROR_MESSAGE_CHARS) } };
}

/** A tool result telling the agent that the call was not run, and why. */
function refusal(text: string, handle: DenyHandle | AllowHandle | null): JsonObject {
  const decision =
    handle === null
      ? {}
      : {
          _meta: {
            [DECISION_META_KEY]: {
              decision: handle.decision,
              rules: handle.kind === "deny" ? handle.rules : [],
              receipt_id: handle.receiptId,
            },
          },
        };
  return { content: [{ type: "text", text }], isError: true, ...decision };
}

/** The count of calls in flight over all sessions of a gateway. */
interface Calls {
  count: number;
}

class ClientSession implements GatewaySession {
  readonly id = randomUUID();
  readonly #options: GatewayOptions;
  readonly #table: ToolTable;
  readonly #calls: Calls;
  readonly #start: SessionStart;
  readonly #inFlight = new Map<string, AbortController>();
  #session: Promise<Session> | null = null;
  #closed = false;

  constructor(options: GatewayOptions, table: ToolTable, calls: Calls, start: SessionStart) {
    this.#options = options;
    this.#table = table;
    this.#calls = calls;
    this.#start = start;
  }

  async handle(message: Incoming): Promise<Outgoing | null> {
    try {
      return await this.#dispatch(message);
    } catch (caught) {
      // Nothing above throws by design; should it, the call was not forwarded after a failure.
      return message.kind === "request"
        ? failure(message.id, ERROR.internal, `internal error: ${messageOf(caught)}`)
        : null;
    }
  }

  async #dispatch(message: Incoming): Promise<Outgoing | null> {
    switch (message.kind) {
      case "invalid":
        return failure(message.id, message.error.code, message.error.message);
      case "response":
        return null;
      case "notification":
        if (message.method === "notifications/cancelled") this.#cancel(message.params.requestId);
        return null;
      case "request":
        break;
    }
    const { id, method, params } = message;
    if (this.#closed) return failure(id, ERROR.invalidRequest, "the session is closed");
    if (method === "ping") return result(id, {});
    if (method === "initialize") return this.#initialize(id, params);
    if (this.#session === null) return failure(id, ERROR.notInitialized, "the session is not initialized");
    if (method === "tools/list") {
      return result(id, { tools: listedTools(this.#table, this.#options.runtime.ir) });
    }
    if (method === "tools/call") return this.#call(id, params, this.#session);
    return failure(id, ERROR.methodNotFound, `method not offered by the gateway: ${method.slice(0, 64)}`);
  }

  #initialize(id: RequestId, params: JsonObject): Outgoing {
    if (this.#session !== null)
      return failure(id, ERROR.notInitialized, "the session is already initialized");
    const read = intentFrom(params);
    if (!read.ok) {
      return failure(
        id,
        ERROR.invalidParams,
        `_meta["${INTENT_META_KEY}"] must be a non-empty string or {text, scope?}`,
      );
    }
    const intent = read.intent ?? this.#start.intent;
    this.#session = this.#options.runtime.startSession({
      identity: { ...this.#options.identity, session: this.id },
      ...(intent === undefined ? {} : { intent }),
    });
    const requested = params.protocolVersion;
    const protocolVersion =
      typeof requested === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
        ? requested
        : LATEST_PROTOCOL_VERSION;
    return result(id, {
      protocolVersion,
      capabilities: { tools: { listChanged: false } },
      serverInfo: this.#options.serverInfo ?? { name: "aarm-gateway", version: "0.0.0" },
      instructions:
        "Every tool call is decided by an aarm policy; a refused call returns isError with the reason.",
    });
  }

  #cancel(requestId: unknown): void {
    if (typeof requestId !== "string" && typeof requestId !== "number") return;
    this.#inFlight.get(callIdOf(requestId))?.abort();
  }

  async #call(id: RequestId, params: JsonObject, sessionReady: Promise<Session>): Promise<Outgoing | null> {
    const name = params.name;
    const args = params.arguments ?? {};
    if (typeof name !== "string") return failure(id, ERROR.invalidParams, "tools/call needs a string name");
    if (!isObject(args)) return failure(id, ERROR.invalidParams, "tools/call arguments must be an object");
    const key = callIdOf(id);
    if (this.#inFlight.has(key))
      return failure(id, ERROR.invalidRequest, "a call with this id is already in flight");
    const max = this.#options.limits?.maxInFlight ?? 32;
    if (this.#calls.count >= max)
      return failure(id, ERROR.busy, `the gateway is busy: ${max} calls in flight`);
    const controller = new AbortController();
    this.#inFlight.set(key, controller);
    this.#calls.count++;
    try {
      const answer = await this.#decideAndRun(id, name, args, key, await sessionReady, controller.signal);
      return controller.signal.aborted ? null : answer;
    } finally {
      this.#calls.count--;
      this.#inFlight.delete(key);
    }
  }

  async #decideAndRun(
    id: RequestId,
    name: string,
    args: JsonObject,
    callId: string,
    session: Session,
    signal: AbortSignal,
  ): Promise<Outgoing> {
    const first = await session.evaluate({ tool: name, args, callId });
    let handle: AllowHandle | DenyHandle;
    if (first.kind === "pending") {
      const cancel = (): void => first.cancel();
      signal.addEventListener("abort", cancel, { once: true });
      if (signal.aborted) cancel();
      handle = await first.settled;
      signal.removeEventListener("abort", cancel);
    } else {
      handle = first;
    }
    if (handle.kind === "deny") {
      return result(id, refusal(`aarm: ${handle.decision} — not run: ${handle.reason}`, handle));
    }
    if (handle.replay) {
      return result(
        id,
        refusal("aarm: this call id was already decided and released once; it is not run again", handle),
      );
    }
    const route = this.#table.routes.get(handle.tool);
    if (route === undefined || signal.aborted) {
      const message = signal.aborted ? "cancelled by the client" : `no upstream offers ${handle.tool}`;
      await session.recordOutcome(handle.actionId, { success: false, error: { message } });
      return result(id, refusal(`aarm: not run: ${message}`, null));
    }
    try {
      const output = await route.upstream.client.callTool(
        { name: route.name, arguments: handle.args },
        undefined,
        {
          timeout: this.#options.limits?.callTimeoutMs ?? 60_000,
          signal,
        },
      );
      const answer = output as CallToolResult;
      await session.recordOutcome(handle.actionId, outcomeOf(answer));
      return result(id, answer);
    } catch (caught) {
      const message = messageOf(caught);
      await session.recordOutcome(handle.actionId, { success: false, error: { message } });
      if (caught instanceof McpError) return failure(id, caught.code, message);
      return failure(id, ERROR.upstream, `upstream ${route.upstream.name} failed: ${message}`);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.#inFlight.values()) controller.abort();
    if (this.#session !== null) await (await this.#session).end();
  }
}

/** Creates a gateway over connected upstreams. */
export function createGateway(options: GatewayOptions): Gateway {
  const warn = options.onWarning ?? (() => undefined);
  const table = toolTable(options.upstreams, warn);
  for (const message of undeclaredTools(table, options.runtime.ir)) warn(message);
  const calls: Calls = { count: 0 };
  const sessions = new Set<ClientSession>();
  return {
    tools: table.tools,
    openSession(start = {}) {
      const session = new ClientSession(options, table, calls, start);
      sessions.add(session);
      const close = session.close.bind(session);
      return {
        id: session.id,
        handle: (message) => session.handle(message),
        close: async () => {
          sessions.delete(session);
          await close();
        },
      };
    },
    async close() {
      await Promise.all([...sessions].map((session) => session.close()));
      sessions.clear();
    },
  };
}
