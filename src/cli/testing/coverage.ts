/**
 * Coverage of a policy by its tests, on the compiled IR.
 *
 * **Rules.** A rule is covered when some step made it match: it decided the
 * step, or its condition held although a stronger rule decided. The
 * evaluator stops testing weaker kinds once a stronger one certainly matched,
 * so whether a rule's condition held is asked of a *probe*: a copy of the IR
 * in which the step's tool has that rule as its only candidate and the rule's
 * reason is a marker made fresh for each run, so no written reason equals
 * it. The probe's decision carries
 * the marker exactly when the condition certainly held — an unknown
 * condition yields a missing-context DEFER or the default, never the marker.
 * Probes go through the public `evaluate`, so coverage measures the very
 * evaluator the runtime uses.
 *
 * **Branches.** The outcomes a policy can reach: each rule kind deciding,
 * the modify tier's re-check (DENY) and conflict (DEFER), the default
 * posture, and unknown context deferring. Only branches the IR can reach
 * are listed: the default where some tool has no unconditional rule, the
 * unknown branch where some condition reads an input that can be missing.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { EvalDecision, EvalInput } from "../../ir/contract.ts";
import type { Ir, IrCandidate, IrRuleKind, IrTool } from "../../ir/types.ts";
import { evaluate } from "../../eval/index.ts";
import { exprChildren } from "../../ir/cost.ts";

/** The probes' reason marker: unguessable, so a policy's own `because` text cannot collide with it. */
const HELD = `\u0000held:${randomUUID()}`;

const DECIDES: Record<IrRuleKind, EvalDecision["decision"]> = {
  forbid: "DENY",
  deny: "DENY",
  defer: "DEFER",
  step_up: "STEP_UP",
  modify: "MODIFY",
  allow: "ALLOW",
};

const STRENGTH: readonly IrRuleKind[] = ["forbid", "deny", "defer", "step_up", "modify", "allow"];

export type BranchId =
  `${IrRuleKind}` | "modify_recheck_deny" | "modify_conflict" | "default" | "unknown_defer";

export interface RuleCoverage {
  readonly id: string;
  readonly kind: IrRuleKind;
  readonly covered: boolean;
  /** False when no tool lists the rule as a candidate: it can never match (the compiler warns). */
  readonly reachable: boolean;
}

export interface BranchCoverage {
  readonly id: BranchId;
  readonly label: string;
  readonly reached: boolean;
}

export interface CoverageReport {
  /** The policy's path, as the user would name it. */
  readonly policy: string;
  /** Policy name and version; null for a policy that no test file tests. */
  readonly name: string | null;
  readonly tested: boolean;
  readonly rules: readonly RuleCoverage[];
  readonly branches: readonly BranchCoverage[];
  readonly ruleCoverage: Ratio;
  readonly branchCoverage: Ratio;
}

export interface Ratio {
  readonly covered: number;
  readonly total: number;
  /** Percentage, rounded down to one decimal: 99.99% is reported as 99.9, never as 100. */
  readonly percent: number;
}

export function ratio(covered: number, total: number): Ratio {
  return { covered, total, percent: total === 0 ? 100 : Math.floor((covered * 1000) / total) / 10 };
}

/** Whether `r` reaches `minimum` percent, compared exactly rather than after rounding. */
export function meets(r: Ratio, minimum: number): boolean {
  return r.total === 0 || r.covered * 100 >= minimum * r.total;
}

