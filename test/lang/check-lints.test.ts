/**
 * Lints warn only when the rule certainly behaves as the warning says
 * (sound, not complete), and warnings never block a policy.
 */
import { describe, expect, it } from "vitest";
import { checkText } from "../../src/lang/check.ts";

const HEAD = 'policy p version "1"\n';
const TOOLS = `tool db.query { args { sql: string, limit: number } effect read }
tool db.drop { args { name: string } effect delete }
tool db.scan { args { sql: string, limit: number } effect read }
fact window: bool
`;

function warnings(text: string, files: Record<string, string> = {}): string[] {
  const result = checkText(`${HEAD}${TOOLS}${text}\ndefault deny`, files);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(result.policy).not.toBeNull();
  // The shared fact is unused in most cases; that warning is tested on its own.
  return result.diagnostics.filter((d) => !d.message.startsWith("fact `window`")).map((d) => d.code);
}

describe("constant conditions", () => {
  it("folds constants and Kleene absorption", () => {
    expect(warnings("const on_call = false\ndeny a when window and on_call")).toEqual(["AARM4006"]);
    expect(warnings("deny a when window or 1 < 2")).toEqual(["AARM4005"]);
    expect(warnings("deny a unless false and window")).toEqual(["AARM4005"]);
    expect(warnings("deny a unless window or true")).toEqual(["AARM4006"]);
    expect(warnings("classify c on db.query when 1 > 2 label pii")).toEqual(["AARM4006"]);
  });

  it("does not fold facts, context or params", () => {
    expect(warnings("deny a when window")).toEqual([]);
    expect(warnings("param strict: bool = false\ndeny a when strict and window")).toEqual([]);
    expect(warnings("classify c on db.query when true label pii")).toEqual([]);
  });
});

describe("shadowed rules", () => {
  it("warns about rules an unconditional forbid covers", () => {
    expect(warnings("forbid f on db.drop\nallow a on db.drop when window")).toEqual(["AARM4007"]);
    expect(warnings("forbid f\ndeny a on db.query")).toEqual(["AARM4007"]);
    expect(
      warnings('const yes = true\nforbid f on db.drop when yes\nstep_up a on db.drop approvers ["x"]'),
    ).toEqual(["AARM4005", "AARM4007"]);
  });

  it("does not warn when the forbid has a condition or covers fewer tools", () => {
    expect(warnings('forbid f on db.drop when args.name == "prod"\nallow a on db.drop')).toEqual([]);
    expect(warnings("forbid f on db.drop\nallow a on db.drop, db.query")).toEqual([]);
    expect(warnings("forbid f on db.drop\nallow a")).toEqual([]);
    expect(warnings('forbid f on db.drop\nforbid g on db.drop when args.name == "x"')).toEqual([]);
  });
});

describe("duplicate rules", () => {
  it("warns about a rule repeating another, across files", () => {
    expect(warnings("allow a when effect == read\nallow b when effect == read")).toEqual(["AARM4008"]);
    const module = { "m.aarm": "module m\nconst k = {read}\nallow a when effect in k" };
    expect(warnings('import "./m.aarm"\nallow b when effect in m.k', module)).toEqual(["AARM4008"]);
  });

  it("does not warn when kind, tools, conditions or clauses differ", () => {
    expect(warnings("allow a when effect == read\ndeny b when effect == read")).toEqual([]);
    expect(warnings("allow a on db.query\nallow b on db.drop")).toEqual([]);
    expect(warnings('step_up a approvers ["x"]\nstep_up b approvers ["y"]')).toEqual([]);
    const consts = "const k1 = {read}\nconst k2 = {read}\n";
    expect(warnings(`${consts}allow a when effect in k1\nallow b when effect in k2`)).toEqual([]);
  });
});

describe("conflicting modifications", () => {
  it("warns when two modify rules set one argument to different constants under the same condition", () => {
    expect(
      warnings("modify a on db.query set args.limit = 10\nmodify b on db.query set args.limit = 20"),
    ).toEqual(["AARM4009"]);
    expect(
      warnings(
        "modify a on db.query when window set args.limit = 10\nmodify b on db.query, db.scan when window set args.limit = 20",
      ),
    ).toEqual(["AARM4009"]);
  });

  it("pairs a modify rule with each earlier rule that shares one of its tools, in rule order", () => {
    const result = checkText(
      `${HEAD}${TOOLS}modify a on db.query when window set args.limit = 10
modify b on db.scan when window set args.limit = 20
modify c on db.drop when window set args.name = "x"
modify d on db.scan, db.query when window set args.limit = 40
default deny`,
    );
    expect(result.diagnostics.map((d) => d.message.slice(0, 20))).toEqual([
      "rules `a` and `d` se",
      "rules `b` and `d` se",
    ]);
  });

  it("does not warn for equal values, other arguments, other tools or different conditions", () => {
    expect(
      warnings("modify a on db.query set args.limit = 10\nmodify b on db.query set args.limit = 10"),
    ).toEqual(["AARM4008"]);
    expect(
      warnings('modify a on db.query set args.limit = 10\nmodify b on db.query set args.sql = "x"'),
    ).toEqual([]);
    expect(
      warnings('modify a on db.query set args.limit = 10\nmodify b on db.drop set args.name = "x"'),
    ).toEqual([]);
    expect(
      warnings(
        "modify a on db.query when window set args.limit = 10\nmodify b on db.query set args.limit = 20",
      ),
    ).toEqual([]);
  });
});

describe("unused declarations", () => {
  it("warns about a fact nothing reads", () => {
    const result = checkText(`${HEAD}${TOOLS}default deny`);
    expect(result.diagnostics.map((d) => d.message)).toEqual(["fact `window` is declared but never used"]);
  });

  it("counts every kind of use", () => {
    expect(warnings("defer a needs window")).toEqual([]);
    expect(
      warnings("category customer\ntool crm.get { args { id: string } effect read output customer }"),
    ).toEqual([]);
    expect(warnings("category customer\nclassify c on db.query when true label customer")).toEqual([]);
    expect(warnings("category customer\ndeny a when session.seen(customer in labels)")).toEqual([]);
    expect(warnings("const a = 1\nconst b = a + 1\ndeny r on db.query when args.limit > b")).toEqual([]);
  });

  it("does not count a binding as a use of the parameter", () => {
    const files = { "m.aarm": "module m\nparam n: number = 1" };
    expect(warnings('import "./m.aarm" with { n = 2 }', files)).toEqual(["AARM4003"]);
  });
});
