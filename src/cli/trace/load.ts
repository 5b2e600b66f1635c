/**
 * Reading a trace file for a command: streamed in chunks (traces can be far
 * larger than the files commands otherwise read), every problem a one-line
 * `CliError` at `file:line:column`.
 *
 * @module
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { resolve } from "node:path";
import { CliError } from "../errors.ts";
import { printable } from "./printable.ts";
import type { DecisionPoint } from "../../runtime/trace/format.ts";
import { type PointCheck, readTrace } from "../../runtime/trace/reader.ts";

const CHUNK_BYTES = 64 * 1024;

function describe(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory, expected a file";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

function* chunks(fd: number, path: string): Generator<Uint8Array, void, undefined> {
  const buffer = new Uint8Array(CHUNK_BYTES);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer);
    } catch (error) {
      throw new CliError(`${path}: ${describe(error)}`);
    }
    if (n === 0) return;
    yield buffer.subarray(0, n);
  }
}

/**
 * The decision points of the trace at `path` (`-`: standard input), in file
 * order; throws a `CliError` at the first problem.
 */
export function* readTraceFile(
  path: string,
  cwd: string,
  check?: PointCheck,
): Generator<DecisionPoint, void, undefined> {
  const stdin = path === "-";
  let fd: number;
  try {
    fd = stdin ? 0 : openSync(resolve(cwd, path), "r");
  } catch (error) {
    throw new CliError(`${path}: ${describe(error)}`);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new CliError(`${path}: is a directory, expected a file`);
    for (const item of readTrace(chunks(fd, path), check === undefined ? {} : { check })) {
      if (!item.ok) {
        // The message may quote the trace, which is untrusted: nothing in it may act on the terminal.
        const where = `${stdin ? "<stdin>" : path}:${item.error.line}:${item.error.column}`;
        throw new CliError(`${where}: ${printable(item.error.message)}`);
      }
      yield item.point;
    }
  } finally {
    if (!stdin) closeSync(fd);
  }
}
