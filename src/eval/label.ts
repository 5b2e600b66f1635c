/**
 * Labelling a tool's output: the tool's declared labels and those of every
 * classifier that holds (an unknown condition counts as holding), with
 * exactly one sensitivity level — the highest, or `restricted` when nothing
 * gave one (docs/language.md §5).
 *
 * @module
 */
import type { Json } from "../ir/contract.ts";
import type { Ir } from "../ir/types.ts";
import { type EvalContext, evalCond } from "./expr.ts";
import { LEVELS, levelRank, UNCLASSIFIED } from "./values.ts";

/** The labels of `output`, produced by `tool` called with `args`: sorted, distinct, one level. */
export function labelOutput(
  ir: Ir,
  tool: string,
  args: { readonly [name: string]: Json },
  output: string,
): string[] {
  const info = Object.hasOwn(ir.tools, tool) ? ir.tools[tool] : undefined;
  const ctx: EvalContext = {
    ir,
    tool,
    args,
    time: 0,
    identity: null,
    snapshot: null,
    entry: null,
    output,
    memo: new Map(),
  };
  const labels = new Set(info?.output ?? []);
  for (const { rule, cond } of info?.classifiers ?? ir.undeclaredToolClassifiers) {
    if (evalCond(ctx, cond) === false) continue;
    for (const label of ir.classifiers[rule]?.labels ?? []) labels.add(label);
  }
  let level = -1;
  for (const label of labels) level = Math.max(level, levelRank(label));
  const categories = [...labels].filter((label) => levelRank(label) < 0);
  return [...categories, LEVELS[level] ?? UNCLASSIFIED].sort();
}
