/**
 * The inputs an expression reads, by the names decisions use for them in
 * `contextNeeded` and reasons (docs/language.md §10): `args.url`, a fact's
 * name, `intent`, `identity.human`, … Every evaluator names a fault (a
 * malformed URL, an arithmetic overflow) by these, so they are defined once,
 * here, over the checked AST.
 *
 * @module
 */
import type { Expr } from "./ast.ts";
import type { CheckedPolicy, Resolution } from "./checked.ts";

/** How a resolved reference is named as an input; null for what is not an input (constants, literals, functions). */
export function inputName(resolution: Resolution): string | null {
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

/** The direct sub-expressions of an expression. */
export function childExprs(e: Expr): readonly Expr[] {
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
 * The inputs `exprs` read, for naming a fault in them (a malformed URL, an
 * overflow); `fallback` when they read none.
 */
export function faultNames(policy: CheckedPolicy, exprs: readonly Expr[], fallback: string): string[] {
  const names = new Set<string>();
  const stack = [...exprs];
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    if (e.kind === "ArgPath") names.add(["args", ...e.segments.map((s) => s.text)].join("."));
    if (e.kind === "Ref") {
      const resolution = policy.resolutions.get(e);
      const name = resolution === undefined ? null : inputName(resolution);
      if (name !== null) names.add(name);
    }
    stack.push(...childExprs(e));
  }
  return names.size > 0 ? [...names] : [fallback];
}
