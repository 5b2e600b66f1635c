/**
 * B6: what the MCP gateway adds to a tool call. The same `tools/call`
 * (server-everything's `echo`) is timed directly against the server and
 * through `aarm gateway` in front of it (the policy allows it; the decision,
 * context append, receipt and SQLite write happen on every call), both over
 * stdio with the official MCP client, alternating in rounds in one process.
 * Added latency is reported as the difference of the medians and of the
 * p99s, and as their ratio.
 *
 * Usage: node benchmarks/gateway.ts [--quick]
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { quantile } from "./lib/measure.ts";
import { fmtNs, fmtRatio, machine, machineLine, printTable, writeResults } from "./lib/report.ts";

const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 3 : 10;
const CALLS = quick ? 30 : 200;
const WARMUP = quick ? 20 : 100;
const TARGET_ADDED_P99_NS = 2_000_000;

const root = join(import.meta.dirname, "..");
const server = join(root, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
const dir = mkdtempSync(join(tmpdir(), "aarm-bench-gateway-"));
writeFileSync(
  join(dir, "policy.aarm"),
  `policy gateway_bench version "1"
tool ev.echo { args { message: string } effect read output public }
allow echo on ev.echo
default deny
`,
);
// The same gateway twice: the store at the default durability (`full`, a synced commit before each
// answer) and at `normal`.
for (const durability of ["full", "normal"] as const) {
  writeFileSync(
    join(dir, `gateway-${durability}.json`),
    JSON.stringify({
      policy: "policy.aarm",
      store: `aarm-${durability}.sqlite`,
      durability,
      keys: "keys",
      identity: { human: "bench@example.com", agent: "bench" },
      intent: "echo messages",
      upstreams: { ev: { command: process.execPath, args: [server, "stdio"] } },
    }),
  );
}

async function connect(command: string, args: string[]): Promise<Client> {
  const client = new Client({ name: "aarm-bench", version: "1" });
  await client.connect(new StdioClientTransport({ command, args, stderr: "ignore", cwd: dir }));
  return client;
}

interface Side {
  readonly name: string;
  readonly client: Client;
  readonly tool: string;
  readonly samples: number[];
  readonly roundP50: number[];
}

async function time(side: Side, count: number, record: boolean): Promise<void> {
  const round: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    const result = await side.client.callTool({ name: side.tool, arguments: { message: `m${i}` } });
    const t1 = process.hrtime.bigint();
    if (result.isError === true)
      throw new Error(`${side.name}: the call failed: ${JSON.stringify(result.content)}`);
    round.push(Number(t1 - t0));
  }
  if (!record) return;
  side.samples.push(...round);
  side.roundP50.push(quantile(round, 0.5));
}

const start = machine();
console.log(
  `gateway${quick ? " (quick)" : ""}: tools/call echo, direct vs through aarm gateway, ${ROUNDS}×${CALLS} calls`,
);
const direct: Side = {
  name: "direct",
  client: await connect(process.execPath, [server, "stdio"]),
  tool: "echo",
  samples: [],
  roundP50: [],
};
const gateway = async (durability: "full" | "normal"): Promise<Side> => ({
  name: durability === "full" ? "gateway" : "gateway (durability normal)",
  client: await connect(process.execPath, [
    join(root, "src", "cli", "aarm.ts"),
    "gateway",
    "--config",
    `gateway-${durability}.json`,
  ]),
  tool: "ev.echo",
  samples: [],
  roundP50: [],
});
const gated = await gateway("full");
const relaxed = await gateway("normal");
const sides = [direct, gated, relaxed];
try {
  for (const side of sides) await time(side, WARMUP, false);
  for (let round = 0; round < ROUNDS; round++) {
    // A rotating order, so that no path always follows the same one.
    for (let k = 0; k < sides.length; k++) await time(sides[(round + k) % sides.length] as Side, CALLS, true);
  }
} finally {
  for (const side of sides) await side.client.close();
  rmSync(dir, { recursive: true, force: true });
}

const rows = sides.map((s) => ({
  path: s.name,
  p50Ns: quantile(s.samples, 0.5),
  p99Ns: quantile(s.samples, 0.99),
}));
const [d, g, n] = rows as [(typeof rows)[number], (typeof rows)[number], (typeof rows)[number]];
const added = { p50Ns: g.p50Ns - d.p50Ns, p99Ns: g.p99Ns - d.p99Ns };
const addedNormal = { p50Ns: n.p50Ns - d.p50Ns, p99Ns: n.p99Ns - d.p99Ns };
const ratio = quantile(
  gated.roundP50.map((p, i) => p / (direct.roundP50[i] as number)),
  0.5,
);
console.log(`\n${machineLine()}`);
printTable(
  ["path", "p50", "p99"],
  rows.map((r) => [r.path, fmtNs(r.p50Ns), fmtNs(r.p99Ns)]),
);
console.log(
  `\nadded by the gateway: p50 ${fmtNs(added.p50Ns)}, p99 ${fmtNs(added.p99Ns)} (target p99 added ≤ ${fmtNs(TARGET_ADDED_P99_NS)}); ` +
    `p50 ratio ${fmtRatio(ratio)} (median of ${ROUNDS} paired rounds)`,
);
console.log(
  `added by the gateway at durability normal: p50 ${fmtNs(addedNormal.p50Ns)}, p99 ${fmtNs(addedNormal.p99Ns)}`,
);
writeResults("gateway", quick, {
  machine: { ...start, loadavgEnd: machine().loadavg },
  method: {
    rounds: ROUNDS,
    callsPerRound: CALLS,
    warmup: WARMUP,
    upstream: "@modelcontextprotocol/server-everything (stdio), tool echo",
    client: "@modelcontextprotocol/sdk Client over stdio, calls one at a time",
    store: "the gateway's SQLite store in the OS temp folder",
  },
  paths: rows,
  added,
  addedNormal,
  p50Ratio: ratio,
  targets: { addedP99Ns: TARGET_ADDED_P99_NS },
});
