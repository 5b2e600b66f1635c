/**
 * The HTTP front of the decision service, on `node:http` (or `node:https`
 * with a certificate): routing from the route table, bearer authentication,
 * per-client rate limits, bounded and strictly parsed bodies, timeouts for
 * slow clients, and RFC 9457 problems for every refusal.
 *
 * What a request goes through, in order: route (404, 405) → authentication
 * (401, the same answer for a missing and a wrong token) → scope (403) →
 * rate limit (429) → content type, size and JSON (415, 413, 400) → schema
 * (422) → the operation. Unauthenticated requests are rate-limited by
 * address, so guessing tokens is slow too. Slow clients are cut off by
 * Node's header and request timeouts (408) and by the body deadline.
 *
 * Logs name the route template, the status, the client's configured name
 * and the time taken: never a token, a header, a body or a path parameter.
 *
 * @module
 */
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttps } from "node:https";
import { isIP } from "node:net";
import { authenticate, type Client } from "./auth.ts";
import { readJsonBody } from "./body.ts";
import { checkBody } from "./openapi.ts";
import { HttpProblem, problem } from "./problem.ts";
import { type RateLimit, RateLimiter } from "./rate-limit.ts";
import { matchRoute, type Route } from "./routes.ts";
import type { DecisionService, Reply } from "./service.ts";

/** Bounds on what a client may send and how slowly. */
export interface HttpLimits {
  /** Largest request body, in bytes; default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Time allowed for the request headers, in milliseconds; default 10000. */
  readonly headersTimeoutMs?: number;
  /** Time allowed for the body once the headers are in, in milliseconds; default 10000. */
  readonly bodyTimeoutMs?: number;
  /** Idle time before a kept-alive connection is closed, in milliseconds; default 5000. */
  readonly keepAliveTimeoutMs?: number;
  /** Most open connections; default 512. */
  readonly maxConnections?: number;
  /** Requests per client (and per address, for unauthenticated ones); default burst 100, 50 per second. */
  readonly rate?: RateLimit;
}

/** TLS material (PEM). */
export interface TlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** What the HTTP server is built from. */
export interface HttpServerOptions {
  readonly service: DecisionService;
  /** The client applications and their tokens (digests). */
  readonly clients: readonly Client[];
  readonly limits?: HttpLimits;
  /** Serve HTTPS instead of HTTP. */
  readonly tls?: TlsOptions;
  /** One line per request; never carries tokens or request content. */
  readonly log?: (line: string) => void;
}

const DEFAULT_LIMITS = {
  maxBodyBytes: 1024 * 1024,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
  rate: { burst: 100, perSecond: 50 },
} as const;

const COMMON_HEADERS = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" } as const;

/** Whether `host` is a loopback address (or `localhost`), where plain HTTP stays on the machine. */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  const lower = host.toLowerCase().replace(/^\[|\]$/g, "");
  return lower === "::1" || /^::ffff:127\./.test(lower);
}

/**
 * Why binding `host` is refused, or null: plain HTTP on a non-loopback
 * address would carry bearer and identity tokens in clear over the network,
 * so it needs TLS or an explicit decision (`allowPlaintextRemote`).
 */
export function bindRefusal(host: string, tls: boolean, allowPlaintextRemote: boolean): string | null {
  if (tls || allowPlaintextRemote || isLoopback(host)) return null;
  return `refusing to serve plain HTTP on ${host}, which is not a loopback address: configure TLS, or accept the risk explicitly`;
}

function send(response: ServerResponse, status: number, type: string, text: string, headers = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, {
    ...COMMON_HEADERS,
    ...headers,
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(text),
  });
  response.end(text);
}

function sendProblem(response: ServerResponse, answer: HttpProblem, close: boolean): void {
  const headers: Record<string, string> = { ...answer.headers };
  if (close) headers.Connection = "close";
  send(response, answer.problem.status, "application/problem+json", JSON.stringify(answer.problem), headers);
}

