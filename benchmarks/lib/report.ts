/**
 * What every benchmark prints and writes alike: the machine it ran on,
 * durations in readable units, aligned tables, and a JSON result file per
 * benchmark under `benchmarks/results/` (a `--quick` smoke run writes under
 * the ignored `results/tmp/`, so it never overwrites published numbers).
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";

/** Where results go. */
export function resultsDir(quick: boolean): string {
  return join(import.meta.dirname, "..", "results", ...(quick ? ["tmp"] : []));
}

/** The machine a run is on, with the load average now (call again at the end to see drift). */
export function machine(): {
  readonly cpus: number;
  readonly cpuModel: string | null;
  readonly memoryGiB: number;
  readonly node: string;
  readonly loadavg: readonly number[];
} {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? null,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** One line describing the machine, for the top of a printed report. */
export function machineLine(): string {
  const m = machine();
  return `node ${m.node}, ${m.cpus} cpus (${m.cpuModel ?? "unknown"}), load ${m.loadavg.join(" ")}`;
}

/** Nanoseconds as ns, µs or ms, with three significant digits. */
export function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return "–";
  const [value, unit] = ns >= 1e6 ? [ns / 1e6, "ms"] : ns >= 1e3 ? [ns / 1e3, "µs"] : [ns, "ns"];
  const digits = unit === "ns" || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

/** A ratio as `×1.23`. */
export function fmtRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `×${ratio >= 100 ? Math.round(ratio) : ratio.toFixed(2)}` : "–";
}

/** Prints rows under headers, right-aligned in columns. */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => c.padStart(widths[i] as number)).join("  ");
  console.log(line(headers));
  for (const row of rows) console.log(line(row));
}

/** Writes `benchmarks/results/<name>.json` (or under `tmp/` for a quick run) and says where. */
export function writeResults(name: string, quick: boolean, results: object): void {
  const dir = resultsDir(quick);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: name, date: new Date().toISOString(), quick, ...results }, null, 2)}\n`,
  );
  console.log(`wrote ${file}`);
}
