/**
 * A progress line on stderr for commands that work through many files
 * (`aarmc compile`, `aarmc test`): `compiling 12/40 policies/payments.aarm`.
 *
 * It is drawn only on a terminal, so logs and pipes never see it, and only
 * once a run has lasted long enough to be worth watching, so quick runs do
 * not flicker. It redraws one line in place and erases it when done, so the
 * command's own output is never interleaved with it.
 *
 * @module
 */
import type { Io } from "./io.ts";

export interface Progress {
  /** Work on item `label` starts. */
  advance(label: string): void;
  /** All work is done: erase the line if one was drawn. */
  done(): void;
}

export interface ProgressOptions {
  /** Whether stderr is a terminal; the real process's by default. */
  readonly tty?: boolean;
  /** Terminal width for truncating long labels. */
  readonly columns?: number;
  /** Milliseconds before the first line is drawn. */
  readonly delayMs?: number;
  readonly now?: () => number;
}

/** Redraw at most this often. */
const REDRAW_MS = 50;

const ERASE_LINE = "\r\u001b[2K";

const SILENT: Progress = { advance() {}, done() {} };

/** A progress display for `total` items described by `verb` (`compiling`, `testing`). */
export function startProgress(io: Io, verb: string, total: number, options: ProgressOptions = {}): Progress {
  const tty = options.tty ?? process.stderr.isTTY === true;
  if (!tty || total < 2) return SILENT;
  const now = options.now ?? (() => performance.now());
  const columns = options.columns ?? process.stderr.columns ?? 80;
  const delayMs = options.delayMs ?? 300;
  const started = now();
  let drawnAt: number | null = null;
  let count = 0;
  return {
    advance(label) {
      count++;
      const t = now();
      if (t - started < delayMs || (drawnAt !== null && t - drawnAt < REDRAW_MS)) return;
      const line = `${verb} ${count}/${total} ${label}`;
      io.stderr(`${ERASE_LINE}${line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line}`);
      drawnAt = t;
    },
    done() {
      if (drawnAt !== null) io.stderr(ERASE_LINE);
    },
  };
}
