/**
 * JSON-lines files partitioned by time window: `<prefix>-<window start>.jsonl`,
 * the window start written `YYYYMMDDTHHMMZ` (UTC), so names sort by time.
 * Used for batch export (one file per window for historical analysis) and
 * for the exporter's local fallback while its destination is down.
 *
 * @module
 */
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Where and how partitions are written. */
export interface PartitionOptions {
  /** The folder, created when missing. */
  readonly dir: string;
  /** The file name prefix (letters, digits, `-`, `_`). */
  readonly prefix: string;
  /** The window length in milliseconds: 3,600,000 for hourly files. */
  readonly windowMs: number;
}

const PREFIX = /^[A-Za-z0-9_-]{1,64}$/;

/** Throws a `RangeError` for a prefix or window that cannot name files. */
export function checkPartitionOptions(options: PartitionOptions): PartitionOptions {
  if (!PREFIX.test(options.prefix)) throw new RangeError(`bad partition prefix ${options.prefix}`);
  if (!(Number.isInteger(options.windowMs) && options.windowMs >= 60_000)) {
    throw new RangeError("a partition window is a whole number of milliseconds, at least 60000");
  }
  return options;
}

/** The file name of the window containing `at`. */
export function partitionName(options: PartitionOptions, at: Date): string {
  const start = new Date(Math.floor(at.getTime() / options.windowMs) * options.windowMs);
  const stamp = start.toISOString().slice(0, 16).replaceAll("-", "").replace(":", "");
  return `${options.prefix}-${stamp}Z.jsonl`;
}

/** Appends `lines` (each with the time that picks its window) to their partitions; returns the files written. */
export async function appendPartitioned(
  options: PartitionOptions,
  lines: readonly { readonly at: Date; readonly text: string }[],
): Promise<string[]> {
  const groups = new Map<string, string[]>();
  for (const line of lines) {
    const name = partitionName(options, line.at);
    const group = groups.get(name) ?? [];
    group.push(`${line.text}\n`);
    groups.set(name, group);
  }
  await mkdir(options.dir, { recursive: true });
  for (const [name, group] of groups) await appendFile(join(options.dir, name), group.join(""));
  return [...groups.keys()].map((name) => join(options.dir, name));
}

/** The partition files present, oldest window first. */
export async function listPartitions(options: PartitionOptions): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(options.dir);
  } catch {
    return [];
  }
  const own = new RegExp(`^${options.prefix}-\\d{8}T\\d{4}Z\\.jsonl$`);
  return names
    .filter((name) => own.test(name))
    .sort()
    .map((name) => join(options.dir, name));
}

/** The non-empty lines of a partition file. */
export async function readPartition(path: string): Promise<string[]> {
  const text = await readFile(path, "utf8");
  return text.split("\n").filter((line) => line.length > 0);
}

/** Replaces a partition's content with `lines`, removing the file when none are left. */
export async function rewritePartition(path: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) await rm(path, { force: true });
  else await writeFile(path, lines.map((line) => `${line}\n`).join(""));
}
