/**
 * Failures a command reports to its user. A `CliError` is expected bad input
 * (missing file, malformed JSON, bad flag): one line, with the location when
 * there is one, exit code 2, no stack trace.
 *
 * @module
 */

/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** The command ran and found problems: failing tests, diagnostics with errors, unformatted files. */
  failure: 1,
  /** The input could not be used: bad flags, unreadable files, invalid policies or JSON. */
  invalid: 2,
} as const;

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.invalid) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}
