/**
 * File-level checks: the default posture (exactly once, in the policy file)
 * and the parameter bindings of imports.
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import type { Binding } from "../consts.ts";
import { type Ctx, note } from "../context.ts";
import type { CheckTable } from "../registry.ts";
import { closest, didYouMean } from "../suggest.ts";
import { assignable, formatType, typeFromExpr } from "../types.ts";
import { typeOf } from "../typing/util.ts";
import type { Env } from "../walk.ts";
import { CONSTANT_RULE, reportUnevaluated } from "./constants.ts";

function defaults(items: readonly ast.Item[]): ast.DefaultDecl[] {
  return items.filter((i): i is ast.DefaultDecl => i.kind === "DefaultDecl");
}

function policyDefault(node: ast.PolicyFile, _env: Env, ctx: Ctx): void {
  const [first, ...rest] = defaults(node.items);
  if (first === undefined) {
    ctx.sink.report(
      "AARM3014",
      `policy \`${node.header.name.text}\` has no default posture: end it with \`default deny\` or \`default allow\``,
      node.header.name.span,
      { suggestion: "default deny" },
    );
  }
  for (const extra of rest) {
    ctx.sink.report("AARM3014", "a policy has exactly one default posture", extra.span, {
      notes: [note("the default posture is declared here", first?.span ?? null)],
    });
  }
}

function moduleDefault(node: ast.ModuleFile, _env: Env, ctx: Ctx): void {
  for (const extra of defaults(node.items)) {
    ctx.sink.report(
      "AARM3014",
      `module \`${node.header.name.text}\` cannot set a default posture; only the policy file does`,
      extra.span,
    );
  }
}

function bindings(node: ast.Import, env: Env, ctx: Ctx): void {
  const link = ctx.model.imports.find((l) => l.node === node);
  const module = link === undefined ? undefined : ctx.model.unitByPath.get(link.target);
  if (module === undefined) return;
  const name = module.moduleName ?? module.path;
  const seen = new Map<string, ast.ParamBinding>();
  for (const binding of node.bindings) {
    const first = seen.get(binding.name.text);
    if (first !== undefined) {
      ctx.sink.report(
        "AARM2011",
        `parameter \`${binding.name.text}\` is already bound in this import`,
        binding.name.span,
        {
          notes: [note("first bound here", first.name.span)],
        },
      );
      continue;
    }
    seen.set(binding.name.text, binding);
    const entry = module.scope.get(binding.name.text);
    if (entry === undefined || entry.decl.kind !== "ParamDecl") {
      const params = [...module.scope.values()]
        .filter((e) => e.decl.kind === "ParamDecl")
        .map((e) => e.name.text);
      const suggestion = entry === undefined ? closest(binding.name.text, params) : null;
      const message =
        entry === undefined
          ? `module \`${name}\` has no parameter \`${binding.name.text}\`${didYouMean(suggestion)}`
          : `\`${binding.name.text}\` is a constant of module \`${name}\`, not a parameter: it cannot be set`;
      ctx.sink.report("AARM2008", message, binding.name.span, {
        suggestion,
        notes: entry === undefined ? [] : [note("declared here", entry.name.span)],
      });
      continue;
    }
    const declared = typeFromExpr(entry.decl.type);
    const type = typeOf(ctx, binding.value);
    if (type !== null && !assignable(type, declared)) {
      ctx.sink.report(
        "AARM3007",
        `parameter \`${binding.name.text}\` of module \`${name}\` is \`${formatType(declared)}\`; this is \`${formatType(type)}\``,
        binding.value.span,
        { notes: [note("the parameter is declared here", entry.decl.type.span)] },
      );
    }
    reportUnevaluated(binding.value, ctx.consts.evaluate(binding.value, env.unit), ctx, CONSTANT_RULE);
    const chosen = ctx.consts.bindingOf(entry);
    const mine: Binding = { binding, importer: env.unit };
    if (chosen !== undefined && chosen.binding !== binding && ctx.consts.differ(chosen, mine)) {
      ctx.sink.report(
        "AARM2009",
        `module \`${name}\` is imported more than once with different values for \`${binding.name.text}\`; a module is loaded once, so its parameters have one value`,
        binding.value.span,
        { notes: [note("bound differently here", chosen.binding.value.span)] },
      );
    }
  }
}

export const fileChecks: CheckTable = {
  PolicyFile: [policyDefault],
  ModuleFile: [moduleDefault],
  Import: [bindings],
};
