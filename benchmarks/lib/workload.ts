/**
 * The decision-latency workload: a policy of N rules, each on its own tool,
 * plus a handful of tool-agnostic rules, and a pool of inputs for random
 * tools with a realistic snapshot.
 *
 * Tools come in five shapes (payments, file reads, database queries, HTTP
 * posts, table writes) so conditions are varied: argument comparisons, set
 * membership against a large allowlist, regexes, helper calls, a fact, and
 * session queries. The tool-agnostic rules (`effect == egress and
 * session.tainted`, an alignment floor, a delegation-depth forbid, reads
 * allowed) apply to every tool of their effect, so a decision's cost depends
 * on the dispatch specialising them per tool. Everything is drawn from a
 * seeded generator so runs are comparable.
 *
 * @module
 */
import type { EvalIdentity, EvalInput, HistoryEntry, Json } from "../../src/eval/index.ts";

/** Mulberry32: a small seeded PRNG, so every run builds the same policies and inputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SHAPES = 5;

/** An allowlist large enough that membership is not a trivially short scan. */
const ALLOWED_HOSTS = Array.from({ length: 200 }, (_, i) => `svc${i}.partner${i % 17}.example`);
const TRUSTED_PAYEES = Array.from({ length: 50 }, (_, i) => `CH93-0076-2011-${String(6000 + i)}-5295-7`);

function toolName(i: number): string {
  return `svc${i}.op${i % SHAPES}`;
}

function declaration(i: number): string {
  const name = toolName(i);
  switch (i % SHAPES) {
    case 0:
      return `tool ${name} { args { recipient: string, amount: number, memo?: string } effect egress target args.recipient }`;
    case 1:
      return `tool ${name} { args { path: string } effect read target args.path output confidential }`;
    case 2:
      return `tool ${name} { args { sql: string, limit: number } effect read output internal, pii }`;
    case 3:
      return `tool ${name} { args { url: string, body: string } effect egress target host(args.url) output public, untrusted }`;
    default:
      return `tool ${name} { args { table: string, rows: number } effect write target args.table }`;
  }
}

function rule(i: number): string {
  const name = toolName(i);
  switch (i % SHAPES) {
    case 0:
      return `step_up large_payment_${i} on ${name}
  when args.amount > ${500 + (i % 7) * 250} and args.recipient not in trusted_payees
  approvers ["group:finance"] timeout 15m`;
    case 1:
      return `deny secret_files_${i} on ${name}
  when args.path matches /(?i)(\\.(env|pem|key)$|^\\/etc\\/shadow|id_rsa)/`;
    case 2:
      return `modify cap_rows_${i} on ${name}
  when args.limit > ${100 + (i % 3) * 100}
  set args.limit = ${100 + (i % 3) * 100}`;
    case 3:
      return `deny post_burst_${i} on ${name}
  when host(args.url) not in allowed_hosts and session.count(effect == egress, within 1h) >= ${5 + (i % 4)}`;
    default:
      return i % 10 === 4
        ? `defer bulk_write_${i} on ${name}
  when args.rows > 1000 and not maintenance_window
  needs maintenance_window`
        : `deny sensitive_table_${i} on ${name}
  when args.table in {"users", "payments", "audit"} and not intent.mentions(args.table)`;
  }
}

/** The tool-agnostic rules: each applies to every tool of its effect, so dispatch must specialise them. */
const GLOBAL_RULES = `
forbid deep_delegation_writes
  when effect in {write, delete} and identity.delegation_depth > 3
  because "deeply delegated agents may not write"

deny tainted_egress
  when effect == egress and session.tainted
  because "egress after reading untrusted content"

deny off_intent
  when effect in {write, delete, egress} and intent.alignment < 0.2

deny pii_exfiltration
  when effect == egress and session.seen(pii in labels, within 24h) and target not in allowed_hosts

allow reads when effect == read
allow writes when effect == write and intent.alignment >= 0.5
allow egress when effect == egress
`;

/** Tools and rules per file: policy files are limited to 1 MiB, so large policies import modules. */
const PER_MODULE = 1000;

function preamble(): string[] {
  return [
    "fact maintenance_window: bool",
    `const allowed_hosts = {${ALLOWED_HOSTS.map((h) => JSON.stringify(h)).join(", ")}}`,
    `const trusted_payees = {${TRUSTED_PAYEES.map((p) => JSON.stringify(p)).join(", ")}}`,
  ];
}