/** Whether the condition at `index` can be unknown for `tool`: it reads an input that may be missing. */
function canBeUnknown(ir: Ir, tool: IrTool, index: number, seen: Map<number, boolean>): boolean {
  const known = seen.get(index);
  if (known !== undefined) return known;
  seen.set(index, false);
  const node = ir.exprs[index];
  if (node === undefined) return false;
  const any = (list: readonly number[]): boolean => list.some((c) => canBeUnknown(ir, tool, c, seen));
  let result: boolean;
  switch (node.op) {
    case "has":
      result = false;
      break;
    case "arg": {
      const [first] = node.path;
      result = node.path.length > 1 || first === undefined || tool.args[first]?.optional !== false;
      break;
    }
    case "fact":
    case "intent":
    case "missing":
      result = true;
      break;
    case "identity":
      result = ["human", "agent", "service", "session"].includes(node.field);
      break;
    case "session":
      result = node.field === "drift";
      break;
    case "entry":
      result = node.field === "target";
      break;
    case "feature": {
      const feature = ir.features[node.feature];
      result =
        feature?.kind === "seen" ? any(feature.steps) : feature?.kind === "count" && any([feature.where]);
      break;
    }
    case "call":
      result = node.fn === "intent.mentions" || node.fault.length > 0 || any(node.args);
      break;
    default:
      result = any(exprChildren(node));
  }
  seen.set(index, result);
  return result;
}

/** The argument paths a modify rule writes; with `redact`, also those it rewrites without conflict. */
function writtenPaths(ir: Ir, candidate: IrCandidate, withRedact: boolean): string[] {
  return (ir.rules[candidate.rule]?.modifications ?? [])
    .filter((m) => withRedact || m.op !== "redact")
    .map((m) => m.path.join("."));
}

/** The argument paths the expression at `index` reads. */
function argsRead(ir: Ir, index: number, into: Set<string>, seen: Set<number>): Set<string> {
  if (seen.has(index)) return into;
  seen.add(index);
  const node = ir.exprs[index];
  if (node === undefined) return into;
  if (node.op === "arg") into.add(node.path.join("."));
  for (const child of exprChildren(node)) argsRead(ir, child, into, seen);
  return into;
}

/** The branches the IR can reach, in a fixed order. */
function reachableBranches(ir: Ir): Map<BranchId, string> {
  const found = new Set<BranchId>();
  for (const tool of Object.values(ir.tools)) {
    const kinds = new Set(tool.candidates.map((c) => ir.rules[c.rule]?.kind));
    for (const kind of kinds) if (kind !== undefined) found.add(kind);
    const modifies = tool.candidates.filter((c) => ir.rules[c.rule]?.kind === "modify");
    // The re-check can only deny what the proposed action did not when a guard reads a modified argument.
    const modified = new Set(modifies.flatMap((c) => writtenPaths(ir, c, true)));
    const guardsRead = new Set<string>();
    for (const c of tool.candidates) {
      const kind = ir.rules[c.rule]?.kind;
      if (kind === "forbid" || kind === "deny") argsRead(ir, c.cond, guardsRead, new Set());
    }
    if ([...guardsRead].some((path) => modified.has(path))) found.add("modify_recheck_deny");
    const writers = new Map<string, Set<number>>();
    for (const c of modifies)
      for (const path of writtenPaths(ir, c, false))
        writers.set(path, (writers.get(path) ?? new Set()).add(c.rule));
    if ([...writers.values()].some((rules) => rules.size > 1)) found.add("modify_conflict");
    const unconditional = tool.candidates.some((c) => {
      const node = ir.exprs[c.cond];
      return node?.op === "const" && node.value === true;
    });
    if (!unconditional) found.add("default");
    const seen = new Map<number, boolean>();
    if (tool.candidates.some((c) => canBeUnknown(ir, tool, c.cond, seen))) found.add("unknown_defer");
  }
  const posture = ir.defaultPosture === "deny" ? "DENY" : "ALLOW";
  const labels: [BranchId, string][] = [
    ...STRENGTH.map((k): [BranchId, string] => [k, `${k} → ${DECIDES[k]}`]),
    ["modify_recheck_deny", "modify → DENY (modified action re-checked)"],
    ["modify_conflict", "modify → DEFER (conflicting modifications)"],
    ["default", `default → ${posture}`],
    ["unknown_defer", "unknown context → DEFER"],
  ];
  return new Map(labels.filter(([id]) => found.has(id)));
}

