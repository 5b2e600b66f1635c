/**
 * Input conformance: whether an evaluation input fits the policy's
 * declarations, so that callers can reject (DENY) a non-conforming action
 * before evaluating it. The interpreter itself assumes conformance.
 *
 * Checked: the action's arguments against its tool (types, required present,
 * no extras); the time; declared facts that are populated; scores in [0, 1];
 * and, in the history, effects and the declared arguments of declared tools.
 * An undeclared tool has nothing to conform to: `evaluate` denies it. The
 * input's shape itself (an action with a tool name, arguments as an object,
 * identity strings) is the business of the canonical schemas in `src/schema`;
 * this checks what depends on the policy.
 *
 * @module
 */

import type { EvalInput, Json } from "../ir/contract.ts";
import type { CheckedPolicy } from "../lang/checked.ts";
import { isEffect, typeProblem } from "./input.ts";

export type Conformance = { readonly ok: true } | { readonly ok: false; readonly problems: string[] };

function argProblems(
  policy: CheckedPolicy,
  tool: string,
  args: { readonly [name: string]: Json },
  where: string,
  complete: boolean,
): string[] {
  const info = policy.tools.get(tool);
  if (info === undefined) return [];
  const problems: string[] = [];
  for (const [name, arg] of info.args) {
    if (!Object.hasOwn(args, name)) {
      if (complete && !arg.optional) problems.push(`${where}.${name}: required argument missing`);
      continue;
    }
    const problem = typeProblem(args[name] as Json, arg.type);
    if (problem !== null) problems.push(`${where}.${name}: ${problem}`);
  }
  if (complete) {
    for (const name of Object.keys(args)) {
      if (!info.args.has(name)) problems.push(`${where}.${name}: ${tool} declares no such argument`);
    }
  }
  return problems;
}

function isScore(x: number | undefined): boolean {
  return x === undefined || (Number.isFinite(x) && x >= 0 && x <= 1);
}

export function conformInput(policy: CheckedPolicy, input: EvalInput): Conformance {
  const { action, snapshot } = input;
  const problems = argProblems(policy, action.tool, action.args, "args", true);
  if (!Number.isFinite(action.time)) problems.push("time: expected a finite number");
  for (const [name, type] of policy.facts) {
    if (!Object.hasOwn(snapshot.facts, name)) continue;
    const problem = typeProblem(snapshot.facts[name] as Json, type);
    if (problem !== null) problems.push(`facts.${name}: ${problem}`);
  }
  if (!isScore(snapshot.scores.alignment)) problems.push("scores.alignment: expected a number in [0, 1]");
  if (!isScore(snapshot.scores.drift)) problems.push("scores.drift: expected a number in [0, 1]");
  snapshot.history.forEach((entry, i) => {
    if (!isEffect(entry.effect)) problems.push(`history[${i}].effect: not an effect`);
    if (!Number.isFinite(entry.time)) problems.push(`history[${i}].time: expected a finite number`);
    problems.push(...argProblems(policy, entry.tool, entry.args, `history[${i}].args`, false));
  });
  return problems.length === 0 ? { ok: true } : { ok: false, problems };
}
