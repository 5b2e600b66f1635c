/**
 * The IR evaluator's entry point: one action, one snapshot, one decision.
 *
 * The action's tool selects one dispatch entry; only that tool's candidate
 * rules are tested, strongest kind first, so a decision costs what the rules
 * *for that tool* cost, however many rules the policy has. Rules whose
 * condition is unknown are handled as the reference does (docs/language.md
 * §7): the decision from the certain matches is *base*; for each possible
 * match, *alt* is the decision had it matched too; any difference is DEFER.
 * Once a kind has a certain match, weaker kinds cannot change the outcome and
 * are not tested.
 *
 * @module
 */
import type { EvalDecision, EvalInput, Json } from "../ir/contract.ts";
import type { Ir, IrCandidate, IrRuleKind, IrTool } from "../ir/types.ts";
import {
  combine,
  conflictDecision,
  decisionBy,
  denyDecision,
  missingContextDecision,
  type RuleRef,
} from "./combine.ts";
import { type EvalContext, evalCond } from "./expr.ts";
import { jsonEqual } from "./json.ts";
import { applyModifications } from "./modify.ts";
import { Missing } from "./values.ts";

/** The rule id of the decision for an action whose tool no declaration names. */
export const UNKNOWN_TOOL_RULE = "unknown_tool";

const STRENGTH: Record<IrRuleKind, number> = {
  forbid: 0,
  deny: 1,
  defer: 2,
  step_up: 3,
  modify: 4,
  allow: 5,
};

type Possible = RuleRef & { readonly missing: readonly string[] };

interface Matches {
  readonly certain: RuleRef[];
  readonly possible: Possible[];
}

function refOf(ir: Ir, candidate: IrCandidate): RuleRef {
  const rule = ir.rules[candidate.rule];
  if (rule === undefined) throw new Error(`no rule ${candidate.rule}`);
  return { index: candidate.rule, rule };
}

/** Tests candidates in order, stopping below the strongest kind that certainly matched. */
function match(ctx: EvalContext, candidates: readonly IrCandidate[]): Matches {
  const certain: RuleRef[] = [];
  const possible: Possible[] = [];
  let strongest = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const ref = refOf(ctx.ir, candidate);
    if (STRENGTH[ref.rule.kind] > strongest) break;
    const result = evalCond(ctx, candidate.cond);
    if (result === true) {
      certain.push(ref);
      strongest = Math.min(strongest, STRENGTH[ref.rule.kind]);
    } else if (result instanceof Missing) {
      possible.push({ ...ref, missing: result.names });
    }
  }
  return { certain, possible };
}

function sameOutcome(a: EvalDecision, b: EvalDecision): boolean {
  return (
    a.decision === b.decision &&
    jsonEqual(a.modifications?.args as Json | undefined, b.modifications?.args as Json | undefined) &&
    JSON.stringify(a.approval) === JSON.stringify(b.approval) &&
    JSON.stringify(a.deferral) === JSON.stringify(b.deferral)
  );
}

function unknownTool(tool: string): EvalDecision {
  return {
    ...decisionBy("DENY", []),
    classification: "forbidden",
    rules: [UNKNOWN_TOOL_RULE],
    reasons: [`tool ${JSON.stringify(tool)} is not declared in the policy`],
  };
}

/** The modify tier: apply, DEFER on conflict, then re-check the modified action against forbid and deny. */
function modifyTier(ctx: EvalContext, tool: IrTool, rules: readonly RuleRef[]): EvalDecision {
  const outcome = applyModifications(rules, ctx);
  if (outcome.kind === "conflict") return conflictDecision(outcome.conflicts);
  const guards = tool.candidates.filter((c) => {
    const kind = ctx.ir.rules[c.rule]?.kind;
    return kind === "forbid" || kind === "deny";
  });
  const recheck = match({ ...ctx, args: outcome.args, memo: new Map() }, guards);
  if (recheck.certain.length > 0) return denyDecision([...recheck.certain].sort((a, b) => a.index - b.index));
  if (recheck.possible.length > 0) return missingContextDecision(recheck.possible, null);
  return {
    ...decisionBy("MODIFY", rules),
    modifications: { applied: outcome.applied, args: outcome.args },
  };
}

/**
 * Decides one action under a compiled policy. `input` must conform to the
 * policy's tool declarations (arguments of the declared types).
 */
export function evaluate(ir: Ir, input: EvalInput): EvalDecision {
  const { action, snapshot } = input;
  const tool = Object.hasOwn(ir.tools, action.tool) ? ir.tools[action.tool] : undefined;
  if (tool === undefined) return unknownTool(action.tool);
  const ctx: EvalContext = {
    ir,
    tool: action.tool,
    args: action.args,
    time: action.time,
    identity: action.identity,
    snapshot,
    entry: null,
    output: null,
    memo: new Map(),
  };
  const { certain, possible } = match(ctx, tool.candidates);
  const decide = (matched: readonly RuleRef[]) =>
    combine(
      [...matched].sort((a, b) => a.index - b.index),
      ir.defaultPosture,
      (modifies) => modifyTier(ctx, tool, modifies),
    );
  const base = decide(certain);
  const differing: Possible[] = [];
  let allDeny = base.decision === "DENY";
  for (const rule of possible) {
    const alt = decide([...certain, rule]);
    if (!sameOutcome(alt, base)) differing.push(rule);
    allDeny &&= alt.decision === "DENY";
  }
  if (differing.length === 0 || allDeny) return base;
  return missingContextDecision(differing, base);
}