/** Coverage of one policy, accumulated over every step that tests it. */
export class PolicyCoverage {
  private readonly ir: Ir;
  private readonly policy: string;
  private readonly covered = new Set<number>();
  private readonly reached = new Set<BranchId>();
  private readonly probes = new Map<string, { readonly rule: number; readonly ir: Ir }[]>();

  constructor(ir: Ir, policy: string) {
    this.ir = ir;
    this.policy = policy;
  }

  private probesFor(toolName: string, tool: IrTool): { readonly rule: number; readonly ir: Ir }[] {
    let list = this.probes.get(toolName);
    if (list === undefined) {
      list = tool.candidates.map((candidate) => ({
        rule: candidate.rule,
        ir: {
          ...this.ir,
          rules: this.ir.rules.map((r, i) => (i === candidate.rule ? { ...r, reason: HELD } : r)),
          tools: { [toolName]: { ...tool, candidates: [candidate] } },
        },
      }));
      this.probes.set(toolName, list);
    }
    return list;
  }

  /** Records one evaluated step: which rules' conditions held, and which branch the decision took. */
  record(input: EvalInput, decision: EvalDecision): void {
    const toolName = input.action.tool;
    const tool = Object.hasOwn(this.ir.tools, toolName) ? this.ir.tools[toolName] : undefined;
    if (tool === undefined) return;
    const held = new Set<number>();
    for (const probe of this.probesFor(toolName, tool)) {
      if (evaluate(probe.ir, input).reasons.includes(HELD)) held.add(probe.rule);
    }
    const heldIds = new Set([...held].map((i) => this.ir.rules[i]?.id));
    let strongest: IrRuleKind | null = null;
    for (const i of held) {
      const kind = this.ir.rules[i]?.kind;
      if (kind !== undefined && (strongest === null || STRENGTH.indexOf(kind) < STRENGTH.indexOf(strongest)))
        strongest = kind;
    }
    const deciding = decision.rules;
    let branch: BranchId;
    if (deciding.length === 1 && deciding[0] === "default") branch = "default";
    else if (decision.decision === "DEFER" && deciding.some((id) => !heldIds.has(id)))
      branch = "unknown_defer";
    else if (strongest === "modify" && decision.decision === "DEFER") branch = "modify_conflict";
    else if (strongest === "modify" && decision.decision === "DENY") branch = "modify_recheck_deny";
    else if (decision.decision === "DENY")
      branch = decision.classification === "forbidden" ? "forbid" : "deny";
    else branch = strongest ?? "default";
    this.reached.add(branch);
    for (const i of held) this.covered.add(i);
    // A deny rule that decided on the modified action matched, though not on the proposed one.
    if (branch === "modify_recheck_deny") {
      this.ir.rules.forEach((r, i) => {
        if (deciding.includes(r.id)) this.covered.add(i);
      });
    }
  }

  report(name: string): CoverageReport {
    const candidates = new Set(Object.values(this.ir.tools).flatMap((t) => t.candidates.map((c) => c.rule)));
    const rules = this.ir.rules.map((r, i): RuleCoverage => ({
      id: r.id,
      kind: r.kind,
      covered: this.covered.has(i),
      reachable: candidates.has(i),
    }));
    const branches = [...reachableBranches(this.ir)].map(([id, label]): BranchCoverage => ({
      id,
      label,
      reached: this.reached.has(id),
    }));
    return {
      policy: this.policy,
      name,
      tested: true,
      rules,
      branches,
      ruleCoverage: ratio(rules.filter((r) => r.covered).length, rules.length),
      branchCoverage: ratio(branches.filter((b) => b.reached).length, branches.length),
    };
  }
}

/** The report for a policy found among the paths that no test file tests. */
export function untestedReport(policy: string): CoverageReport {
  return {
    policy,
    name: null,
    tested: false,
    rules: [],
    branches: [],
    ruleCoverage: { covered: 0, total: 0, percent: 0 },
    branchCoverage: { covered: 0, total: 0, percent: 0 },
  };
}
