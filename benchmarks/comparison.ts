/**
 * B2 and B3: the same policies decided by aarm's IR evaluator, by Cedar
 * (`@cedar-policy/cedar-wasm`, policy set preparsed, stateful API) and by a
 * hand-written TypeScript function, at 10 to 10,000 rules, in one process.
 * The policies are the comparable workload of `lib/comparable.ts`;
 * `test/benchmarks/equivalence.test.ts` checks that the three decide alike on
 * every input timed here.
 *
 * Sizes and implementations are measured in interleaved rounds, and each
 * ratio is the median over rounds of the two medians of the same round, so
 * load drifting on a shared machine affects both sides alike. aarm and the
 * hand-written function take well under a microsecond, so their medians come
 * from batches of calls; Cedar's calls are long enough to time one by one.
 *
 * Usage: node benchmarks/comparison.ts [--quick]
 *
 * @module
 */
import { cedarAuthorizer, cedarVersion } from "./lib/cedar.ts";
import {
  aarmInput,
  aarmPolicy,
  benchmarkInputs,
  CEDAR_SIZES,
  cedarPolicies,
  cedarRequest,
  comparableTools,
  POOL,
} from "./lib/comparable.ts";
import { handWritten } from "./lib/comparable.ts";
import { batchSamples, quantile, singleSamples, sink } from "./lib/measure.ts";
import { fmtNs, fmtRatio, machine, machineLine, printTable, writeResults } from "./lib/report.ts";
import { compileText } from "../src/compiler.ts";
import { evaluate } from "../src/eval/index.ts";

const quick = process.argv.includes("--quick");
const SIZES = quick ? CEDAR_SIZES.filter((n) => n <= 1_000) : [...CEDAR_SIZES];
const ROUNDS = quick ? 3 : 20;
const BATCHES = quick ? 10 : 50;
const BATCH = 100;
const SINGLES = quick ? 500 : 2_000;
/** Time given to Cedar per size and round; at least `CEDAR_MIN` calls are timed whatever it costs. */
const CEDAR_BUDGET_MS = quick ? 50 : 400;
const CEDAR_MIN = 3;
const TARGETS = { cedarOverAarm: 100, aarmOverHand: 2 };

interface Side {
  readonly run: (k: number) => number;
  readonly batches: number[];
  readonly singles: number[];
  readonly roundP50: number[];
}

interface Subject {
  readonly rules: number;
  readonly aarm: Side;
  readonly hand: Side;
  readonly cedar: {
    readonly run: (k: number) => number;
    readonly samples: number[];
    readonly roundP50: number[];
  };
  readonly cedarInputs: number;
}

function side(run: (k: number) => number): Side {
  return { run, batches: [], singles: [], roundP50: [] };
}

function subjectOf(rules: number): Subject {
  const tools = comparableTools(rules);
  const source = aarmPolicy(tools);
  const { ir, diagnostics } = compileText(source.root, source.files);
  if (ir === null)
    throw new Error(`aarm policy of ${rules} rules does not compile: ${diagnostics[0]?.message}`);
  const { requests, now, cedarCount } = benchmarkInputs(tools);
  const inputs = requests.map((r) => aarmInput(r, now));
  const cedarInputs = requests.slice(0, cedarCount).map(cedarRequest);
  const cedar = cedarAuthorizer(cedarPolicies(tools));
  const byHand = handWritten(tools);
  const mask = POOL - 1;
  return {
    rules,
    aarm: side((k) => (evaluate(ir, inputs[k & mask]!).decision === "ALLOW" ? 1 : 0)),
    hand: side((k) => (byHand(requests[k & mask]!) ? 1 : 0)),
    cedar: { run: (k) => (cedar(cedarInputs[k % cedarCount]!) ? 1 : 0), samples: [], roundP50: [] },
    cedarInputs: cedarCount,
  };
}

function measure(s: Side, offset: number): void {
  const batches = batchSamples(s.run, offset, BATCHES, BATCH);
  s.batches.push(...batches);
  s.roundP50.push(quantile(batches, 0.5));
  s.singles.push(...singleSamples(s.run, offset, SINGLES));
}

