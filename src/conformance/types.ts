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
import type {
  CredentialAuditEntry,
  CredentialFailure,
  CredentialUse,
  IssuedCredential,
} from "../runtime/credentials/types.ts";
import type { IdentityClaims } from "../runtime/identity/types.ts";
import type { DriftProfile } from "../runtime/scoring/drift.ts";
import type { TelemetryFilter } from "../runtime/telemetry/filter.ts";
import type { ApprovalNotificationType } from "../runtime/approvals/notify.ts";
import type { DeferralAttempt, DeferralFacts } from "../runtime/deferrals/desk.ts";
import type { Session } from "../runtime/engine/session.ts";
import type { ApprovalRecord, DeferralRecord } from "../runtime/store/types.ts";
import type { VerificationReport } from "../runtime/verify.ts";
import type { ApprovalRequest, Receipt } from "../schema/generated/types.ts";

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

/** Where a deployment exports its telemetry (AARM R8). */
export interface TelemetrySetup {
  /**
   * `otlp`: OTLP/HTTP to a collector on 127.0.0.1 that records what it
   * receives; `files`: batch files of OCSF JSON lines, one per hour.
   */
  readonly destination: "otlp" | "files";
  /** Which events to export; all by default. */
  readonly filter?: TelemetryFilter;
  /** The collector refuses connections, so events must go to the local fallback. */
  readonly collectorDown?: boolean;
  /**
   * The exporter's clock starts at this instant and steps one second per
   * reading, so that a run crosses a window boundary at a known point; the
   * system clock by default.
   */
  readonly clockFrom?: string;
}

/** Least-privilege credentials (AARM R9): one per released action, checked by the tool before it acts. */
export interface CredentialSetup {
  /** How long a credential is valid; 60 s by default. */
  readonly ttlMs?: number;
}

/** Drift levels (AARM R7): one profile for everyone, and profiles by agent. */
export interface DriftSetup {
  /** The profile of agents not listed; `DRIFT_PROFILES.default` by default. */
  readonly profile?: DriftProfile;
  readonly byAgent?: { readonly [agent: string]: DriftProfile };
}

/** A deferral resolver the deployment is configured with, and what it answers every time it is asked. */
export interface ResolverSetup {
  readonly id: string;
  /** These facts; `unresolved` (it knows nothing); or `hang` (it never answers). */
  readonly answer: { readonly facts: DeferralFacts } | "unresolved" | "hang";
}

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
  /** Export telemetry; none by default. */
  readonly telemetry?: TelemetrySetup;
  /** Issue a scoped credential per released action, which the tools require; none by default. */
  readonly credentials?: CredentialSetup;
  /** Drift profiles; the default profile by default. */
  readonly drift?: DriftSetup;
  /**
   * How agents' identities are verified: the host process vouches for them
   * (`trusted-local`, the default), or they carry tokens of the deployment's
   * identity provider (`jwt`; see {@link Instance.token}).
   */
  readonly identity?: "trusted-local" | "jwt";
  /** Approver groups, by name (`group:treasury`), for the approval desk. */
  readonly approverGroups?: { readonly [group: string]: readonly string[] };
  /** The deferral resolvers, tried in turn; none by default. */
  readonly resolvers?: readonly ResolverSetup[];
  /** Resolver attempts before a deferral is escalated or denied; 3 by default. */
  readonly maxResolverAttempts?: number;
  /** How many deferrals an action may wait behind; the runtime's default (3) by default. */
  readonly maxDeferralDepth?: number;
  /** Parameters receipts record by hash only, per tool, as JSON Pointers (`{ "email.send": ["/body"] }`). */
  readonly sensitiveParameters?: { readonly [tool: string]: readonly string[] };
  /** The policy is read from a file that the deployment watches and hot-reloads (see {@link Instance.replacePolicy}). */
  readonly policyFile?: boolean;
}

/** A token of the deployment's identity provider. */
export interface TokenOptions {
  readonly roles?: readonly string[];
  readonly scope?: readonly string[];
  /** Issued this long ago; 0 by default. */
  readonly ageSeconds?: number;
  /** Valid this long after issue; one hour by default. */
  readonly lifetimeSeconds?: number;
  /** Signed with a key the deployment does not trust. */
  readonly forged?: boolean;
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
  /** The credential issued for the call, with `Setup.credentials`. */
  readonly credential: IssuedCredential | null;
}

/** A session of a running deployment, as an agent sees it. */
export interface ConformanceSession {
  readonly id: string;
  /**
   * Calls a tool through the deployment, and resolves once the call is
   * settled (a STEP_UP or DEFER once it is answered, resolved or timed out);
   * never rejects. `callId` is the agent's id for the call (a retry repeats
   * it); one is made up by default.
   */
  call(
    tool: string,
    args: { readonly [name: string]: unknown },
    options?: { readonly callId?: string },
  ): Promise<CallResult>;
  end(): Promise<void>;
}

