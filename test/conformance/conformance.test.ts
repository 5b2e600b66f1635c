/**
 * The conformance suite, run against every deployment: each scenario either
 * passes or does not apply (with its reason). On the SDK deployment every
 * scenario runs and every requirement R1–R9 passes. The gateway deployment
 * starts a gateway process per session, so here it runs a sample that
 * touches each requirement it can be driven for; `aarm conformance
 * --deployment gateway` runs all of them.
 */
import { describe, expect, it } from "vitest";
import { gatewayDeployment } from "../../src/conformance/gateway-deployment.ts";
import { runConformance } from "../../src/conformance/run.ts";
import { SCENARIOS } from "../../src/conformance/scenarios/index.ts";
import { sdkDeployment } from "../../src/conformance/sdk-deployment.ts";
import type { ConformanceReport, Deployment, Requirement } from "../../src/conformance/types.ts";

/** Requirements whose every scenario runs on the gateway here: drift and telemetry, configured in its file. */
const GATEWAY_IN_FULL: readonly Requirement[] = ["R7", "R8"];

/** The gateway sample: a scenario or more of each other requirement the gateway can be driven for. */
const GATEWAY_SAMPLE = [
  "9.1.1",
  "9.1.8",
  "9.1.10",
  "9.2.12",
  "9.2.14",
  "9.3.23",
  "9.11.99",
  "9.4.36",
  "9.4.41",
  "9.5.60",
  "9.5.65",
  "9.6.67",
  "9.9.86",
  ...SCENARIOS.filter((s) => GATEWAY_IN_FULL.includes(s.requirement)).map((s) => s.id),
];
const GATEWAY_PASSES: readonly Requirement[] = ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9"];

interface Target {
  readonly make: () => Deployment;
  /** The scenarios run; all by default. */
  readonly sample?: readonly string[];
  /** The requirements that must pass. */
  readonly passes: readonly Requirement[];
}

const DEPLOYMENTS: readonly Target[] = [
  { make: sdkDeployment, passes: ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9"] },
  {
    make: gatewayDeployment,
    sample: GATEWAY_SAMPLE,
    passes: GATEWAY_PASSES,
  },
];

describe.each(DEPLOYMENTS.map((target) => [target.make().kind, target] as const))(
  "conformance of the %s deployment",
  (_, target) => {
    let report: ConformanceReport;
    const scenarios =
      target.sample === undefined ? SCENARIOS : SCENARIOS.filter((s) => target.sample?.includes(s.id));

    it("runs the scenarios, and each passes or does not apply", async () => {
      report = await runConformance(scenarios, target.make(), { version: "test" });
      const failures = report.scenarios.filter((s) => s.status === "fail").map((s) => `${s.id}: ${s.reason}`);
      expect(failures).toEqual([]);
      expect(report.scenarios.length).toBe(target.sample?.length ?? SCENARIOS.length);
    }, 240_000);

    it("passes the requirements it must", () => {
      const passed = report.requirements.filter((r) => r.status === "pass").map((r) => r.requirement);
      expect(passed).toEqual(expect.arrayContaining([...target.passes]));
    });

    it("backs every passed scenario with evidence", () => {
      for (const s of report.scenarios.filter((r) => r.status === "pass")) {
        expect(s.evidence.observations.length, s.id).toBeGreaterThan(0);
        for (const v of s.evidence.verification) expect(v.ok && v.verified === v.checked, s.id).toBe(true);
      }
    });
  },
);