function measureCedar(s: Subject, offset: number): void {
  const round: number[] = [];
  const deadline = performance.now() + CEDAR_BUDGET_MS;
  while (round.length < CEDAR_MIN || performance.now() < deadline) {
    round.push(...singleSamples(s.cedar.run, offset + round.length, 1));
  }
  s.cedar.samples.push(...round);
  s.cedar.roundP50.push(quantile(round, 0.5));
}

function paired(a: readonly number[], b: readonly number[]): number {
  return quantile(
    a.map((p, i) => p / (b[i] as number)),
    0.5,
  );
}

const start = machine();
console.log(`comparison${quick ? " (quick)" : ""}: aarm vs ${cedarVersion()} vs hand-written TypeScript`);
console.log(`compiling and preparsing ${SIZES.join(", ")} rules…`);
const subjects = SIZES.map(subjectOf);

for (const s of subjects) {
  for (let k = 0; k < POOL * 4; k++) sink.value += s.aarm.run(k) + s.hand.run(k);
  for (let k = 0; k < Math.min(s.cedarInputs, 64); k++) sink.value += s.cedar.run(k);
}

let offset = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (let j = 0; j < subjects.length; j++) {
    const s = subjects[(round + j) % subjects.length] as Subject;
    // Alternate which side goes first, so neither always runs on a cold cache.
    if (round % 2 === 0) {
      measure(s.aarm, offset);
      measure(s.hand, offset);
    } else {
      measure(s.hand, offset);
      measure(s.aarm, offset);
    }
    measureCedar(s, offset);
  }
  offset += BATCHES * BATCH + SINGLES;
}

const rows = subjects.map((s) => ({
  rules: s.rules,
  aarm: { p50Ns: quantile(s.aarm.batches, 0.5), p99Ns: quantile(s.aarm.singles, 0.99) },
  handWritten: { p50Ns: quantile(s.hand.batches, 0.5), p99Ns: quantile(s.hand.singles, 0.99) },
  cedar: {
    p50Ns: quantile(s.cedar.samples, 0.5),
    p99Ns: quantile(s.cedar.samples, 0.99),
    samples: s.cedar.samples.length,
    inputs: s.cedarInputs,
  },
  cedarOverAarm: paired(s.cedar.roundP50, s.aarm.roundP50),
  aarmOverHand: paired(s.aarm.roundP50, s.hand.roundP50),
}));

console.log(`\n${machineLine()}\n`);
printTable(
  [
    "rules",
    "aarm p50",
    "aarm p99",
    "hand p50",
    "hand p99",
    "Cedar p50",
    "Cedar p99",
    "Cedar/aarm",
    "aarm/hand",
  ],
  rows.map((r) => [
    String(r.rules),
    fmtNs(r.aarm.p50Ns),
    fmtNs(r.aarm.p99Ns),
    fmtNs(r.handWritten.p50Ns),
    fmtNs(r.handWritten.p99Ns),
    fmtNs(r.cedar.p50Ns),
    fmtNs(r.cedar.p99Ns),
    fmtRatio(r.cedarOverAarm),
    fmtRatio(r.aarmOverHand),
  ]),
);
console.log(
  `\ntargets: Cedar/aarm ≥ ×${TARGETS.cedarOverAarm} (B2), aarm/hand ≤ ×${TARGETS.aarmOverHand} (B3); ` +
    `ratios are medians over ${ROUNDS} paired rounds`,
);

writeResults("comparison", quick, {
  machine: { ...start, loadavgEnd: machine().loadavg },
  cedar: cedarVersion(),
  method: {
    pool: POOL,
    rounds: ROUNDS,
    batchesPerRound: BATCHES,
    batchSize: BATCH,
    singlesPerRound: SINGLES,
    cedarBudgetMsPerRound: CEDAR_BUDGET_MS,
    cedar: "preparsePolicySet once, statefulIsAuthorized per request, no entities",
  },
  sizes: rows,
  targets: TARGETS,
});
console.log(`(sink ${sink.value % 10})`);
