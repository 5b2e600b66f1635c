/**
 * The generated module decides exactly as the reference interpreter, on
 * generated policies and generated inputs: decision, deciding rules,
 * reasons, modifications, approval and deferral requirements, context
 * needed and risk, and the labels of outputs. Each policy's module is
 * generated and instantiated (see `instantiate`: the same code, collectable;
 * the spec cases, the vectors and the browser test load modules as ES
 * modules).
 *
 * CI runs at least 20,000 decisions with the fixed seed; the deep run
 * (AARM_PROPERTY_DEPTH=deep) at least 1,000,000 with a fresh seed.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { compileChecked, generateModule } from "../../src/compiler.ts";
import { conformInput, evaluate, labelOutput } from "../../src/semantics/index.ts";
import { arbitraryScenario, checkGenerated } from "../support/arbitrary-policy.ts";
import { propertyParams } from "../support/property.ts";
import { instantiate } from "./load.ts";

const MIN_DECISIONS = process.env.AARM_PROPERTY_DEPTH === "deep" ? 1_000_000 : 20_000;
let decisions = 0;

/** A disagreement, reported compactly: structural diffs of whole decisions exhaust memory when shrinking. */
function disagree(
  what: string,
  source: string,
  input: unknown,
  reference: unknown,
  generated: unknown,
): never {
  throw new Error(
    `${what} differs\n--- policy\n${source}\n--- input\n${JSON.stringify(input)}\n--- reference\n${JSON.stringify(reference)}\n--- generated\n${JSON.stringify(generated)}`,
  );
}

describe("generated module ≡ reference interpreter", () => {
  it("agrees on every decision and every output label", () => {
    fc.assert(
      fc.property(arbitraryScenario({ inputs: 40 }), (scenario) => {
        const { source } = scenario.policy;
        const checked = checkGenerated(scenario.policy);
        if (checked.policy === null) throw new Error(`generated policy does not check:\n${source}`);
        const { ir, diagnostics } = compileChecked(checked.policy);
        if (ir === null)
          throw new Error(`does not compile: ${diagnostics.map((d) => d.message).join("; ")}\n${source}`);
        const generated = instantiate(generateModule(ir));
        for (const input of scenario.inputs) {
          if (!conformInput(checked.policy, input).ok) continue;
          const expected = evaluate(checked.policy, input);
          const actual = generated.evaluate(input);
          if (!isDeepStrictEqual(actual, expected)) disagree("decision", source, input, expected, actual);
          decisions++;
          for (const output of scenario.outputs) {
            const { tool, args } = input.action;
            const labels = labelOutput(checked.policy, tool, args, output);
            const actualLabels = generated.labelOutput(tool, args, output);
            if (!isDeepStrictEqual(actualLabels, labels))
              disagree("labels", source, { tool, args, output }, labels, actualLabels);
          }
        }
      }),
      // Shrinking whole generated scenarios takes longer than the counterexample is worth.
      { ...propertyParams(1_000), endOnFailure: true },
    );
  }, 600_000); // tens of seconds alone; much longer on a loaded 2-core machine

  afterAll(() => {
    expect(decisions).toBeGreaterThanOrEqual(MIN_DECISIONS);
  });
});
