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
import type { ArgPath, Expr } from "../lang/ast.ts";
import type { CheckedPolicy, Resolution, ToolInfo } from "../lang/checked.ts";

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

/**
 * How an input is named in `contextNeeded` and in reasons; null for what is
 * not an input (constants, literals, functions).
 */
function inputName(resolution: Resolution): string | null {
  switch (resolution.kind) {
    case "fact":
      return resolution.name;
    case "action":
      return resolution.field;
    case "identity":
      return `identity.${resolution.field}`;
    case "intent":
      return resolution.field === "alignment" ? "intent.alignment" : "intent";
    case "session":
      return `session.${resolution.field}`;
    case "entry":
      return `history.${resolution.field}`;
    case "output":
      return "output";
    case "const":
    case "effect_literal":
    case "label_literal":
    case "function":
      return null;
  }
}

function children(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case "SetLiteral":
    case "ListLiteral":
      return e.elements;
    case "Unary":
      return [e.operand];
    case "Binary":
      return [e.left, e.right];
    case "Call":
      return e.args;
    case "SeenQuery":
      return e.steps;
    case "CountQuery":
      return [e.where];
    case "Paren":
      return [e.expr];
    case "StringLiteral":
    case "NumberLiteral":
    case "BoolLiteral":
    case "DurationLiteral":
    case "RegexLiteral":
    case "Ref":
    case "ArgPath":
    case "SumQuery":
      return [];
  }
}

/**
 * The inputs an expression reads, for naming a fault in it (a malformed URL, an
 * overflow). When it reads none, `fallback` names it.
 */
export function faultNames(policy: CheckedPolicy, exprs: readonly Expr[], fallback: string): string[] {
  const names = new Set<string>();
  const stack = [...exprs];
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    if (e.kind === "ArgPath") names.add(argPathName(e));
    if (e.kind === "Ref") {
      const resolution = policy.resolutions.get(e);
      const name = resolution === undefined ? null : inputName(resolution);
      if (name !== null) names.add(name);
    }
    stack.push(...children(e));
  }
  return names.size > 0 ? [...names] : [fallback];
}
