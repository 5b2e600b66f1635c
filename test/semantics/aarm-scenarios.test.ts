/**
 * The parts of AARM §9.3 scenarios that are about evaluation rather than one decision
 * (their decision parts are spec cases in spec-tests/language/aarm-9.3/).
 */
import { describe, expect, test } from "vitest";
import type { EvalInput } from "../../src/ir/contract.ts";
import { checkText } from "../../src/lang/check.ts";
import type { CheckedPolicy } from "../../src/lang/checked.ts";
import { conformInput, evaluate } from "../../src/semantics/index.ts";
import { checkCase, loadCases } from "../support/cases.ts";

function policyOf(text: string): CheckedPolicy {
  const result = checkText(text);
  if (result.policy === null) throw new Error(JSON.stringify(result.diagnostics));
  return result.policy;
}

describe("§9.3 #30 determinism", () => {
  test("the same action, snapshot and policy give a byte-identical decision 100 times", () => {
    const spec = loadCases().find((c) => c.path === "aarm-9.3/30-determinism.case");
    const policy = spec === undefined ? null : checkCase(spec).policy;
    const first = spec?.tests[0];
    if (policy === null || first?.kind !== "decision") throw new Error("the determinism case is missing");
    const expected = JSON.stringify(evaluate(policy, first.input));
    for (let i = 0; i < 100; i++) expect(JSON.stringify(evaluate(policy, first.input))).toBe(expected);
  });
});

describe("§9.3 #33 hot reload", () => {
  const v1 = `policy mail version "1"
tool email.send { args { to: string, body: string } effect egress target args.to }
allow email on email.send
default deny
`;
  const v2 = v1
    .replace('version "1"', 'version "2"')
    .replace("allow email", 'deny external on email.send when domain(args.to) != "company.com"\nallow email');
  const input: EvalInput = {
    action: {
      tool: "email.send",
      args: { to: "x@gmail.com", body: "b" },
      time: 0,
      identity: { roles: [], scope: [], delegation: [] },
    },
    snapshot: { scores: {}, facts: {}, history: [] },
  };

  test("a decision depends only on the policy it is given: the reloaded version decides the next action", () => {
    const before = policyOf(v1);
    const after = policyOf(v2);
    expect([before.version, after.version]).toEqual(["1", "2"]);
    expect(evaluate(before, input).decision).toBe("ALLOW");
    expect(evaluate(after, input)).toMatchObject({ decision: "DENY", rules: ["external"] });
    // The old version still decides as before: an in-flight action keeps its policy.
    expect(evaluate(before, input).decision).toBe("ALLOW");
  });
});

describe("§9.3 #29 parameter validation: wrong types", () => {
  const policy = policyOf(`policy pay version "1"
tool bank.send_money { args { recipient: string, amount: number, memo?: string } effect egress target args.recipient }
allow payments on bank.send_money
default deny
`);
  const action = (args: EvalInput["action"]["args"]): EvalInput => ({
    action: { tool: "bank.send_money", args, time: 0, identity: { roles: [], scope: [], delegation: [] } },
    snapshot: { scores: {}, facts: {}, history: [] },
  });

  test("an amount of the wrong type is reported with a specific problem, so the runtime can deny it", () => {
    expect(conformInput(policy, action({ recipient: "CH93", amount: "ten" }))).toEqual({
      ok: false,
      problems: ["args.amount: expected a finite number"],
    });
  });

  test("a conforming action passes", () => {
    expect(conformInput(policy, action({ recipient: "CH93", amount: 10 }))).toEqual({ ok: true });
  });
});
