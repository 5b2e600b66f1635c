/**
 * Constant expressions: const and param values and `with` bindings must
 * evaluate at check time, and so must set elements. A part that cannot is
 * reported here unless the typer already reported it (then it has no type).
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import type { Ctx } from "../context.ts";
import { foldChecked, within } from "../evaluate.ts";
import type { Folded } from "../fold.ts";
import type { CheckTable } from "../registry.ts";
import { assignable, formatType, typeFromExpr } from "../types.ts";
import { typeOf } from "../typing/util.ts";
import type { Env } from "../walk.ts";

export const CONSTANT_RULE =
  "const and param values and bindings are constant expressions: literals, sets, consts, params, arithmetic";

/**
 * Reports why `value` does not evaluate, when the cause lies within it and
 * nothing was reported there yet; `rule` says what constant expressions are
 * expected here.
 */
export function reportUnevaluated(value: ast.Expr, result: Folded, ctx: Ctx, rule: string): void {
  if (result.ok || !within(result.node.span, value.span)) return;
  if (result.reason === "non-finite") {
    ctx.sink.report("AARM3013", "this arithmetic overflows to an infinite number", result.node.span);
  } else if ((result.reason === "not-constant" || result.reason === "type") && ctx.types.has(result.node)) {
    ctx.sink.report("AARM3013", `this is not known until a decision is made; ${rule}`, result.node.span);
  }
}

function constValue(node: ast.ConstDecl, env: Env, ctx: Ctx): void {
  reportUnevaluated(node.value, ctx.consts.evaluate(node.value, env.unit), ctx, CONSTANT_RULE);
}

function paramDefault(node: ast.ParamDecl, env: Env, ctx: Ctx): void {
  const declared = typeFromExpr(node.type);
  const type = typeOf(ctx, node.value);
  if (type !== null && !assignable(type, declared)) {
    ctx.sink.report(
      "AARM3007",
      `parameter \`${node.name.text}\` is declared \`${formatType(declared)}\`; its default is \`${formatType(type)}\``,
      node.value.span,
    );
  }
  reportUnevaluated(node.value, ctx.consts.evaluate(node.value, env.unit), ctx, CONSTANT_RULE);
}

function setElements(node: ast.SetLiteral, env: Env, ctx: Ctx): void {
  if (env.owner.kind === "constant") return;
  for (const element of node.elements) {
    if (element.kind === "SetLiteral") continue;
    const result = foldChecked(element, ctx, { kleene: false, params: true });
    reportUnevaluated(
      element,
      result,
      ctx,
      "set elements are literals, effect names, labels, consts or params",
    );
  }
}

export const constantChecks: CheckTable = {
  ConstDecl: [constValue],
  ParamDecl: [paramDefault],
  SetLiteral: [setElements],
};
