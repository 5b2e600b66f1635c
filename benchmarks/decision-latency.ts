/**
 * B1: decision latency as the policy grows, for the IR evaluator and for the
 * generated standalone module: policies of 10, 100, 1,000 and 10,000 rules on
 * distinct tools (plus tool-agnostic rules), each decision for a random tool
 * with a realistic snapshot.
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
import { loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { compileText, generateModule } from "../src/compiler.ts";
import { type EvalInput, evaluate, type Ir } from "../src/eval/index.ts";
import { batchSamples, bytesPerCall, clockOverheadNs, quantile, singleSamples, sink } from "./lib/measure.ts";
import { fmtNs, machine, machineLine, printTable, writeResults } from "./lib/report.ts";
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

/** Which evaluator decides: the IR interpreter of `aarm/eval`, or the module generated from the IR. */
type Engine = "ir" | "module";

interface Subject {
  readonly rules: number;
  readonly engine: Engine;
  readonly ir: Ir;
  readonly compileMs: number;
  readonly pool: readonly EvalInput[];
  readonly run: (k: number) => number;
  readonly batches: number[];
  readonly singles: number[];
  /** This subject's batch median in each round, for the paired ratio. */
  readonly roundP50: number[];
}

type ModuleEvaluate = (input: EvalInput) => ReturnType<typeof evaluate>;

async function subjectsOf(rules: number): Promise<Subject[]> {
  const sources = policySources(rules);
  const t0 = performance.now();
  const { ir, diagnostics } = compileText(sources.root, sources.files);
  const compileMs = performance.now() - t0;
  if (ir === null) throw new Error(`policy of ${rules} rules does not compile: ${diagnostics[0]?.message}`);
  const pool = inputPool(rules, POOL, rules);
  const mask = POOL - 1;
  const dir = join(import.meta.dirname, "results", "tmp");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `generated-${rules}.mjs`);
  writeFileSync(file, generateModule(ir));
  const generated = (await import(pathToFileURL(file).href)) as { evaluate: ModuleEvaluate };
  const runs: Record<Engine, (k: number) => number> = {
    ir: (k) => evaluate(ir, pool[k & mask] as EvalInput).rules.length,
    module: (k) => generated.evaluate(pool[k & mask] as EvalInput).rules.length,
  };
  return (["ir", "module"] as const).map((engine) => ({
    rules,
    engine,
    ir,
    compileMs,
    pool,
    run: runs[engine],
    batches: [],
    singles: [],
    roundP50: [],
  }));
}

function decisionMix(subject: Subject): Record<string, number> {
  const mix: Record<string, number> = {};
  for (const input of subject.pool) {
    const { decision } = evaluate(subject.ir, input);
    mix[decision] = (mix[decision] ?? 0) + 1;
  }
  return mix;
}

const startMachine = machine();
console.log(`decision-latency${quick ? " (quick)" : ""}: compiling ${SIZES.join(", ")} rules…`);
const subjects: Subject[] = [];
for (const rules of SIZES) subjects.push(...(await subjectsOf(rules)));
for (const s of subjects)
  if (s.engine === "ir") console.log(`  ${s.rules} rules: compiled in ${Math.round(s.compileMs)} ms`);

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
  engine: s.engine,
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

const ENGINES = ["ir", "module"] as const;
const of = (engine: Engine, rules: number): Subject =>
  subjects.find((s) => s.engine === engine && s.rules === rules) as Subject;
const smallest = SIZES[0] as number;
const largest = SIZES[SIZES.length - 1] as number;
const ratios = ENGINES.flatMap((engine) => [
  {
    engine,
    numerator: largest,
    denominator: BASELINE,
    p50Ratio: pairedRatio(of(engine, largest), of(engine, BASELINE)),
  },
  {
    engine,
    numerator: largest,
    denominator: smallest,
    p50Ratio: pairedRatio(of(engine, largest), of(engine, smallest)),
  },
]);

console.log(`\n${machineLine()} → ${loadEnd.map((l) => l.toFixed(2)).join(" ")}`);
console.log(`clock read overhead (included in single samples): ${clockNs} ns\n`);
printTable(
  ["rules", "engine", "exprs", "compile", "p50", "p50 single", "p99", "p99.9", "B/decision"],
  rows.map((r) => [
    String(r.rules),
    r.engine,
    String(r.exprs),
    `${r.compileMs} ms`,
    fmtNs(r.p50Ns),
    fmtNs(r.p50SingleNs),
    fmtNs(r.p99Ns),
    fmtNs(r.p999Ns),
    String(r.bytesPerDecision),
  ]),
);
console.log("");
for (const r of ratios)
  console.log(
    `${r.engine}: p50(${r.numerator} rules) / p50(${r.denominator} rules), median of ${ROUNDS} paired rounds: ${r.p50Ratio.toFixed(3)}`,
  );
if (largest === 10_000) {
  for (const engine of ENGINES) {
    const top = rows.find((r) => r.engine === engine && r.rules === largest);
    const growth =
      ratios.find((r) => r.engine === engine && r.denominator === smallest)?.p50Ratio ?? Number.NaN;
    if (top === undefined) continue;
    console.log(
      `${engine} targets at 10,000 rules: p50 ${fmtNs(top.p50Ns)} (≤ ${fmtNs(TARGETS.p50Ns)}), ` +
        `p99 ${fmtNs(top.p99Ns)} (≤ ${fmtNs(TARGETS.p99Ns)}), ×${growth.toFixed(2)} of 10 rules (≤ ×${TARGETS.growth})`,
    );
  }
}

writeResults("decision-latency", quick, {
  machine: { ...startMachine, loadavgEnd: loadEnd },
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
  ratios,
  targets: TARGETS,
});
console.log(`(sink ${sink.value % 10})`);
