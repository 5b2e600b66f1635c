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
 * The dispatch table and candidates come from the IR's preparation
 * (`prepare.ts`), made on its first decision; expressions are evaluated in a
 * pooled frame (`expr.ts`), so a decision allocates little beyond its result.
 *
 * @module
 */
import type { EvalDecision, EvalInput, Json } from "../ir/contract.ts";
import type { Ir } from "../ir/types.ts";
import {
  combine,
  conflictDecision,
  denyDecision,
  missingContextDecision,
  modifyDecision,
  type RuleRef,
  rulesOfTier,
  strongestTier,
  TIER_MODIFY,
} from "./combine.ts";
import { closeFrame, condValue, type EvalContext, type Frame, openFrame } from "./expr.ts";
import type { FeatureValues } from "./feature-state.ts";
import { jsonEqual } from "./json.ts";
import { applyModifications } from "./modify.ts";
import { ALWAYS, COND, KIND, NO_RULE, prepare, ROW, RULE, STRENGTH } from "./prepare.ts";
import { Missing } from "./values.ts";

/** The rule id of the decision for an action whose tool no declaration names. */
export const UNKNOWN_TOOL_RULE = "unknown_tool";

type Possible = RuleRef & { readonly missing: readonly string[] };

interface Matches {
  readonly certain: RuleRef[];
  readonly possible: readonly Possible[];
}

/** No possible match: the usual case, shared rather than allocated per decision. */
const NO_POSSIBLE: readonly Possible[] = Object.freeze([]);

/** A strength weaker than every candidate's (a small integer, unlike `Infinity`, so it stays unboxed). */
const ANY_STRENGTH = NO_RULE + 1;

/**
 * Tests the candidates of the tool whose block is at `at`, in order,
 * stopping below the strongest kind that certainly matched; with `weakest`,
 * only those of that kind or stronger.
 */
function match(frame: Frame, at: number, weakest: number): Matches {
  const { rows, refs } = frame.prepared;
  const certain: RuleRef[] = [];
  let possible: Possible[] | null = null;
  let strongest = ANY_STRENGTH;
  const end = at + 1 + ROW * (rows[at] as number);
  for (let row = at + 1; row < end; row += ROW) {
    const strength = rows[row + KIND] as number;
    if (strength > weakest) continue;
    const index = rows[row + RULE] as number;
    if (strength === NO_RULE) throw new Error(`no rule ${index}`);
    if (strength > strongest) break;
    const cond = rows[row + COND] as number;
    const result = cond === ALWAYS ? true : condValue(frame, cond);
    if (result === true) {
      certain.push(refs[index] as RuleRef);
      strongest = Math.min(strongest, strength);
    } else if (result instanceof Missing) {
      possible ??= [];
      possible.push({ index, rule: (refs[index] as RuleRef).rule, missing: result.names });
    }
  }
  return { certain, possible: possible ?? NO_POSSIBLE };
}

/** `JSON.stringify(a) === JSON.stringify(b)`, without serialising when either is null or both are one object. */
function sameJson(a: object | null, b: object | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameOutcome(a: EvalDecision, b: EvalDecision): boolean {
  return (
    a.decision === b.decision &&
    jsonEqual(a.modifications?.args as Json | undefined, b.modifications?.args as Json | undefined) &&
    sameJson(a.approval, b.approval) &&
    sameJson(a.deferral, b.deferral)
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
 * Sorts rule references into source order, in place. Insertion sort: there
 * are rarely more than three, and `Array.prototype.sort` allocates a work
 * area on every call.
 */
function sortByIndex<T extends RuleRef>(refs: T[]): T[] {
  for (let i = 1; i < refs.length; i++) {
    const ref = refs[i] as T;
    let j = i - 1;
    for (; j >= 0 && (refs[j] as T).index > ref.index; j--) refs[j + 1] = refs[j] as T;
    refs[j + 1] = ref;
  }
  return refs;
}

/** A frame for the action in `frame` with other arguments (the modified action). */
function withArgs(frame: Frame, args: EvalContext["args"]): Frame {
  const other = openFrame(frame.prepared);
  other.tool = frame.tool;
  other.args = args;
  other.time = frame.time;
  other.identity = frame.identity;
  other.snapshot = frame.snapshot;
  other.features = frame.features;
  return other;
}

/** The modify tier: apply, DEFER on conflict, then re-check the modified action against forbid and deny. */
function modifyTier(frame: Frame, at: number, rules: readonly RuleRef[]): EvalDecision {
  const ctx: EvalContext = {
    ir: frame.ir,
    tool: frame.tool,
    args: frame.args,
    time: frame.time,
    identity: frame.identity,
    snapshot: frame.snapshot,
    entry: null,
    output: null,
    features: frame.features,
    memo: new Map(),
  };
  const outcome = applyModifications(rules, ctx);
  if (outcome.kind === "conflict") return conflictDecision(outcome.conflicts);
  const modified = withArgs(frame, outcome.args);
  const recheck = match(modified, at, STRENGTH.deny);
  closeFrame(modified);
  if (recheck.certain.length > 0) return denyDecision(sortByIndex(recheck.certain));
  if (recheck.possible.length > 0) return missingContextDecision(recheck.possible, null);
  return modifyDecision(rules, { applied: outcome.applied, args: outcome.args });
}

/** The decision of the matches `matched`, in source order. */
function decide(frame: Frame, at: number, matched: readonly RuleRef[]): EvalDecision {
  const tier = strongestTier(matched);
  if (tier === TIER_MODIFY) return modifyTier(frame, at, rulesOfTier(matched, tier));
  return combine(matched, tier, frame.ir.defaultPosture);
}

/** How to evaluate. */
export interface EvaluateOptions {
  /**
   * The session's feature values at the action's time (`featureValues` of a
   * `FeatureState` folded over the history): read instead of scanning
   * `snapshot.history`, which is then ignored. Decides exactly as the scan.
   */
  readonly features?: FeatureValues;
}

/**
 * Decides one action under a compiled policy. `input` must conform to the
 * policy's tool declarations (arguments of the declared types).
 */
export function evaluate(ir: Ir, input: EvalInput, options: EvaluateOptions = {}): EvalDecision {
  const { action, snapshot } = input;
  const features = options.features ?? null;
  if (features !== null && features.values.length !== ir.features.length) {
    throw new RangeError(`${features.values.length} feature values given for ${ir.features.length} features`);
  }
  const prepared = prepare(ir);
  const at = prepared.tools.get(action.tool);
  if (at === undefined) return unknownTool(action.tool);
  const frame = openFrame(prepared);
  frame.tool = action.tool;
  frame.args = action.args;
  frame.time = action.time;
  frame.identity = action.identity;
  frame.snapshot = snapshot;
  frame.features = features;
  const { certain, possible } = match(frame, at, ANY_STRENGTH);
  // Candidates run strongest kind first; combination wants source order.
  const base = decide(frame, at, sortByIndex(certain));
  if (possible.length === 0) {
    closeFrame(frame);
    return base;
  }
  const differing: Possible[] = [];
  let allDeny = base.decision === "DENY";
  for (const rule of possible) {
    const alt = decide(frame, at, sortByIndex([...certain, rule]));
    if (!sameOutcome(alt, base)) differing.push(rule);
    allDeny &&= alt.decision === "DENY";
  }
  closeFrame(frame);
  if (differing.length === 0 || allDeny) return base;
  return missingContextDecision(differing, base);
}
