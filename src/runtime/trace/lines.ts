/**
 * Splitting a byte stream into bounded text lines. A trace comes from an
 * agent's runtime and may be hostile or corrupt: no line may exceed the
 * length bound (checked before it is buffered whole), the number of lines is
 * bounded, and every line must be valid UTF-8.
 *
 * @module
 */
import { MAX_LINE_BYTES, MAX_LINES, type TraceError } from "./format.ts";

/** Bounds on a trace's lines. */
export interface LineLimits {
  readonly maxLineBytes: number;
  readonly maxLines: number;
}

/** The bounds of the format (`docs/trace.md`). */
export const DEFAULT_LIMITS: LineLimits = { maxLineBytes: MAX_LINE_BYTES, maxLines: MAX_LINES };

export type LineItem =
  | { readonly ok: true; readonly line: number; readonly text: string }
  | { readonly ok: false; readonly error: TraceError };

const NEWLINE = 0x0a;

/**
 * The lines of a byte stream, 1-based, without their `\n` (or `\r\n`).
 * Stops after the first error.
 */
export function* splitLines(
  chunks: Iterable<Uint8Array>,
  limits: LineLimits = DEFAULT_LIMITS,
): Generator<LineItem, void, undefined> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let parts: Uint8Array[] = [];
  let size = 0;
  let line = 1;
  const finish = (): LineItem => {
    const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts, size);
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    parts = [];
    size = 0;
    try {
      return { ok: true, line, text: decoder.decode(bytes.subarray(0, end)) };
    } catch {
      return { ok: false, error: { line, column: 1, message: "line is not valid UTF-8" } };
    }
  };
  const tooMany = (): LineItem => ({
    ok: false,
    error: { line, column: 1, message: `trace has more than ${limits.maxLines} lines` },
  });
  for (const chunk of chunks) {
    let from = 0;
    while (from <= chunk.length) {
      const nl = chunk.indexOf(NEWLINE, from);
      const end = nl < 0 ? chunk.length : nl;
      if (size + (end - from) > limits.maxLineBytes) {
        yield {
          ok: false,
          error: { line, column: 1, message: `line is longer than ${limits.maxLineBytes} bytes` },
        };
        return;
      }
      if (end > from) {
        // A line that continues into the next chunk is copied: the caller may reuse the chunk's buffer.
        parts.push(nl < 0 ? chunk.slice(from, end) : chunk.subarray(from, end));
        size += end - from;
      }
      if (nl < 0) break;
      if (line > limits.maxLines) {
        yield tooMany();
        return;
      }
      const item = finish();
      yield item;
      if (!item.ok) return;
      line++;
      from = nl + 1;
    }
  }
  if (size > 0) {
    if (line > limits.maxLines) {
      yield tooMany();
      return;
    }
    yield finish();
  }
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
