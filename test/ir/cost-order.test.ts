/**
 * Cost ordering: the compiler stores the operands of `and` and `or` cheapest
 * first, so evaluation stops on cheap, certain tests before it reaches
 * regexes, address parsing, scores, facts and session queries; the order
 * depends on the operands alone, and explanations still report clauses in
 * the order the policy builds them.
 */
import { describe, expect, it } from "vitest";
import { compileChecked, compileText } from "../../src/compiler.ts";
import { evaluate, explain } from "../../src/eval/index.ts";
import { exprCost } from "../../src/ir/cost-order.ts";
import type { Ir } from "../../src/ir/types.ts";
import { corpus } from "./corpus.ts";
import { compiled, RICH_POLICY } from "./fixtures.ts";

const HEAD = `policy p version "1"
default allow
fact region: string
tool mail.send { args { to: string, body: string, size: number } effect egress target args.to }
`;

function junctionOf(ir: Ir): readonly string[] {
  const cond = ir.tools["mail.send"]?.candidates[0]?.cond as number;
  const node = ir.exprs[cond];
  if (node?.op !== "and" && node?.op !== "or") throw new Error("not a junction");
  return node.args.map((a) => {
    const operand = ir.exprs[a];
    if (operand?.op !== "compare") return operand?.op ?? "?";
    const left = ir.exprs[operand.left];
    return left?.op === "call" ? `compare(${left.fn})` : `compare(${left?.op})`;
  });
}

describe("cost ordering", () => {
  it("puts reads of the action before facts and scores, and those before address parsing and regexes", () => {
    const ir = compiled(
      `${HEAD}deny r on mail.send when args.body matches /secret/ and host(args.to) == "x.example"
  and intent.alignment < 0.5 and region == "eu" and args.size > 10`,
    );
    expect(junctionOf(ir)).toEqual([
      "compare(arg)",
      "compare(intent)",
      "compare(fact)",
      "compare(host)",
      "matches",
    ]);
  });

  it("gives a junction written in any order one node", () => {
    const ir = compiled(`${HEAD}deny one on mail.send when args.body matches /a/ or args.size > 1
deny other on mail.send when args.size > 1 or args.body matches /a/`);
    const conds = ir.tools["mail.send"]?.candidates.map((c) => c.cond);
    expect(conds).toHaveLength(2);
    expect(conds?.[0]).toBe(conds?.[1]);
    expect(junctionOf(ir)).toEqual(["compare(arg)", "matches"]);
  });

  it("orders every junction of every policy in the repository by cost, then index", () => {
    const irs = [
      compiled(RICH_POLICY),
      ...corpus().flatMap((p) => {
        const { ir } = compileChecked(p.policy, p.diagnostics);
        return ir === null ? [] : [ir];
      }),
    ];
    expect(irs.length).toBeGreaterThan(1);
    for (const ir of irs) {
      ir.exprs.forEach((node) => {
        if (node.op !== "and" && node.op !== "or") return;
        const keys = node.args.map((a) => [exprCost(ir.exprs, a), a] as const);
        const sorted = [...keys].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        expect(keys).toEqual(sorted);
      });
    }
  });

  it("explains clauses in the order the condition builds them, not the order they run in", () => {
    const { ir, diagnostics } = compileText(
      `${HEAD}deny r on mail.send when args.body matches /secret/ and args.size > 10`,
    );
    if (ir === null) throw new Error(diagnostics[0]?.message);
    expect(junctionOf(ir)).toEqual(["compare(arg)", "matches"]);
    const input = {
      action: {
        tool: "mail.send",
        args: { to: "a@b.example", body: "secret", size: 20 },
        time: 0,
        identity: { roles: [], scope: [], delegation: [] },
      },
      snapshot: { scores: {}, facts: {}, history: [] },
    };
    const explained = explain(ir, input, evaluate(ir, input));
    expect(explained.deciding[0]?.clauses.map((c) => c.text)).toEqual([
      "args.body matches regex #0",
      "args.size > 10",
    ]);
  });
});
