/**
 * The vocabulary of the conformance suite: AARM's nine requirements, the
 * scenarios that exercise them (§9 of the AARM testing protocol), the
 * deployments they run against, and what a run reports.
 *
 * A scenario drives a deployment only through the surface an agent uses
 * (sessions and tool calls), with tools that record whether they ran, and
 * judges it by effects and by the receipts it leaves. Whatever a deployment
 * cannot be made to do (inject a store failure into a gateway running in
 * another process, say) the scenario declares, and the report lists it as
 * not applicable, never as passed.
 *
 * @module
 */
import type { DecisionKind, Json } from "../ir/contract.ts";
import type { IdentityClaims } from "../runtime/identity/types.ts";
import type { VerificationReport } from "../runtime/verify.ts";
import type { Receipt } from "../schema/generated/types.ts";

/** AARM's requirements: R1–R6 are the core, R7–R9 the extended profile. */
export const REQUIREMENTS = {
  R1: "Pre-execution interception, fail closed",
  R2: "Context accumulation",
  R3: "Policy evaluation with intent alignment",
  R4: "Five authorization decisions",
  R5: "Tamper-evident receipts",
  R6: "Identity binding",
  R7: "Semantic distance tracking",
  R8: "Telemetry export",
  R9: "Least-privilege enforcement",
} as const;

/** One of AARM's requirements. */
export type Requirement = keyof typeof REQUIREMENTS;

/** The deployments the suite drives. */
export type DeploymentKind = "sdk" | "gateway";

/**
 * Failures a deployment can be told to have, for the fail-closed scenarios:
 * the store or the signer stops working once a session is up; the evaluator
 * throws on every decision; the policy cannot be loaded at all.
 */
export type Fault = "store" | "signer" | "evaluator" | "policy";

/** What a deployment is started with. */
export interface Setup {
  /** The policy, as `.aarm` source text. */
  readonly policy: string;
  /** What each tool returns when it runs, by tool name; `"ok"` otherwise. */
  readonly outputs?: { readonly [tool: string]: string };
  /** Facts the deployment's fact provider supplies for every decision (a ticketing system, a monitor). */
  readonly facts?: { readonly [name: string]: Json };
  /** A tool that throws when it runs, with this message. */
  readonly failing?: { readonly [tool: string]: string };
  /** A failure to inject once the deployment is up. */
  readonly fault?: Fault;
  /** The longest any STEP_UP or DEFER waits before it is denied; default 50 ms. */
  readonly pendingMs?: number;
}

/** How a session is started: who acts, and the user's original request if there is one. */
export interface SessionStart {
  readonly identity: IdentityClaims;
  /** The request's text, or its text with the tools it declared in scope. */
  readonly intent?: string | { readonly text: string; readonly scope: readonly string[] };
}

/** What became of one tool call. */
export interface CallResult {
  /** The decision the policy made, or null when the deployment refused before deciding. */
  readonly decision: DecisionKind | null;
  /** Whether the tool ran (and only the deployment could have run it). */
  readonly executed: boolean;
  /** Why it did not run, when it did not. */
  readonly reason: string;
  /** The receipt of the decision, when one was written. */
  readonly receiptId: string | null;
  /** For a STEP_UP or DEFER, the receipt of how it settled (approved, resolved, timed out). */
  readonly settlementReceiptId: string | null;
  /** The arguments the tool ran with, when it ran. */
  readonly args: { readonly [name: string]: Json } | null;
}

/** A session of a running deployment, as an agent sees it. */
export interface ConformanceSession {
  readonly id: string;
  /** Calls a tool through the deployment; never rejects. */
  call(tool: string, args: { readonly [name: string]: unknown }): Promise<CallResult>;
  end(): Promise<void>;
}

/** A running deployment. */
export interface Instance {
  session(start: SessionStart): Promise<ConformanceSession>;
  /** How often each tool ran, with its arguments, in order. */
  readonly executions: readonly { readonly tool: string; readonly args: { readonly [name: string]: Json } }[];
  /** A stored receipt, or null. */
  receipt(receiptId: string): Promise<Receipt | null>;
  /** Every receipt, verified offline with the published public keys only. */
  verify(): Promise<VerificationReport>;
  /** Every receipt as JSON lines, as `aarm verify` reads an export. */
  exportReceipts(): Promise<string>;
  /** Verifies receipt lines (an export, possibly altered) with the published public keys only. */
  verifyLines(lines: string): Promise<VerificationReport>;
  close(): Promise<void>;
}

/** Something the suite can run scenarios against. */
export interface Deployment {
  readonly kind: DeploymentKind;
  /** A short description for the report: what runs, where, with which store. */
  readonly description: string;
  /** Starts a fresh instance (its own store and keys). Rejects when `setup.fault` is not supported. */
  start(setup: Setup): Promise<Instance>;
  /** The faults this deployment can inject. */
  readonly faults: readonly Fault[];
}

/** What a scenario collects as it runs, for the evidence package. */
export interface Evidence {
  /** Receipts the scenario judged, by id. */
  readonly receipts: string[];
  /** Things observed, in words: decisions, executions, verification results. */
  readonly observations: string[];
}

/** What a scenario is given: a way to start deployments, checks, and its evidence. */
export interface ScenarioContext {
  readonly deployment: DeploymentKind;
  /** Starts an instance of the deployment under test; stopped when the scenario ends. */
  start(setup: Setup): Promise<Instance>;
  /** Fails the scenario with `message` unless `condition` holds. */
  check(condition: boolean, message: string): asserts condition;
  /** Records an observation, and the receipt it is about if any. */
  observe(observation: string, receiptId?: string | null): void;
}

/** One scenario of the protocol. */
export interface Scenario {
  /** The protocol's number, `9.1.1` for §9.1 item 1. */
  readonly id: string;
  readonly requirement: Requirement;
  readonly title: string;
  /** The deployments it applies to, with why not for the others; all by default. */
  readonly only?: { readonly kinds: readonly DeploymentKind[]; readonly reason: string };
  /** Whether the receipts it leaves must verify (false for scenarios that tamper with them). */
  readonly receiptsVerify?: boolean;
  run(t: ScenarioContext): Promise<void>;
}

/** The outcome of one scenario on one deployment. */
export interface ScenarioResult {
  readonly id: string;
  readonly requirement: Requirement;
  readonly title: string;
  readonly status: "pass" | "fail" | "not_applicable";
  /** Why it failed or does not apply. */
  readonly reason: string | null;
  readonly evidence: Evidence;
  readonly ms: number;
}

/** A requirement's verdict: pass when every applicable scenario passed and there was at least one. */
export interface RequirementResult {
  readonly requirement: Requirement;
  readonly title: string;
  readonly status: "pass" | "fail" | "not_covered";
  readonly scenarios: readonly string[];
}

/** A whole run: the evidence package. */
export interface ConformanceReport {
  readonly format: "aarm-conformance";
  readonly version: 1;
  readonly deployment: { readonly kind: DeploymentKind; readonly description: string };
  readonly started_at: string;
  readonly aarm_version: string;
  readonly passed: boolean;
  readonly requirements: readonly RequirementResult[];
  readonly scenarios: readonly ScenarioResult[];
}
