/**
 * Runs every language spec case (`spec-tests/language/**\/*.case`) against the
 * reference interpreter, and the checker's diagnostics cases against the checker.
 */
import { conformInput, evaluate, labelOutput } from "../../src/semantics/index.ts";
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
