/**
 * aarm: runtime security for AI agents.
 *
 * The package root exports the policy compiler and the compiled evaluator.
 * The parts that are embedded separately have their own entry points:
 * `aarm/eval` (the dependency-free evaluator alone), `aarm/compiler`,
 * `aarm/runtime` (receipts, signing, stores, context log) and `aarm/schema`
 * (the canonical JSON Schemas and their validators).
 *
 * @module
 */
export * from "./compiler.ts";
export * from "./adapters/sdk/index.ts";
export {
  type EvalAction,
  type EvalDecision,
  type EvalIdentity,
  type EvalInput,
  evaluate,
  type HistoryEntry,
  type Json,
  labelOutput,
  type Snapshot,
  UNKNOWN_TOOL_RULE,
} from "./eval/index.ts";
export type {
  AppliedModification,
  ApprovalRequirement,
  Classification,
  DecisionKind,
  DeferralRequirement,
} from "./ir/contract.ts";