async function sendReply(response: ServerResponse, reply: Reply, signal: AbortSignal): Promise<number> {
  switch (reply.kind) {
    case "json":
      send(response, reply.status, "application/json", JSON.stringify(reply.body), reply.headers);
      return reply.status;
    case "text":
      send(response, reply.status, "application/json", reply.text);
      return reply.status;
    case "lines": {
      response.writeHead(200, { ...COMMON_HEADERS, "Content-Type": "application/x-ndjson" });
      const emit = (line: string): Promise<void> => {
        if (signal.aborted) return Promise.reject(new Error("the client went away"));
        if (response.write(`${line}\n`)) return Promise.resolve();
        return new Promise((resolve, reject) => {
          const drained = (): void => {
            response.off("close", gone);
            resolve();
          };
          const gone = (): void => {
            response.off("drain", drained);
            reject(new Error("the client went away"));
          };
          response.once("drain", drained);
          response.once("close", gone);
        });
      };
      const produced = await reply.produce(emit).catch(() => null);
      // A failure half-way cannot become a problem any more: cut the stream so the client sees it incomplete.
      if (produced?.ok === true) response.end();
      else response.destroy();
      return 200;
    }
  }
}

/** The HTTP(S) server of a decision service; not yet listening. */
export function createHttpServer(options: HttpServerOptions): Server {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const perClient = new RateLimiter(limits.rate);
  const perAddress = new RateLimiter(limits.rate);
  const log = options.log ?? (() => {});
  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.headersTimeoutMs + limits.bodyTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // How often Node checks the two timeouts above; its default (30 s) would let a slow client linger.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headersTimeoutMs / 4)),
    maxHeaderSize: 16 * 1024,
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = performance.now();
    const controller = new AbortController();
    response.on("close", () => {
      if (!response.writableFinished) controller.abort();
    });
    let route: Route | null = null;
    let client: Client | null = null;
    let status = 500;
    const refuse = (answer: HttpProblem, close = false): void => {
      status = answer.problem.status;
      sendProblem(response, answer, close);
    };
    try {
      const url = new URL(request.url ?? "/", "http://service.invalid");
      const matched = matchRoute(request.method ?? "", url.pathname);
      if (matched.kind === "none") return refuse(problem("not_found"), true);
      if (matched.kind === "method") {
        return refuse(
          problem("method_not_allowed", undefined, {}, { Allow: matched.allow.join(", ") }),
          true,
        );
      }
      route = matched.route;
      const address = request.socket.remoteAddress ?? "unknown";
      if (route.access !== "public") {
        client = authenticate(request.headers.authorization, options.clients);
        if (client === null) {
          const wait = perAddress.take(`address:${address}`);
          if (wait !== null) {
            return refuse(problem("rate_limited", undefined, {}, { "Retry-After": `${wait}` }), true);
          }
          return refuse(
            problem("unauthorized", undefined, {}, { "WWW-Authenticate": 'Bearer realm="aarm"' }),
            true,
          );
        }
        if (!route.access.some((scope) => client?.scopes.includes(scope))) {
          return refuse(
            problem("forbidden", `this operation needs the scope ${route.access.join(" or ")}`),
            true,
          );
        }
      }
      const wait =
        client === null ? perAddress.take(`address:${address}`) : perClient.take(`client:${client.name}`);
      if (wait !== null) {
        return refuse(problem("rate_limited", undefined, {}, { "Retry-After": `${wait}` }), true);
      }

      const read = await readJsonBody(request, {
        maxBytes: limits.maxBodyBytes,
        timeoutMs: limits.bodyTimeoutMs,
      });
      if (!read.ok) return refuse(read.problem, true);
      if (route.body === null && read.value !== undefined) {
        return refuse(problem("invalid_request", "this operation takes no body"));
      }
      if (route.body !== null && !(route.body === "Empty" && read.value === undefined)) {
        const checked = checkBody(route.body, read.value);
        if (!checked.ok) return refuse(checked.problem);
      }
      const result = await options.service.operations[route.operationId]({
        client,
        params: matched.params,
        query: url.searchParams,
        body: read.value,
        signal: controller.signal,
      });
      if (result instanceof HttpProblem) return refuse(result);
      status = await sendReply(response, result, controller.signal);
    } catch {
      refuse(problem("internal"));
    } finally {
      const ms = Math.round(performance.now() - started);
      log(
        `${request.method ?? "?"} ${route?.path ?? "(no route)"} ${status} client=${client?.name ?? "-"} ${ms}ms`,
      );
    }
  };

  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    void handle(request, response);
  };
  const server =
    options.tls === undefined
      ? createHttp(serverOptions, listener)
      : createHttps({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, listener);
  server.maxConnections = limits.maxConnections;
  // A client that sends nothing at all for this long is dropped, long polls included (they are bounded shorter).
  server.setTimeout(limits.headersTimeoutMs + limits.bodyTimeoutMs + 10 * 60_000);
  return server;
}
