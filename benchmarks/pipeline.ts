/**
 * B5: the whole enforcement path as an SDK user pays for it: mediation,
 * identity binding, context append, scoring, evaluation, receipt signing and
 * SQLite persistence (WAL, one file), then recording the tool's outcome (a
 * second append and an execution receipt).
 *
 * Measured at each store durability (`full`: every commit synced; `normal`:
 * synced at checkpoints) with 1 session at a time and with 16 sessions in
 * parallel (group commit shares one transaction, and one sync, among the
 * writes of sessions waiting together), with Node's built-in Ed25519 signer;
 * then once with @noble/ed25519 for comparison.
 *
 * "Added latency" is the time from `session.evaluate(call)` to the handle
 * that lets the tool run: what every tool call waits. Throughput is actions
 * (decision and outcome) per second of wall time in one Node process; the
 * process's CPU time per action is reported beside it, since on a shared
 * machine wall time also counts other processes' turns (1 s over it is the
 * throughput one core would give).
 *
 * The disk's floor is measured in the same process: one-row insert-and-commit
 * transactions on a bare SQLite file at each durability. With the store's
 * transactions per action, and how many of them synced (counted during the
 * run), it gives the throughput
 * the disk alone allows; the ratio says how much of that the pipeline gets.
 * The Ed25519 signing time is measured too: every action signs two receipts
 * (decision and execution), a CPU floor no store setting removes.
 *
 * Usage: node benchmarks/pipeline.ts [--quick]
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { compileText } from "../src/compiler.ts";
import { type Ed25519Backend, Keyring, nobleBackend, nodeBackend } from "../src/runtime/index.ts";
import { trustedLocalVerifier } from "../src/runtime/identity/local.ts";
import { createRuntime } from "../src/runtime/runtime.ts";
import { type SqliteDurability, SqliteStore } from "../src/runtime/store/sqlite.ts";
import { quantile } from "./lib/measure.ts";
import { fmtNs, machine, machineLine, printTable, writeResults } from "./lib/report.ts";

const quick = process.argv.includes("--quick");
const ACTIONS = quick ? 320 : 4_800;
const WARMUP = quick ? 64 : 480;
const SESSION_LENGTH = 100;
const FLOOR_COMMITS = quick ? 100 : 1_000;
const TARGETS = { actionsPerSecond: 10_000, p99AddedNs: 1_000_000 };

const POLICY = `policy pipeline_bench version "1"
tool docs.read { args { path: string } effect read output internal }
tool tickets.update { args { id: string, status: string } effect write target args.id }
forbid no_secrets on docs.read when args.path matches /(?i)\\.(pem|key|env)$/
deny closing_spree on tickets.update when args.status == "closed" and session.count(tool == "tickets.update", within 1h) > 500
allow reads when effect == read
allow updates on tickets.update
default deny`;

const { ir, diagnostics } = compileText(POLICY);
if (ir === null) throw new Error(`benchmark policy does not compile: ${diagnostics[0]?.message}`);
const verified = trustedLocalVerifier();
if (!verified.ok) throw new Error(verified.error);
const verifier = verified.value;

/** Write transactions the store begins, and those of them that sync, counted by watching every connection's `exec`. */
let transactions = 0;
let synced = 0;
const syncing = new WeakMap<DatabaseSync, boolean>();
const exec = DatabaseSync.prototype.exec;
DatabaseSync.prototype.exec = function (this: DatabaseSync, sql: string): void {
  if (sql.startsWith("PRAGMA synchronous")) syncing.set(this, sql.endsWith("FULL"));
  if (sql === "BEGIN IMMEDIATE") {
    transactions++;
    if (syncing.get(this) === true) synced++;
  }
  exec.call(this, sql);
};

interface Config {
  readonly durability: SqliteDurability;
  readonly sessions: number;
  readonly signer: string;
  readonly backend: Ed25519Backend;
}

interface Run extends Config {
  readonly addedNs: number[];
  readonly totalMs: number;
  /** CPU time of this process (user and system) over the run: what the work cost, whatever else runs. */
  readonly cpuUs: number;
  readonly actions: number;
  readonly transactions: number;
  readonly synced: number;
}

