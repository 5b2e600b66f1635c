/**
 * B5: the whole enforcement path as an SDK user pays for it: mediation,
 * identity binding, context append, scoring, evaluation, receipt signing and
 * SQLite persistence (WAL, one file), then recording the tool's outcome (a
 * second append and an execution receipt). Measured with each signer
 * backend: Node's built-in Ed25519 and @noble/ed25519.
 *
 * "Added latency" is the time from `session.evaluate(call)` to the handle
 * that lets the tool run: what every tool call waits. Throughput is actions
 * (decision and outcome) per second on one core: one Node process, one
 * session at a time, each session `SESSION_LENGTH` actions long.
 *
 * Usage: node benchmarks/pipeline.ts [--quick]
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileText } from "../src/compiler.ts";
import { type Ed25519Backend, Keyring, nobleBackend, nodeBackend } from "../src/runtime/index.ts";
import { trustedLocalVerifier } from "../src/runtime/identity/local.ts";
import { createRuntime } from "../src/runtime/runtime.ts";
import { SqliteStore } from "../src/runtime/store/sqlite.ts";
import { quantile } from "./lib/measure.ts";
import { fmtNs, machine, machineLine, printTable, writeResults } from "./lib/report.ts";

const quick = process.argv.includes("--quick");
const ACTIONS = quick ? 300 : 5_000;
const WARMUP = quick ? 50 : 500;
const SESSION_LENGTH = 100;
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

interface Run {
  readonly backend: string;
  readonly addedNs: number[];
  readonly totalMs: number;
  readonly actions: number;
}

async function measure(name: string, backend: Ed25519Backend): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "aarm-bench-pipeline-"));
  const opened = SqliteStore.open(join(dir, "aarm.sqlite"));
  if (!opened.ok) throw new Error(opened.error.message);
  const store = opened.value;
  const runtime = createRuntime({
    policy: { ir: ir as NonNullable<typeof ir> },
    store,
    keyring: Keyring.generate(backend, new Date()),
    identity: verifier,
  });
  const addedNs: number[] = [];
  let sessionNo = 0;
  const runActions = async (count: number, record: boolean): Promise<void> => {
    for (let done = 0; done < count;) {
      const session = await runtime.startSession({
        identity: { session: `${name}-${sessionNo++}`, human: "alice@example.com", agent: "bench-agent" },
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
        if (record) addedNs.push(Number(t1 - t0));
        const outcome = await session.recordOutcome(handle.actionId, { success: true, output: "ok" });
        if (!outcome.ok) throw new Error(outcome.error);
      }
      await session.end();
    }
  };
  try {
    await runActions(WARMUP, false);
    const t0 = performance.now();
    await runActions(ACTIONS, true);
    return { backend: name, addedNs, totalMs: performance.now() - t0, actions: ACTIONS };
  } finally {
    await runtime.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const start = machine();
console.log(
  `pipeline${quick ? " (quick)" : ""}: ${ACTIONS} actions per signer, sessions of ${SESSION_LENGTH}\n`,
);
const runs = [await measure("node:crypto", nodeBackend), await measure("@noble/ed25519", nobleBackend)];
const rows = runs.map((r) => ({
  signer: r.backend,
  actions: r.actions,
  actionsPerSecond: Math.round((r.actions / r.totalMs) * 1000),
  addedP50Ns: quantile(r.addedNs, 0.5),
  addedP99Ns: quantile(r.addedNs, 0.99),
}));
console.log(machineLine());
printTable(
  ["signer", "actions/s", "added p50", "added p99"],
  rows.map((r) => [r.signer, String(r.actionsPerSecond), fmtNs(r.addedP50Ns), fmtNs(r.addedP99Ns)]),
);
console.log(
  `\ntargets: ≥ ${TARGETS.actionsPerSecond} actions/s per core, added p99 ≤ ${fmtNs(TARGETS.p99AddedNs)}`,
);
writeResults("pipeline", quick, {
  machine: { ...start, loadavgEnd: machine().loadavg },
  method: {
    actions: ACTIONS,
    warmup: WARMUP,
    sessionLength: SESSION_LENGTH,
    store: "SqliteStore, one file in the OS temp folder (WAL)",
    action: "session.evaluate then session.recordOutcome; added latency = evaluate only",
  },
  signers: rows,
  targets: TARGETS,
});
