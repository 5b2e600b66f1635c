/**
 * Reading a request body as JSON, strictly and within bounds: the declared
 * length and the bytes received are both capped (413 before anything is
 * buffered past the cap), the whole body must arrive within a deadline (a
 * slow client cannot hold a request open), the content type must be JSON in
 * UTF-8, and the bytes must decode as UTF-8 and parse as JSON.
 *
 * @module
 */
import type { IncomingMessage } from "node:http";
import { type HttpProblem, problem } from "./problem.ts";

/** The bounds a body is read within. */
export interface BodyLimits {
  /** Largest body accepted, in bytes. */
  readonly maxBytes: number;
  /** Time allowed for the whole body to arrive, in milliseconds. */
  readonly timeoutMs: number;
}

/** The parsed body, absent (no bytes), or the problem with it. */
export type BodyResult =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: HttpProblem };

/** `application/json`, optionally with `charset=utf-8`; nothing else. */
const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/** Whether the request says it carries a body. */
function hasBody(request: IncomingMessage): boolean {
  const length = request.headers["content-length"];
  return request.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * Reads and parses the body. A request without one reads as `undefined`; a
 * body is only read when its content type is JSON. Never rejects.
 */
export function readJsonBody(request: IncomingMessage, limits: BodyLimits): Promise<BodyResult> {
  if (!hasBody(request)) return Promise.resolve({ ok: true, value: undefined });
  const type = request.headers["content-type"];
  if (type === undefined || !JSON_TYPE.test(type)) {
    return Promise.resolve({
      ok: false,
      problem: problem("unsupported_media_type", "send the body as application/json (UTF-8)"),
    });
  }
  const declared = Number(request.headers["content-length"] ?? "0");
  const tooLarge = problem("payload_too_large", `the body may be at most ${limits.maxBytes} bytes`);
  if (declared > limits.maxBytes) return Promise.resolve({ ok: false, problem: tooLarge });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (result: BodyResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      // Stop buffering; the connection is closed after the answer.
      if (!result.ok) request.pause();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, problem: problem("request_timeout", "the body did not arrive in time") }),
      limits.timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limits.maxBytes) finish({ ok: false, problem: tooLarge });
      else chunks.push(chunk);
    };
    const onEnd = (): void => {
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
      } catch {
        finish({ ok: false, problem: problem("malformed_json", "the body is not valid UTF-8") });
        return;
      }
      try {
        finish({ ok: true, value: JSON.parse(text) as unknown });
      } catch {
        finish({ ok: false, problem: problem("malformed_json", "the body is not valid JSON") });
      }
    };
    const onError = (): void =>
      finish({ ok: false, problem: problem("request_timeout", "the body could not be read") });
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
  });
}
