/**
 * B7: how long compiling takes and how much memory it needs as the policy
 * grows: parse, check, lower and hash the decision-latency workload's
 * policies (varied conditions, regexes, session queries, imports) of 1,000
 * and 10,000 rules, plus emitting the standalone module. Each size is
 * compiled several times in this process; the median is reported. Memory is
 * the heap in use after a full GC with the compiled IR still held, minus
 * the heap before, and the peak resident set size of the process.
 *
 * Usage: node benchmarks/compile.ts [--quick]
 *
 * @module
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { compileText, generateModule } from "../src/compiler.ts";
import { quantile } from "./lib/measure.ts";
import { fmtNs, machine, machineLine, printTable, writeResults } from "./lib/report.ts";
import { policySources } from "./lib/workload.ts";

const quick = process.argv.includes("--quick");
const SIZES = quick ? [100, 1_000] : [1_000, 10_000];
const RUNS = quick ? 2 : 5;
const TARGET_MS = 2_000;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

const start = machine();
console.log(`compile${quick ? " (quick)" : ""}: ${SIZES.join(", ")} rules, ${RUNS} runs each\n`);
const rows = SIZES.map((rules) => {
  const sources = policySources(rules);
  const bytes = [sources.root, ...Object.values(sources.files)].reduce((n, text) => n + text.length, 0);
  const compileMs: number[] = [];
  const moduleMs: number[] = [];
  const retained: number[] = [];
  let exprs = 0;
  let moduleBytes = 0;
  // Holds each run's IR while the heap is measured, so the measurement sees it.
  const held: unknown[] = [];
  for (let run = 0; run < RUNS; run++) {
    held.length = 0;
    const before = heapUsed();
    const t0 = performance.now();
    const { ir, diagnostics } = compileText(sources.root, sources.files);
    const t1 = performance.now();
    if (ir === null) throw new Error(`policy of ${rules} rules does not compile: ${diagnostics[0]?.message}`);
    const code = generateModule(ir);
    const t2 = performance.now();
    held.push(ir, code);
    compileMs.push(t1 - t0);
    moduleMs.push(t2 - t1);
    retained.push(heapUsed() - before);
    exprs = ir.exprs.length;
    moduleBytes = code.length;
  }
  return {
    rules,
    sourceBytes: bytes,
    exprs,
    compileMs: quantile(compileMs, 0.5),
    moduleMs: quantile(moduleMs, 0.5),
    moduleBytes,
    retainedHeapBytes: quantile(retained, 0.5),
  };
});
const peakRssBytes = process.resourceUsage().maxRSS * 1024;

console.log(machineLine());
printTable(
  ["rules", "source", "exprs", "compile", "module", "IR heap"],
  rows.map((r) => [
    String(r.rules),
    `${Math.round(r.sourceBytes / 1024)} KiB`,
    String(r.exprs),
    fmtNs(r.compileMs * 1e6),
    fmtNs(r.moduleMs * 1e6),
    `${(r.retainedHeapBytes / 2 ** 20).toFixed(1)} MiB`,
  ]),
);
const top = rows[rows.length - 1];
console.log(`\npeak RSS of the process: ${(peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
if (top?.rules === 10_000)
  console.log(`target at 10,000 rules: compile ≤ ${TARGET_MS} ms; measured ${Math.round(top.compileMs)} ms`);

writeResults("compile", quick, {
  machine: { ...start, loadavgEnd: machine().loadavg },
  method: {
    runs: RUNS,
    memory: "heapUsed after a full GC with the IR held, minus before; peak RSS of the process",
  },
  sizes: rows,
  peakRssBytes,
  targets: { compileMsAt10k: TARGET_MS },
});
