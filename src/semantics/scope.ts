/**
 * What an expression is evaluated against, and the names of the inputs it reads.
 *
 * The same evaluator serves rules (an action and its context), session-query
 * predicates (plus one prior action) and classifiers (an action's output, no
 * context). Parts that are not available in a position are null.
 *
 * @module
 */

import type { EvalIdentity, HistoryEntry, Json, Snapshot } from "../ir/contract.ts";
import type { ArgPath } from "../lang/ast.ts";
import type { CheckedPolicy, ToolInfo } from "../lang/checked.ts";

export interface Scope {
  readonly policy: CheckedPolicy;
  /** The action's tool name, and its declaration (null only when labelling output of an undeclared tool). */
  readonly tool: string;
  readonly toolInfo: ToolInfo | null;
  readonly args: { readonly [name: string]: Json };
  /** The action's time in ms: the "now" of `within` windows. */
  readonly time: number;
  /** Null in classifiers, which see an output but no context. */
  readonly identity: EvalIdentity | null;
  readonly snapshot: Snapshot | null;
  /** The prior action a session-query predicate is looking at. */
  readonly entry: HistoryEntry | null;
  /** The output text a classifier is looking at. */
  readonly output: string | null;
}

/** The names of an argument path below `args`: `args.options.depth` → `["options", "depth"]`. */
export function argSegments(path: ArgPath): string[] {
  return path.segments.map((segment) => segment.text);
}

/** How an argument path is named in `contextNeeded`: `args.url`. */
export function argPathName(path: ArgPath): string {
  return ["args", ...argSegments(path)].join(".");
}
