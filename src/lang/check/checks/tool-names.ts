/**
 * Comparisons of `tool` with a name no declaration gives: such an action is
 * denied as `unknown_tool` before any rule runs, so the comparison is
 * almost certainly a typo.
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import type { Ctx } from "../context.ts";
import type { CheckTable } from "../registry.ts";
import { closest, didYouMean } from "../suggest.ts";
import type { Env } from "../walk.ts";

function isToolRef(expr: ast.Expr, ctx: Ctx): boolean {
  if (expr.kind !== "Ref") return false;
  const resolution = ctx.resolutions.get(expr);
  return (resolution?.kind === "action" || resolution?.kind === "entry") && resolution.field === "tool";
}

function warn(literal: ast.StringLiteral, ctx: Ctx): void {
  if (ctx.model.tools.has(literal.value)) return;
  const suggestion = closest(literal.value, ctx.model.tools.keys());
  ctx.sink.report(
    "AARM4011",
    `no tool \`${literal.value}\` is declared, and actions of undeclared tools are denied before any rule runs${didYouMean(suggestion)}`,
    literal.span,
    { suggestion: suggestion === null ? null : JSON.stringify(suggestion) },
  );
}

function comparison(node: ast.Binary, _env: Env, ctx: Ctx): void {
  if (node.op === "==" || node.op === "!=") {
    if (isToolRef(node.left, ctx) && node.right.kind === "StringLiteral") warn(node.right, ctx);
    else if (isToolRef(node.right, ctx) && node.left.kind === "StringLiteral") warn(node.left, ctx);
  } else if (
    (node.op === "in" || node.op === "not in") &&
    isToolRef(node.left, ctx) &&
    node.right.kind === "SetLiteral"
  ) {
    for (const element of node.right.elements) if (element.kind === "StringLiteral") warn(element, ctx);
  }
}

export const toolNameChecks: CheckTable = {
  Binary: [comparison],
};
