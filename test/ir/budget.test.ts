/**
 * The cost budget: `maxCost` threads through `compile`, `compileText` and
 * `compileChecked`; a policy over it yields no IR and one AARM5002 error at
 * its most expensive tool; the cost counts what docs/diagnostics/AARM5002.md
 * says it counts.
 */
import { describe, expect, it } from "vitest";
import { compile, compileChecked, compileText, memoryHost } from "../../src/compiler.ts";
import { toolCost } from "../../src/ir/cost.ts";
import { checkText } from "../../src/lang/check.ts";
import { compiled, RICH_POLICY } from "./fixtures.ts";

const HEAD = 'policy p version "1"\n';
const MAIL = "tool mail.send { args { to: string, body: string } effect egress target args.to }\n";
const DB = "tool db.query { args { sql: string, limit: number } effect read }\n";

function costOf(text: string): number {
  return compiled(text).cost;
}

describe("maxCost", () => {
  const cost = costOf(RICH_POLICY);

  it("accepts a policy at its budget, with the same IR as without one", () => {
    const { ir, diagnostics } = compileText(RICH_POLICY, {}, { maxCost: cost });
    expect(ir).toEqual(compiled(RICH_POLICY));
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("refuses a policy over it: no IR, the checked policy, one AARM5002 at the dearest tool", () => {
    const result = compileText(RICH_POLICY, {}, { maxCost: cost - 1 });
    expect(result.ir).toBeNull();
    expect(result.policy).not.toBeNull();
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    expect(errors.map((d) => [d.code, d.span?.line, d.message])).toEqual([
      [
        "AARM5002",
        3,
        `a decision for \`mail.send\` may evaluate ${cost} expression nodes, over the budget of ${cost - 1}`,
      ],
    ]);
  });

  it("is threaded through compile and compileChecked", () => {
    const host = memoryHost({ "policy.aarm": RICH_POLICY });
    expect(compile("policy.aarm", host, { maxCost: cost - 1 }).ir).toBeNull();
    expect(compile("policy.aarm", host, { maxCost: cost }).ir).not.toBeNull();
    const checked = checkText(RICH_POLICY);
    if (checked.policy === null) throw new Error("does not check");
    expect(compileChecked(checked.policy, checked.diagnostics, { maxCost: cost - 1 }).ir).toBeNull();
    expect(compileChecked(checked.policy, checked.diagnostics, { maxCost: Infinity }).ir).not.toBeNull();
  });

  it("keeps the checker's diagnostics next to the budget error", () => {
    const text = `${HEAD}${DB}fact unused: bool\ndeny d on db.query when args.limit > 5\ndefault allow\n`;
    const { diagnostics } = compileText(text, {}, { maxCost: 0 });
    expect(diagnostics.map((d) => d.code)).toEqual(["AARM5002", "AARM4001"]);
  });

  it("must be a number ≥ 0", () => {
    expect(() => compileText(RICH_POLICY, {}, { maxCost: Number.NaN })).toThrow(RangeError);
    expect(() => compileText(RICH_POLICY, {}, { maxCost: -1 })).toThrow(RangeError);
  });
});

describe("the cost counts", () => {
  it("the distinct nodes of a tool's conditions, shared sub-expressions once", () => {
    // args.to, domain(…), "example.com", !=, args.body, matches, and.
    const one = `${HEAD}${MAIL}deny a on mail.send when domain(args.to) != "example.com" and args.body matches /x/\ndefault allow\n`;
    expect(costOf(one)).toBe(7);
    // The second rule reuses all but its own `and` node and `contains(…)`: 7 + 1 call + 1 const + 1 and.
    const two = `${one.replace("default allow\n", "")}deny b on mail.send when domain(args.to) != "example.com" and contains(args.body, "y")\ndefault allow\n`;
    expect(costOf(two)).toBe(10);
  });

  it("nothing for tests that fold away once the tool is known", () => {
    expect(
      costOf(`${HEAD}${MAIL}deny a when tool == "mail.send" and effect == egress\ndefault allow\n`),
    ).toBe(1);
    expect(costOf(`${HEAD}${MAIL}deny a when effect == read\ndefault allow\n`)).toBe(0);
  });

  it("a session query as one node", () => {
    const text = `${HEAD}${MAIL}deny a when session.count(effect == egress and tool == "x", within 1h) > 3\ndefault allow\n`;
    expect(costOf(text)).toBe(3);
  });

  it("modification operands, and the forbid and deny conditions again for the re-check", () => {
    const base = `${HEAD}${DB}deny d on db.query when args.limit > 1000\n`;
    const denyOnly = costOf(`${base}default allow\n`);
    expect(denyOnly).toBe(3);
    // The modify rule's condition is the constant `true`, its clamp bounds two constants; the deny's
    // three nodes run twice.
    const withModify = costOf(`${base}modify m on db.query clamp args.limit to 1..100\ndefault allow\n`);
    expect(withModify).toBe(3 + 1 + 2 + 3);
  });

  it("the dearest tool: rules for one tool do not make another's decisions dearer", () => {
    const base = `${HEAD}${MAIL}${DB}deny d on db.query when args.limit > 1000\n`;
    const ir = compiled(
      `${base}deny m on mail.send when args.to == "x" and args.body == "y"\ndefault allow\n`,
    );
    const mail = ir.tools["mail.send"];
    const db = ir.tools["db.query"];
    if (mail === undefined || db === undefined) throw new Error("tools missing");
    expect([toolCost(ir, db), toolCost(ir, mail), ir.cost]).toEqual([3, 7, 7]);
  });

  it("not classifiers, which run on the output after the decision", () => {
    const text = `${HEAD}${MAIL}classify k when output matches /secret/ and output matches /key/ label pii\ndefault allow\n`;
    expect(costOf(text)).toBe(0);
  });
});
