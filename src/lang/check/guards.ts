/**
 * Presence guards: which optional arguments a condition proves present.
 *
 * `whenTrue(e)` are the arguments present whenever `e` is true, and
 * `whenFalse(e)` whenever it is false. An optional argument may be read
 * where a surrounding `and`/`or` (or the rule's other clauses) would make the
 * whole condition false, or true, without it: `has(args.x) and args.x > 1`,
 * `not has(args.x) or args.x > 1`. Both operands of `and`/`or` see the other's
 * guard, because the operators are commutative, also over unknown (§7): an
 * absent argument reads as unknown, and `false and unknown` is false.
 *
 * @module
 */
import type * as ast from "../ast.ts";

/** No argument is known to be present. */
export const NO_GUARDS: ReadonlySet<string> = new Set();

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (a.size === 0) return b;
  if (b.size === 0) return a;
  return new Set([...a, ...b]);
}

function intersection(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (a.size === 0 || b.size === 0) return NO_GUARDS;
  return new Set([...a].filter((x) => b.has(x)));
}

/** The argument `has(args.x)` tests, if `expr` is such a test. */
function tested(expr: ast.Expr): string | null {
  if (expr.kind !== "Call" || expr.args.length !== 1) return null;
  if (expr.callee.path.length !== 1 || expr.callee.path[0]?.text !== "has") return null;
  const [arg] = expr.args;
  return arg?.kind === "ArgPath" && arg.segments.length === 1 ? (arg.segments[0]?.text ?? null) : null;
}

/** Arguments certainly present when `expr` is true. */
function whenTrue(expr: ast.Expr): ReadonlySet<string> {
  switch (expr.kind) {
    case "Paren":
      return whenTrue(expr.expr);
    case "Unary":
      return expr.op === "not" ? whenFalse(expr.operand) : NO_GUARDS;
    case "Binary":
      if (expr.op === "and") return union(whenTrue(expr.left), whenTrue(expr.right));
      if (expr.op === "or") return intersection(whenTrue(expr.left), whenTrue(expr.right));
      return NO_GUARDS;
    case "Call": {
      const name = tested(expr);
      return name === null ? NO_GUARDS : new Set([name]);
    }
    default:
      return NO_GUARDS;
  }
}

/** Arguments certainly present when `expr` is false. */
function whenFalse(expr: ast.Expr): ReadonlySet<string> {
  switch (expr.kind) {
    case "Paren":
      return whenFalse(expr.expr);
    case "Unary":
      return expr.op === "not" ? whenTrue(expr.operand) : NO_GUARDS;
    case "Binary":
      if (expr.op === "and") return intersection(whenFalse(expr.left), whenFalse(expr.right));
      if (expr.op === "or") return union(whenFalse(expr.left), whenFalse(expr.right));
      return NO_GUARDS;
    default:
      return NO_GUARDS;
  }
}

/** The guards the operands of a binary operator see, given those of the operator itself. */
export function operandGuards(
  node: ast.Binary,
  present: ReadonlySet<string>,
): [left: ReadonlySet<string>, right: ReadonlySet<string>] {
  if (node.op === "and") return [union(present, whenTrue(node.right)), union(present, whenTrue(node.left))];
  if (node.op === "or") return [union(present, whenFalse(node.right)), union(present, whenFalse(node.left))];
  return [present, present];
}

/** Guards of a rule's clauses: `when` sees those of a false `unless`, `unless` those of a true `when`. */
export function ruleGuards(rule: { readonly when: ast.Expr | null; readonly unless: ast.Expr | null }): {
  when: ReadonlySet<string>;
  unless: ReadonlySet<string>;
  body: ReadonlySet<string>;
} {
  const fromWhen = rule.when === null ? NO_GUARDS : whenTrue(rule.when);
  const fromUnless = rule.unless === null ? NO_GUARDS : whenFalse(rule.unless);
  return { when: fromUnless, unless: fromWhen, body: union(fromWhen, fromUnless) };
}