/** Runs `count` actions over `config.sessions` parallel session streams; returns their added latencies. */
async function measure(config: Config): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "aarm-bench-pipeline-"));
  const opened = SqliteStore.open(join(dir, "aarm.sqlite"), { durability: config.durability });
  if (!opened.ok) throw new Error(opened.error.message);
  const store = opened.value;
  const runtime = createRuntime({
    policy: { ir: ir as NonNullable<typeof ir> },
    store,
    keyring: Keyring.generate(config.backend, new Date()),
    identity: verifier,
  });
  let sessionNo = 0;
  /** One stream: sessions of SESSION_LENGTH actions, one after another. */
  const stream = async (count: number, addedNs: number[] | null): Promise<void> => {
    for (let done = 0; done < count;) {
      const session = await runtime.startSession({
        identity: { session: `bench-${sessionNo++}`, human: "alice@example.com", agent: "bench-agent" },
        intent: "tidy up the support tickets and read the runbook",
      });
      for (let i = 0; i < SESSION_LENGTH && done < count; i++, done++) {
        const call =
          i % 2 === 0
            ? { tool: "docs.read", args: { path: `/runbooks/r${i}.md` }, callId: `c${i}` }
            : { tool: "tickets.update", args: { id: `T-${i}`, status: "pending" }, callId: `c${i}` };
        const t0 = process.hrtime.bigint();
        const handle = await session.evaluate(call);
        const t1 = process.hrtime.bigint();
        if (handle.kind !== "allow") throw new Error(`expected ALLOW, got ${handle.kind} for ${call.tool}`);
        addedNs?.push(Number(t1 - t0));
        const outcome = await session.recordOutcome(handle.actionId, { success: true, output: "ok" });
        if (!outcome.ok) throw new Error(outcome.error);
      }
      await session.end();
    }
  };
  const parallel = async (count: number, addedNs: number[] | null): Promise<void> => {
    const each = Math.ceil(count / config.sessions);
    await Promise.all(Array.from({ length: config.sessions }, () => stream(each, addedNs)));
  };
  try {
    await parallel(WARMUP, null);
    const addedNs: number[] = [];
    const before = transactions;
    const syncedBefore = synced;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await parallel(ACTIONS, addedNs);
    const totalMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      ...config,
      addedNs,
      totalMs,
      cpuUs: cpu.user + cpu.system,
      actions: addedNs.length,
      transactions: transactions - before,
      synced: synced - syncedBefore,
    };
  } finally {
    await runtime.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Nanoseconds per one-row insert-and-commit on a bare WAL file at `durability`: what the disk allows. */
function floor(durability: SqliteDurability): number {
  const dir = mkdtempSync(join(tmpdir(), "aarm-bench-floor-"));
  const db = new DatabaseSync(join(dir, "floor.sqlite"));
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    const insert = db.prepare("INSERT INTO t (body) VALUES (?)");
    // About the size of a signed receipt.
    const body = "x".repeat(1_500);
    const samples: number[] = [];
    for (let i = 0; i < FLOOR_COMMITS; i++) {
      const t0 = process.hrtime.bigint();
      exec.call(db, "BEGIN IMMEDIATE");
      insert.run(body);
      exec.call(db, "COMMIT");
      samples.push(Number(process.hrtime.bigint() - t0));
    }
    return quantile(samples, 0.5);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Nanoseconds per Ed25519 signature of a receipt-sized message: two per action, whatever the store. */
function signFloor(backend: Ed25519Backend): number {
  const signer = Keyring.generate(backend, new Date()).signer;
  const message = new TextEncoder().encode("x".repeat(1_500));
  const samples: number[] = [];
  for (let i = 0; i < FLOOR_COMMITS; i++) {
    const t0 = process.hrtime.bigint();
    signer.sign(message);
    samples.push(Number(process.hrtime.bigint() - t0));
  }
  return quantile(samples, 0.5);
}

const start = machine();
console.log(
  `pipeline${quick ? " (quick)" : ""}: ${ACTIONS} actions per configuration, sessions of ${SESSION_LENGTH}\n`,
);
const floors = { full: floor("full"), normal: floor("normal") };
const signNs = signFloor(nodeBackend);
const configs: Config[] = [];
for (const durability of ["full", "normal"] as const) {
  for (const sessions of [1, 16]) {
    configs.push({ durability, sessions, signer: "node:crypto", backend: nodeBackend });
  }
}
configs.push({ durability: "normal", sessions: 1, signer: "@noble/ed25519", backend: nobleBackend });
const runs: Run[] = [];
for (const config of configs) runs.push(await measure(config));

const rows = runs.map((r) => {
  const actionsPerSecond = (r.actions / r.totalMs) * 1000;
  const transactionsPerAction = r.transactions / r.actions;
  const syncsPerAction = r.synced / r.actions;
  // What the disk alone allows: a synced commit costs the `full` floor, any other the `normal` one.
  const diskBound =
    1e9 / (syncsPerAction * floors.full + (transactionsPerAction - syncsPerAction) * floors.normal);
  return {
    durability: r.durability,
    sessions: r.sessions,
    signer: r.signer,
    actions: r.actions,
    actionsPerSecond: Math.round(actionsPerSecond),
    cpuPerActionUs: Math.round(r.cpuUs / r.actions),
    addedP50Ns: quantile(r.addedNs, 0.5),
    addedP99Ns: quantile(r.addedNs, 0.99),
    transactionsPerAction: Math.round(transactionsPerAction * 100) / 100,
    syncsPerAction: Math.round(syncsPerAction * 100) / 100,
    diskBoundActionsPerSecond: Math.round(diskBound),
    ofDiskBound: actionsPerSecond / diskBound,
  };
});
console.log(machineLine());
console.log(
  `floor (bare SQLite, one-row insert + commit, p50): full ${fmtNs(floors.full)}, normal ${fmtNs(floors.normal)} (×${(floors.full / floors.normal).toFixed(1)})\n`,
);
printTable(
  [
    "durability",
    "sessions",
    "signer",
    "actions/s",
    "CPU/action",
    "added p50",
    "added p99",
    "txn/action",
    "syncs/action",
    "disk bound",
    "of bound",
  ],
  rows.map((r) => [
    r.durability,
    String(r.sessions),
    r.signer,
    String(r.actionsPerSecond),
    fmtNs(r.cpuPerActionUs * 1000),
    fmtNs(r.addedP50Ns),
    fmtNs(r.addedP99Ns),
    r.transactionsPerAction.toFixed(2),
    r.syncsPerAction.toFixed(2),
    String(r.diskBoundActionsPerSecond),
    `${(r.ofDiskBound * 100).toFixed(1)}%`,
  ]),
);
console.log(
  `\nsigning (node:crypto Ed25519, 1,500 bytes, p50): ${fmtNs(signNs)}; two receipts per action cap one core at ${Math.round(1e9 / (2 * signNs))} actions/s`,
);
console.log(
  `targets: ≥ ${TARGETS.actionsPerSecond} actions/s per core, added p99 ≤ ${fmtNs(TARGETS.p99AddedNs)}`,
);
writeResults("pipeline", quick, {
  machine: { ...start, loadavgEnd: machine().loadavg },
  method: {
    actions: ACTIONS,
    warmup: WARMUP,
    sessionLength: SESSION_LENGTH,
    store: "SqliteStore, one file in the OS temp folder (WAL), at the run's durability",
    action: "session.evaluate then session.recordOutcome; added latency = evaluate only",
    cpu: "process.cpuUsage (user + system) over the run, per action",
    sessions: "the run's number of session streams in parallel in one process",
    floor: `p50 of ${FLOOR_COMMITS} one-row (1,500-character) insert + commit transactions on a bare WAL file`,
    diskBound: "1 s / (synced transactions per action × full floor + the others × normal floor)",
  },
  floorNs: floors,
  signNs,
  runs: rows,
  targets: TARGETS,
});
