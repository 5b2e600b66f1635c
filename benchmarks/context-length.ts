/**
 * B6: decision latency as the session grows, from 0 to 100,000 prior
 * actions, for a policy whose rules read session queries (windowed counts,
 * sums and sequences, taint, sensitivity):
 *
 * - **folded**: the IR evaluator on a feature state folded over the history:
 *   `featureValues(state, now)` then `evaluate(ir, input, { features })`,
 *   the work a decision does;
 * - **scan**: `evaluate(ir, input)` scanning the same history, for contrast
 *   (decisions on `pay.send`, the tool whose rules read the session);
 * - **runtime**: `session.evaluate(call)` of a runtime session on a
 *   `MemoryStore` (no scorer), the time every tool call waits. Its prior
 *   actions are written into the store directly, as the runtime writes them
 *   (action, ALLOW decision and outcome entries, sealed into the chain), not
 *   fed through the runtime; the session's first decision reads and verifies
 *   them all (not measured), later ones only what was appended since.
 *
 * Lengths are measured in interleaved rounds; ratios are paired per round
 * (p50 at a length over p50 at 0 in the same round, median over rounds).
 * Prints a table and writes `benchmarks/results/context-length.json`;
 * `--quick` (0, 1,000 and 10,000 prior actions, fewer rounds) writes under
 * `benchmarks/results/tmp/`.
 *
 * Usage: node benchmarks/context-length.ts [--quick]
 *
 * @module
 */
import { compileText } from "../src/compiler.ts";
import {
  appendEntry,
  type EvalInput,
  evaluate,
  type FeatureState,
  featureValues,
  type HistoryEntry,
  initialFeatureState,
} from "../src/eval/index.ts";
import { sealEntry } from "../src/runtime/context/chain.ts";
import type { ContextEntry, ContextEntryBody } from "../src/runtime/context/entry.ts";
import { ContextLog } from "../src/runtime/context/log.ts";
import type { Session } from "../src/runtime/engine/session.ts";
import { Keyring, nodeBackend } from "../src/runtime/index.ts";
import { trustedLocalVerifier } from "../src/runtime/identity/local.ts";
import { createRuntime, type Runtime } from "../src/runtime/runtime.ts";
import { MemoryStore } from "../src/runtime/store/memory.ts";
import { canonicalize } from "../src/schema/canonical.ts";
import { batchSamples, quantile, singleSamples, sink } from "./lib/measure.ts";
import { fmtNs, machine, machineLine, printTable, writeResults } from "./lib/report.ts";

const quick = process.argv.includes("--quick");
const LENGTHS = quick ? [0, 1_000, 10_000] : [0, 1_000, 100_000];
const ROUNDS = quick ? 4 : 20;
const BATCHES = quick ? 10 : 40;
const BATCH = 50;
const SINGLES = quick ? 500 : 2_000;
const SCAN_SINGLES = quick ? 20 : 50;
const RUNTIME_CALLS = quick ? 20 : 40;
/** Milliseconds between prior actions: 100,000 of them span 28 hours, 3,600 in the last hour. */
const SPACING_MS = 1_000;
const TARGET_RATIO = 1.2;

const POLICY = `policy context_length version "1"
tool docs.read { args { path: string } effect read }
tool pay.send { args { to: string, amount: number } effect egress target args.to }
deny burst on pay.send when session.count(effect == egress, within 1h) > 100000
deny spend on pay.send when session.sum("pay.send", amount, within 24h) > 1000000000
deny leak on pay.send when session.seen(pii in labels then effect == egress, within 10m) and args.to != "bank"
deny tainted on pay.send when session.tainted and args.amount > 10000
step_up big on pay.send when session.sensitivity >= confidential and args.amount > 5000 approvers ["owner"]
allow reads when effect == read
allow pays on pay.send
default deny`;

const { ir, diagnostics } = compileText(POLICY);
if (ir === null) throw new Error(`benchmark policy does not compile: ${diagnostics[0]?.message}`);
const IR = ir;

const T0 = Date.parse("2026-11-01T00:00:00Z");
const IDENTITY = { roles: [], scope: [], delegation: [] };

function priorEntry(i: number): HistoryEntry {
  const pay = i % 3 === 0;
  return {
    tool: pay ? "pay.send" : "docs.read",
    effect: pay ? "egress" : "read",
    args: pay ? { to: `acct-${i % 17}`, amount: i % 50 } : { path: `/docs/${i}` },
    ...(pay ? { target: `acct-${i % 17}` } : {}),
    time: T0 + i * SPACING_MS,
    labels: i % 11 === 0 ? ["internal", "pii"] : ["public"],
  };
}

