/**
 * The conformance suite, run against every deployment: each scenario either
 * passes or does not apply (with its reason); every requirement is covered
 * and passes.
 */
import { describe, expect, it } from "vitest";
import { runConformance } from "../../src/conformance/run.ts";
import { SCENARIOS } from "../../src/conformance/scenarios/index.ts";
import { sdkDeployment } from "../../src/conformance/sdk-deployment.ts";
import type { ConformanceReport, Deployment } from "../../src/conformance/types.ts";

const DEPLOYMENTS: readonly (() => Deployment)[] = [sdkDeployment];

describe.each(DEPLOYMENTS.map((make) => [make().kind, make] as const))(
  "conformance of the %s deployment",
  (_, make) => {
    let report: ConformanceReport;

    it("runs every scenario, and each passes or does not apply", async () => {
      report = await runConformance(SCENARIOS, make(), { version: "test" });
      const failures = report.scenarios.filter((s) => s.status === "fail").map((s) => `${s.id}: ${s.reason}`);
      expect(failures).toEqual([]);
      expect(report.scenarios.length).toBe(SCENARIOS.length);
    }, 120_000);

    it("backs every passed scenario with evidence", () => {
      for (const s of report.scenarios.filter((r) => r.status === "pass"))
        expect(s.evidence.observations.length, s.id).toBeGreaterThan(0);
    });
  },
);
