/**
 * Decision latency of the IR evaluator as the policy grows: policies of
 * 10, 100, 1,000 and 10,000 rules on distinct tools (plus tool-agnostic
 * rules), each decision for a random tool with a realistic snapshot.
 *
 * All policies are measured in one process, in interleaved rounds (the
 * machine is shared, so load drifts; interleaving spreads it evenly over the
 * sizes), and the growth ratio is the median over rounds of each round's
 * p50(large) / p50(100 rules). Prints a table and writes
 * `benchmarks/results/decision-latency.json`. `--quick` runs a smoke test
 * (10 to 1,000 rules, fewer rounds; compiling 10,000 rules alone takes tens
 * of seconds) and writes under `benchmarks/results/tmp/`.
 *
 * Usage: node benchmarks/decision-latency.ts [--quick]
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { compileText } from "../src/compiler.ts";
import { type EvalInput, evaluate, type Ir } from "../src/eval/index.ts";
import { batchSamples, bytesPerCall, clockOverheadNs, quantile, singleSamples, sink } from "./lib/measure.ts";
import { inputPool, policySources } from "./lib/workload.ts";

const quick = process.argv.includes("--quick");

const SIZES = quick ? [10, 100, 1_000] : [10, 100, 1_000, 10_000];
const BASELINE = 100;
const POOL = quick ? 1024 : 4096;
const ROUNDS = quick ? 5 : 40;
const BATCHES = quick ? 20 : 100;
const BATCH = 100;
const SINGLES = quick ? 1_000 : 5_000;
const WARMUP_PASSES = quick ? 4 : 10;
const ALLOC_WINDOWS = quick ? 10 : 40;
const ALLOC_CALLS = 64;

/** The targets of the issue, at 10,000 rules. */
const TARGETS = { p50Ns: 1_000, p99Ns: 5_000, growth: 1.5 };

interface Subject {
  readonly rules: number;
  readonly ir: Ir;
  readonly compileMs: number;
  readonly pool: readonly EvalInput[];
  readonly run: (k: number) => number;
  readonly batches: number[];
  readonly singles: number[];
  /** This subject's batch median in each round, for the paired ratio. */
  readonly roundP50: number[];
}

function subjectOf(rules: number): Subject {
  const sources = policySources(rules);
  const t0 = performance.now();
  const { ir, diagnostics } = compileText(sources.root, sources.files);
  const compileMs = performance.now() - t0;
  if (ir === null) throw new Error(`policy of ${rules} rules does not compile: ${diagnostics[0]?.message}`);
  const pool = inputPool(rules, POOL, rules);
  const mask = POOL - 1;
  const run = (k: number): number => evaluate(ir, pool[k & mask] as EvalInput).rules.length;
  return { rules, ir, compileMs, pool, run, batches: [], singles: [], roundP50: [] };
}

function decisionMix(subject: Subject): Record<string, number> {
  const mix: Record<string, number> = {};
  for (const input of subject.pool) {
    const { decision } = evaluate(subject.ir, input);
    mix[decision] = (mix[decision] ?? 0) + 1;
  }
  return mix;
}

