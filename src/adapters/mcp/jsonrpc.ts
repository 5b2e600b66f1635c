/**
 * The client-facing JSON-RPC 2.0 layer of the gateway, kept in our hands so
 * that whatever arrives — malformed JSON, wrong types, batches, huge or
 * deeply nested payloads — is classified here and answered with an error,
 * never thrown and never passed on.
 *
 * Batches are refused: MCP (2025-06-18 and later) does not use them, and a
 * batch would let one message smuggle many calls past per-message bounds.
 *
 * @module
 */

/** A JSON-RPC request id as MCP allows it: a string or an integer (never null). */
export type RequestId = string | number;

/** Longest string id accepted; longer ids are refused as invalid requests. */
export const MAX_ID_CHARS = 128;

/** JSON-RPC and MCP error codes the gateway answers with. */
export const ERROR = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** The gateway is at its bound of calls in flight. */
  busy: -32000,
  /** The upstream server failed or did not answer in time. */
  upstream: -32001,
  /** The request arrived before `initialize` (or `initialize` came twice). */
  notInitialized: -32002,
} as const;

/** A JSON object as parsed from the wire. */
export type JsonObject = { readonly [key: string]: unknown };

/** One incoming message, classified. */
export type Incoming =
  | { readonly kind: "request"; readonly id: RequestId; readonly method: string; readonly params: JsonObject }
  | { readonly kind: "notification"; readonly method: string; readonly params: JsonObject }
  /** A response from the client: the gateway sends no requests, so it is dropped. */
  | { readonly kind: "response" }
  /** Unusable: answered with `error`, under `id` when one could be read. */
  | { readonly kind: "invalid"; readonly id: RequestId | null; readonly error: RpcError };

/** A JSON-RPC error object. */
export interface RpcError {
  readonly code: number;
  readonly message: string;
}

/** A JSON-RPC response the gateway sends. */
export type Outgoing =
  | { readonly jsonrpc: "2.0"; readonly id: RequestId; readonly result: JsonObject }
  | { readonly jsonrpc: "2.0"; readonly id: RequestId | null; readonly error: RpcError };

/** Whether `value` is a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readId(value: unknown): RequestId | null {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : null;
  if (typeof value === "string") return value.length <= MAX_ID_CHARS ? value : null;
  return null;
}

const invalid = (id: RequestId | null, code: number, message: string): Incoming => ({
  kind: "invalid",
  id,
  error: { code, message },
});

/** Classifies one parsed JSON value. */
export function classify(value: unknown): Incoming {
  if (Array.isArray(value)) return invalid(null, ERROR.invalidRequest, "batches are not supported");
  if (!isObject(value)) return invalid(null, ERROR.invalidRequest, "a message must be a JSON object");
  const hasId = Object.hasOwn(value, "id");
  const id = hasId ? readId(value.id) : null;
  if (value.jsonrpc !== "2.0") return invalid(id, ERROR.invalidRequest, 'jsonrpc must be "2.0"');
  if (!Object.hasOwn(value, "method")) {
    if (hasId && (Object.hasOwn(value, "result") || Object.hasOwn(value, "error")))
      return { kind: "response" };
    return invalid(id, ERROR.invalidRequest, "a request needs a method");
  }
  if (typeof value.method !== "string" || value.method.length === 0 || value.method.length > 256) {
    return invalid(id, ERROR.invalidRequest, "the method must be a non-empty string");
  }
  const params = value.params ?? {};
  if (!isObject(params)) return invalid(id, ERROR.invalidParams, "params must be an object");
  if (!hasId) return { kind: "notification", method: value.method, params };
  if (id === null) {
    return invalid(
      null,
      ERROR.invalidRequest,
      `the id must be an integer or a string of at most ${MAX_ID_CHARS} characters`,
    );
  }
  return { kind: "request", id, method: value.method, params };
}

/** Parses and classifies one message's text. */
export function parseMessage(text: string): Incoming {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid(null, ERROR.parse, "parse error: not valid JSON");
  }
  return classify(value);
}

/** A success response. */
export function result(id: RequestId, value: JsonObject): Outgoing {
  return { jsonrpc: "2.0", id, result: value };
}

/** An error response. */
export function failure(id: RequestId | null, code: number, message: string): Outgoing {
  return { jsonrpc: "2.0", id, error: { code, message } };
}
