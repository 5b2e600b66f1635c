/**
 * Where the package lives and which version it is, found relative to this
 * module so that it works from `src/` (tests) and from `dist/` (installed).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The package root: the folder holding package.json, stdlib/ and examples/. */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The package version from package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
