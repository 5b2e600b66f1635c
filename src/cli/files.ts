/**
 * Reading user-named files for commands: every failure becomes a one-line
 * `CliError` naming the file (and the line and column for malformed JSON).
 *
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { CliError } from "./errors.ts";

/** Largest input file a command reads; policies and actions are small. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a parent is not a directory";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** Reads a UTF-8 text file, or fails with a one-line message naming it. */
export function readText(path: string, cwd: string): string {
  const full = resolve(cwd, path);
  try {
    const stat = statSync(full);
    if (stat.isDirectory()) throw new CliError(`${path}: is a directory, expected a file`);
    if (stat.size > MAX_INPUT_BYTES)
      throw new CliError(`${path}: file is larger than ${MAX_INPUT_BYTES} bytes`);
    return readFileSync(full, "utf8");
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${path}: ${describe(error)}`);
  }
}

/** 1-based line and column of an offset in a text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Parses JSON text, or fails with `file:line:column: message`. */
export function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    const where =
      position?.[1] === undefined ? "" : `${formatLocation(lineColumn(text, Number(position[1])))}`;
    const reason = message.replace(/ in JSON at position \d+.*$/s, "").replace(/^Unexpected/, "unexpected");
    throw new CliError(`${path}${where}: malformed JSON: ${reason}`);
  }
}

function formatLocation(at: { line: number; column: number }): string {
  return `:${at.line}:${at.column}`;
}

/** Reads and parses a JSON file. */
export function readJson(path: string, cwd: string): unknown {
  return parseJson(readText(path, cwd), path);
}

/**
 * Expands paths to the files ending in `extension` they name: files as given,
 * directories recursively (skipping `node_modules` and dot-folders), sorted.
 */
export function expandPaths(paths: readonly string[], extension: string, cwd: string): string[] {
  const found = new Set<string>();
  const walk = (dir: string, shown: string): void => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      throw new CliError(`${shown}: cannot read directory: ${describe(error)}`);
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full, join(shown, entry.name));
      else if (entry.isFile() && entry.name.endsWith(extension)) found.add(relative(cwd, full) || full);
    }
  };
  for (const path of paths) {
    const full = resolve(cwd, path);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(full).isDirectory();
    } catch (error) {
      throw new CliError(`${path}: ${describe(error)}`);
    }
    if (isDirectory) walk(full, path);
    else found.add(relative(cwd, full) || full);
  }
  return [...found].sort();
}