function fmt(ns: number): string {
  return ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${Math.round(ns)} ns`;
}

const loadStart = loadavg();
console.log(`decision-latency${quick ? " (quick)" : ""}: compiling ${SIZES.join(", ")} rules…`);
const subjects = SIZES.map(subjectOf);
for (const s of subjects) console.log(`  ${s.rules} rules: compiled in ${Math.round(s.compileMs)} ms`);

for (let pass = 0; pass < WARMUP_PASSES; pass++) {
  for (const s of subjects) for (let k = 0; k < POOL; k++) sink.value += s.run(k);
}

const clockNs = clockOverheadNs();
let offset = 0;
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order so no size always runs first (right after another's cache traffic).
  for (let j = 0; j < subjects.length; j++) {
    const s = subjects[(round + j) % subjects.length] as Subject;
    const batches = batchSamples(s.run, offset, BATCHES, BATCH);
    s.batches.push(...batches);
    s.roundP50.push(quantile(batches, 0.5));
    s.singles.push(...singleSamples(s.run, offset + BATCHES * BATCH, SINGLES));
  }
  offset += BATCHES * BATCH + SINGLES;
}

const rows = subjects.map((s) => ({
  rules: s.rules,
  tools: Object.keys(s.ir.tools).length,
  exprs: s.ir.exprs.length,
  compileMs: Math.round(s.compileMs),
  p50Ns: quantile(s.batches, 0.5),
  p50SingleNs: quantile(s.singles, 0.5),
  p99Ns: quantile(s.singles, 0.99),
  p999Ns: quantile(s.singles, 0.999),
  bytesPerDecision: Math.round(bytesPerCall(s.run, ALLOC_WINDOWS, ALLOC_CALLS)),
  decisions: decisionMix(s),
}));
const loadEnd = loadavg();

/** The median over rounds of `a`'s p50 over `b`'s in the same round. */
function pairedRatio(a: Subject, b: Subject): number {
  return quantile(
    a.roundP50.map((p, i) => p / (b.roundP50[i] as number)),
    0.5,
  );
}

const base = subjects.find((s) => s.rules === BASELINE) as Subject;
const smallest = subjects[0] as Subject;
const largest = subjects[subjects.length - 1] as Subject;
const ratio = pairedRatio(largest, base);
const growth = pairedRatio(largest, smallest);
const top = rows[rows.length - 1];

console.log(
  `\nnode ${process.version}, ${availableParallelism()} cpus (${cpus()[0]?.model ?? "unknown"}), ` +
    `load ${loadStart.map((l) => l.toFixed(2)).join(" ")} → ${loadEnd.map((l) => l.toFixed(2)).join(" ")}`,
);
console.log(`clock read overhead (included in single samples): ${clockNs} ns\n`);
console.log(
  [
    "rules".padStart(6),
    "exprs".padStart(6),
    "compile".padStart(9),
    "p50".padStart(9),
    "p50 single".padStart(11),
    "p99".padStart(9),
    "p99.9".padStart(9),
    "B/decision".padStart(11),
  ].join(" "),
);
for (const r of rows) {
  console.log(
    [
      String(r.rules).padStart(6),
      String(r.exprs).padStart(6),
      `${r.compileMs} ms`.padStart(9),
      fmt(r.p50Ns).padStart(9),
      fmt(r.p50SingleNs).padStart(11),
      fmt(r.p99Ns).padStart(9),
      fmt(r.p999Ns).padStart(9),
      String(r.bytesPerDecision).padStart(11),
    ].join(" "),
  );
}
console.log(
  `\np50(${largest.rules} rules) / p50(${BASELINE} rules), median of ${ROUNDS} paired rounds: ${ratio.toFixed(3)}`,
);
console.log(`p50(${largest.rules} rules) / p50(${smallest.rules} rules), likewise: ${growth.toFixed(3)}`);
if (top !== undefined && top.rules === 10_000) {
  console.log(
    `targets at 10,000 rules: p50 ${fmt(top.p50Ns)} (≤ ${fmt(TARGETS.p50Ns)}), ` +
      `p99 ${fmt(top.p99Ns)} (≤ ${fmt(TARGETS.p99Ns)}), ×${growth.toFixed(2)} of 10 rules (≤ ×${TARGETS.growth})`,
  );
}

const results = {
  benchmark: "decision-latency",
  date: new Date().toISOString(),
  quick,
  machine: {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? null,
    node: process.version,
    loadavgStart: loadStart,
    loadavgEnd: loadEnd,
  },
  method: {
    pool: POOL,
    rounds: ROUNDS,
    batchesPerRound: BATCHES,
    batchSize: BATCH,
    singlesPerRound: SINGLES,
    allocation: `median used_heap_size growth over ${ALLOC_WINDOWS} windows of ${ALLOC_CALLS} decisions after a forced GC, minus an empty window`,
    clockOverheadNs: clockNs,
  },
  sizes: rows,
  ratios: [
    { numerator: largest.rules, denominator: BASELINE, p50Ratio: ratio },
    { numerator: largest.rules, denominator: smallest.rules, p50Ratio: growth },
  ],
  targets: TARGETS,
};
// A smoke run must not overwrite the committed numbers: it writes under the ignored `tmp/`.
const dir = join(import.meta.dirname, "results", ...(quick ? ["tmp"] : []));
mkdirSync(dir, { recursive: true });
const file = join(dir, "decision-latency.json");
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${file} (sink ${sink.value % 10})`);
