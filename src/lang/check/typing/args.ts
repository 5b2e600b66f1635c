/**
 * Typing `args.<name>`: only where a rule or classifier says which tools it
 * applies to (`on`), or in a tool's target; the argument must exist with
 * the same type in every listed tool, and an optional one must be guarded by
 * a presence test.
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import type { Type } from "../../checked.ts";
import { type Ctx, note } from "../context.ts";
import type { ArgEntry, ToolEntry } from "../model.ts";
import { closest, didYouMean } from "../suggest.ts";
import { formatType } from "../types.ts";
import type { ArgScope, Env } from "../walk.ts";
import { queryAllowed } from "./util.ts";

/** The tools `args` refers to here, or a reason why it refers to none. */
function scopeOf(env: Env): ArgScope | string {
  switch (env.owner.kind) {
    case "rule":
    case "classifier": {
      const what = env.owner.kind === "rule" ? "rule" : "classifier";
      return (
        env.owner.args ?? `this ${what} has no \`on\`: arguments are only known for the tools a ${what} lists`
      );
    }
    case "target":
      return env.owner.tool === null ? { tools: [] } : { tools: [env.owner.tool] };
    case "constant":
      return "arguments are not constants; const and param values, bindings and set elements are constant expressions";
    case "clause":
      return "arguments cannot be used here";
  }
}

function list(tools: readonly ToolEntry[]): string {
  return tools.map((t) => `\`${t.name}\``).join(", ");
}

/** The declarations of argument `name` in each tool, or null after reporting a tool without it. */
function argEntries(name: ast.Name, scope: ArgScope, ctx: Ctx): ArgEntry[] | null {
  const found = scope.tools.map((tool) => tool.args.get(name.text));
  const missing = scope.tools.filter((_, i) => found[i] === undefined);
  if (missing.length === 0) return found.filter((a) => a !== undefined);
  const having = scope.tools.filter((_, i) => found[i] !== undefined);
  const candidates = new Set(missing.flatMap((t) => [...t.args.keys()]));
  const suggestion = having.length === 0 ? closest(name.text, candidates) : null;
  const subject = missing.length === 1 ? `tool \`${missing[0]?.name}\` has` : `tools ${list(missing)} have`;
  const extra =
    having.length === 0
      ? didYouMean(suggestion)
      : `; \`args.${name.text}\` must exist in every tool the rule lists in \`on\``;
  ctx.sink.report("AARM3003", `${subject} no argument \`${name.text}\`${extra}`, name.span, {
    notes: missing.map((t) => note(`\`${t.name}\` is declared here`, t.span)),
    suggestion,
  });
  return null;
}

/** The one type all declarations share, or null after reporting that they differ. */
function sharedType(
  node: ast.ArgPath,
  name: string,
  entries: readonly ArgEntry[],
  scope: ArgScope,
  ctx: Ctx,
): Type | null {
  const [first] = entries;
  if (first === undefined) return null;
  if (entries.every((e) => formatType(e.type) === formatType(first.type))) return first.type;
  const described = entries
    .map((e, i) => `\`${formatType(e.type)}\` in \`${scope.tools[i]?.name}\``)
    .join(", ");
  ctx.sink.report(
    "AARM3004",
    `\`args.${name}\` has different types in the tools of \`on\`: ${described}`,
    node.span,
    {
      notes: entries.map((e, i) =>
        note(`\`${scope.tools[i]?.name}\` declares \`${name}\` as \`${formatType(e.type)}\` here`, e.span),
      ),
    },
  );
  return null;
}

/** Types `args.<name>`. */
export function typeArgPath(node: ast.ArgPath, env: Env, ctx: Ctx): Type | null {
  if (!queryAllowed(ctx, node, env, "the current action's arguments")) return null;
  const scope = scopeOf(env);
  if (typeof scope === "string") {
    ctx.sink.report(env.owner.kind === "constant" ? "AARM3013" : "AARM3005", scope, node.span);
    return null;
  }
  const [name, below] = node.segments;
  if (name === undefined) return null;
  if (below !== undefined) {
    ctx.sink.report(
      "AARM3005",
      `\`args.${name.text}\` is a value, not a record: nothing can be read below it`,
      below.span,
    );
    return null;
  }
  if (scope.tools.length === 0) return null;
  const entries = argEntries(name, scope, ctx);
  if (entries === null) return null;
  const type = sharedType(node, name.text, entries, scope, ctx);
  if (type === null) return null;
  const optional = entries.find((e) => e.optional);
  if (env.owner.kind === "target") {
    if (optional === undefined && type.kind !== "json") return type;
    const why = optional !== undefined ? "is optional" : "has type `json`";
    ctx.sink.report(
      "AARM3021",
      `a tool's target must always be known; \`args.${name.text}\` ${why}`,
      node.span,
    );
    return null;
  }
  if (env.presenceTest) return type;
  if (type.kind === "json") {
    ctx.sink.report(
      "AARM3007",
      `\`args.${name.text}\` has type \`json\` (its schema has no language type): it can only be tested with \`has(args.${name.text})\``,
      node.span,
    );
    return null;
  }
  if (optional !== undefined && !env.present.has(name.text)) {
    ctx.sink.report(
      "AARM3006",
      `optional argument \`args.${name.text}\` is used without a presence test; guard it: \`has(args.${name.text}) and …\``,
      node.span,
      { notes: [note("declared optional here", optional.span)], suggestion: `has(args.${name.text}) and` },
    );
  }
  return type;
}
