/**
 * Combination of matching rules by the precedence lattice
 * `forbid > deny > defer > step_up > modify > allow > default` (docs/language.md §6),
 * and the decisions each tier produces.
 *
 * @module
 */

import type { ApprovalRequirement, DeferralRequirement, EvalDecision } from "../ir/contract.ts";
import type { ApprovalClause, RiskLevel, RuleKind } from "../lang/ast.ts";
import { RISK_LEVELS } from "../lang/ast.ts";
import type { CheckedRule } from "../lang/checked.ts";
import { SemanticsTypeError } from "./errors.ts";

/** Defaults of the approval and deferral clauses. */
const DEFAULT_QUORUM = 1;
const DEFAULT_STEP_UP_TIMEOUT_MS = 15 * 60_000;
const DEFAULT_DEFER_TIMEOUT_MS = 5 * 60_000;

/** The deferral of a DEFER that no `defer` rule shaped: default timeout, then deny. */
const DEFAULT_DEFERRAL: DeferralRequirement = {
  timeoutMs: DEFAULT_DEFER_TIMEOUT_MS,
  then: "deny",
  approval: null,
};

/** A rule's reason: its `because`, or `"<kind> rule <id> matched"`. */
export function reasonOf(rule: CheckedRule): string {
  return rule.rule.because?.value ?? `${rule.rule.ruleKind} rule ${rule.id} matched`;
}

/** The highest declared risk among `rules`, or null when none declares one. */
export function riskOf(rules: readonly CheckedRule[]): RiskLevel | null {
  let best: RiskLevel | null = null;
  for (const { rule } of rules) {
    if (
      rule.risk !== null &&
      (best === null || RISK_LEVELS.indexOf(rule.risk.level) > RISK_LEVELS.indexOf(best))
    ) {
      best = rule.risk.level;
    }
  }
  return best;
}

function base(decision: EvalDecision["decision"], rules: readonly CheckedRule[]): EvalDecision {
  return {
    decision,
    classification: null,
    rules: rules.map((r) => r.id),
    reasons: rules.map(reasonOf),
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

/**
 * Several approval clauses as one requirement: approvers merged in order of first appearance,
 * the largest quorum, the shortest timeout, the earliest escalation with every escalation's
 * approvers, and self-approval only when every clause allows it.
 */
function mergeApprovals(clauses: readonly ApprovalClause[]): ApprovalRequirement {
  const escalations = clauses.flatMap((c) => (c.escalation === null ? [] : [c.escalation]));
  return {
    approvers: union(clauses.map((c) => c.approvers.map((a) => a.value))),
    quorum: Math.max(...clauses.map((c) => c.quorum?.value ?? DEFAULT_QUORUM)),
    timeoutMs: Math.min(...clauses.map((c) => c.timeout?.ms ?? DEFAULT_STEP_UP_TIMEOUT_MS)),
    escalation:
      escalations.length === 0
        ? null
        : {
            afterMs: Math.min(...escalations.map((e) => e.after.ms)),
            to: union(escalations.map((e) => e.to.map((a) => a.value))),
          },
    selfApproval: clauses.every((c) => c.selfApproval),
  };
}

function approvalOf(rule: CheckedRule): ApprovalClause {
  if (rule.rule.approval === null) throw new SemanticsTypeError(`rule ${rule.id} has no approval clause`);
  return rule.rule.approval;
}

/** DENY from matching forbid and deny rules: the forbids alone when there are any. */
export function denyDecision(rules: readonly CheckedRule[]): EvalDecision {
  const forbids = rules.filter((r) => r.rule.ruleKind === "forbid");
  if (forbids.length > 0) return { ...base("DENY", forbids), classification: "forbidden" };
  return { ...base("DENY", rules), classification: "context_dependent_deny" };
}

function deferDecision(rules: readonly CheckedRule[]): EvalDecision {
  const clauses = rules.map((r) => r.rule.deferral);
  const then = clauses.every((c) => c?.then === "step_up") ? "step_up" : "deny";
  return {
    ...base("DEFER", rules),
    classification: "context_dependent_defer",
    contextNeeded: union(clauses.map((c) => (c?.needs ?? []).map((n) => n.text))).sort(),
    deferral: {
      timeoutMs: Math.min(...clauses.map((c) => c?.timeout?.ms ?? DEFAULT_DEFER_TIMEOUT_MS)),
      then,
      approval: then === "step_up" ? mergeApprovals(rules.map(approvalOf)) : null,
    },
  };
}

function stepUpDecision(rules: readonly CheckedRule[]): EvalDecision {
  return {
    ...base("STEP_UP", rules),
    classification: "context_dependent_allow",
    approval: mergeApprovals(rules.map(approvalOf)),
  };
}

/**
 * DEFER because context is missing: `rules` each with the sorted names it is missing, plus the
 * needs of `also` when the decision that would otherwise stand is itself a DEFER.
 */
export function missingContextDecision(
  rules: ReadonlyMap<CheckedRule, ReadonlySet<string>>,
  also: EvalDecision | null,
): EvalDecision {
  const deciding = [...rules.keys()];
  const names = [...rules.values()].flatMap((missing) => [...missing]);
  return {
    ...base("DEFER", deciding),
    classification: "context_dependent_defer",
    reasons: [...rules.values()].map((missing) => `missing context: ${[...missing].sort().join(", ")}`),
    deferral: also?.decision === "DEFER" && also.deferral !== null ? also.deferral : DEFAULT_DEFERRAL,
    contextNeeded: union([names, also?.decision === "DEFER" ? also.contextNeeded : []]).sort(),
  };
}

/** DEFER because two modify rules write the same argument differently (AARM's second DEFER trigger). */
export function conflictDecision(conflicts: ReadonlyMap<CheckedRule, readonly string[]>): EvalDecision {
  return {
    ...base("DEFER", [...conflicts.keys()]),
    classification: "context_dependent_defer",
    reasons: [...conflicts.values()].map((paths) => `conflicting modification of ${paths.join(", ")}`),
    deferral: DEFAULT_DEFERRAL,
  };
}

function allowDecision(rules: readonly CheckedRule[]): EvalDecision {
  return base("ALLOW", rules);
}

function defaultDecision(posture: "deny" | "allow"): EvalDecision {
  return {
    ...base(posture === "deny" ? "DENY" : "ALLOW", []),
    rules: ["default"],
    reasons: [`no rule matched; default ${posture}`],
  };
}

/**
 * The decision when exactly `matched` (in source order) match: the strongest tier decides.
 * The modify tier needs the action itself, so the caller supplies it.
 */
export function combine(
  matched: readonly CheckedRule[],
  posture: "deny" | "allow",
  modifyTier: (rules: readonly CheckedRule[]) => EvalDecision,
): EvalDecision {
  const of = (...kinds: RuleKind[]) => matched.filter((r) => kinds.includes(r.rule.ruleKind));
  if (of("forbid", "deny").length > 0) return denyDecision(of("forbid", "deny"));
  if (of("defer").length > 0) return deferDecision(of("defer"));
  if (of("step_up").length > 0) return stepUpDecision(of("step_up"));
  if (of("modify").length > 0) return modifyTier(of("modify"));
  if (of("allow").length > 0) return allowDecision(of("allow"));
  return defaultDecision(posture);
}
