/**
 * The check registry, after Langium's: checks are small functions keyed by
 * the kind of AST node they inspect. One walk visits every node after its
 * children, types it if it is an expression, then runs the checks for its
 * kind. A check that throws becomes an internal-error diagnostic on the node
 * it was inspecting, never a crash.
 *
 * @module
 */
import type * as ast from "../ast.ts";
import type { Type } from "../checked.ts";
import type { Ctx } from "./context.ts";
import type { Unit } from "./model.ts";
import { TYPE_RULES } from "./typing/table.ts";
import { children, type Env, fileEnv } from "./walk.ts";

export type NodeKind = ast.Node["kind"];
export type NodeOf<K extends NodeKind> = Extract<ast.Node, { kind: K }>;
export type Check<K extends NodeKind> = (node: NodeOf<K>, env: Env, ctx: Ctx) => void;
export type CheckTable = { readonly [K in NodeKind]?: readonly Check<K>[] };

// The tables are keyed by kind, so each entry fits its node; TypeScript cannot correlate the two.
type AnyCheck = (node: ast.Node, env: Env, ctx: Ctx) => void;
type AnyTypeRule = (node: ast.Node, env: Env, ctx: Ctx) => Type | null;

/** Merges check tables; checks of one kind run in the order given. */
export function combine(...tables: readonly CheckTable[]): CheckTable {
  const merged: Partial<Record<NodeKind, AnyCheck[]>> = {};
  for (const table of tables) {
    for (const [kind, list] of Object.entries(table) as [NodeKind, readonly AnyCheck[]][]) {
      merged[kind] = [...(merged[kind] ?? []), ...list];
    }
  }
  return merged as CheckTable;
}

function isExpr(node: ast.Node): node is ast.Expr {
  return Object.hasOwn(TYPE_RULES, node.kind);
}

/** Reports an exception thrown by check `name` as an internal-error diagnostic at `node`. */
function internalError(name: string, node: ast.Node, ctx: Ctx, error: unknown): void {
  const reason = error instanceof Error ? error.message : String(error);
  ctx.sink.report(
    "AARM3999",
    `internal error in check \`${name}\` on this ${node.kind}: ${reason}; please report it`,
    node.span,
  );
}

// Checks run in try blocks here rather than through a guarding closure, which would allocate one
// closure per node and check: a large policy has hundreds of thousands of nodes.
function visit(node: ast.Node, env: Env, table: CheckTable, ctx: Ctx): void {
  for (const [child, childEnv] of children(node, env, ctx.model)) visit(child, childEnv, table, ctx);
  if (isExpr(node)) {
    const rule = TYPE_RULES[node.kind] as AnyTypeRule;
    try {
      const type = rule(node, env, ctx);
      if (type !== null) ctx.types.set(node, type);
    } catch (error) {
      internalError(rule.name || node.kind, node, ctx, error);
    }
  }
  const checks = table[node.kind] as readonly AnyCheck[] | undefined;
  if (checks === undefined) return;
  for (const check of checks) {
    try {
      check(node, env, ctx);
    } catch (error) {
      internalError(check.name, node, ctx, error);
    }
  }
}

/** Types every expression of `unit` and runs every check on every node. */
export function checkUnit(unit: Unit, table: CheckTable, ctx: Ctx): void {
  visit(unit.ast, fileEnv(unit), table, ctx);
}
