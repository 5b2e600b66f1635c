/**
 * Source hosts: where the checker reads `.aarm` files and MCP tool lists from.
 *
 * Paths are POSIX-style and relative to the host's root (`policy.aarm`,
 * `shared/tools.aarm`); `std/<name>.aarm` names a module of the package's
 * standard library. A host answers `undefined` for anything it cannot or will
 * not read, so the loader reports a missing file the same way whatever the
 * reason.
 *
 * @module
 */
import { readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Largest source file the checker reads: policies are small, and this bounds memory. */
export const MAX_SOURCE_BYTES = 1024 * 1024;

/** Reads source files by POSIX-style path. */
export interface SourceHost {
  read(path: string): string | undefined;
}

/**
 * Normalises a POSIX path: drops `.` and empty segments and folds `a/..`.
 * `..` segments that climb above the root are kept, so no host can mistake
 * them for a path inside it.
 */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else out.push(segment);
  }
  return out.join("/");
}

/** The directory part of a normalised path (`""` for a file at the root). */
export function dirnamePath(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** Whether a normalised path climbs above the root. */
function escapesRoot(path: string): boolean {
  return path === ".." || path.startsWith("../");
}

/** The host path of standard-library module `name` (`exfiltration` → `std/exfiltration.aarm`). */
export function stdPath(name: string): string {
  return `std/${name}.aarm`;
}

/** A host over in-memory files, asking `fallback` for the rest. */
export function memoryHost(files: Readonly<Record<string, string>>, fallback?: SourceHost): SourceHost {
  const table = new Map<string, string>();
  for (const [path, text] of Object.entries(files)) table.set(normalizePath(path), text);
  return {
    read(path) {
      const text = table.get(normalizePath(path));
      return text !== undefined ? text : fallback?.read(path);
    },
  };
}

/** The package's `stdlib/` folder: two levels up from this module in `src/lang/` and in `dist/lang/`. */
function stdlibDir(): string {
  return fileURLToPath(new URL("../../stdlib/", import.meta.url));
}

/** Reads `full` if it is a regular file of at most `MAX_SOURCE_BYTES` inside `root` (symlinks resolved). */
function readInside(root: string, full: string): string | undefined {
  try {
    const real = realpathSync(full);
    const rel = relative(realpathSync(root), real);
    if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
    const stat = statSync(real);
    if (!stat.isFile() || stat.size > MAX_SOURCE_BYTES) return undefined;
    return readFileSync(real, "utf8");
  } catch {
    return undefined;
  }
}

function readStd(path: string): string | undefined {
  const name = path.slice("std/".length);
  if (name.includes("/") || !name.endsWith(".aarm")) return undefined;
  return readInside(stdlibDir(), join(stdlibDir(), name));
}

/** A host serving only the standard library (`std/<name>.aarm`). */
export function stdlibHost(): SourceHost {
  return {
    read(path) {
      const normal = normalizePath(path);
      return normal.startsWith("std/") ? readStd(normal) : undefined;
    },
  };
}

/**
 * A host over the file system below `rootDir`, plus the standard library.
 * Paths that climb out of `rootDir` (also through symlinks), directories and
 * files over `MAX_SOURCE_BYTES` read as missing.
 */
export function fileHost(rootDir: string): SourceHost {
  return {
    read(path) {
      const normal = normalizePath(path);
      if (normal.startsWith("std/")) return readStd(normal);
      if (normal === "" || escapesRoot(normal) || path.startsWith("/")) return undefined;
      return readInside(rootDir, join(rootDir, ...normal.split("/")));
    },
  };
}
