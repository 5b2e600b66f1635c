/**
 * Labelling a tool's output (docs/language.md §5): the union of the tool's
 * declared output labels and those of every classifier that holds, with
 * exactly one sensitivity level, the highest, or `restricted` when nothing
 * gave one. A classifier whose condition is unknown counts as holding.
 *
 * @module
 */

import type { Json } from "../ir/contract.ts";
import type { CheckedPolicy } from "../lang/checked.ts";
import { evalCondition } from "./expr.ts";
import { highestLevel, isLevel, UNCLASSIFIED } from "./levels.ts";
import type { Scope } from "./scope.ts";

/**
 * The labels of `output`, produced by `tool` called with `args` (which must conform to the tool's
 * declaration): sorted, without duplicates, with exactly one sensitivity level. Classifiers see the
 * action and its output but no session context, so a classifier that consults context holds.
 */
export function labelOutput(
  policy: CheckedPolicy,
  tool: string,
  args: { readonly [name: string]: Json },
  output: string,
): string[] {
  const toolInfo = policy.tools.get(tool) ?? null;
  const scope: Scope = {
    policy,
    tool,
    toolInfo,
    args,
    time: 0,
    identity: null,
    snapshot: null,
    entry: null,
    output,
  };
  const labels = new Set(toolInfo?.output ?? []);
  for (const { classifier, on } of policy.classifiers) {
    if (on.length > 0 && !on.includes(tool)) continue;
    if (evalCondition(classifier.when, scope) === false) continue;
    for (const label of classifier.labels) labels.add(label.text);
  }
  const level = highestLevel(labels) ?? UNCLASSIFIED;
  return [...[...labels].filter((label) => !isLevel(label)), level].sort();
}
