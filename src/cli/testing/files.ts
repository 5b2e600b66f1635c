/**
 * Files the authoring commands discover and write: which `.aarm` files are
 * policies (as opposed to modules, which are compiled and tested through the
 * policies that import them), and all-or-nothing writes of outputs.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CliError } from "../errors.ts";
import { expandPaths, readText } from "../files.ts";

/** A policy file's first token, after comments, is `policy`; a module's is `module`. */
const POLICY_HEADER = /^\s*(?:(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*policy\b/;

export function isPolicySource(text: string): boolean {
  return POLICY_HEADER.test(text);
}

/** The `.aarm` files under `paths` that are policies, sorted, with the modules found beside them. */
export function findPolicies(
  paths: readonly string[],
  cwd: string,
): { policies: string[]; modules: string[] } {
  const policies: string[] = [];
  const modules: string[] = [];
  for (const file of expandPaths(paths, ".aarm", cwd)) {
    (isPolicySource(readText(file, cwd)) ? policies : modules).push(file);
  }
  return { policies, modules };
}

/**
 * Whether a path (relative to the working directory) leaves it. Policies are
 * read through a host rooted at the working directory, so that imports cannot
 * reach outside the project; such a path cannot be read.
 */
export function outsideWorkingDirectory(path: string): boolean {
  return path === ".." || path.startsWith("../") || path.startsWith("/");
}

export const OUTSIDE = "is outside the working directory; run aarmc from a folder that contains it";

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOENT" || code === "ENOTDIR") return "the folder does not exist";
  if (code === "EISDIR") return "is a directory";
  return error instanceof Error ? error.message : String(error);
}

/**
 * Writes every file or none: each is first written in full to a temporary
 * file beside it, and only when all are written are they renamed into place
 * (a rename within a folder is atomic). On any failure the temporary files
 * are removed and the existing files are left as they were.
 */
export function writeAtomically(
  files: readonly { readonly path: string; readonly text: string }[],
  shown: (path: string) => string,
): void {
  const staged: { temp: string; path: string }[] = [];
  // Cleanup never hides the error being reported: a folder we cannot write may not even be listable.
  const remove = (temp: string): void => {
    try {
      rmSync(temp, { force: true });
    } catch {
      // Nothing was written there, or nothing can be removed: either way the write failed first.
    }
  };
  const discard = (): void => {
    for (const { temp } of staged) remove(temp);
  };
  for (const { path, text } of files) {
    const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      writeFileSync(temp, text, { flag: "wx" });
      staged.push({ temp, path });
    } catch (error) {
      remove(temp);
      discard();
      throw new CliError(`${shown(path)}: cannot write: ${describe(error)}`);
    }
  }
  for (const [i, { temp, path }] of staged.entries()) {
    try {
      renameSync(temp, path);
    } catch (error) {
      discard();
      const done = staged.slice(0, i).map((s) => shown(s.path));
      throw new CliError(
        `${shown(path)}: cannot write: ${describe(error)}${done.length === 0 ? "" : ` (already written: ${done.join(", ")})`}`,
      );
    }
  }
}
