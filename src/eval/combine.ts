/**
 * Combination of matching rules by the precedence lattice
 * `forbid > deny > defer > step_up > modify > allow > default`, producing the
 * decision each tier stands for (docs/language.md §6).
 *
 * Combination runs on every decision, so it finds the deciding tier in one
 * pass over the matches and builds each decision as one object literal of a
 * single shape: no per-tier filtering, no spreads.
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

// The tier a set of matches decides in, strongest first (`strongestTier`).
/** Forbid and deny rules: DENY. */
export const TIER_DENY = 0;
/** Defer rules: DEFER. */
export const TIER_DEFER = 1;
/** Step-up rules: STEP_UP. */
export const TIER_STEP_UP = 2;
/** Modify rules: MODIFY, after the re-check (which needs the action: not decided by `combine`). */
export const TIER_MODIFY = 3;
/** Allow rules: ALLOW. */
export const TIER_ALLOW = 4;
/** No match: the default posture. */
export const TIER_NONE = 5;

function tierOfKind(kind: IrRuleKind): number {
  switch (kind) {
    case "forbid":
    case "deny":
      return TIER_DENY;
    case "defer":
      return TIER_DEFER;
    case "step_up":
      return TIER_STEP_UP;
    case "modify":
      return TIER_MODIFY;
    default:
      return TIER_ALLOW;
  }
}

/** The strongest tier among `matched`, `TIER_NONE` when there is no match. */
export function strongestTier(matched: readonly RuleRef[]): number {
  let tier = TIER_NONE;
  for (let i = 0; i < matched.length; i++) {
    const t = tierOfKind((matched[i] as RuleRef).rule.kind);
    if (t < tier) tier = t;
  }
  return tier;
}

/** The matches of `tier`, in their order: `matched` itself when all are (the usual single match). */
export function rulesOfTier(matched: readonly RuleRef[], tier: number): readonly RuleRef[] {
  let all = true;
  for (let i = 0; i < matched.length && all; i++)
    all = tierOfKind((matched[i] as RuleRef).rule.kind) === tier;
  if (all) return matched;
  const out: RuleRef[] = [];
  for (const ref of matched) if (tierOfKind(ref.rule.kind) === tier) out.push(ref);
  return out;
}

function riskOf(rules: readonly RuleRef[]): EvalDecision["risk"] {
  let best = -1;
  for (let i = 0; i < rules.length; i++) {
    const risk = (rules[i] as RuleRef).rule.risk;
    if (risk !== null) best = Math.max(best, RISKS.indexOf(risk));
  }
  return best < 0 ? null : (RISKS[best] ?? null);
}

function ids(rules: readonly RuleRef[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rules.length; i++) out.push((rules[i] as RuleRef).rule.id);
  return out;
}

function reasonsOf(rules: readonly RuleRef[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rules.length; i++) out.push((rules[i] as RuleRef).rule.reason);
  return out;
}

/** Every decision is built here, so all have one field order (and one hidden class). */
function make(
  decision: EvalDecision["decision"],
  classification: EvalDecision["classification"],
  rules: string[],
  reasons: string[],
  modifications: EvalDecision["modifications"],
  approval: ApprovalRequirement | null,
  deferral: DeferralRequirement | null,
  contextNeeded: string[],
  risk: EvalDecision["risk"],
): EvalDecision {
  return { decision, classification, rules, reasons, modifications, approval, deferral, contextNeeded, risk };
}

/** A decision of `kind` by `rules`, with their reasons and risk, and nothing else. */
export function decisionBy(kind: EvalDecision["decision"], rules: readonly RuleRef[]): EvalDecision {
  return make(kind, null, ids(rules), reasonsOf(rules), null, null, null, [], riskOf(rules));
}

