/**
 * Cost ordering: the operands of every `and` and `or` node are stored
 * cheapest first, so an evaluator that stops at the first decisive operand (a
 * false for `and`, a true for `or`) runs the cheap, certain tests — the
 * action's tool, effect and arguments compared with constants, membership in
 * constant sets — before the expensive or uncertain ones: regular
 * expressions, address parsing, session queries, scores and facts, which may
 * be unknown and then decide nothing.
 *
 * Kleene `and` and `or` are commutative, also over unknown (docs/language.md
 * §7): the value, and the names an unknown carries, do not depend on the
 * order, so the order is free for the compiler to choose. It is a function of
 * the operand nodes alone — their estimated cost, then their index — so
 * structurally equal junctions still get one node, and the same policy always
 * gives the same IR.
 *
 * The estimate is in rough units of one property read; a node costs its own
 * work plus its operands' (a node shared between operands is counted for each,
 * although an evaluator computes it once). It only has to rank.
 *
 * @module
 */
import type { IrExpr, IrFunction } from "./types.ts";

/** Reads that may be missing (facts, scores) cost more than certain ones: an unknown decides nothing. */
const UNCERTAIN = 4;

function callCost(fn: IrFunction): number {
  switch (fn) {
    case "host":
    case "domain":
    case "in_cidr":
      return 16;
    case "intent.mentions":
      return 8;
    default:
      return 2;
  }
}

/** The node's own work, without its operands. */
function ownCost(node: IrExpr): number {
  switch (node.op) {
    case "const":
    case "missing":
    case "not":
    case "neg":
    case "and":
    case "or":
      return 0;
    case "tool":
    case "output":
    case "has":
      return 1;
    case "arg":
      return node.path.length + (node.set === true ? 1 : 0);
    case "entry":
      return node.field === "labels" ? 2 : 1;
    case "identity":
      return node.field === "roles" || node.field === "scope" || node.field === "delegation_depth"
        ? 1
        : 1 + UNCERTAIN;
    case "intent":
      return node.field === "alignment" ? 1 + UNCERTAIN : 1 + UNCERTAIN / 2;
    case "fact":
      return 1 + UNCERTAIN + (node.set === true ? 1 : 0);
    case "session":
      // Taint and sensitivity are read from the history (or the runtime's running values).
      return node.field === "drift" ? 1 + UNCERTAIN : 8;
    case "feature":
      return 16 + UNCERTAIN;
    case "compare":
    case "in":
    case "add":
    case "sub":
    case "mul":
    case "set":
      return 1;
    case "matches":
      return 24;
    case "call":
      return callCost(node.fn);
  }
}

/** The operands a node evaluates (`has` tests presence without evaluating its operand). */
function operands(node: IrExpr): readonly number[] {
  switch (node.op) {
    case "and":
    case "or":
    case "call":
      return node.args;
    case "set":
      return node.items;
    case "not":
    case "neg":
      return [node.arg];
    case "compare":
    case "add":
    case "sub":
    case "mul":
      return [node.left, node.right];
    case "in":
      return [node.item, node.set];
    case "matches":
      return [node.subject];
    default:
      return [];
  }
}

/** Costs by node index, per expression list: lists only grow while lowering, so entries stay valid. */
const costs = new WeakMap<readonly IrExpr[], number[]>();

/** The estimated cost of evaluating node `index` of `exprs` (children have smaller indices). */
export function exprCost(exprs: readonly IrExpr[], index: number): number {
  let known = costs.get(exprs);
  if (known === undefined) {
    known = [];
    costs.set(exprs, known);
  }
  // Fill in order: each node's operands are earlier nodes, so one pass suffices.
  for (let i = known.length; i <= index; i++) {
    const node = exprs[i];
    if (node === undefined) throw new RangeError(`no expression ${i}`);
    let cost = ownCost(node);
    for (const operand of operands(node)) cost += known[operand] ?? 0;
    known.push(cost);
  }
  return known[index] as number;
}

/** `operands` of a junction in evaluation order: cheapest first, then by index. Sorts in place. */
export function orderByCost(exprs: readonly IrExpr[], operands: number[]): number[] {
  const cost = (i: number) => exprCost(exprs, i);
  return operands.sort((a, b) => cost(a) - cost(b) || a - b);
}