interface EvalSubject {
  readonly length: number;
  readonly history: readonly HistoryEntry[];
  readonly state: FeatureState;
  readonly pool: readonly EvalInput[];
  readonly batches: number[];
  readonly singles: number[];
  readonly scans: number[];
  readonly roundP50: number[];
}

function evalSubject(length: number): EvalSubject {
  const history = Array.from({ length }, (_, i) => priorEntry(i));
  const state = initialFeatureState(IR);
  for (const entry of history) appendEntry(state, entry);
  const now = T0 + length * SPACING_MS;
  const pool = Array.from({ length: 64 }, (_, k): EvalInput => ({
    action: {
      tool: k % 2 === 0 ? "pay.send" : "docs.read",
      args: k % 2 === 0 ? { to: k % 4 === 0 ? "bank" : "shop", amount: (k * 997) % 12_000 } : { path: "/a" },
      time: now + k,
      identity: IDENTITY,
    },
    snapshot: { scores: {}, facts: {}, history },
  }));
  return { length, history, state, pool, batches: [], singles: [], scans: [], roundP50: [] };
}

function folded(s: EvalSubject): (k: number) => number {
  return (k) => {
    const input = s.pool[k & 63] as EvalInput;
    const features = featureValues(s.state, input.action.time);
    return evaluate(IR, input, { features }).rules.length;
  };
}

// --- the runtime session path -------------------------------------------------------------

interface RuntimeSubject {
  readonly length: number;
  readonly runtime: Runtime;
  session: Session;
  readonly store: MemoryStore;
  readonly added: number[];
  readonly roundP50: number[];
  calls: number;
}

const setup = trustedLocalVerifier();
if (!setup.ok) throw new Error(setup.error);
const verifier = setup.value;
const keyring = Keyring.generate(nodeBackend, new Date(T0 - 86_400_000));

async function call(s: RuntimeSubject, record: boolean): Promise<void> {
  const n = s.calls++;
  const args = n % 2 === 0 ? { to: "bank", amount: n % 40 } : { path: `/r${n}` };
  const t0 = process.hrtime.bigint();
  const handle = await s.session.evaluate({ tool: n % 2 === 0 ? "pay.send" : "docs.read", args });
  const t1 = process.hrtime.bigint();
  if (handle.kind !== "allow")
    throw new Error(`expected ALLOW, got ${handle.kind}: ${handle.kind === "deny" ? handle.reason : ""}`);
  if (record) s.added.push(Number(t1 - t0));
  const outcome = await s.session.recordOutcome(handle.actionId, { success: true, output: "ok" });
  if (!outcome.ok) throw new Error(outcome.error);
}

/** Appends `length` prior actions to the session's log, shaped like the runtime's own entries. */
async function prepopulate(store: MemoryStore, sessionId: string, length: number): Promise<void> {
  const loaded = await new ContextLog({ store }).load(sessionId);
  if (!loaded.ok) throw new Error(loaded.error.kind);
  const find = <T extends ContextEntry["type"]>(type: T) =>
    loaded.value.entries.find((e) => e.type === type) as Extract<ContextEntry, { type: T }>;
  const [action, decision, outcome] = [find("action"), find("decision"), find("outcome")];
  let head = loaded.value.entries.at(-1) as ContextEntry;
  const append = async (body: ContextEntryBody, time: number): Promise<void> => {
    const sealed = sealEntry({
      ...body,
      session_id: sessionId,
      seq: head.seq + 1,
      time: new Date(time).toISOString(),
      prev_hash: head.hash,
    });
    if (!sealed.ok) throw new Error(sealed.error.message);
    const text = canonicalize(sealed.value);
    if (!text.ok) throw new Error(text.error.message);
    const { seq, prev_hash, hash } = sealed.value;
    const stored = await store.appendContext({
      session_id: sessionId,
      seq,
      prev_hash,
      hash,
      body: text.value,
    });
    if (!stored.ok) throw new Error(stored.error.message);
    head = sealed.value;
  };
  for (let i = 0; i < length; i++) {
    const prior = priorEntry(i);
    const id = `act_prior_${i}`;
    const time = Date.now() - (length - i) * SPACING_MS;
    const timestamp = new Date(time).toISOString();
    const targets = prior.target === undefined ? [] : [prior.target];
    const parameters = prior.args;
    await append(
      {
        type: "action",
        action: {
          ...action.action,
          action_id: id,
          timestamp,
          tool: prior.tool,
          effect: prior.effect,
          parameters,
          targets,
        },
      } as ContextEntryBody,
      time,
    );
    await append(
      { type: "decision", action_id: id, decision: decision.decision, receipt_id: decision.receipt_id },
      time,
    );
    const { completed_at, success, output_hash } = outcome;
    await append(
      { type: "outcome", action_id: id, completed_at, success, labels: [...prior.labels], output_hash },
      time,
    );
  }
}

