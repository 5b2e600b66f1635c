/**
 * The expression table gives structurally equal nodes one index: two nodes
 * share an index exactly when their JSON texts are equal, whichever way the
 * table finds them (constants are looked up without serialising them).
 */
import { describe, expect, it } from "vitest";
import { ExprTable } from "../../src/ir/expr-table.ts";
import type { IrExpr } from "../../src/ir/types.ts";

/** Whether `a` and `b` get one index, interned in that order into a fresh table. */
function shared(a: IrExpr, b: IrExpr): boolean {
  const table = new ExprTable();
  return table.expr(a) === table.expr(b);
}

const c = (value: (IrExpr & { op: "const" })["value"]): IrExpr => ({ op: "const", value });

describe("the expression table", () => {
  it("gives constants one index exactly when their JSON texts are equal", () => {
    const cases: [IrExpr, IrExpr][] = [
      [c("a"), c("a")],
      [c("1"), c(1)],
      [c(true), c("true")],
      [c(0), c(-0)],
      [c(Number.POSITIVE_INFINITY), c(Number.NEGATIVE_INFINITY)],
      [c(["a", "b", "c"]), c(["a", "b", "c"])],
      [c(["a", "x", "c"]), c(["a", "y", "c"])],
      [c([1, 2]), c([2, 1])],
      [c([0, "0"]), c([-0, "0"])],
      [c([1, "a"]), c(["1", "a"])],
      [c(["a"]), c("a")],
      [c([]), c([])],
      [c("a"), { op: "tool" }],
    ];
    for (const [a, b] of cases)
      expect(shared(a, b), JSON.stringify([a, b])).toBe(JSON.stringify(a) === JSON.stringify(b));
  });

  it("numbers constants and other nodes in one sequence", () => {
    const table = new ExprTable();
    const nodes: IrExpr[] = [c("a"), { op: "tool" }, c(["x", "y"]), { op: "not", arg: 0 }, c(2)];
    const indices = nodes.map((n) => table.expr(n));
    expect(indices).toEqual([0, 1, 2, 3, 4]);
    expect(nodes.map((n) => table.expr({ ...n }))).toEqual(indices);
    expect(table.exprs).toEqual(nodes);
  });
});
