/**
 * Runs every language spec case (`spec-tests/language/**\/*.case`) against every
 * implementation of the semantics — the reference interpreter, the IR
 * evaluator and the module generated from the IR — from one case list, and
 * the checker's diagnostics cases against the checker.
 */
import { afterAll } from "vitest";
import { compileChecked, generateModule } from "../../src/compiler.ts";
import { evaluate as evaluateIr, labelOutput as labelIr } from "../../src/eval/index.ts";
import { conformInput, evaluate, labelOutput } from "../../src/semantics/index.ts";
import { loadModule, removeModules } from "../codegen/load.ts";
import { describeCases } from "../support/cases.ts";

describeCases(
  {
    name: "reference",
    prepare: (policy) => ({
      evaluate(input) {
        const conformance = conformInput(policy, input);
        if (!conformance.ok) throw new Error(`input does not conform: ${conformance.problems.join("; ")}`);
        return evaluate(policy, input);
      },
      labelOutput: (tool, args, output) => labelOutput(policy, tool, args, output),
    }),
  },
  { diagnostics: true },
);

describeCases({
  name: "ir",
  prepare: (policy) => {
    const { ir, diagnostics } = compileChecked(policy);
    if (ir === null) throw new Error(`does not compile: ${diagnostics.map((d) => d.message).join("; ")}`);
    return {
      evaluate: (input) => evaluateIr(ir, input),
      labelOutput: (tool, args, output) => labelIr(ir, tool, args, output),
    };
  },
});

describeCases({
  name: "generated",
  prepare: (policy) => {
    const { ir, diagnostics } = compileChecked(policy);
    if (ir === null) throw new Error(`does not compile: ${diagnostics.map((d) => d.message).join("; ")}`);
    const generated = loadModule(generateModule(ir));
    return { evaluate: generated.evaluate, labelOutput: generated.labelOutput };
  },
});

afterAll(removeModules);
