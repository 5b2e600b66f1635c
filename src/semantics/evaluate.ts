/**
 * The reference interpreter's entry point: one action, one snapshot, one
 * decision (docs/language.md §6–§7).
 *
 * Every rule is matched in three-valued logic. The decision from the rules
 * that certainly match is *base*; for each rule that might match, *alt(u)* is
 * the decision had it matched too. Equal outcomes everywhere give *base*;
 * DENY everywhere gives *base*; anything else is DEFER naming what is missing.
 *
 * @module
 */

import { jsonEqual } from "../eval/json.ts";
import type { EvalDecision, EvalInput } from "../ir/contract.ts";
import type { CheckedPolicy, CheckedRule } from "../lang/checked.ts";
import {
  combine,
  conflictDecision,
  denyDecision,
  missingContextDecision,
  reasonOf,
  riskOf,
} from "./combine.ts";
import { evalCondition } from "./expr.ts";
import { applyModifications } from "./modify.ts";
import type { Scope } from "./scope.ts";
import { type Unknown, unknownOf } from "./values.ts";

/** The rule id of the decision for an action whose tool no declaration names. */
export const UNKNOWN_TOOL_RULE = "unknown_tool";

/** Whether `rule` matches in `scope`: true, false, or unknown with the names it is missing. */
function matchRule(rule: CheckedRule, scope: Scope): boolean | Unknown {
  if (rule.on.length > 0 && !rule.on.includes(scope.tool)) return false;
  const when = rule.rule.when === null ? true : evalCondition(rule.rule.when, scope);
  const unless = rule.rule.unless === null ? false : evalCondition(rule.rule.unless, scope);
  const notUnless = typeof unless === "boolean" ? !unless : unless;
  if (when === false || notUnless === false) return false;
  if (when === true && notUnless === true) return true;
  return unknownOf([when, notUnless].filter((t): t is Unknown => typeof t !== "boolean"))!;
}

/** Rules that certainly match, and rules that might, each with what it is missing. */
function matchAll(rules: readonly CheckedRule[], scope: Scope) {
  const certain = new Set<CheckedRule>();
  const possible = new Map<CheckedRule, ReadonlySet<string>>();
  for (const rule of rules) {
    const result = matchRule(rule, scope);
    if (result === true) certain.add(rule);
    else if (result !== false) possible.set(rule, result.missing);
  }
  return { certain, possible };
}

/**
 * The modify tier: apply the operations, DEFER on a conflict, then re-check the modified action
 * against every forbid and deny rule (a match is DENY; a possible match is DEFER).
 */
function modifyTier(policy: CheckedPolicy, rules: readonly CheckedRule[], scope: Scope): EvalDecision {
  const outcome = applyModifications(rules, scope);
  if (outcome.kind === "conflict") return conflictDecision(outcome.conflicts);
  const guards = policy.rules.filter((r) => r.rule.ruleKind === "forbid" || r.rule.ruleKind === "deny");
  const recheck = matchAll(guards, { ...scope, args: outcome.args });
  if (recheck.certain.size > 0) return denyDecision([...recheck.certain]);
  if (recheck.possible.size > 0) return missingContextDecision(recheck.possible, null);
  return {
    decision: "MODIFY",
    classification: null,
    rules: rules.map((r) => r.id),
    reasons: rules.map(reasonOf),
    modifications: { applied: outcome.applied, args: outcome.args },
    approval: null,
    deferral: null,
    contextNeeded: [],
    risk: riskOf(rules),
  };
}

/** Same decision with the same effect: the same resulting arguments, approval and deferral requirement. */
function sameOutcome(a: EvalDecision, b: EvalDecision): boolean {
  return (
    a.decision === b.decision &&
    jsonEqual(a.modifications?.args, b.modifications?.args) &&
    JSON.stringify(a.approval) === JSON.stringify(b.approval) &&
    JSON.stringify(a.deferral) === JSON.stringify(b.deferral)
  );
}

function unknownTool(tool: string): EvalDecision {
  return {
    decision: "DENY",
    classification: "forbidden",
    rules: [UNKNOWN_TOOL_RULE],
    reasons: [`tool ${JSON.stringify(tool)} is not declared in the policy`],
    modifications: null,
    approval: null,
    deferral: null,
    contextNeeded: [],
    risk: null,
  };
}

/**
 * Decides one action. `input` must conform to the policy (see `conformInput`); a policy that
 * passed the checker, on conforming input, never throws.
 */
export function evaluate(policy: CheckedPolicy, input: EvalInput): EvalDecision {
  const { action, snapshot } = input;
  const toolInfo = policy.tools.get(action.tool);
  if (toolInfo === undefined) return unknownTool(action.tool);
  const scope: Scope = {
    policy,
    tool: action.tool,
    toolInfo,
    args: action.args,
    time: action.time,
    identity: action.identity,
    snapshot,
    entry: null,
    output: null,
  };
  const { certain, possible } = matchAll(policy.rules, scope);
  const decide = (assumed: ReadonlySet<CheckedRule>) =>
    combine(
      policy.rules.filter((r) => assumed.has(r)),
      policy.defaultPosture,
      (modifies) => modifyTier(policy, modifies, scope),
    );
  const base = decide(certain);
  const differing = new Map<CheckedRule, ReadonlySet<string>>();
  let allDeny = base.decision === "DENY";
  for (const [rule, missing] of possible) {
    const alt = decide(new Set([...certain, rule]));
    if (!sameOutcome(alt, base)) differing.set(rule, missing);
    allDeny &&= alt.decision === "DENY";
  }
  if (differing.size === 0 || allDeny) return base;
  return missingContextDecision(differing, base);
}