/**
 * A policy with `n` tools and `n` rules, one per tool, plus the tool-agnostic
 * rules: the root file's text and the modules it imports, by name.
 */
export function policySources(n: number): { readonly root: string; readonly files: Record<string, string> } {
  const root = [`policy bench_${n} version "1"`, ...preamble()];
  const files: Record<string, string> = {};
  for (let start = 0; start < n; start += PER_MODULE) {
    const name = `part${start / PER_MODULE}`;
    const parts = [`module ${name}`, ...preamble()];
    for (let i = start; i < Math.min(n, start + PER_MODULE); i++) parts.push(declaration(i), rule(i));
    files[`${name}.aarm`] = parts.join("\n");
    root.push(`import "./${name}.aarm"`);
  }
  root.push(GLOBAL_RULES, "default deny");
  return { root: root.join("\n"), files };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function argsFor(i: number, rand: () => number): { [name: string]: Json } {
  switch (i % SHAPES) {
    case 0: {
      const args: { [name: string]: Json } = {
        recipient: rand() < 0.5 ? pick(rand, TRUSTED_PAYEES) : `DE89-3704-0044-${Math.floor(rand() * 1e4)}`,
        amount: Math.floor(rand() * 3000),
      };
      if (rand() < 0.5) args.memo = "invoice 2026-117";
      return args;
    }
    case 1:
      return {
        path: pick(rand, [
          "/srv/app/config.yaml",
          "/home/me/.ssh/id_rsa",
          "/srv/app/.env",
          "/tmp/report.csv",
        ]),
      };
    case 2:
      return { sql: "select * from orders where customer = $1", limit: Math.floor(rand() * 400) };
    case 3:
      return {
        url: `https://${rand() < 0.7 ? pick(rand, ALLOWED_HOSTS) : "paste.evil.example"}/v1/upload?id=${Math.floor(rand() * 1e6)}`,
        body: "quarterly summary attached",
      };
    default:
      return {
        table: pick(rand, ["orders", "users", "invoices", "payments"]),
        rows: Math.floor(rand() * 2000),
      };
  }
}

const INTENTS = [
  "Pay the March invoices from ACME and summarise the orders table",
  "Update the payments table with the reconciled invoices",
  "Read the config and post a status report to the partner API",
];

const IDENTITY: EvalIdentity = {
  human: "alice@company.example",
  agent: "finance-assistant",
  session: "s-42",
  roles: ["finance", "employee"],
  scope: ["payments:write", "orders:read"],
  delegation: ["orchestrator"],
};

/** A short history: a few prior actions over the last hours, some labelled `pii` or `untrusted`. */
function history(rand: () => number, now: number, tools: number): HistoryEntry[] {
  const length = 3 + Math.floor(rand() * 6);
  const entries: HistoryEntry[] = [];
  for (let k = 0; k < length; k++) {
    const i = Math.floor(rand() * tools);
    const effect = i % SHAPES === 0 || i % SHAPES === 3 ? "egress" : i % SHAPES === 4 ? "write" : "read";
    const labels =
      i % SHAPES === 2
        ? ["internal", "pii"]
        : i % SHAPES === 3 && rand() < 0.3
          ? ["public", "untrusted"]
          : ["internal"];
    entries.push({
      tool: toolName(i),
      effect,
      args: argsFor(i, rand),
      target: `target-${k}`,
      time: now - (length - k) * 17 * 60_000,
      labels,
    });
  }
  return entries;
}

/** `size` inputs for tools drawn uniformly from the policy's `n` tools. */
export function inputPool(n: number, size: number, seed: number): EvalInput[] {
  const rand = prng(seed);
  const now = Date.UTC(2026, 2, 14, 12);
  const pool: EvalInput[] = [];
  for (let k = 0; k < size; k++) {
    const i = Math.floor(rand() * n);
    const facts: { [name: string]: Json } = rand() < 0.8 ? { maintenance_window: rand() < 0.5 } : {};
    pool.push({
      action: { tool: toolName(i), args: argsFor(i, rand), time: now, identity: IDENTITY },
      snapshot: {
        intent: { text: pick(rand, INTENTS) },
        scores: { alignment: 0.1 + rand() * 0.9, drift: rand() * 0.3 },
        facts,
        history: history(rand, now, n),
      },
    });
  }
  return pool;
}
