/**
 * The gateway over stdio: newline-delimited JSON-RPC on a pair of streams,
 * one client session for the life of the connection.
 *
 * Lines are bounded: a line longer than the limit is dropped as it arrives
 * (never buffered whole) and answered with a parse error. Messages are
 * handled concurrently, so a call waiting for an approval does not hold up
 * a ping; the runtime still decides the session's calls in arrival order.
 *
 * @module
 */
import type { Readable, Writable } from "node:stream";
import type { Gateway, SessionStart } from "./gateway.ts";
import { ERROR, failure, type Outgoing, parseMessage } from "./jsonrpc.ts";

/** Default bound on one message, in bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Options of {@link serveStdio}. */
export interface StdioOptions extends SessionStart {
  /** Longest line accepted, in bytes; default 4 MiB. */
  readonly maxMessageBytes?: number;
}

/**
 * Serves one client session on `input`/`output` until `input` ends; resolves
 * once the session is closed and every answer written.
 */
export function serveStdio(
  gateway: Gateway,
  input: Readable,
  output: Writable,
  options: StdioOptions = {},
): Promise<void> {
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const session = gateway.openSession(options);
  const pending = new Set<Promise<void>>();
  const send = (message: Outgoing): void => {
    if (output.writable) output.write(`${JSON.stringify(message)}\n`);
  };
  const receive = (line: Buffer): void => {
    const text = line.toString("utf8").trim();
    if (text === "") return;
    const work = session.handle(parseMessage(text)).then((answer) => {
      if (answer !== null) send(answer);
    });
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  let chunks: Buffer[] = [];
  let size = 0;
  let discarding = false;
  input.on("data", (chunk: Buffer | string) => {
    let data = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10)) {
      const head = data.subarray(0, newline);
      data = data.subarray(newline + 1);
      if (discarding || size + head.length > max) {
        if (!discarding) send(failure(null, ERROR.parse, `message longer than ${max} bytes`));
        discarding = false;
      } else {
        receive(Buffer.concat([...chunks, head]));
      }
      chunks = [];
      size = 0;
    }
    if (discarding) return;
    if (size + data.length > max) {
      send(failure(null, ERROR.parse, `message longer than ${max} bytes`));
      discarding = true;
      chunks = [];
      size = 0;
      return;
    }
    if (data.length > 0) {
      // Copy: the stream may reuse its buffer.
      chunks.push(Buffer.from(data));
      size += data.length;
    }
  });

  // A client that went away must not crash the gateway: its end of input closes the session.
  output.on("error", () => input.destroy());
  return new Promise((resolve) => {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (size > 0 && !discarding) receive(Buffer.concat(chunks));
      chunks = [];
      void (async () => {
        // The client hung up: calls still in flight are cancelled (a pending decision so ends denied).
        await session.close();
        await Promise.allSettled([...pending]);
        resolve();
      })();
    };
    input.once("end", finish);
    input.once("close", finish);
    input.once("error", finish);
  });
}
