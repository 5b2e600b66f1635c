/**
 * Typing references: the action's (or, in a session query, the prior
 * entry's) fields, `labels`, `output`, consts, params, facts, effects,
 * labels and the built-in `identity.*`, `intent.*`, `session.*` values. Each
 * resolved reference is recorded with what it denotes.
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import type { Resolution, Type } from "../../checked.ts";
import { ACTION_FIELDS } from "../builtins.ts";
import { type Ctx, note } from "../context.ts";
import { lookup, namesInScope } from "../scope.ts";
import { refText } from "../structure.ts";
import { closest, didYouMean } from "../suggest.ts";
import { T, typeFromExpr, typeOfValue } from "../types.ts";
import type { Env } from "../walk.ts";
import { contextAllowed } from "./util.ts";

const QUERIES = ["session.seen", "session.count", "session.sum"];

function record(ctx: Ctx, node: ast.Ref, resolution: Resolution, type: Type): Type {
  ctx.resolutions.set(node, resolution);
  return type;
}

/** Names that only resolve in some positions: offered as suggestions where they resolve. */
function positional(env: Env): string[] {
  const names = [...ACTION_FIELDS.keys()];
  if (env.query) names.push("labels");
  if (env.owner.kind === "classifier") names.push("output");
  return names;
}

function unknown(node: ast.Ref, env: Env, ctx: Ctx): null {
  const text = refText(node);
  if (text === "intent.mentions") {
    ctx.sink.report(
      "AARM3009",
      "`intent.mentions` is a function: call it as `intent.mentions(x)`",
      node.span,
    );
    return null;
  }
  if (QUERIES.includes(text)) {
    ctx.sink.report("AARM3024", `\`${text}\` is a session query: write \`${text}(…)\``, node.span);
    return null;
  }
  const head = node.path
    .slice(0, -1)
    .map((n) => n.text)
    .join(".");
  const module = ctx.model.modules.get(head);
  if (module !== undefined) {
    const names = [...module.scope.keys()].map((n) => `${head}.${n}`);
    const suggestion = closest(text, names);
    ctx.sink.report(
      "AARM3001",
      `module \`${head}\` has no constant or parameter \`${node.path[node.path.length - 1]?.text}\`${didYouMean(suggestion)}`,
      node.span,
      { suggestion, notes: [note(`module \`${head}\` is declared here`, module.ast.header.name.span)] },
    );
    return null;
  }
  const qualified = [...ctx.model.modules].find(([, m]) => m !== env.unit && m.scope.has(text));
  const suggestion =
    qualified !== undefined
      ? `${qualified[0]}.${text}`
      : closest(text, [...namesInScope(env.unit, ctx.model), ...positional(env)]);
  ctx.sink.report("AARM3001", `unknown name \`${text}\`${didYouMean(suggestion)}`, node.span, { suggestion });
  return null;
}

function actionField(
  node: ast.Ref,
  field: "tool" | "effect" | "target",
  type: Type,
  env: Env,
  ctx: Ctx,
): Type | null {
  if (env.query) return record(ctx, node, { kind: "entry", field }, type);
  if (!contextAllowed(ctx, node, env, `the action's \`${field}\``)) return null;
  return record(ctx, node, { kind: "action", field }, type);
}

/** Types a reference and records its resolution. */
export function typeRef(node: ast.Ref, env: Env, ctx: Ctx): Type | null {
  const text = refText(node);
  if (text === "tool" || text === "effect" || text === "target") {
    return actionField(node, text, ACTION_FIELDS.get(text) ?? T.string, env, ctx);
  }
  if (text === "labels") {
    if (env.query) return record(ctx, node, { kind: "entry", field: "labels" }, T.set(T.label));
    ctx.sink.report(
      "AARM3025",
      "`labels` names the labels of a prior action: use it inside a session query",
      node.span,
    );
    return null;
  }
  if (text === "output") {
    if (env.owner.kind === "classifier") return record(ctx, node, { kind: "output" }, T.string);
    ctx.sink.report(
      "AARM3025",
      "`output` is the text a tool returned: use it in a `classify` rule",
      node.span,
    );
    return null;
  }
  const sym = lookup(node.path, env.unit, ctx.model);
  if (sym === undefined) return unknown(node, env, ctx);
  switch (sym.kind) {
    case "const": {
      ctx.used.add(sym.entry);
      const value = ctx.consts.value(sym.entry, node);
      if (!value.ok) return null;
      const decl = sym.entry.decl;
      const type = decl.kind === "ParamDecl" ? typeFromExpr(decl.type) : typeOfValue(value.value);
      if (type === null) return null;
      return record(ctx, node, { kind: "const", name: sym.entry.id, value: value.value }, type);
    }
    case "fact":
      ctx.used.add(sym.entry);
      if (!contextAllowed(ctx, node, env, `fact \`${text}\``)) return null;
      return record(ctx, node, { kind: "fact", name: sym.entry.name, type: sym.entry.type }, sym.entry.type);
    case "effect":
      return record(ctx, node, { kind: "effect_literal", effect: sym.effect }, T.effect);
    case "label":
      if (sym.category !== null) ctx.used.add(sym.category);
      return record(ctx, node, { kind: "label_literal", label: sym.label }, sym.level ? T.level : T.label);
    case "builtin":
      if (!contextAllowed(ctx, node, env, `\`${text}\``)) return null;
      return record(ctx, node, sym.ref.resolution, sym.ref.type);
  }
}

/** Whether a resolved reference can be tested with `has()`. */
export function presenceTestable(resolution: Resolution): boolean {
  switch (resolution.kind) {
    case "fact":
    case "identity":
      return true;
    case "action":
    case "entry":
      return resolution.field === "target";
    case "intent":
      return resolution.field !== "scope";
    case "session":
      return resolution.field === "drift";
    default:
      return false;
  }
}
