/**
 * Reading a JSON-lines file (one JSON value per line) that may have been
 * tampered with or damaged: lines are split on the bytes as they stream in,
 * a line longer than the bound is skipped without being held in memory,
 * invalid UTF-8 is refused rather than patched with replacement characters
 * (which would make two different files read alike), and every line that
 * cannot be read is reported with its 1-based line number. Empty lines are
 * skipped.
 *
 * @module
 */

/** A value read from one line. */
export interface LineValue {
  readonly line: number;
  readonly value: unknown;
}

/** A line that could not be read. */
export interface LineProblem {
  readonly line: number;
  readonly message: string;
}

/** Everything read from a file: values in file order, and the lines that failed. */
export interface ParsedLines {
  readonly values: readonly LineValue[];
  readonly problems: readonly LineProblem[];
}

/** The default longest line, in bytes: a receipt at the store's size bound, UTF-8 encoded, fits. */
export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;

const NEWLINE = 0x0a;

/** Parses JSON lines from a stream of byte chunks. */
export async function readJsonLines(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
): Promise<ParsedLines> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const values: LineValue[] = [];
  const problems: LineProblem[] = [];
  let parts: Uint8Array[] = [];
  let size = 0;
  let tooLong = false;
  let line = 1;

  const finish = (): void => {
    if (tooLong) {
      problems.push({ line, message: `line ${line} is longer than ${maxLineBytes} bytes` });
    } else if (size > 0) {
      let text: string;
      try {
        text = decoder.decode(parts.length === 1 ? parts[0] : concat(parts, size));
      } catch {
        problems.push({ line, message: `line ${line} is not valid UTF-8` });
        text = "";
      }
      if (text !== "") {
        try {
          values.push({ line, value: JSON.parse(text) });
        } catch (caught) {
          problems.push({ line, message: `line ${line} is not JSON: ${(caught as Error).message}` });
        }
      }
    }
    parts = [];
    size = 0;
    tooLong = false;
    line++;
  };

  const take = (piece: Uint8Array): void => {
    if (tooLong || piece.length === 0) return;
    size += piece.length;
    if (size > maxLineBytes) {
      tooLong = true;
      parts = [];
    } else {
      parts.push(piece);
    }
  };

  for await (const chunk of chunks) {
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
      take(chunk.subarray(start, at));
      finish();
      start = at + 1;
    }
    // Copy the unfinished tail: a stream may reuse its chunk buffers.
    take(chunk.slice(start));
  }
  if (size > 0 || tooLong) finish();
  return { values, problems };
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