/** One exported telemetry event, as the collector or the batch file received it. */
export interface ExportedEvent {
  /** `aarm.action`, `aarm.decision`, `aarm.drift`, … */
  readonly type: string;
  readonly severity: string;
  /** The event as the destination received it (OCSF for batch files). */
  readonly body: Json;
}

/** What a deployment's telemetry destination has received so far. */
export interface TelemetryCapture {
  /** The destination, in words. */
  readonly destination: string;
  /** Every event delivered, in order. */
  readonly events: readonly ExportedEvent[];
  /** Everything delivered as text: the OTLP request bodies, or the batch files' lines. */
  readonly raw: readonly string[];
  /** The batch files written, by name. */
  readonly files: readonly string[];
  /** The lines of the local fallback files. */
  readonly fallback: readonly string[];
  /** Degraded-export alerts raised. */
  readonly alerts: number;
}

/** The credentials of a deployment started with `Setup.credentials`, and the tools' side of them. */
export interface CredentialLedger {
  /** Every credential issued, in order. */
  readonly issued: readonly IssuedCredential[];
  /** Every issue, use and refused use, in order. */
  readonly audit: readonly CredentialAuditEntry[];
  /** Presents `token` to the tool named in `use` directly, as an agent holding it could: the tool's answer. */
  present(
    token: string,
    use: CredentialUse,
  ): { readonly ok: true } | { readonly ok: false; readonly failure: CredentialFailure };
}

/** A notification the approval desk sent. */
export interface SentNotification {
  readonly type: ApprovalNotificationType;
  readonly request_id: string;
  readonly label: string;
  readonly approvers: readonly string[];
  readonly request: ApprovalRequest;
}

/** The approval desk of a deployment, as approvers use it. */
export interface ApprovalsView {
  /** The requests waiting for an answer. */
  pending(): Promise<readonly ApprovalRequest[]>;
  /** A request with its answers and result, or null. */
  show(requestId: string): Promise<ApprovalRecord | null>;
  /**
   * Answers as `approver`, proving it with `token` (one of the identity
   * provider's for `approver` by default): whether the answer was recorded,
   * whether the approver's identity verified, and why it was refused.
   */
  answer(
    requestId: string,
    decision: "approve" | "deny",
    approver: string,
    options?: { readonly token?: string; readonly reason?: string },
  ): Promise<{ readonly recorded: boolean; readonly verified: boolean; readonly refusal: string | null }>;
  /** The notifications sent so far. */
  readonly notifications: readonly SentNotification[];
}

/** The deferral desk of a deployment. */
export interface DeferralsView {
  /** The deferrals not yet resolved. */
  pending(): Promise<readonly DeferralRecord[]>;
  /** Every deferral, resolved or not. */
  all(): Promise<readonly DeferralRecord[]>;
  /** Supplies facts to a waiting deferral (retrying for a moment while it starts to wait); whether they were taken. */
  provideFacts(deferralId: string, facts: DeferralFacts): Promise<boolean>;
  /** Every resolution attempt, as audited. */
  readonly attempts: readonly DeferralAttempt[];
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
  /** Flushes the telemetry exporter and returns what its destination received; rejects without `Setup.telemetry`. */
  telemetry(): Promise<TelemetryCapture>;
  /** The credentials; rejects without `Setup.credentials`. */
  credentials(): CredentialLedger;
  readonly approvals: ApprovalsView;
  readonly deferrals: DeferralsView;
  /** A token of the deployment's identity provider asserting `subject`. */
  token(subject: string, options?: TokenOptions): Promise<string>;
  /** Revokes every token of `subject` at the identity provider. */
  revoke(subject: string): void;
  /** The identity provider gives `subject` these roles from now on (a role change in mid-session). */
  setRoles(subject: string, roles: readonly string[]): void;
  /** Rotates the receipt signing key: new receipts are signed with a new key id, the old key stays published. */
  rotateKeys(): void;
  /**
   * Rewrites the policy file (with `Setup.policyFile`) and resolves once the
   * deployment has picked the new policy up: its name and version as now in force.
   */
  replacePolicy(source: string): Promise<{ readonly name: string; readonly version: string }>;
  /**
   * An insider with access to the store rewrites the session's first stored
   * context entry containing `from`, putting `to` in its place; whether one was found.
   */
  editStoredContext(session: string, from: string, to: string): Promise<boolean>;
  /**
   * A session of the embedded runtime itself, for scenarios about the SDK's
   * own surface (guards, coverage); only deployments that embed the runtime have it.
   */
  readonly runtimeSession?: (start: SessionStart) => Promise<Session>;
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
  /** Things observed, in words: decisions, executions. */
  readonly observations: string[];
  /** Exported telemetry events the scenario judged, as JSON text (shortened). */
  readonly telemetry: string[];
  /** The offline verification of each instance's receipts, after the scenario. */
  readonly verification: VerificationSummary[];
}

/** The outcome of verifying one instance's receipts offline. */
export interface VerificationSummary {
  readonly checked: number;
  readonly verified: number;
  readonly sessions: number;
  readonly ok: boolean;
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
  /** Records an exported telemetry event as evidence. */
  sample(event: ExportedEvent): void;
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
