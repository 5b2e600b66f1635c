/**
 * The decision contract: what every evaluator of a policy takes and returns.
 *
 * Three implementations meet this contract and must agree on it exactly: the
 * reference interpreter over the AST (`src/semantics`), the IR evaluator
 * (`src/eval`) and the generated standalone module. It lives with the IR
 * because implementers of the IR in other languages need it too; it is plain
 * JSON-shaped data with no behaviour.
 *
 * @module
 */

/** A JSON value, as arguments and facts arrive. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** The five decisions, AARM R4. */
export type DecisionKind = "ALLOW" | "DENY" | "MODIFY" | "STEP_UP" | "DEFER";

/** AARM's four action classifications (§4.1), or none for a plain baseline decision. */
export type Classification =
  "forbidden" | "context_dependent_deny" | "context_dependent_allow" | "context_dependent_defer";

/** Who is acting, as bound to the action at mediation time (AARM R6). */
export interface EvalIdentity {
  readonly human?: string;
  readonly agent?: string;
  readonly service?: string;
  readonly session?: string;
  readonly roles: readonly string[];
  readonly scope: readonly string[];
  /** Principals that delegated, outermost first (`orchestrator`, `sub-agent`, …). */
  readonly delegation: readonly string[];
}

/** The action being decided, after mediation. */
export interface EvalAction {
  /** Tool name after meta-tool resolution. */
  readonly tool: string;
  readonly args: { readonly [name: string]: Json };
  /** Milliseconds since the Unix epoch: the action's own timestamp, the "now" of `within` windows. */
  readonly time: number;
  readonly identity: EvalIdentity;
}

/** One prior action of the session that was released for execution, with what its output was labelled. */
export interface HistoryEntry {
  readonly tool: string;
  readonly effect: string;
  readonly args: { readonly [name: string]: Json };
  /** The target the tool declaration derived, if any. */
  readonly target?: string;
  readonly time: number;
  /** Labels of the output: a sensitivity level, categories, and `untrusted` for attacker-reachable content. */
  readonly labels: readonly string[];
}

/** The context the decision is made in, frozen before evaluation (AARM R2, R3). */
export interface Snapshot {
  /** The user's original request; absent when none was supplied. */
  readonly intent?: { readonly text: string; readonly scope?: readonly string[] };
  /** Scores computed before the decision by a scorer, each in [0, 1]; absent when not computed. */
  readonly scores: { readonly alignment?: number; readonly drift?: number };
  /** Populated facts by name. A declared fact missing here is unknown. */
  readonly facts: { readonly [name: string]: Json };
  /** Prior actions, oldest first. */
  readonly history: readonly HistoryEntry[];
}

/** The evaluation input. */
export interface EvalInput {
  readonly action: EvalAction;
  readonly snapshot: Snapshot;
}

/** One applied modification, in application order. */
export type AppliedModification =
  | { readonly rule: string; readonly op: "set"; readonly path: readonly string[]; readonly value: Json }
  | { readonly rule: string; readonly op: "remove"; readonly path: readonly string[] }
  | {
      readonly rule: string;
      readonly op: "clamp";
      readonly path: readonly string[];
      readonly min: number;
      readonly max: number;
    }
  | {
      readonly rule: string;
      readonly op: "redact";
      readonly path: readonly string[];
      readonly pattern: string | null;
    };

export interface ApprovalRequirement {
  /** Union of the deciding rules' approvers, in order of first appearance. */
  readonly approvers: readonly string[];
  /** The largest quorum asked for. */
  readonly quorum: number;
  /** The shortest timeout asked for, in milliseconds. */
  readonly timeoutMs: number;
  readonly escalation: { readonly afterMs: number; readonly to: readonly string[] } | null;
  /** True only when every deciding rule allows self-approval. */
  readonly selfApproval: boolean;
}

export interface DeferralRequirement {
  /** The shortest timeout asked for, in milliseconds. */
  readonly timeoutMs: number;
  /** `deny` if any deciding rule asks for it; `step_up` only when all do. */
  readonly then: "deny" | "step_up";
  /** Present when `then` is `step_up`. */
  readonly approval: ApprovalRequirement | null;
}

/**
 * The outcome of evaluation. Every field is compared when evaluators are
 * checked against each other, except `explanation`.
 */
export interface EvalDecision {
  readonly decision: DecisionKind;
  readonly classification: Classification | null;
  /** The rules that decided, in source order; `default` when the default posture decided. */
  readonly rules: readonly string[];
  /** One reason per deciding rule, in the same order. */
  readonly reasons: readonly string[];
  /** For MODIFY: the operations applied and the resulting arguments. */
  readonly modifications: {
    readonly applied: readonly AppliedModification[];
    readonly args: { readonly [name: string]: Json };
  } | null;
  readonly approval: ApprovalRequirement | null;
  readonly deferral: DeferralRequirement | null;
  /** For DEFER: the missing inputs whose arrival could change the decision, sorted. */
  readonly contextNeeded: readonly string[];
  /** Highest risk level of the deciding rules, if any declared one. */
  readonly risk: "low" | "medium" | "high" | "critical" | null;
}
