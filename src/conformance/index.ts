/**
 * The AARM conformance suite: scenarios of the AARM testing protocol (§9)
 * run against a deployment, with tools that record whether they ran, and a
 * report per requirement R1–R9 with the evidence AARM asks implementers for.
 *
 * @module
 */
export { ConformanceFailure, NotApplicable, type RunOptions, runConformance } from "./run.ts";
export { reportJson, reportMarkdown } from "./report.ts";
export { SCENARIOS } from "./scenarios/index.ts";
export { gatewayDeployment } from "./gateway-deployment.ts";
export { sdkDeployment } from "./sdk-deployment.ts";
export * from "./types.ts";
