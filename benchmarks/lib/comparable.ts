/**
 * A workload that can be written three ways: as an `.aarm` policy, as Cedar
 * policies, and as a hand-written TypeScript function. It keeps to what all
 * three express alike: per-tool permit and forbid rules over the call's
 * arguments and the caller's identity, with numeric comparisons, set
 * membership and string prefix/suffix tests, and a default of deny. No
 * session queries, scores or modifications, which Cedar has no notion of; the
 * comparison measures the evaluators on the part of the job they share.
 *
 * Decisions compare as "allowed or not": Cedar answers allow or deny, and the
 * aarm policy here has only ALLOW, DENY and forbid rules.
 *
 * @module
 */
import type { EvalIdentity, EvalInput, Json } from "../../src/eval/index.ts";
import { prng } from "./workload.ts";

const SHAPES = 4;
const TRUSTED_PAYEES = Array.from({ length: 50 }, (_, i) => `CH93-0076-2011-${String(6000 + i)}`);
const ALLOWED_HOSTS = Array.from({ length: 100 }, (_, i) => `svc${i}.partner${i % 17}.example`);
const PROTECTED_TABLES = ["users", "payments", "audit"];

/** One tool of the workload: its name, its shape and the numeric limit its rule uses. */
export interface ComparableTool {
  readonly name: string;
  readonly shape: number;
  readonly limit: number;
}

/** A request in the form all three implementations read. */
export interface ComparableRequest {
  readonly tool: string;
  readonly args: { readonly [name: string]: string | number };
  readonly roles: readonly string[];
  readonly delegationDepth: number;
}

/** The workload's `n` tools. */
export function comparableTools(n: number): ComparableTool[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `svc${i}.op${i % SHAPES}`,
    shape: i % SHAPES,
    limit: 100 + (i % 7) * 50,
  }));
}

function setLiteral(items: readonly string[]): string {
  return items.map((item) => JSON.stringify(item)).join(", ");
}

// ---------------------------------------------------------------- aarm

function aarmDeclaration(tool: ComparableTool): string {
  const args = [
    "recipient: string, amount: number",
    "path: string",
    "table: string, limit: number",
    "host: string, size: number",
  ][tool.shape];
  const effect = ["egress", "read", "read", "egress"][tool.shape];
  return `tool ${tool.name} { args { ${args} } effect ${effect} }`;
}

function aarmRules(tool: ComparableTool, i: number): string {
  const allow = `allow call_${i} on ${tool.name}`;
  switch (tool.shape) {
    case 0:
      return `${allow}
deny payment_${i} on ${tool.name}
  when args.amount > ${tool.limit} and (args.recipient not in trusted_payees or "finance" not in identity.roles)`;
    case 1:
      return `${allow}
deny secret_${i} on ${tool.name}
  when starts_with(args.path, "/etc/") or ends_with(args.path, ".pem")`;
    case 2:
      return `${allow}
deny query_${i} on ${tool.name}
  when args.limit > ${tool.limit} or args.table in protected_tables`;
    default:
      return `${allow}
deny post_${i} on ${tool.name}
  when args.host not in allowed_hosts or args.size > ${tool.limit * 100}`;
  }
}

const PER_MODULE = 1000;

function aarmPreamble(): string[] {
  return [
    `const trusted_payees = {${setLiteral(TRUSTED_PAYEES)}}`,
    `const allowed_hosts = {${setLiteral(ALLOWED_HOSTS)}}`,
    `const protected_tables = {${setLiteral(PROTECTED_TABLES)}}`,
  ];
}

