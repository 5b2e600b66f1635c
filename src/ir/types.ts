/**
 * The decision-tree IR: a versioned, portable JSON document that a checked
 * policy compiles to and that evaluators in any language can run.
 *
 * Shape, in evaluation order:
 *
 * 1. `tools` is the dispatch level: the action's tool name selects one entry,
 *    and an action for a tool not in the table is DENY (`unknown_tool`).
 * 2. Each tool lists its candidate rules, strongest kind first, each with the
 *    rule's condition *specialised to that tool* (the tool name, effect and
 *    target are known there, so conditions such as `effect == egress` fold
 *    away): rules that can never match the tool are not listed at all.
 * 3. Conditions are indices into `exprs`, a hash-consed expression DAG shared
 *    by every tool, rule, feature and classifier.
 * 4. Outcome data (reasons, approval and deferral parameters, modification
 *    operations) lives in `rules`, referenced by index.
 *
 * Session queries compile to `features`, each with the definition of how it
 * is updated when an entry is appended to the session's context, so that a
 * runtime maintains them incrementally and a decision costs the same however
 * long the session is.
 *
 * Every value in the IR is plain JSON. See `docs/ir.md`.
 *
 * @module
 */
import type { Program } from "./regex/program.ts";

export const IR_FORMAT = "aarm-ir";
export const IR_VERSION = 1;

/** Runtime types, as the evaluator needs them (for presence tests and conformance of arguments). */
export type IrType =
  "string" | "number" | "bool" | "duration" | "json" | "set<string>" | "set<number>" | "set";

/**
 * A constant. Sets are sorted arrays of distinct scalars (sorted by the IR's
 * canonical order: numbers before strings, numbers ascending, strings by
 * UTF-16 code units). Effects, labels and sensitivity levels are strings;
 * durations are milliseconds.
 */
export type IrConst = string | number | boolean | readonly (string | number | boolean)[];

/** Comparison operators; `<`-family compare numbers, or sensitivity levels by their order. */
export type IrCompare = "==" | "!=" | "<" | "<=" | ">" | ">=";

/** Built-in functions of the language, by the name the IR calls them. */
export type IrFunction =
  | "lower"
  | "upper"
  | "trim"
  | "len"
  | "starts_with"
  | "ends_with"
  | "contains"
  | "host"
  | "domain"
  | "in_cidr"
  | "intent.mentions";

/**
 * One node of the expression DAG. Children are indices of earlier nodes, so
 * the array is in topological order.
 */
export type IrExpr =
  | { readonly op: "const"; readonly value: IrConst }
  /** An argument of the action, by path; an absent (optional) argument is unknown, named `args.<path>`. */
  | { readonly op: "arg"; readonly path: readonly string[]; readonly set?: true }
  /** A fact; unknown when not populated. `set` marks set-typed inputs, normalised when read. */
  | { readonly op: "fact"; readonly name: string; readonly set?: true }
  /** The action's tool name; only where the tool is not known at compile time (output of an undeclared tool). */
  | { readonly op: "tool" }
  | {
      readonly op: "identity";
      readonly field: "human" | "agent" | "service" | "session" | "roles" | "scope" | "delegation_depth";
    }
  | { readonly op: "intent"; readonly field: "text" | "scope" | "alignment" }
  | { readonly op: "session"; readonly field: "tainted" | "sensitivity" | "drift" }
  /** The current value of a feature (a session query). */
  | { readonly op: "feature"; readonly feature: number }
  /** Inside feature predicates: a field of the context entry being appended. */
  | { readonly op: "entry"; readonly field: "tool" | "effect" | "target" | "labels" }
  /** Inside classifiers: the output text. */
  | { readonly op: "output" }
  /** An input that is certainly absent here (a tool without a target): unknown, named `names`. */
  | { readonly op: "missing"; readonly names: readonly string[] }
  /** A set built from non-constant elements. */
  | { readonly op: "set"; readonly items: readonly number[] }
  /** Presence of an input; never unknown. `of` is the node whose presence is tested. */
  | { readonly op: "has"; readonly of: number }
  | { readonly op: "not"; readonly arg: number }
  | { readonly op: "and"; readonly args: readonly number[] }
  | { readonly op: "or"; readonly args: readonly number[] }
  | { readonly op: "compare"; readonly cmp: IrCompare; readonly left: number; readonly right: number }
  /** Set membership, or substring when both sides are strings. */
  | { readonly op: "in"; readonly item: number; readonly set: number }
  /** Unanchored RE2 search with the regex program at `regex`. */
  | { readonly op: "matches"; readonly subject: number; readonly regex: number }
  /** Arithmetic; a non-finite result is unknown, named `fault` (the inputs the expression reads). */
  | {
      readonly op: "add" | "sub" | "mul";
      readonly left: number;
      readonly right: number;
      readonly fault: readonly string[];
    }
  | { readonly op: "neg"; readonly arg: number }
  /** A built-in; a malformed input (unparsable URL, address) makes it unknown, named `fault`. */
  | {
      readonly op: "call";
      readonly fn: IrFunction;
      readonly args: readonly number[];
      readonly fault: readonly string[];
    };

