/**
 * Declarations nothing uses: facts, consts, params and declared categories.
 * Tools are not reported: declaring a tool allows its actions to be decided
 * at all, even when no rule names it.
 *
 * @module
 */
import type { Ctx } from "../context.ts";

export function unusedDeclarations(ctx: Ctx): void {
  for (const fact of ctx.model.facts.values()) {
    if (ctx.used.has(fact)) continue;
    ctx.sink.report("AARM4001", `fact \`${fact.name}\` is declared but never used`, fact.decl.name.span);
  }
  for (const entry of ctx.model.consts.values()) {
    if (ctx.used.has(entry)) continue;
    if (entry.decl.kind === "ConstDecl") {
      ctx.sink.report("AARM4002", `constant \`${entry.id}\` is declared but never used`, entry.name.span);
    } else {
      ctx.sink.report("AARM4003", `parameter \`${entry.id}\` is declared but never used`, entry.name.span);
    }
  }
  for (const category of ctx.model.categories.values()) {
    if (ctx.used.has(category)) continue;
    ctx.sink.report(
      "AARM4004",
      `category \`${category.name}\` is declared but never used`,
      category.decl.span,
    );
  }
}
