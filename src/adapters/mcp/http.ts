/**
 * The gateway over Streamable HTTP (MCP 2025-03-26 and later) on node:http:
 * one endpoint (`/mcp`) taking POSTed JSON-RPC messages and answering each
 * with one JSON body (never a stream), `DELETE` to end a session, and no GET
 * stream (405): the gateway sends no server-initiated messages.
 *
 * A session starts with a POSTed `initialize` and is named by the
 * `Mcp-Session-Id` header the answer carries; every later message must echo
 * it (400 without, 404 for an unknown one). The intent may come with the
 * `initialize` POST in the `X-AARM-Intent` header (percent-encoded UTF-8), or
 * in the message's `_meta["aarm/intent"]`, which wins.
 *
 * Defences: the `Host` and `Origin` headers must name a loopback host (or an
 * allowed origin), against DNS rebinding; bodies are bounded (413); sessions
 * are bounded (503) and end after being idle; batches and malformed messages
 * are answered with JSON-RPC errors (400) and never reach a session.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import type { Gateway, GatewaySession } from "./gateway.ts";
import { ERROR, failure, type Outgoing, parseMessage } from "./jsonrpc.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "./stdio.ts";

/** The header carrying the session's intent on the `initialize` POST. */
export const INTENT_HEADER = "x-aarm-intent";

/** Options of {@link serveHttp}. */
export interface HttpOptions {
  /** Address to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Port; default 0 (any free port). */
  readonly port?: number;
  /** Longest request body, in bytes; default 4 MiB. */
  readonly maxMessageBytes?: number;
  /** Most sessions open at once; default 64. */
  readonly maxSessions?: number;
  /** A session unused this long (ms) is ended; default 30 minutes. */
  readonly sessionIdleMs?: number;
  /** Origins allowed besides loopback ones (`https://app.example`). */
  readonly allowedOrigins?: readonly string[];
  /** The intent of sessions that bring none (neither header nor `_meta`). */
  readonly intent?: string;
}

/** A gateway serving over HTTP. */
export interface HttpGateway {
  /** The MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  readonly url: string;
  /** Stops listening and ends every session. */
  close(): Promise<void>;
}

const ENDPOINT = "/mcp";
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

interface Entry {
  readonly session: GatewaySession;
  timer: ReturnType<typeof setTimeout>;
}

function hostnameOf(value: string): string | null {
  try {
    return new URL(`http://${value}`).hostname;
  } catch {
    return null;
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: Outgoing | null,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  if (body === null) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/** Reads the body, or null when it is longer than `max` (the answer 413 is then sent). */
function readBody(req: IncomingMessage, res: ServerResponse, max: number): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        res.once("finish", () => req.destroy());
        send(res, 413, failure(null, ERROR.invalidRequest, `message longer than ${max} bytes`), {
          connection: "close",
        });
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!over) resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", () => resolve(null));
  });
}

/** Starts serving `gateway` over HTTP; resolves once listening. */
export async function serveHttp(gateway: Gateway, options: HttpOptions = {}): Promise<HttpGateway> {
  const host = options.host ?? "127.0.0.1";
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxSessions = options.maxSessions ?? 64;
  const idleMs = options.sessionIdleMs ?? 30 * 60 * 1000;
  const hosts = new Set([...LOOPBACK, host]);
  const origins = new Set(options.allowedOrigins ?? []);
  const sessions = new Map<string, Entry>();

  const end = (id: string): Promise<void> => {
    const entry = sessions.get(id);
    if (entry === undefined) return Promise.resolve();
    sessions.delete(id);
    clearTimeout(entry.timer);
    return entry.session.close();
  };
  const touch = (entry: Entry, id: string): void => {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => void end(id), idleMs);
    entry.timer.unref();
  };

  const allowed = (req: IncomingMessage): boolean => {
    const hostname = hostnameOf(req.headers.host ?? "");
    if (hostname === null || !hosts.has(hostname)) return false;
    const origin = req.headers.origin;
    if (origin === undefined || origins.has(origin)) return true;
    try {
      return LOOPBACK.has(new URL(origin).hostname);
    } catch {
      return false;
    }
  };

  const post = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!(req.headers["content-type"] ?? "").includes("application/json")) {
      send(res, 415, failure(null, ERROR.invalidRequest, "Content-Type must be application/json"));
      return;
    }
    const version = req.headers["mcp-protocol-version"];
    if (typeof version === "string" && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      send(res, 400, failure(null, ERROR.invalidRequest, "unsupported MCP-Protocol-Version"));
      return;
    }
    const text = await readBody(req, res, max);
    if (text === null) return;
    const message = parseMessage(text);
    if (message.kind === "invalid") {
      send(res, 400, failure(message.id, message.error.code, message.error.message));
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const entry = sessions.get(sessionId);
      if (entry === undefined) {
        send(res, 404, failure(null, ERROR.invalidRequest, "unknown session: initialize again"));
        return;
      }
      touch(entry, sessionId);
      if (message.kind === "request") {
        // A client that hangs up gives up its call: a waiting decision must not release it later.
        const requestId = message.id;
        res.once("close", () => {
          if (res.writableEnded) return;
          void entry.session.handle({
            kind: "notification",
            method: "notifications/cancelled",
            params: { requestId },
          });
        });
      }
      const answer = await entry.session.handle(message);
      send(res, answer === null ? 202 : 200, answer);
      return;
    }
    if (message.kind !== "request" || message.method !== "initialize") {
      send(res, 400, failure(null, ERROR.invalidRequest, "missing Mcp-Session-Id: initialize first"));
      return;
    }
    if (sessions.size >= maxSessions) {
      send(res, 503, failure(message.id, ERROR.busy, `too many sessions (${maxSessions})`));
      return;
    }
    const header = req.headers[INTENT_HEADER];
    let intent: string | undefined;
    if (typeof header === "string") {
      try {
        intent = decodeURIComponent(header);
      } catch {
        send(
          res,
          400,
          failure(message.id, ERROR.invalidParams, "X-AARM-Intent must be percent-encoded UTF-8"),
        );
        return;
      }
    }
    const chosen = intent === undefined || intent === "" ? options.intent : intent;
    const session = gateway.openSession(chosen === undefined ? {} : { intent: chosen });
    const answer = await session.handle(message);
    if (answer === null || "error" in answer) {
      await session.close();
      send(res, 400, answer);
      return;
    }
    const entry: Entry = { session, timer: setTimeout(() => undefined, 0) };
    sessions.set(session.id, entry);
    touch(entry, session.id);
    send(res, 200, answer, { "mcp-session-id": session.id });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== ENDPOINT) return send(res, 404, null);
    if (!allowed(req)) return send(res, 403, failure(null, ERROR.invalidRequest, "forbidden Host or Origin"));
    if (req.method === "POST") return post(req, res);
    if (req.method === "DELETE") {
      const id = req.headers["mcp-session-id"];
      if (typeof id !== "string" || !sessions.has(id)) return send(res, 404, null);
      await end(id);
      return send(res, 200, null);
    }
    send(res, 405, null, { allow: "POST, DELETE" });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, failure(null, ERROR.internal, "internal error")));
  });
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}${ENDPOINT}`,
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([...sessions.keys()].map(end));
      await closing;
    },
  };
}