/** The workload as an `.aarm` policy: the root file's text and the modules it imports. */
export function aarmPolicy(tools: readonly ComparableTool[]): {
  readonly root: string;
  readonly files: Record<string, string>;
} {
  const root = [`policy comparable_${tools.length} version "1"`, ...aarmPreamble()];
  const files: Record<string, string> = {};
  for (let start = 0; start < tools.length; start += PER_MODULE) {
    const name = `part${start / PER_MODULE}`;
    const parts = [`module ${name}`, ...aarmPreamble()];
    for (let i = start; i < Math.min(tools.length, start + PER_MODULE); i++) {
      const tool = tools[i] as ComparableTool;
      parts.push(aarmDeclaration(tool), aarmRules(tool, i));
    }
    files[`${name}.aarm`] = parts.join("\n");
    root.push(`import "./${name}.aarm"`);
  }
  root.push(
    `forbid deep_delegation when identity.delegation_depth > 3 because "delegation too deep"`,
    "default deny",
  );
  return { root: root.join("\n"), files };
}

/** A request as the aarm evaluator's input. */
export function aarmInput(request: ComparableRequest, now: number): EvalInput {
  const identity: EvalIdentity = {
    human: "alice@company.example",
    agent: "finance-assistant",
    roles: request.roles,
    scope: [],
    delegation: Array.from({ length: request.delegationDepth }, (_, k) => `agent-${k}`),
  };
  return {
    action: { tool: request.tool, args: request.args as { [name: string]: Json }, time: now, identity },
    snapshot: { scores: {}, facts: {}, history: [] },
  };
}

// ---------------------------------------------------------------- Cedar

function cedarSet(items: readonly string[]): string {
  return `[${setLiteral(items)}]`;
}

function cedarForbid(tool: ComparableTool): string {
  const a = "context.args";
  switch (tool.shape) {
    case 0:
      return `${a}.amount > ${tool.limit} && (!${cedarSet(TRUSTED_PAYEES)}.contains(${a}.recipient) || !context.roles.contains("finance"))`;
    case 1:
      return `${a}.path like "/etc/*" || ${a}.path like "*.pem"`;
    case 2:
      return `${a}.limit > ${tool.limit} || ${cedarSet(PROTECTED_TABLES)}.contains(${a}.table)`;
    default:
      return `!${cedarSet(ALLOWED_HOSTS)}.contains(${a}.host) || ${a}.size > ${tool.limit * 100}`;
  }
}

/** The workload as Cedar policies, keyed by id (Cedar evaluates every one of them for every request). */
export function cedarPolicies(tools: readonly ComparableTool[]): Record<string, string> {
  const policies: Record<string, string> = {
    deep_delegation: `forbid(principal, action, resource) when { context.delegation_depth > 3 };`,
  };
  tools.forEach((tool, i) => {
    const action = `action == Action::${JSON.stringify(tool.name)}`;
    policies[`call_${i}`] = `permit(principal, ${action}, resource);`;
    policies[`deny_${i}`] = `forbid(principal, ${action}, resource) when { ${cedarForbid(tool)} };`;
  });
  return policies;
}

/** A Cedar authorization request for `request` (without the policy set, which is preparsed). */
export interface CedarRequest {
  readonly principal: { readonly type: string; readonly id: string };
  readonly action: { readonly type: string; readonly id: string };
  readonly resource: { readonly type: string; readonly id: string };
  readonly context: { readonly [name: string]: unknown };
}

/** A request as Cedar reads it. */
export function cedarRequest(request: ComparableRequest): CedarRequest {
  return {
    principal: { type: "Agent", id: "finance-assistant" },
    action: { type: "Action", id: request.tool },
    resource: { type: "Tool", id: request.tool },
    context: { args: request.args, roles: request.roles, delegation_depth: request.delegationDepth },
  };
}

// ---------------------------------------------------------------- hand-written

/**
 * The workload as a programmer would write it by hand: a map from tool name
 * to a check of that tool's arguments, with the sets as `Set`s. It answers
 * only "allowed or not", with no explanation: the practical floor.
 */
