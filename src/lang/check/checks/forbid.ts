/**
 * `forbid` is context-free (§6): its conditions may not read the session,
 * the intent (or the scores computed from them) or facts, so a forbidden
 * action is forbidden whatever happened before.
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import type { Ctx } from "../context.ts";
import type { CheckTable } from "../registry.ts";
import { refText } from "../structure.ts";
import type { Env } from "../walk.ts";

function inForbid(env: Env): boolean {
  return env.owner.kind === "rule" && env.owner.rule.ruleKind === "forbid" && !env.query;
}

function report(ctx: Ctx, what: string, span: ast.Span): void {
  ctx.sink.report(
    "AARM3015",
    `a forbid rule is context-free: it cannot depend on ${what}; use \`deny\` for rules that depend on context`,
    span,
  );
}

function reference(node: ast.Ref, env: Env, ctx: Ctx): void {
  if (!inForbid(env)) return;
  const resolution = ctx.resolutions.get(node);
  if (resolution === undefined) return;
  if (resolution.kind === "fact") report(ctx, `fact \`${resolution.name}\``, node.span);
  else if (resolution.kind === "intent" || resolution.kind === "session")
    report(ctx, `\`${refText(node)}\``, node.span);
}

function call(node: ast.Call, env: Env, ctx: Ctx): void {
  if (
    inForbid(env) &&
    ctx.resolutions.get(node.callee)?.kind === "function" &&
    refText(node.callee) === "intent.mentions"
  ) {
    report(ctx, "the intent (`intent.mentions`)", node.callee.span);
  }
}

function query(
  node: Extract<ast.Expr, { kind: "SeenQuery" | "CountQuery" | "SumQuery" }>,
  env: Env,
  ctx: Ctx,
): void {
  if (inForbid(env)) report(ctx, "the session's history", node.span);
}

export const forbidChecks: CheckTable = {
  Ref: [reference],
  Call: [call],
  SeenQuery: [query],
  CountQuery: [query],
  SumQuery: [query],
};
