/**
 * The type rules, one per expression kind. Each runs after the node's
 * children are typed, reads their types from the context, reports what is
 * wrong with the node itself, and returns its type (null after an error, so
 * one mistake is reported once).
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import type { Type } from "../../checked.ts";
import type { Ctx } from "../context.ts";
import { compileRegex } from "../regex.ts";
import { formatType, join, T } from "../types.ts";
import type { Env } from "../walk.ts";
import { typeArgPath } from "./args.ts";
import { typeCall } from "./calls.ts";
import { typeBinary, typeUnary } from "./operators.ts";
import { typeCount, typeSeen, typeSum } from "./queries.ts";
import { typeRef } from "./refs.ts";
import { typeOf } from "./util.ts";

type ExprKind = ast.Expr["kind"];
export type TypeRule<K extends ExprKind> = (
  node: Extract<ast.Expr, { kind: K }>,
  env: Env,
  ctx: Ctx,
) => Type | null;

function typeSet(node: ast.SetLiteral, ctx: Ctx): Type | null {
  let element: Type | null = null;
  for (const e of node.elements) {
    const type = typeOf(ctx, e);
    if (type === null) return null;
    const joined: Type | null = element === null ? type : join(element, type);
    if (joined === null) {
      ctx.sink.report(
        "AARM3007",
        `the elements of a set share one type; the first is \`${formatType(element ?? type)}\`, this is \`${formatType(type)}\``,
        e.span,
      );
      return null;
    }
    element = joined;
  }
  return element === null ? T.emptySet : T.set(element);
}

function typeRegex(node: ast.RegexLiteral, _env: Env, ctx: Ctx): Type {
  const compiled = compileRegex(node.source, node.flags);
  if (!compiled.ok)
    ctx.sink.report("AARM3008", `invalid regular expression (RE2 syntax): ${compiled.message}`, node.span);
  // A regex literal denotes its pattern; it is never a value of its own.
  return T.string;
}

export const TYPE_RULES: { readonly [K in ExprKind]: TypeRule<K> } = {
  StringLiteral: () => T.string,
  NumberLiteral: () => T.number,
  BoolLiteral: () => T.bool,
  DurationLiteral: () => T.duration,
  RegexLiteral: typeRegex,
  SetLiteral: (node, _env, ctx) => typeSet(node, ctx),
  ListLiteral: (node, _env, ctx) => {
    ctx.sink.report(
      "AARM3007",
      "a list `[…]` is only written for approvers; use a set `{…}` here",
      node.span,
    );
    return null;
  },
  Ref: typeRef,
  ArgPath: typeArgPath,
  Unary: (node, _env, ctx) => typeUnary(node, ctx),
  Binary: (node, _env, ctx) => typeBinary(node, ctx),
  Call: typeCall,
  SeenQuery: typeSeen,
  CountQuery: typeCount,
  SumQuery: typeSum,
  Paren: (node, _env, ctx) => typeOf(ctx, node.expr),
};
