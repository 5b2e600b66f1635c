/**
 * Runs scenarios against a deployment and assembles the evidence package:
 * per scenario, pass or fail with the reason and the receipts and
 * observations it rests on; per requirement, the verdict over its scenarios.
 *
 * Every instance a scenario starts is verified when the scenario ends: each
 * receipt's signature against the published public key, and each session's
 * receipt chain whole (AARM §9: "every scenario also asserts that a receipt
 * was emitted and that it verifies offline"). A scenario that throws for any
 * reason fails; nothing is counted as passed that did not run to its end.
 *
 * @module
 */
import { REQUIREMENTS, type Requirement } from "./types.ts";
import type {
  ConformanceReport,
  Deployment,
  Evidence,
  Instance,
  RequirementResult,
  Scenario,
  ScenarioContext,
  ScenarioResult,
  Setup,
} from "./types.ts";

/** A check that did not hold. */
export class ConformanceFailure extends Error {
  override readonly name = "ConformanceFailure";
}

/**
 * Thrown by a deployment asked for something it cannot be made to do (a
 * setup option, an operation): the scenario does not apply to it, with the
 * message as the reason. Never a pass.
 */
export class NotApplicable extends Error {
  override readonly name = "NotApplicable";
}

/** How a run is told what to run and where to report progress. */
export interface RunOptions {
  /** Only scenarios of these requirements; all by default. */
  readonly requirements?: readonly Requirement[];
  /** Called after each scenario, for progress output. */
  readonly onResult?: (result: ScenarioResult, done: number, total: number) => void;
  /** The package version to record. */
  readonly version: string;
  /** The time the run started; now by default. */
  readonly now?: () => Date;
}

/** Telemetry samples kept per scenario, and their length: enough to show, not to bloat the report. */
const SAMPLES = 8;
const SAMPLE_CHARS = 1200;

async function runScenario(scenario: Scenario, deployment: Deployment): Promise<ScenarioResult> {
  const base = { id: scenario.id, requirement: scenario.requirement, title: scenario.title };
  const evidence: Evidence = { receipts: [], observations: [], telemetry: [], verification: [] };
  if (scenario.only !== undefined && !scenario.only.kinds.includes(deployment.kind))
    return { ...base, status: "not_applicable", reason: scenario.only.reason, evidence, ms: 0 };
  const instances: Instance[] = [];
  const t: ScenarioContext = {
    deployment: deployment.kind,
    async start(setup: Setup) {
      if (setup.fault !== undefined && !deployment.faults.includes(setup.fault))
        throw new NotApplicable(`the ${deployment.kind} deployment cannot inject a ${setup.fault} fault`);
      const instance = await deployment.start(setup);
      instances.push(instance);
      return instance;
    },
    check(condition, message): asserts condition {
      if (!condition) throw new ConformanceFailure(message);
    },
    observe(observation, receiptId) {
      evidence.observations.push(observation);
      if (typeof receiptId === "string" && !evidence.receipts.includes(receiptId))
        evidence.receipts.push(receiptId);
    },
    sample(event) {
      const text = JSON.stringify(event);
      if (evidence.telemetry.length < SAMPLES)
        evidence.telemetry.push(text.length > SAMPLE_CHARS ? `${text.slice(0, SAMPLE_CHARS)}…` : text);
    },
  };
  const t0 = performance.now();
  let reason: string | null = null;
  let applicable = true;
  try {
    await scenario.run(t);
    if (scenario.receiptsVerify !== false) {
      for (const instance of instances) {
        const report = await instance.verify();
        evidence.verification.push({
          checked: report.checked,
          verified: report.verified,
          sessions: report.sessions.length,
          ok: report.ok,
        });
        if (!report.ok || report.checked === 0) {
          const first = report.issues[0];
          throw new ConformanceFailure(
            report.checked === 0
              ? "no receipt was written"
              : `receipts do not verify: ${first?.location ?? "?"}: ${first?.message ?? "?"}`,
          );
        }
        t.observe(
          `${report.verified} of ${report.checked} receipts verified offline; ${report.sessions.length} session chain(s) whole`,
        );
      }
    }
  } catch (caught) {
    applicable = !(caught instanceof NotApplicable);
    reason = caught instanceof Error ? caught.message : String(caught);
  } finally {
    for (const instance of instances) await instance.close().catch(() => undefined);
  }
  return {
    ...base,
    status: !applicable ? "not_applicable" : reason === null ? "pass" : "fail",
    reason,
    evidence,
    ms: Math.round(performance.now() - t0),
  };
}

/** Runs `scenarios` against `deployment`, one at a time, and reports. */
export async function runConformance(
  scenarios: readonly Scenario[],
  deployment: Deployment,
  options: RunOptions,
): Promise<ConformanceReport> {
  const startedAt = (options.now ?? (() => new Date()))().toISOString();
  const chosen = scenarios.filter(
    (s) => options.requirements === undefined || options.requirements.includes(s.requirement),
  );
  const results: ScenarioResult[] = [];
  for (const scenario of chosen) {
    const result = await runScenario(scenario, deployment);
    results.push(result);
    options.onResult?.(result, results.length, chosen.length);
  }
  const requirements: RequirementResult[] = (Object.keys(REQUIREMENTS) as Requirement[])
    .filter((r) => options.requirements === undefined || options.requirements.includes(r))
    .map((requirement) => {
      const own = results.filter((r) => r.requirement === requirement && r.status !== "not_applicable");
      const status =
        own.length === 0 ? "not_covered" : own.every((r) => r.status === "pass") ? "pass" : "fail";
      return {
        requirement,
        title: REQUIREMENTS[requirement],
        status,
        scenarios: results.filter((r) => r.requirement === requirement).map((r) => r.id),
      };
    });
  return {
    format: "aarm-conformance",
    version: 1,
    deployment: { kind: deployment.kind, description: deployment.description },
    started_at: startedAt,
    aarm_version: options.version,
    passed: requirements.every((r) => r.status === "pass"),
    requirements,
    scenarios: results,
  };
}
