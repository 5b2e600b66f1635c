/**
 * Combination of matching rules by the precedence lattice
 * `forbid > deny > defer > step_up > modify > allow > default`, producing the
 * decision each tier stands for (docs/language.md §6).
 *
 * @module
 */
import type { ApprovalRequirement, DeferralRequirement, EvalDecision } from "../ir/contract.ts";
import type { Ir, IrApproval, IrRule, IrRuleKind } from "../ir/types.ts";

const RISKS = ["low", "medium", "high", "critical"] as const;

/** The deferral of a DEFER that no `defer` rule shaped: five minutes, then deny. */
export const DEFAULT_DEFERRAL: DeferralRequirement = {
  timeoutMs: 5 * 60_000,
  then: "deny",
  approval: null,
};

export interface RuleRef {
  readonly index: number;
  readonly rule: IrRule;
}

export function ruleRefs(ir: Ir, indices: Iterable<number>): RuleRef[] {
  return [...indices].sort((a, b) => a - b).map((index) => ({ index, rule: ir.rules[index] as IrRule }));
}

function riskOf(rules: readonly RuleRef[]): EvalDecision["risk"] {
  let best = -1;
  for (const { rule } of rules) if (rule.risk !== null) best = Math.max(best, RISKS.indexOf(rule.risk));
  return best < 0 ? null : (RISKS[best] ?? null);
}

/** A decision of `kind` by `rules`, with their reasons and risk; the tier fills in the rest. */
export function decisionBy(kind: EvalDecision["decision"], rules: readonly RuleRef[]): EvalDecision {
  return {
    decision: kind,
    classification: null,
    rules: rules.map((r) => r.rule.id),
    reasons: rules.map((r) => r.rule.reason),
    modifications: null,
    approval: null,
    deferral: null,
    contextNeeded: [],
    risk: riskOf(rules),
  };
}

function union<T>(lists: Iterable<readonly T[]>): T[] {
  const out: T[] = [];
  for (const list of lists) for (const item of list) if (!out.includes(item)) out.push(item);
  return out;
}

/** Approval clauses merged: approvers in first-appearance order, largest quorum, shortest timeout. */
function mergeApprovals(clauses: readonly IrApproval[]): ApprovalRequirement {
  const escalations = clauses.flatMap((c) => (c.escalation === null ? [] : [c.escalation]));
  return {
    approvers: union(clauses.map((c) => c.approvers)),
    quorum: Math.max(...clauses.map((c) => c.quorum)),
    timeoutMs: Math.min(...clauses.map((c) => c.timeoutMs)),
    escalation:
      escalations.length === 0
        ? null
        : {
            afterMs: Math.min(...escalations.map((e) => e.afterMs)),
            to: union(escalations.map((e) => e.to)),
          },
    selfApproval: clauses.every((c) => c.selfApproval),
  };
}

function approvals(rules: readonly RuleRef[]): IrApproval[] {
  return rules.map((r) => {
    if (r.rule.approval === null) throw new Error(`rule ${r.rule.id} has no approval clause`);
    return r.rule.approval;
  });
}

/** DENY by forbid and deny rules: the forbids alone when there are any. */
export function denyDecision(rules: readonly RuleRef[]): EvalDecision {
  const forbids = rules.filter((r) => r.rule.kind === "forbid");
  if (forbids.length > 0) return { ...decisionBy("DENY", forbids), classification: "forbidden" };
  return { ...decisionBy("DENY", rules), classification: "context_dependent_deny" };
}

function deferDecision(rules: readonly RuleRef[]): EvalDecision {
  const clauses = rules.map((r) => r.rule.deferral);
  const then = clauses.every((c) => c?.then === "step_up") ? "step_up" : "deny";
  return {
    ...decisionBy("DEFER", rules),
    classification: "context_dependent_defer",
    contextNeeded: union(clauses.map((c) => c?.needs ?? [])).sort(),
    deferral: {
      timeoutMs: Math.min(...clauses.map((c) => c?.timeoutMs ?? DEFAULT_DEFERRAL.timeoutMs)),
      then,
      approval: then === "step_up" ? mergeApprovals(approvals(rules)) : null,
    },
  };
}

/** DEFER because context is missing: each rule with what it misses, plus `also`'s needs when it is a DEFER. */
export function missingContextDecision(
  rules: readonly (RuleRef & { readonly missing: readonly string[] })[],
  also: EvalDecision | null,
): EvalDecision {
  const sorted = [...rules].sort((a, b) => a.index - b.index);
  const deferring = also?.decision === "DEFER";
  return {
    ...decisionBy("DEFER", sorted),
    classification: "context_dependent_defer",
    reasons: sorted.map((r) => `missing context: ${[...new Set(r.missing)].sort().join(", ")}`),
    deferral: deferring && also.deferral !== null ? also.deferral : DEFAULT_DEFERRAL,
    contextNeeded: union([sorted.flatMap((r) => r.missing), deferring ? also.contextNeeded : []]).sort(),
  };
}

/** DEFER because modify rules write the same argument differently. */
export function conflictDecision(conflicts: ReadonlyMap<RuleRef, readonly string[]>): EvalDecision {
  return {
    ...decisionBy("DEFER", [...conflicts.keys()]),
    classification: "context_dependent_defer",
    reasons: [...conflicts.values()].map((paths) => `conflicting modification of ${paths.join(", ")}`),
    deferral: DEFAULT_DEFERRAL,
  };
}

function defaultDecision(posture: "deny" | "allow"): EvalDecision {
  return {
    ...decisionBy(posture === "deny" ? "DENY" : "ALLOW", []),
    rules: ["default"],
    reasons: [`no rule matched; default ${posture}`],
  };
}

/** The decision when exactly `matched` (in source order) match; the modify tier needs the action. */
export function combine(
  matched: readonly RuleRef[],
  posture: "deny" | "allow",
  modifyTier: (rules: readonly RuleRef[]) => EvalDecision,
): EvalDecision {
  const of = (...kinds: IrRuleKind[]) => matched.filter((r) => kinds.includes(r.rule.kind));
  const denies = of("forbid", "deny");
  if (denies.length > 0) return denyDecision(denies);
  const defers = of("defer");
  if (defers.length > 0) return deferDecision(defers);
  const stepUps = of("step_up");
  if (stepUps.length > 0) {
    return {
      ...decisionBy("STEP_UP", stepUps),
      classification: "context_dependent_allow",
      approval: mergeApprovals(approvals(stepUps)),
    };
  }
  const modifies = of("modify");
  if (modifies.length > 0) return modifyTier(modifies);
  const allows = of("allow");
  if (allows.length > 0) return decisionBy("ALLOW", allows);
  return defaultDecision(posture);
}
