/**
 * The embeddable evaluator of compiled policies. It depends on nothing outside
 * this folder and the IR's types, so it runs in Node, browsers, Deno, Bun and
 * edge runtimes.
 *
 * @module
 */
export type {
  EvalAction,
  EvalDecision,
  EvalIdentity,
  EvalInput,
  HistoryEntry,
  Json,
  Snapshot,
} from "../ir/contract.ts";
export type { Ir } from "../ir/types.ts";
export { evaluate, type EvaluateOptions, UNKNOWN_TOOL_RULE } from "./evaluate.ts";
export {
  appendEntry,
  type FeatureState,
  type FeatureValue,
  type FeatureValues,
  featureValues,
  initialFeatureState,
  pruneFeatureState,
} from "./feature-state.ts";
export { labelOutput } from "./label.ts";
export {
  type ClauseValue,
  type ExplainedClause,
  type ExplainedRule,
  type Explanation,
  type ExplainOptions,
  explain,
  type Hint,
  NEAR_MISSES,
} from "./explain.ts";
