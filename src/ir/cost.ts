/**
 * The worst-case cost of one decision: the number of distinct expression
 * nodes a decision for the most expensive tool can evaluate. Session queries
 * count as one node each, since the runtime maintains them incrementally; a
 * regex test counts as one node (its time is linear in the subject).
 *
 * For one tool that is the nodes reachable from its candidates' conditions
 * and from the operands of its modify rules' operations, plus — when the tool
 * has a modify rule, since a modified action is re-checked — the nodes of its
 * forbid and deny conditions once more. Target expressions count where a
 * condition reads them; classifiers label outputs after the decision and do
 * not count. `docs/diagnostics/AARM5002.md` states this for policy authors.
 *
 * @module
 */
import type { Ir, IrExpr, IrTool } from "./types.ts";

/** The expression children of a node: the indices it reads (regexes and features are not expressions). */
export function exprChildren(node: IrExpr): readonly number[] {
  switch (node.op) {
    case "and":
    case "or":
      return node.args;
    case "not":
    case "neg":
      return [node.arg];
    case "has":
      return [node.of];
    case "set":
      return node.items;
    case "compare":
    case "add":
    case "sub":
    case "mul":
      return [node.left, node.right];
    case "in":
      return [node.item, node.set];
    case "matches":
      return [node.subject];
    case "call":
      return node.args;
    default:
      return [];
  }
}

/** Distinct nodes reachable from `roots`. */
export function reachable(exprs: readonly IrExpr[], roots: Iterable<number>): Set<number> {
  const seen = new Set<number>();
  const stack = [...roots];
  for (let i = stack.pop(); i !== undefined; i = stack.pop()) {
    if (seen.has(i)) continue;
    seen.add(i);
    const node = exprs[i];
    if (node !== undefined) stack.push(...exprChildren(node));
  }
  return seen;
}

/** Worst-case nodes evaluated for one decision for `tool` (modification operands and the re-check included). */
export function toolCost(ir: Ir, tool: IrTool): number {
  const roots: number[] = tool.candidates.map((c) => c.cond);
  for (const c of tool.candidates) {
    for (const m of ir.rules[c.rule]?.modifications ?? []) {
      if (m.op === "set") roots.push(m.value);
      if (m.op === "clamp") roots.push(m.min, m.max);
    }
  }
  const kindOf = (rule: number) => ir.rules[rule]?.kind;
  // A modified action is re-checked against the forbid and deny rules: their conditions run twice.
  const recheck = tool.candidates.some((c) => kindOf(c.rule) === "modify")
    ? reachable(
        ir.exprs,
        tool.candidates
          .filter((c) => kindOf(c.rule) === "forbid" || kindOf(c.rule) === "deny")
          .map((c) => c.cond),
      ).size
    : 0;
  return reachable(ir.exprs, roots).size + recheck;
}

/** Worst-case nodes per decision over all tools. */
export function measureCost(ir: Ir): number {
  let worst = 0;
  for (const tool of Object.values(ir.tools)) worst = Math.max(worst, toolCost(ir, tool));
  return worst;
}
