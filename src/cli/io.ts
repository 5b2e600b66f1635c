/**
 * The process surface a command sees: output streams, environment, and
 * whether colour is wanted. Commands take an `Io` instead of touching
 * `process` so that tests can run them in-process as well as as binaries.
 *
 * @module
 */
import { styleText } from "node:util";

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Current directory against which relative paths resolve. */
  readonly cwd: string;
  /** Colour only on a TTY and never with NO_COLOR. */
  readonly color: boolean;
}

/** The real process. */
export function processIo(): Io {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "";
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    color: !noColor && process.stdout.isTTY === true,
  };
}

type Style = "red" | "yellow" | "green" | "cyan" | "bold" | "dim";

/** Styles text when the io wants colour, and returns it unchanged otherwise. */
export function paint(io: Io, style: Style, text: string): string {
  return io.color ? styleText(style, text, { validateStream: false }) : text;
}
