/**
 * The side-by-side benchmarks compare equivalent policies: for every input
 * the benchmarks time, the Cedar policy set and the hand-written function
 * decide as the `.aarm` policy does (allowed or not).
 */
import { describe, expect, it } from "vitest";
import { cedarAuthorizer } from "../../benchmarks/lib/cedar.ts";
import {
  aarmInput,
  aarmPolicy,
  benchmarkInputs,
  CEDAR_SIZES,
  cedarPolicies,
  cedarRequest,
  comparableTools,
  handWritten,
} from "../../benchmarks/lib/comparable.ts";
import { compileText } from "../../src/compiler.ts";
import { evaluate } from "../../src/eval/index.ts";

describe.each(CEDAR_SIZES)("the comparison policies of %i rules", (size) => {
  it("decide alike in aarm, Cedar and by hand on every benchmark input", () => {
    const tools = comparableTools(size);
    const source = aarmPolicy(tools);
    const { ir, diagnostics } = compileText(source.root, source.files);
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    if (ir === null) throw new Error("the aarm policy does not compile");
    const cedar = cedarAuthorizer(cedarPolicies(tools));
    const byHand = handWritten(tools);
    const { requests, now, cedarCount } = benchmarkInputs(tools);
    const outcomes = { allowed: 0, denied: 0 };
    requests.forEach((request, k) => {
      const aarm = evaluate(ir, aarmInput(request, now)).decision === "ALLOW";
      outcomes[aarm ? "allowed" : "denied"]++;
      if (byHand(request) !== aarm) throw new Error(`hand-written differs on input ${k} (${request.tool})`);
      if (k < cedarCount && cedar(cedarRequest(request)) !== aarm)
        throw new Error(`Cedar differs on input ${k} (${request.tool})`);
    });
    // Both outcomes are well represented, so agreement is not agreement on a constant.
    expect(outcomes.allowed).toBeGreaterThan(requests.length / 5);
    expect(outcomes.denied).toBeGreaterThan(requests.length / 5);
    // Cedar takes tens of milliseconds per request at 10,000 rules: on a loaded 2-core machine this
    // size alone can take minutes.
  }, 600_000);
});