async function runtimeSubject(length: number): Promise<RuntimeSubject> {
  const store = new MemoryStore();
  const runtime = createRuntime({
    policy: { ir: IR },
    store,
    keyring,
    identity: verifier,
    scorer: null,
  });
  const session = await runtime.startSession({
    identity: { session: `len-${length}`, human: "alice@example.com" },
  });
  const s: RuntimeSubject = { length, runtime, session, store, added: [], roundP50: [], calls: 0 };
  await call(s, false); // a template of the runtime's own entries
  await prepopulate(store, session.id, length);
  for (let i = 0; i < 20; i++) await call(s, false); // the first reads and verifies the whole log
  return s;
}

// --- measurement -----------------------------------------------------------------------

const start = machine();
console.log(`context-length${quick ? " (quick)" : ""}: ${LENGTHS.join(", ")} prior actions`);
const evals = LENGTHS.map(evalSubject);
const t0 = performance.now();
const runtimes: RuntimeSubject[] = [];
for (const length of LENGTHS) runtimes.push(await runtimeSubject(length));
console.log(`  runtime sessions prepared in ${Math.round(performance.now() - t0)} ms`);

for (const s of evals) for (let k = 0; k < 2_000; k++) sink.value += folded(s)(k);
let offset = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (let j = 0; j < evals.length; j++) {
    const s = evals[(round + j) % evals.length] as EvalSubject;
    const run = folded(s);
    const batches = batchSamples(run, offset, BATCHES, BATCH);
    s.batches.push(...batches);
    s.roundP50.push(quantile(batches, 0.5));
    s.singles.push(...singleSamples(run, offset, SINGLES));
    if (round < 2)
      s.scans.push(
        ...singleSamples(
          (k) => evaluate(IR, s.pool[(2 * k) & 63] as EvalInput).rules.length,
          offset,
          SCAN_SINGLES,
        ),
      );
  }
  for (let j = 0; j < runtimes.length; j++) {
    const s = runtimes[(round + j) % runtimes.length] as RuntimeSubject;
    const before = s.added.length;
    for (let i = 0; i < RUNTIME_CALLS; i++) await call(s, true);
    s.roundP50.push(quantile(s.added.slice(before), 0.5));
  }
  offset += BATCHES * BATCH + SINGLES;
}

const paired = (a: { roundP50: number[] }, b: { roundP50: number[] }): number =>
  quantile(
    a.roundP50.map((p, i) => p / (b.roundP50[i] as number)),
    0.5,
  );
const evalRows = evals.map((s) => ({
  priorActions: s.length,
  p50Ns: quantile(s.batches, 0.5),
  p99Ns: quantile(s.singles, 0.99),
  scanP50Ns: quantile(s.scans, 0.5),
  p50RatioTo0: paired(s, evals[0] as EvalSubject),
}));
const runtimeRows = runtimes.map((s) => ({
  priorActions: s.length,
  p50Ns: quantile(s.added, 0.5),
  p99Ns: quantile(s.added, 0.99),
  p50RatioTo0: paired(s, runtimes[0] as RuntimeSubject),
  calls: s.calls,
}));
console.log(`\n${machineLine()}`);
console.log("IR evaluator, per decision (feature values + evaluate):");
printTable(
  ["prior actions", "folded p50", "folded p99", "p50 / p50(0)", "scan p50 (pay.send)"],
  evalRows.map((r) => [
    String(r.priorActions),
    fmtNs(r.p50Ns),
    fmtNs(r.p99Ns),
    r.p50RatioTo0.toFixed(3),
    fmtNs(r.scanP50Ns),
  ]),
);
console.log("\nruntime session.evaluate (MemoryStore, no scorer), per decision:");
printTable(
  ["prior actions", "p50", "p99", "p50 / p50(0)"],
  runtimeRows.map((r) => [String(r.priorActions), fmtNs(r.p50Ns), fmtNs(r.p99Ns), r.p50RatioTo0.toFixed(3)]),
);
console.log(`\ntarget: p50 at ${LENGTHS.at(-1)} prior actions within ×${TARGET_RATIO} of p50 at 0`);
for (const s of runtimes) {
  await s.runtime.close();
  await s.store.close();
}
writeResults("context-length", quick, {
  machine: { ...start, loadavgEnd: machine().loadavg },
  method: {
    rounds: ROUNDS,
    batchesPerRound: BATCHES,
    batchSize: BATCH,
    singlesPerRound: SINGLES,
    runtimeCallsPerRound: RUNTIME_CALLS,
    spacingMs: SPACING_MS,
    runtime: "MemoryStore, no scorer, Ed25519 via node:crypto; prior actions written into the store directly",
  },
  evaluator: evalRows,
  runtime: runtimeRows,
  target: TARGET_RATIO,
});
console.log(`(sink ${sink.value % 10})`);
