/**
 * Input conformance: what `conformInput` rejects, so that callers deny non-conforming actions
 * instead of evaluating them.
 */
import { describe, expect, test } from "vitest";
import type { EvalInput } from "../../src/ir/contract.ts";
import { checkText } from "../../src/lang/check.ts";
import { conformInput, evaluate } from "../../src/semantics/index.ts";

const checked = checkText(`policy p version "1"
tool t.x { args { s: string, n: number, b: bool, d: duration, tags: set<string>, memo?: string } effect write }
fact f: bool
fact level: number
allow all
default deny
`).policy;
if (checked === null) throw new Error("the test policy does not check");
const policy = checked;

const good = { s: "a", n: 1, b: true, d: 1000, tags: ["a"] };

function input(args: EvalInput["action"]["args"], snapshot: Partial<EvalInput["snapshot"]> = {}): EvalInput {
  return {
    action: { tool: "t.x", args, time: 0, identity: { roles: [], scope: [], delegation: [] } },
    snapshot: { scores: {}, facts: {}, history: [], ...snapshot },
  };
}

describe("conformInput", () => {
  test("accepts arguments of the declared types, with an optional argument present or absent", () => {
    expect(conformInput(policy, input(good))).toEqual({ ok: true });
    expect(conformInput(policy, input({ ...good, memo: "m" }))).toEqual({ ok: true });
  });

  test("reports each wrong type, missing required argument and undeclared argument", () => {
    const result = conformInput(policy, input({ s: 1, n: "1", b: "true", tags: ["a", 2], extra: null }));
    expect(result).toEqual({
      ok: false,
      problems: [
        "args.s: expected a string",
        "args.n: expected a finite number",
        "args.b: expected a boolean",
        "args.d: required argument missing",
        "args.tags: element: expected a string",
        "args.extra: t.x declares no such argument",
      ],
    });
  });

  test("null is not a value of any declared type", () => {
    expect(conformInput(policy, input({ ...good, memo: null }))).toEqual({
      ok: false,
      problems: ["args.memo: expected a string"],
    });
  });

  test("checks populated facts against their declared types, and scores against [0, 1]", () => {
    const result = conformInput(
      policy,
      input(good, { facts: { f: "yes", level: 3, undeclared: 1 }, scores: { alignment: 1.5 } }),
    );
    expect(result).toEqual({
      ok: false,
      problems: ["facts.f: expected a boolean", "scores.alignment: expected a number in [0, 1]"],
    });
  });

  test("checks prior actions' effects and the declared arguments of declared tools", () => {
    const history = [
      { tool: "t.x", effect: "teleport", args: { n: "many" }, time: 0, labels: [] },
      { tool: "other.tool", effect: "read", args: { n: "many" }, time: 0, labels: [] },
    ];
    expect(conformInput(policy, input(good, { history }))).toEqual({
      ok: false,
      problems: ["history[0].effect: not an effect", "history[0].args.n: expected a finite number"],
    });
  });

  test("an undeclared tool has nothing to conform to: evaluation denies it", () => {
    const unknown = {
      ...input({ anything: 1 }),
      action: { ...input({}).action, tool: "t.y", args: { anything: 1 } },
    };
    expect(conformInput(policy, unknown)).toEqual({ ok: true });
    expect(evaluate(policy, unknown)).toMatchObject({ decision: "DENY", rules: ["unknown_tool"] });
  });
});
