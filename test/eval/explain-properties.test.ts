/**
 * `explain` over generated policies and inputs: it never throws, names only
 * rules that exist, leaves the input and the decision as they were, and
 * agrees with the decision — the deciding rules are the decision's, their
 * clauses held (or, for missing context, are open on exactly the inputs the
 * decision names), and near misses of a default decision failed.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { compileChecked } from "../../src/compiler.ts";
import { type Explanation, explain, NEAR_MISSES } from "../../src/eval/explain.ts";
import { evaluate } from "../../src/eval/index.ts";
import type { EvalDecision } from "../../src/ir/contract.ts";
import type { Ir } from "../../src/ir/types.ts";
import { conformInput } from "../../src/semantics/index.ts";
import { arbitraryScenario, checkGenerated } from "../support/arbitrary-policy.ts";
import { propertyParams } from "../support/property.ts";

const MISSING = "missing context: ";

/** What is wrong with `e` as an explanation of `d`, or null. */
function problem(ir: Ir, d: EvalDecision, e: Explanation): string | null {
  const ids = new Set(ir.rules.map((r) => r.id));
  const named = [...e.deciding, ...e.nearMisses].map((r) => r.rule);
  named.push(...e.hints.flatMap((h) => (h.rule === null ? [] : [h.rule])));
  const unknown = named.filter((id) => !ids.has(id));
  if (unknown.length > 0) return `names rules that do not exist: ${unknown.join(", ")}`;
  if (e.decision !== d.decision) return "another decision";
  if (!isDeepStrictEqual(e.contextNeeded, d.contextNeeded)) return "another contextNeeded";
  const byDefault = d.rules.length === 1 && d.rules[0] === "default";
  const undeclared = !Object.hasOwn(ir.tools, e.tool);
  const expected = byDefault || undeclared ? [] : d.rules;
  if (
    !isDeepStrictEqual(
      e.deciding.map((r) => r.rule),
      expected,
    )
  )
    return "other deciding rules";
  for (const [i, rule] of e.deciding.entries()) {
    const values = rule.clauses.map((c) => c.value);
    const reason = d.reasons[i] ?? "";
    if (d.decision === "DEFER" && reason.startsWith(MISSING)) {
      if (values.includes(false) || !values.includes("unknown")) return `${rule.rule} is not open`;
      const names = [...new Set(rule.clauses.flatMap((c) => c.missing))].sort();
      if (names.join(", ") !== reason.slice(MISSING.length)) return `${rule.rule} misses other inputs`;
    } else if (values.some((v) => v !== true)) {
      return `a clause of ${rule.rule} did not hold`;
    }
  }
  if (!byDefault && e.nearMisses.length > 0) return "near misses of a decision by rules";
  if (e.nearMisses.length > NEAR_MISSES) return "too many near misses";
  for (const miss of e.nearMisses) {
    if (!miss.clauses.some((c) => c.value === false)) return `near miss ${miss.rule} did not fail`;
    const decidesTheSame = ir.defaultPosture === "deny" ? ["forbid", "deny"] : ["allow"];
    if (decidesTheSame.includes(miss.kind)) return `near miss ${miss.rule} would decide the same`;
  }
  return null;
}

describe("explain on generated scenarios", () => {
  const seen = { explained: 0, byRules: 0, missing: 0, nearMisses: 0 };

  it("never throws, names only existing rules, and agrees with the decision", () => {
    fc.assert(
      fc.property(arbitraryScenario({ inputs: 12 }), (scenario) => {
        const { source } = scenario.policy;
        const checked = checkGenerated(scenario.policy);
        if (checked.policy === null) throw new Error(`generated policy does not check:\n${source}`);
        const { ir } = compileChecked(checked.policy);
        if (ir === null) throw new Error(`does not compile:\n${source}`);
        for (const input of scenario.inputs) {
          if (!conformInput(checked.policy, input).ok) continue;
          const decision = evaluate(ir, input);
          const before = JSON.stringify([input, decision]);
          const explanation = explain(ir, input, decision);
          const found =
            problem(ir, decision, explanation) ??
            (JSON.stringify([input, decision]) === before ? null : "changed its input") ??
            (isDeepStrictEqual(JSON.parse(JSON.stringify(explanation)), explanation) ? null : "not JSON");
          if (found !== null) {
            throw new Error(
              `${found}\n--- policy\n${source}\n--- input\n${JSON.stringify(input)}\n--- decision\n${JSON.stringify(decision)}\n--- explanation\n${JSON.stringify(explanation)}`,
            );
          }
          seen.explained++;
          if (explanation.deciding.length > 0) seen.byRules++;
          if (decision.reasons.some((r) => r.startsWith(MISSING))) seen.missing++;
          if (explanation.nearMisses.length > 0) seen.nearMisses++;
        }
      }),
      { ...propertyParams(500), endOnFailure: true },
    );
  });

  afterAll(() => {
    // Every kind of explanation is exercised.
    expect(seen.explained).toBeGreaterThan(2000);
    expect(seen.byRules).toBeGreaterThan(1000);
    expect(seen.missing).toBeGreaterThan(200);
    expect(seen.nearMisses).toBeGreaterThan(200);
  });
});
