/**
 * `aarm conformance`: runs the AARM testing protocol against a deployment
 * and writes the evidence package: a JSON and a Markdown report with a
 * verdict per requirement R1–R9, each scenario's result, and the receipts,
 * observations and verification results it rests on.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gatewayDeployment } from "../../conformance/gateway-deployment.ts";
import { runConformance } from "../../conformance/run.ts";
import { reportJson, reportMarkdown } from "../../conformance/report.ts";
import { SCENARIOS } from "../../conformance/scenarios/index.ts";
import { sdkDeployment } from "../../conformance/sdk-deployment.ts";
import {
  type Deployment,
  type DeploymentKind,
  REQUIREMENTS,
  type Requirement,
} from "../../conformance/types.ts";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { paint } from "../io.ts";
import { packageVersion } from "../package-info.ts";

const DEPLOYMENTS: { readonly [kind in DeploymentKind]?: () => Deployment } = {
  sdk: sdkDeployment,
  gateway: gatewayDeployment,
};

function requirementsOf(value: string | undefined): Requirement[] | undefined {
  if (value === undefined) return undefined;
  const chosen = value.split(",").map((r) => r.trim().toUpperCase());
  for (const r of chosen)
    if (!(r in REQUIREMENTS)) throw new CliError(`conformance: unknown requirement "${r}" (R1 to R9)`);
  return chosen as Requirement[];
}

export const conformance: Command = {
  name: "conformance",
  summary: "run the AARM testing protocol against a deployment and write the evidence package",
  usage: "[--deployment sdk|gateway] [--out DIR] [--only R1,R2,...] [--json]",
  description:
    "Runs every scenario of the AARM testing protocol (§9) against a fresh deployment with tools that record\n" +
    "whether they ran, verifies every receipt offline, and writes conformance-report.json and\n" +
    "conformance-report.md to the output folder: a verdict per requirement R1–R9 and each scenario's evidence.\n" +
    "Exit 0 when every requirement passes, 1 when one fails or is not covered, 2 on bad input.",
  options: {
    deployment: {
      type: "string",
      value: "KIND",
      choices: Object.keys(DEPLOYMENTS),
      description:
        "what to test: sdk (the runtime embedded in-process) or gateway (`aarm gateway` in front of MCP servers, a process per session); default sdk",
    },
    out: {
      type: "string",
      value: "DIR",
      description: "where to write the reports; default ./aarm-conformance",
    },
    only: { type: "string", value: "R1,R2", description: "run only these requirements' scenarios" },
    json: { type: "boolean", description: "print the JSON report instead of progress" },
  },
  examples: [
    "aarm conformance",
    "aarm conformance --only R1,R5 --out reports/",
    "aarm conformance --deployment gateway",
  ],
  async run(positionals, values, io) {
    if (positionals.length > 0) throw new CliError(`conformance: unexpected argument "${positionals[0]}"`);
    const kind = (typeof values.deployment === "string" ? values.deployment : "sdk") as DeploymentKind;
    const make = DEPLOYMENTS[kind];
    if (make === undefined) throw new CliError(`conformance: unknown deployment "${kind}"`);
    const requirements = requirementsOf(typeof values.only === "string" ? values.only : undefined);
    const out = resolve(io.cwd, typeof values.out === "string" ? values.out : "aarm-conformance");
    const quiet = values.json === true;
    const deployment = make();
    if (!quiet) io.stdout(`AARM conformance of the ${kind} deployment: ${deployment.description}\n`);
    const report = await runConformance(SCENARIOS, deployment, {
      version: packageVersion(),
      ...(requirements === undefined ? {} : { requirements }),
      onResult: (result, done, total) => {
        if (quiet) return;
        const mark =
          result.status === "pass"
            ? paint(io, "green", "pass")
            : result.status === "fail"
              ? paint(io, "red", "FAIL")
              : paint(io, "dim", "n/a ");
        io.stdout(`[${String(done).padStart(3)}/${total}] ${mark} ${result.id} ${result.title}\n`);
        if (result.status === "fail") io.stdout(`          ${result.reason}\n`);
      },
    });
    try {
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, "conformance-report.json"), reportJson(report));
      writeFileSync(join(out, "conformance-report.md"), reportMarkdown(report));
    } catch (caught) {
      throw new CliError(
        `${out}: cannot write the reports (${caught instanceof Error ? caught.message : caught})`,
      );
    }
    if (quiet) io.stdout(reportJson(report));
    else {
      io.stdout("\n");
      for (const r of report.requirements) {
        const mark =
          r.status === "pass"
            ? paint(io, "green", "pass")
            : paint(io, "red", r.status === "fail" ? "FAIL" : "none");
        io.stdout(`${r.requirement} ${mark} ${r.title} (${r.scenarios.length} scenarios)\n`);
      }
      io.stdout(
        `\n${report.passed ? paint(io, "green", "conformant") : paint(io, "red", "NOT conformant")}: reports in ${out}\n`,
      );
    }
    return report.passed ? EXIT.ok : EXIT.failure;
  },
};
