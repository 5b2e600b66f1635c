/**
 * Draws the charts of the latest results: reads each benchmark's JSON under
 * `benchmarks/results/` (under `results/tmp/` with `--quick`) and writes an
 * SVG beside it. A benchmark without results is skipped.
 *
 * Usage: node benchmarks/charts.ts [--quick]
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fmtNs, resultsDir } from "./lib/report.ts";
import { type BarChart, barChart } from "./lib/svg.ts";

const quick = process.argv.includes("--quick");
const dir = resultsDir(quick);

type Row = { readonly [key: string]: unknown };

function rowsOf(name: string, key: string): readonly Row[] | null {
  const file = join(dir, `${name}.json`);
  if (!existsSync(file)) return null;
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Row;
  const rows = parsed[key];
  return Array.isArray(rows) ? (rows as Row[]) : null;
}

function num(row: Row, ...path: string[]): number {
  let value: unknown = row;
  for (const key of path) value = (value as Row | undefined)?.[key];
  return typeof value === "number" ? value : Number.NaN;
}

const charts: { readonly name: string; readonly chart: () => BarChart | null }[] = [
  {
    name: "decision-latency",
    chart: () => {
      const rows = rowsOf("decision-latency", "sizes");
      if (rows === null) return null;
      const sizes = [...new Set(rows.map((r) => num(r, "rules")))];
      const at = (engine: string, rules: number, key: string): number =>
        num(rows.find((r) => r.engine === engine && r.rules === rules) ?? {}, key);
      return {
        title: "B1: decision latency by policy size",
        unit: "time per decision",
        categories: sizes.map((n) => `${n} rules`),
        series: [
          { name: "IR evaluator p50", values: sizes.map((n) => at("ir", n, "p50Ns")) },
          { name: "IR evaluator p99", values: sizes.map((n) => at("ir", n, "p99Ns")) },
          { name: "generated module p50", values: sizes.map((n) => at("module", n, "p50Ns")) },
          { name: "generated module p99", values: sizes.map((n) => at("module", n, "p99Ns")) },
        ],
        format: fmtNs,
      };
    },
  },
  {
    name: "comparison",
    chart: () => {
      const rows = rowsOf("comparison", "sizes");
      if (rows === null) return null;
      return {
        title: "B2/B3: the same policy in aarm, Cedar and hand-written TypeScript (p50)",
        unit: "time per decision",
        categories: rows.map((r) => `${num(r, "rules")} rules`),
        series: [
          { name: "hand-written", values: rows.map((r) => num(r, "handWritten", "p50Ns")) },
          { name: "aarm", values: rows.map((r) => num(r, "aarm", "p50Ns")) },
          { name: "Cedar (wasm)", values: rows.map((r) => num(r, "cedar", "p50Ns")) },
        ],
        format: fmtNs,
      };
    },
  },
  {
    name: "pipeline",
    chart: () => {
      const rows = rowsOf("pipeline", "runs");
      if (rows === null) return null;
      return {
        title: "B5: added latency of the whole pipeline (decision, context, receipt, SQLite)",
        unit: "time per action",
        // Short labels: durability, parallel sessions, signer.
        categories: rows.map(
          (r) =>
            `${String(r.durability)} ×${num(r, "sessions")} ${r.signer === "node:crypto" ? "node" : "noble"}`,
        ),
        series: [
          { name: "p50", values: rows.map((r) => num(r, "addedP50Ns")) },
          { name: "p99", values: rows.map((r) => num(r, "addedP99Ns")) },
        ],
        format: fmtNs,
      };
    },
  },
  {
    name: "context-length",
    chart: () => {
      const evaluator = rowsOf("context-length", "evaluator");
      const runtime = rowsOf("context-length", "runtime");
      if (evaluator === null || runtime === null) return null;
      return {
        title: "B4: p50 decision latency by prior actions in the session",
        unit: "time per decision",
        categories: evaluator.map((r) => `${num(r, "priorActions")} prior`),
        series: [
          { name: "evaluator (folded features)", values: evaluator.map((r) => num(r, "p50Ns")) },
          { name: "runtime session.evaluate", values: runtime.map((r) => num(r, "p50Ns")) },
        ],
        format: fmtNs,
      };
    },
  },
  {
    name: "gateway",
    chart: () => {
      const rows = rowsOf("gateway", "paths");
      if (rows === null) return null;
      return {
        title: "B6: tools/call directly and through aarm gateway",
        unit: "time per call",
        categories: rows.map((r) => String(r.path)),
        series: [
          { name: "p50", values: rows.map((r) => num(r, "p50Ns")) },
          { name: "p99", values: rows.map((r) => num(r, "p99Ns")) },
        ],
        format: fmtNs,
      };
    },
  },
  {
    name: "compile",
    chart: () => {
      const rows = rowsOf("compile", "sizes");
      if (rows === null) return null;
      return {
        title: "B7: compile time by policy size",
        unit: "time",
        categories: rows.map((r) => `${num(r, "rules")} rules`),
        series: [
          { name: "compile (parse, check, lower)", values: rows.map((r) => num(r, "compileMs") * 1e6) },
          { name: "generate module", values: rows.map((r) => num(r, "moduleMs") * 1e6) },
        ],
        format: fmtNs,
      };
    },
  },
];

for (const { name, chart } of charts) {
  const drawn = chart();
  if (drawn === null) continue;
  const file = join(dir, `${name}.svg`);
  writeFileSync(file, barChart(drawn));
  console.log(`wrote ${file}`);
}
