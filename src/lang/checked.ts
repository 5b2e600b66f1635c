/**
 * The checked policy: what the checker hands to the reference interpreter and
 * the compiler. Everything a later phase needs to know about names and types
 * is here, so no later phase resolves a name again.
 *
 * @module
 */
import type * as ast from "./ast.ts";
import type { Diagnostic } from "./diagnostic.ts";

/** Static types of expressions. */
export type Type =
  | { readonly kind: "string" }
  | { readonly kind: "number" }
  | { readonly kind: "bool" }
  | { readonly kind: "duration" }
  | { readonly kind: "effect" }
  | { readonly kind: "label" }
  | { readonly kind: "level" }
  | { readonly kind: "json" }
  | { readonly kind: "set"; readonly element: Type }
  /** The empty set literal `{}` before its element type is known. */
  | { readonly kind: "empty_set" };

/** A constant value: what const and param declarations evaluate to. */
export type ConstValue =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "duration"; readonly ms: number }
  | { readonly kind: "effect"; readonly value: ast.Effect }
  | { readonly kind: "label"; readonly value: string }
  | { readonly kind: "set"; readonly elements: readonly ConstValue[] };

/** What a `Ref` (or the callee of a `Call`) denotes. */
export type Resolution =
  | { readonly kind: "const"; readonly name: string; readonly value: ConstValue }
  | { readonly kind: "fact"; readonly name: string; readonly type: Type }
  | { readonly kind: "effect_literal"; readonly effect: ast.Effect }
  /** A sensitivity level, category or `untrusted`/`trusted` used as a value. */
  | { readonly kind: "label_literal"; readonly label: string }
  | { readonly kind: "action"; readonly field: "tool" | "effect" | "target" }
  | {
      readonly kind: "identity";
      readonly field: "human" | "agent" | "service" | "session" | "roles" | "scope" | "delegation_depth";
    }
  | { readonly kind: "intent"; readonly field: "text" | "scope" | "alignment" }
  | { readonly kind: "session"; readonly field: "tainted" | "sensitivity" | "drift" }
  /** Inside a session query: a field of the prior entry. */
  | { readonly kind: "entry"; readonly field: "tool" | "effect" | "target" | "labels" }
  /** Inside a classifier: the output text. */
  | { readonly kind: "output" }
  /** A built-in function (callee of a Call). */
  | { readonly kind: "function"; readonly name: BuiltinFunction };

export type BuiltinFunction =
  | "has"
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

/** A resolved argument declaration. */
export interface ArgInfo {
  readonly name: string;
  readonly type: Type;
  readonly optional: boolean;
}

/** A tool after imports and refinements are merged. */
export interface ToolInfo {
  readonly name: string;
  readonly args: ReadonlyMap<string, ArgInfo>;
  readonly effect: ast.Effect;
  /** The target expression over `args`, if declared. */
  readonly target: ast.Expr | null;
  /** Labels every output carries. */
  readonly output: readonly string[];
  readonly span: ast.Span;
}

export interface CheckedRule {
  /** Qualified id: `send_burst`, or `exfiltration.send_burst` when it comes from a module. */
  readonly id: string;
  readonly rule: ast.Rule;
  /** Tools named in `on`; empty means any tool. */
  readonly on: readonly string[];
}

export interface CheckedClassifier {
  readonly id: string;
  readonly classifier: ast.ClassifyRule;
  readonly on: readonly string[];
}

/**
 * A policy that passed the checker with no errors. Rules are in evaluation
 * source order: those of imported modules first, in import order, then the
 * policy file's own.
 */
export interface CheckedPolicy {
  readonly name: string;
  readonly version: string;
  readonly defaultPosture: "deny" | "allow";
  readonly tools: ReadonlyMap<string, ToolInfo>;
  readonly facts: ReadonlyMap<string, Type>;
  readonly categories: ReadonlySet<string>;
  readonly rules: readonly CheckedRule[];
  readonly classifiers: readonly CheckedClassifier[];
  /** What every `Ref` node and every `Call` callee denotes, keyed by node identity. */
  readonly resolutions: ReadonlyMap<ast.Ref, Resolution>;
  /** The static type of every expression node, keyed by node identity. */
  readonly types: ReadonlyMap<ast.Expr, Type>;
  /** Every file that makes up the policy, the root first. */
  readonly files: readonly ast.SourceFile[];
}

/** The checker's result: a checked policy when there are no errors, and every diagnostic either way. */
export interface CheckResult {
  readonly policy: CheckedPolicy | null;
  readonly diagnostics: readonly Diagnostic[];
}