export function handWritten(tools: readonly ComparableTool[]): (request: ComparableRequest) => boolean {
  const payees = new Set(TRUSTED_PAYEES);
  const hosts = new Set(ALLOWED_HOSTS);
  const tables = new Set(PROTECTED_TABLES);
  type Check = (args: ComparableRequest["args"], roles: readonly string[]) => boolean;
  const checks = new Map<string, Check>();
  for (const tool of tools) {
    const limit = tool.limit;
    const check: Check = [
      (args: ComparableRequest["args"], roles: readonly string[]) =>
        !(
          (args.amount as number) > limit &&
          (!payees.has(args.recipient as string) || !roles.includes("finance"))
        ),
      (args: ComparableRequest["args"]) => {
        const path = args.path as string;
        return !(path.startsWith("/etc/") || path.endsWith(".pem"));
      },
      (args: ComparableRequest["args"]) =>
        !((args.limit as number) > limit || tables.has(args.table as string)),
      (args: ComparableRequest["args"]) =>
        hosts.has(args.host as string) && !((args.size as number) > limit * 100),
    ][tool.shape] as Check;
    checks.set(tool.name, check);
  }
  return (request) => {
    if (request.delegationDepth > 3) return false;
    const check = checks.get(request.tool);
    return check !== undefined && check(request.args, request.roles);
  };
}

// ---------------------------------------------------------------- inputs

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function argsFor(tool: ComparableTool, rand: () => number): { [name: string]: string | number } {
  switch (tool.shape) {
    case 0:
      return {
        recipient: rand() < 0.6 ? pick(rand, TRUSTED_PAYEES) : `DE89-3704-0044-${Math.floor(rand() * 1e4)}`,
        amount: Math.floor(rand() * 2 * tool.limit),
      };
    case 1:
      return {
        path: pick(rand, ["/srv/app/config.yaml", "/etc/shadow", "/srv/tls/server.pem", "/tmp/r.csv"]),
      };
    case 2:
      return {
        table: pick(rand, ["orders", "users", "invoices", "payments"]),
        limit: Math.floor(rand() * 2 * tool.limit),
      };
    default:
      return {
        host: rand() < 0.7 ? pick(rand, ALLOWED_HOSTS) : "paste.evil.example",
        size: Math.floor(rand() * 200 * tool.limit),
      };
  }
}

/** `count` requests for tools drawn uniformly from `tools` (some for an undeclared tool), from a seed. */
export function comparableRequests(
  tools: readonly ComparableTool[],
  count: number,
  seed: number,
): ComparableRequest[] {
  const rand = prng(seed);
  const out: ComparableRequest[] = [];
  for (let k = 0; k < count; k++) {
    const undeclared = rand() < 0.02;
    const tool = tools[Math.floor(rand() * tools.length)] as ComparableTool;
    out.push({
      tool: undeclared ? "svc.unknown" : tool.name,
      args: undeclared ? {} : argsFor(tool, rand),
      roles: rand() < 0.8 ? ["finance", "employee"] : ["employee"],
      delegationDepth: rand() < 0.9 ? Math.floor(rand() * 3) : 4 + Math.floor(rand() * 2),
    });
  }
  return out;
}

/** The policy sizes the side-by-side benchmarks measure. */
export const CEDAR_SIZES = [10, 100, 1_000, 10_000] as const;

/** Inputs per size: a power of two, so a benchmark can cycle through them with a mask. */
export const POOL = 4096;

/**
 * The inputs the side-by-side benchmarks time for a policy of `tools`: the
 * whole pool for aarm and the hand-written function, and its first
 * `cedarCount` for Cedar, whose cost grows with the number of policies (the
 * equivalence test checks exactly these).
 */
export function benchmarkInputs(tools: readonly ComparableTool[]): {
  readonly requests: readonly ComparableRequest[];
  readonly now: number;
  readonly cedarCount: number;
} {
  const cedarCount = tools.length >= 10_000 ? 128 : tools.length >= 1_000 ? 512 : POOL;
  return {
    requests: comparableRequests(tools, POOL, tools.length),
    now: Date.UTC(2026, 2, 14, 12),
    cedarCount,
  };
}
