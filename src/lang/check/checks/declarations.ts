/**
 * Checks of tool declarations and classifiers: targets are strings, output
 * and classifier labels are labels with at most one sensitivity level, and
 * `on` names declared tools.
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import { BUILTIN_CATEGORIES, isLevel, LEVELS, PROVENANCE_LABELS } from "../builtins.ts";
import { type Ctx, note } from "../context.ts";
import type { CheckTable } from "../registry.ts";
import { isLabel } from "../scope.ts";
import { closest, didYouMean } from "../suggest.ts";
import { formatType, T } from "../types.ts";
import { expectType } from "../typing/util.ts";
import type { Env } from "../walk.ts";

/** Reports names of `on` that are not declared tools. */
export function checkOn(on: readonly ast.QualifiedName[], ctx: Ctx): void {
  for (const name of on) {
    if (ctx.model.tools.has(name.text)) continue;
    const suggestion = closest(name.text, ctx.model.tools.keys());
    ctx.sink.report("AARM3002", `unknown tool \`${name.text}\`${didYouMean(suggestion)}`, name.span, {
      suggestion,
    });
  }
}

/** Reports names that are not labels, and a second sensitivity level. */
export function checkLabels(names: readonly ast.Name[], ctx: Ctx): void {
  let level: ast.Name | null = null;
  for (const name of names) {
    if (!isLabel(name.text, ctx.model)) {
      const labels = [...LEVELS, ...BUILTIN_CATEGORIES, ...PROVENANCE_LABELS, ...ctx.model.categories.keys()];
      const suggestion = closest(name.text, labels);
      ctx.sink.report(
        "AARM3022",
        `\`${name.text}\` is not a label: labels are sensitivity levels, categories (built in or declared with \`category\`), \`untrusted\` and \`trusted\`${didYouMean(suggestion)}`,
        name.span,
        { suggestion },
      );
      continue;
    }
    const category = ctx.model.categories.get(name.text);
    if (category !== undefined) ctx.used.add(category);
    if (!isLevel(name.text)) continue;
    if (level === null) {
      level = name;
      continue;
    }
    ctx.sink.report(
      "AARM3023",
      `an output has one sensitivity level; \`${level.text}\` is already given`,
      name.span,
      { notes: [note("the first level", level.span)] },
    );
  }
}

function toolTarget(node: ast.ToolDecl, _env: Env, ctx: Ctx): void {
  if (node.target === null) return;
  const expr = node.target.expr;
  const type = ctx.types.get(expr);
  if (type === undefined || type.kind === "string") return;
  ctx.sink.report(
    "AARM3021",
    `a tool's target must be a \`string\`; this is \`${formatType(type)}\``,
    expr.span,
  );
}

function toolOutput(node: ast.ToolDecl, _env: Env, ctx: Ctx): void {
  if (node.output !== null) checkLabels(node.output.labels, ctx);
}

function classifier(node: ast.ClassifyRule, _env: Env, ctx: Ctx): void {
  checkOn(node.on, ctx);
  expectType(ctx, node.when, T.bool, "the condition of a classifier");
  checkLabels(node.labels, ctx);
}

export const declarationChecks: CheckTable = {
  ToolDecl: [toolTarget, toolOutput],
  ClassifyRule: [classifier],
};
