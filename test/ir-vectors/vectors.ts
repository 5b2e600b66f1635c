/**
 * The IR test vectors (`spec-tests/ir/vectors/`), loaded, and what they cover:
 * the IR's node kinds, fields, functions, comparisons, features, rule kinds
 * and modifications, and the kinds of decision and labelling they expect.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EvalDecision, EvalInput, Json } from "../../src/ir/contract.ts";
import type { Ir } from "../../src/ir/types.ts";

export const VECTORS_DIR = fileURLToPath(new URL("../../spec-tests/ir/vectors/", import.meta.url));

export interface Vector {
  /** Path below `spec-tests/ir/vectors/`. */
  readonly path: string;
  readonly description: string;
  readonly source: string;
  readonly policy: string;
  readonly ir: Ir;
  readonly decisions: readonly { readonly input: EvalInput; readonly expect: EvalDecision }[];
  readonly labels: readonly {
    readonly tool: string;
    readonly args: { readonly [name: string]: Json };
    readonly output: string;
    readonly expect: readonly string[];
  }[];
}

/** Every vector, sorted by path. */
export function loadVectors(): Vector[] {
  return readdirSync(VECTORS_DIR, { recursive: true, encoding: "utf8" })
    .map((file) => file.split("\\").join("/"))
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((path) => ({
      path,
      ...(JSON.parse(readFileSync(join(VECTORS_DIR, path), "utf8")) as Omit<Vector, "path">),
    }));
}

/**
 * Everything the vectors must cover, as `what:which`. Two forms of the IR are left out because no
 * policy compiles to them today: `set` nodes (set literals have constant elements, so they fold to
 * `const`) and `arg` paths longer than one (arguments cannot be read below their top level); the
 * codegen unit tests cover both with hand-written IR.
 */
export const REQUIRED: readonly string[] = [
  ...[
    "const",
    "arg",
    "fact",
    "tool",
    "identity",
    "intent",
    "session",
    "feature",
    "entry",
    "output",
    "missing",
    "has",
    "not",
    "and",
    "or",
    "compare",
    "in",
    "matches",
    "add",
    "sub",
    "mul",
    "neg",
    "call",
  ].map((op) => `op:${op}`),
  "arg:set",
  "fact:set",
  ...["human", "agent", "service", "session", "roles", "scope", "delegation_depth"].map(
    (f) => `identity:${f}`,
  ),
  ...["text", "scope", "alignment"].map((f) => `intent:${f}`),
  ...["tainted", "sensitivity", "drift"].map((f) => `session:${f}`),
  ...["tool", "effect", "target", "labels"].map((f) => `entry:${f}`),
  ...["arg", "fact", "identity", "intent", "session", "entry"].map((op) => `has:${op}`),
  ...["==", "!=", "<", "<=", ">", ">="].map((cmp) => `compare:${cmp}`),
  ...[
    "lower",
    "upper",
    "trim",
    "len",
    "starts_with",
    "ends_with",
    "contains",
    "host",
    "domain",
    "in_cidr",
    "intent.mentions",
  ].map((fn) => `call:${fn}`),
  ...["seen", "seen:steps", "seen:within", "count", "count:within", "sum", "sum:within"].map(
    (f) => `feature:${f}`,
  ),
  ...["forbid", "deny", "defer", "step_up", "modify", "allow"].map((kind) => `rule:${kind}`),
  ...["set", "remove", "clamp", "redact:regex", "redact:all"].map((op) => `modification:${op}`),
  ...[
    "ALLOW:rule",
    "ALLOW:default",
    "DENY:forbidden",
    "DENY:context_dependent_deny",
    "DENY:default",
    "DENY:unknown_tool",
    "MODIFY",
    "STEP_UP",
    "STEP_UP:escalation",
    "DEFER:rule",
    "DEFER:then_step_up",
    "DEFER:missing",
    "DEFER:missing_and_rule",
    "DEFER:conflict",
  ].map((d) => `decision:${d}`),
  "labels:declared",
  "labels:undeclared_tool",
];

/** The kinds of decision `d` stands for, as `REQUIRED` names them. */
function decisionKind(d: EvalDecision): string[] {
  const missing = d.reasons.some((r) => r.startsWith("missing context: "));
  switch (d.decision) {
    case "ALLOW":
    case "DENY":
      if (d.rules[0] === "unknown_tool") return ["DENY:unknown_tool"];
      if (d.rules[0] === "default") return [`${d.decision}:default`];
      return [d.decision === "ALLOW" ? "ALLOW:rule" : `DENY:${d.classification}`];
    case "STEP_UP":
      return d.approval?.escalation === null ? ["STEP_UP"] : ["STEP_UP", "STEP_UP:escalation"];
    case "DEFER": {
      if (d.reasons.some((r) => r.startsWith("conflicting modification of "))) return ["DEFER:conflict"];
      const byRule = d.deferral?.then === "step_up" ? ["DEFER:rule", "DEFER:then_step_up"] : ["DEFER:rule"];
      if (!missing) return byRule;
      // A DEFER for missing context keeps the deferral of the decision it would otherwise be.
      const fromRule =
        JSON.stringify(d.deferral) !== JSON.stringify({ timeoutMs: 300_000, then: "deny", approval: null });
      return fromRule ? ["DEFER:missing", "DEFER:missing_and_rule"] : ["DEFER:missing"];
    }
    case "MODIFY":
      return ["MODIFY"];
  }
}

/** What `vectors` cover, as `what:which`. */
export function coverage(vectors: readonly Vector[]): Set<string> {
  const out = new Set<string>();
  for (const { ir, decisions, labels } of vectors) {
    for (const node of ir.exprs) {
      out.add(`op:${node.op}`);
      if ((node.op === "arg" || node.op === "fact") && node.set === true) out.add(`${node.op}:set`);
      if (node.op === "identity" || node.op === "intent" || node.op === "session" || node.op === "entry")
        out.add(`${node.op}:${node.field}`);
      if (node.op === "has") out.add(`has:${ir.exprs[node.of]?.op}`);
      if (node.op === "compare") out.add(`compare:${node.cmp}`);
      if (node.op === "call") out.add(`call:${node.fn}`);
    }
    for (const feature of ir.features) {
      out.add(`feature:${feature.kind}`);
      if (feature.withinMs !== null) out.add(`feature:${feature.kind}:within`);
      if (feature.kind === "seen" && feature.steps.length > 1) out.add("feature:seen:steps");
    }
    for (const rule of ir.rules) {
      out.add(`rule:${rule.kind}`);
      for (const m of rule.modifications) {
        out.add(
          `modification:${m.op === "redact" ? (m.regex === null ? "redact:all" : "redact:regex") : m.op}`,
        );
      }
    }
    for (const { expect } of decisions) for (const kind of decisionKind(expect)) out.add(`decision:${kind}`);
    for (const { tool } of labels)
      out.add(Object.hasOwn(ir.tools, tool) ? "labels:declared" : "labels:undeclared_tool");
  }
  return out;
}
