/**
 * The target of an action, as its tool declaration derives it: the runtime
 * records it in the canonical action (`targets`) and in the session history,
 * where session queries read it as `target` of a prior action.
 *
 * A tool's target expression reads only required arguments and constants
 * (docs/language.md §10), so for an action whose arguments conform to the
 * declaration it is always known.
 *
 * @module
 */
import type { Json } from "../ir/contract.ts";
import type { Ir } from "../ir/types.ts";
import { evalNode } from "./expr.ts";
import { Missing } from "./values.ts";

/**
 * The target `tool` declares for `args`: a string, or null when the tool is
 * not declared, declares no target, or the target is unknown for these
 * arguments. `args` must conform to the declaration.
 */
export function actionTarget(ir: Ir, tool: string, args: { readonly [name: string]: Json }): string | null {
  const info = Object.hasOwn(ir.tools, tool) ? ir.tools[tool] : undefined;
  if (info === undefined || info.target === null) return null;
  const value = evalNode(
    { ir, tool, args, time: 0, identity: null, snapshot: null, entry: null, output: null, memo: new Map() },
    info.target,
  );
  return value instanceof Missing || typeof value !== "string" ? null : value;
}