/** MODIFY by `rules`, with the modifications made. */
export function modifyDecision(
  rules: readonly RuleRef[],
  modifications: NonNullable<EvalDecision["modifications"]>,
): EvalDecision {
  return make("MODIFY", null, ids(rules), reasonsOf(rules), modifications, null, null, [], riskOf(rules));
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
  let forbids = 0;
  for (let i = 0; i < rules.length; i++) if ((rules[i] as RuleRef).rule.kind === "forbid") forbids++;
  if (forbids === 0) {
    return make(
      "DENY",
      "context_dependent_deny",
      ids(rules),
      reasonsOf(rules),
      null,
      null,
      null,
      [],
      riskOf(rules),
    );
  }
  const by = forbids === rules.length ? rules : rules.filter((r) => r.rule.kind === "forbid");
  return make("DENY", "forbidden", ids(by), reasonsOf(by), null, null, null, [], riskOf(by));
}

function deferDecision(rules: readonly RuleRef[]): EvalDecision {
  const clauses = rules.map((r) => r.rule.deferral);
  const then = clauses.every((c) => c?.then === "step_up") ? "step_up" : "deny";
  const deferral: DeferralRequirement = {
    timeoutMs: Math.min(...clauses.map((c) => c?.timeoutMs ?? DEFAULT_DEFERRAL.timeoutMs)),
    then,
    approval: then === "step_up" ? mergeApprovals(approvals(rules)) : null,
  };
  const needs = union(clauses.map((c) => c?.needs ?? [])).sort();
  return make(
    "DEFER",
    "context_dependent_defer",
    ids(rules),
    reasonsOf(rules),
    null,
    null,
    deferral,
    needs,
    riskOf(rules),
  );
}

/** DEFER because context is missing: each rule with what it misses, plus `also`'s needs when it is a DEFER. */
export function missingContextDecision(
  rules: readonly (RuleRef & { readonly missing: readonly string[] })[],
  also: EvalDecision | null,
): EvalDecision {
  const sorted = [...rules].sort((a, b) => a.index - b.index);
  const deferring = also?.decision === "DEFER";
  return make(
    "DEFER",
    "context_dependent_defer",
    ids(sorted),
    sorted.map((r) => `missing context: ${[...new Set(r.missing)].sort().join(", ")}`),
    null,
    null,
    deferring && also.deferral !== null ? also.deferral : DEFAULT_DEFERRAL,
    union([sorted.flatMap((r) => r.missing), deferring ? also.contextNeeded : []]).sort(),
    riskOf(sorted),
  );
}

/** DEFER because modify rules write the same argument differently. */
export function conflictDecision(conflicts: ReadonlyMap<RuleRef, readonly string[]>): EvalDecision {
  const rules = [...conflicts.keys()];
  return make(
    "DEFER",
    "context_dependent_defer",
    ids(rules),
    [...conflicts.values()].map((paths) => `conflicting modification of ${paths.join(", ")}`),
    null,
    null,
    DEFAULT_DEFERRAL,
    [],
    riskOf(rules),
  );
}

const DEFAULT_REASON = {
  deny: "no rule matched; default deny",
  allow: "no rule matched; default allow",
} as const;

/**
 * The decision of `matched` (in source order), whose strongest tier is
 * `tier` (`strongestTier`): any but `TIER_MODIFY`, which needs the action.
 */
export function combine(matched: readonly RuleRef[], tier: number, posture: "deny" | "allow"): EvalDecision {
  switch (tier) {
    case TIER_DENY:
      return denyDecision(rulesOfTier(matched, tier));
    case TIER_DEFER:
      return deferDecision(rulesOfTier(matched, tier));
    case TIER_STEP_UP: {
      const rules = rulesOfTier(matched, tier);
      const approval = mergeApprovals(approvals(rules));
      return make(
        "STEP_UP",
        "context_dependent_allow",
        ids(rules),
        reasonsOf(rules),
        null,
        approval,
        null,
        [],
        riskOf(rules),
      );
    }
    case TIER_ALLOW:
      return decisionBy("ALLOW", rulesOfTier(matched, tier));
    case TIER_NONE:
      return make(
        posture === "deny" ? "DENY" : "ALLOW",
        null,
        ["default"],
        [DEFAULT_REASON[posture]],
        null,
        null,
        null,
        [],
        null,
      );
    default:
      throw new RangeError(`tier ${tier} is not combined here`);
  }
}