/**
 * A session query, maintained incrementally over the context's entries.
 * Predicates are expression indices evaluated against each appended entry;
 * they reference only `entry` fields and constants.
 */
export type IrFeature =
  /** Entries matching `steps[0]`, then later `steps[1]`, …; with `withinMs`, all steps at most that long before now. */
  | { readonly kind: "seen"; readonly steps: readonly number[]; readonly withinMs: number | null }
  | { readonly kind: "count"; readonly where: number; readonly withinMs: number | null }
  | { readonly kind: "sum"; readonly tool: string; readonly arg: string; readonly withinMs: number | null };

export type IrRuleKind = "forbid" | "deny" | "defer" | "step_up" | "modify" | "allow";

export interface IrApproval {
  readonly approvers: readonly string[];
  readonly quorum: number;
  readonly timeoutMs: number;
  readonly escalation: { readonly afterMs: number; readonly to: readonly string[] } | null;
  readonly selfApproval: boolean;
}

/** Modification operations; `value`, `min` and `max` are expression indices evaluated on the original action. */
export type IrModification =
  | { readonly op: "set"; readonly path: readonly string[]; readonly value: number }
  | { readonly op: "remove"; readonly path: readonly string[] }
  | { readonly op: "clamp"; readonly path: readonly string[]; readonly min: number; readonly max: number }
  | {
      readonly op: "redact";
      readonly path: readonly string[];
      readonly regex: number | null;
      readonly pattern: string | null;
    };

/** Outcome data of one rule, defaults applied. `approval` is set for `step_up`, and for `defer … then step_up`. */
export interface IrRule {
  readonly id: string;
  readonly kind: IrRuleKind;
  readonly reason: string;
  readonly risk: "low" | "medium" | "high" | "critical" | null;
  readonly approval: IrApproval | null;
  readonly deferral: {
    readonly needs: readonly string[];
    readonly timeoutMs: number;
    readonly then: "deny" | "step_up";
  } | null;
  readonly modifications: readonly IrModification[];
}

/** A rule that may match a tool, with its condition specialised to that tool. */
export interface IrCandidate {
  readonly rule: number;
  readonly cond: number;
}

export interface IrArg {
  readonly type: IrType;
  readonly optional: boolean;
}

/** One entry of the dispatch table. */
export interface IrTool {
  readonly effect: "read" | "write" | "delete" | "egress" | "execute";
  readonly args: { readonly [name: string]: IrArg };
  /** The target expression over `arg` nodes, if the tool declares one. */
  readonly target: number | null;
  readonly output: readonly string[];
  /** Candidate rules, strongest kind first and in source order within a kind. */
  readonly candidates: readonly IrCandidate[];
  /** Labelling rules that apply to this tool's outputs: `[classifier index, condition]`. */
  readonly classifiers: readonly IrCandidate[];
}

export interface IrClassifier {
  readonly id: string;
  readonly labels: readonly string[];
}

/** A compiled policy. */
export interface Ir {
  readonly format: typeof IR_FORMAT;
  readonly irVersion: typeof IR_VERSION;
  readonly policy: { readonly name: string; readonly version: string };
  /** `sha256:<hex>` of the RFC 8785 canonical JSON of this document with `hash` set to `""`. */
  readonly hash: string;
  readonly defaultPosture: "deny" | "allow";
  readonly facts: { readonly [name: string]: IrType };
  readonly exprs: readonly IrExpr[];
  readonly regexes: readonly Program[];
  readonly features: readonly IrFeature[];
  readonly rules: readonly IrRule[];
  readonly classifiers: readonly IrClassifier[];
  readonly tools: { readonly [name: string]: IrTool };
  /** Classifiers without `on`, for the output of a tool the policy does not declare. */
  readonly undeclaredToolClassifiers: readonly IrCandidate[];
  /** The worst-case number of expression nodes evaluated for one decision, over all tools. */
  readonly cost: number;
}
