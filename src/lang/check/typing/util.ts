/**
 * Helpers shared by the type rules: reading a child's type, demanding a
 * type, and refusing context where only constants or a tool's arguments may
 * stand.
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import type { Type } from "../../checked.ts";
import type { Ctx } from "../context.ts";
import { assignable, formatType } from "../types.ts";
import type { Env } from "../walk.ts";

/** The type recorded for `expr`, or null when it has none (an error was reported there). */
export function typeOf(ctx: Ctx, expr: ast.Expr): Type | null {
  return ctx.types.get(expr) ?? null;
}

/**
 * Reports when `expr` does not have type `want`; `what` names the position
 * (`the condition of \`when\``). Silent when `expr` already failed.
 */
export function expectType(ctx: Ctx, expr: ast.Expr, want: Type, what: string): boolean {
  const got = typeOf(ctx, expr);
  if (got === null) return false;
  if (assignable(got, want)) return true;
  ctx.sink.report(
    "AARM3007",
    `${what} must be \`${formatType(want)}\`; this is \`${formatType(got)}\``,
    expr.span,
  );
  return false;
}

/**
 * Session-query predicates read only the prior action and constants, so that the runtime can
 * maintain every query incrementally; false after reporting anything else.
 */
export function queryAllowed(ctx: Ctx, node: ast.Expr, env: Env, what: string): boolean {
  if (!env.query) return true;
  ctx.sink.report(
    "AARM3027",
    `a session query predicate reads only the prior action (\`tool\`, \`effect\`, \`target\`, \`labels\`), literals, consts and params; this uses ${what}`,
    node.span,
  );
  return false;
}

/**
 * Whether a reference to run-time context (`what`) may stand here: not in a
 * constant, and not in a tool's target, which may only use the tool's
 * arguments. Reports when not.
 */
export function contextAllowed(ctx: Ctx, node: ast.Expr, env: Env, what: string): boolean {
  if (!queryAllowed(ctx, node, env, what)) return false;
  if (env.owner.kind === "constant") {
    ctx.sink.report(
      "AARM3013",
      `${what} is not a constant; const and param values, bindings and set elements are constant expressions`,
      node.span,
    );
    return false;
  }
  if (env.owner.kind === "target") {
    ctx.sink.report(
      "AARM3021",
      `a tool's target may only use the tool's arguments; this uses ${what}`,
      node.span,
    );
    return false;
  }
  return true;
}
