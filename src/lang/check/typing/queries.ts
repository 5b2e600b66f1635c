/**
 * Typing session queries: predicates are `bool` and cannot hold further
 * queries (each query compiles to one incrementally maintained feature),
 * windows are positive, and `session.sum` adds a `number` argument of a
 * declared tool.
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import type { Type } from "../../checked.ts";
import { type Ctx, note } from "../context.ts";
import { closest, didYouMean } from "../suggest.ts";
import { formatType, T } from "../types.ts";
import type { Env } from "../walk.ts";
import { contextAllowed, expectType } from "./util.ts";

type Query = Extract<ast.Expr, { kind: "SeenQuery" | "CountQuery" | "SumQuery" }>;

const NAMES = { SeenQuery: "session.seen", CountQuery: "session.count", SumQuery: "session.sum" } as const;

/** Checks what every query shares; false when the query cannot stand here at all. */
function common(node: Query, env: Env, ctx: Ctx): boolean {
  const name = NAMES[node.kind];
  if (env.query) {
    ctx.sink.report("AARM3024", `\`${name}\` cannot be used inside another session query`, node.span);
    return false;
  }
  if (!contextAllowed(ctx, node, env, `\`${name}\``)) return false;
  if (node.within !== null && node.within.ms <= 0) {
    ctx.sink.report("AARM3024", "the window of `within` must be longer than zero", node.within.span);
  }
  return true;
}

export function typeSeen(node: Extract<ast.Expr, { kind: "SeenQuery" }>, env: Env, ctx: Ctx): Type | null {
  if (!common(node, env, ctx)) return null;
  for (const step of node.steps) expectType(ctx, step, T.bool, "a `session.seen` predicate");
  return T.bool;
}

export function typeCount(node: Extract<ast.Expr, { kind: "CountQuery" }>, env: Env, ctx: Ctx): Type | null {
  if (!common(node, env, ctx)) return null;
  expectType(ctx, node.where, T.bool, "a `session.count` predicate");
  return T.number;
}

export function typeSum(node: Extract<ast.Expr, { kind: "SumQuery" }>, env: Env, ctx: Ctx): Type | null {
  if (!common(node, env, ctx)) return null;
  const tool = ctx.model.tools.get(node.tool.value);
  if (tool === undefined) {
    const suggestion = closest(node.tool.value, ctx.model.tools.keys());
    ctx.sink.report(
      "AARM3002",
      `unknown tool \`${node.tool.value}\`${didYouMean(suggestion)}`,
      node.tool.span,
      {
        suggestion,
      },
    );
    return T.number;
  }
  const arg = tool.args.get(node.arg.text);
  if (arg === undefined) {
    const suggestion = closest(node.arg.text, tool.args.keys());
    ctx.sink.report(
      "AARM3003",
      `tool \`${tool.name}\` has no argument \`${node.arg.text}\`${didYouMean(suggestion)}`,
      node.arg.span,
      { notes: [note(`\`${tool.name}\` is declared here`, tool.span)], suggestion },
    );
  } else if (arg.type.kind !== "number") {
    ctx.sink.report(
      "AARM3007",
      `\`session.sum\` adds a \`number\` argument; \`${arg.name}\` is \`${formatType(arg.type)}\``,
      node.arg.span,
      { notes: [note(`the tool declares \`${arg.name}\` as \`${formatType(arg.type)}\` here`, arg.span)] },
    );
  }
  return T.number;
}
