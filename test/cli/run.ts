/**
 * Runs the built command-line programs as subprocesses, as a user would.
 * The suite runs after `npm run build` (`./dev test` builds first).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The built output the tests run: dist/, or the folder `AARM_DIST` names
 * (relative to the repository root) when a build was made elsewhere.
 */
export const DIST = join(ROOT, process.env.AARM_DIST ?? "dist");

/** The entry file of a built command-line program, for tests that spawn it themselves. */
export function cliEntry(bin: "aarmc" | "aarm"): string {
  const entry = join(DIST, "cli", `${bin}.js`);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" before the CLI tests`);
  return entry;
}

/** Runs `aarmc` or `aarm` from dist/ with the given arguments in `cwd`. */
export function run(
  bin: "aarmc" | "aarm",
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; unprivileged?: boolean; input?: string } = {},
): RunResult {
  const entry = cliEntry(bin);
  // Root reads every file whatever its mode; to exercise permission errors, run as `nobody`.
  const drop = options.unprivileged === true && process.getuid?.() === 0;
  const [command, argv] = drop
    ? ["runuser", ["-u", "nobody", "--", process.execPath, entry, ...args]]
    : [process.execPath, [entry, ...args]];
  const result = spawnSync(command, argv, {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH, NO_COLOR: "1", ...options.env },
    encoding: "utf8",
    timeout: 30_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh directory holding the given files. */
export function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "aarm-cli-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/**
 * Whether permission errors can be exercised: as a normal user they can; as
 * root only by dropping to `nobody`, which must be able to read the build.
 */
export function permissionsEnforced(): boolean {
  if (process.getuid?.() !== 0) return true;
  const entry = cliEntry("aarmc");
  return spawnSync("runuser", ["-u", "nobody", "--", "test", "-r", entry]).status === 0;
}
