/**
 * Types of the canonical aarm schemas. GENERATED: do not edit.
 *
 * Source: src/schema/json/*.schema.json. Regenerate with `npm run gen:types`
 * (node scripts/gen-schema-types.ts); CI fails when this file is stale
 * (`npm run check:types-drift`).
 *
 * @module
 */

/**
 * The canonical action: a tool call an agent proposed, normalised by the action mediation layer before any policy sees it (AARM spec §5.1, §3.1). The same request always yields the same action.
 */
export interface Action {
  /**
   * Unique id of the action, e.g. `act_7f8a9b2c`.
   */
  action_id: Identifier;
  /**
   * When the action was intercepted (UTC).
   */
  timestamp: Timestamp;
  /**
   * The tool that will run, after meta-tool resolution, e.g. `linear-server.list_issues`.
   */
  tool: Identifier;
  /**
   * The name the agent called when it was a wrapper (meta-tool) that was resolved to `tool`, kept for audit; absent when no resolution happened.
   */
  original_tool?: Identifier;
  /**
   * The operation on the tool, e.g. `send`, `call` or an HTTP method in lower case.
   */
  operation: Identifier;
  /**
   * The tool's arguments, unmodified.
   */
  parameters: ToolParameters;
  /**
   * The tool's effect, from its declaration.
   */
  effect: Effect;
  /**
   * Resources the action touches (recipients, URLs, paths, tables), derived from the tool declaration; empty when it declares none.
   *
   * @maxItems 256
   */
  targets: string[];
  /**
   * Who is acting.
   */
  identity: Identity;
}

/**
 * A request for human approval of one exact action, with the full context an approver needs to decide (AARM spec §3.4). Raised by a STEP_UP decision or by a deferral escalated to a human.
 */
export interface ApprovalRequest {
  /**
   * Unique id of the request; approvers answer by it.
   */
  request_id: Identifier;
  /**
   * A direct STEP_UP, or a deferral escalated to a human; shown differently to approvers.
   */
  source: ApprovalSource;
  /**
   * For a deferral escalation, the deferred action's id.
   */
  deferral_id?: Identifier;
  /**
   * When the request was raised.
   */
  created_at: Timestamp;
  /**
   * When the request times out and the action is denied.
   */
  expires_at: Timestamp;
  /**
   * SHA-256 of the action's canonical JSON. An approval applies to this exact action and to no other.
   */
  action_digest: Sha256Digest;
  /**
   * The action awaiting approval, including the identity chain it was bound to at interception.
   */
  action: Action;
  /**
   * The user's original request, or null when none was supplied.
   */
  original_request: Intent | null;
  /**
   * Earlier actions of the session, oldest first.
   *
   * @maxItems 1000
   */
  prior_actions: PriorAction[];
  /**
   * Data categories the session has touched.
   *
   * @maxItems 1024
   */
  data_classifications: Identifier[];
  /**
   * Highest sensitivity the session has touched, or null.
   */
  highest_sensitivity: SensitivityLevel | null;
  /**
   * Semantic distance of the action from the original request, when computed.
   */
  semantic_distance?: Score;
  /**
   * Risk level of the deciding rules, or null; high risk is shown prominently.
   */
  risk_level: RiskLevel | null;
  /**
   * Confidence of the policy decision, when provided.
   */
  confidence?: Score;
  /**
   * The rules that fired.
   *
   * @minItems 1
   * @maxItems 1024
   */
  rules: Identifier[];
  /**
   * Why they fired, one reason per rule.
   *
   * @maxItems 1024
   */
  reasons: Prose[];
  /**
   * The policy the decision was made under.
   */
  policy: PolicyRef;
  /**
   * Approvers, quorum, timeout and escalation.
   */
  requirement: ApprovalRequirement;
}

/**
 * How an approval request ended: approved by a quorum, denied, or timed out, with every approver response (AARM spec §3.4). Recorded in the follow-up receipt whatever the outcome.
 */
export interface ApprovalResult {
  /**
   * The approval request this answers.
   */
  request_id: Identifier;
  /**
   * Digest of the exact action approved or denied, copied from the request.
   */
  action_digest: Sha256Digest;
  /**
   * A direct STEP_UP or a deferral escalation.
   */
  source: ApprovalSource;
  /**
   * What the approval needed, so a reader can check the quorum was met.
   */
  requirement: ApprovalRequirement;
  /**
   * Who asked the approvers: aarm's approval service (`approval_service`, the default when absent), or the host's own permission prompt (`host_prompt`), which names the approver itself; such a response is recorded with `identity_verified: false`.
   */
  method?: "approval_service" | "host_prompt";
  /**
   * The outcome. Only `approved` lets the action run; a timeout denies. `delegated` (method `host_prompt` only) hands the request to the host's prompt: nothing is released until a later result of the same request records the host's answer.
   */
  decision: "approved" | "denied" | "timeout" | "delegated";
  /**
   * Every approver response, in the order received.
   *
   * @maxItems 256
   */
  responses: ApproverResponse[];
  /**
   * Why the request ended this way, e.g. the denying approver's reason or `no quorum within 15m`.
   */
  reason: Prose;
  /**
   * When the outcome was settled.
   */
  decided_at: Timestamp;
}

/**
 * One approver's answer.
 */
export interface ApproverResponse {
  /**
   * Who answered.
   */
  approver: Identifier;
  /**
   * Whether the approver's identity was verified on an authenticated channel. Unverified responses never count towards the quorum.
   */
  identity_verified: boolean;
  /**
   * The approver's answer.
   */
  decision: "approve" | "deny";
  /**
   * The reason the approver gave, if any.
   */
  reason?: Prose;
  /**
   * When the answer arrived.
   */
  responded_at: Timestamp;
}

/**
 * A name or id (of an action, session, principal, role, scope, tool or rule): 1 to 256 characters and no control characters, so it is safe to log and display.
 */
export type Identifier = string;

/**
 * Human-readable prose such as a reason or an error message, at most 4096 characters.
 */
export type Prose = string;

/**
 * A date-time in UTC (RFC 3339 with a `Z` suffix), e.g. `2026-11-22T09:15:02.431Z`.
 */
export type Timestamp = string;

/**
 * A SHA-256 digest written `sha256:` followed by 64 lower-case hex digits.
 */
export type Sha256Digest = string;

/**
 * A score in [0, 1]: alignment, confidence, semantic distance, drift or a classifier output.
 */
export type Score = number;

/**
 * Tool arguments as a JSON object, exactly as the tool receives them. Values are unconstrained; the number of top-level arguments is bounded.
 */
export interface ToolParameters {
  [k: string]: unknown;
}

/**
 * The five authorization decisions (AARM R4).
 */
export type DecisionKind = "ALLOW" | "DENY" | "MODIFY" | "STEP_UP" | "DEFER";

/**
 * AARM's four action classifications (spec §4.1).
 */
export type Classification =
  "forbidden" | "context_dependent_deny" | "context_dependent_allow" | "context_dependent_defer";

/**
 * Risk level declared by the deciding rules; lower case as in the policy language.
 */
export type RiskLevel = "low" | "medium" | "high" | "critical";

/**
 * What a tool does to the world, fixed by its declaration.
 */
export type Effect = "read" | "write" | "delete" | "egress" | "execute";

/**
 * Ordered data sensitivity: public < internal < confidential < restricted. Output nothing classifies is restricted.
 */
export type SensitivityLevel = "public" | "internal" | "confidential" | "restricted";

/**
 * Why a decision was DEFER: a `defer` rule matched (`rule`), a referenced context fact was not populated (`missing_context`), rules of the same tier conflicted (`conflict`), or confidence was below the threshold (`low_confidence`).
 */
export type DeferralTrigger = "rule" | "missing_context" | "conflict" | "low_confidence";

/**
 * How an action reached the approval service: a STEP_UP decision, or a deferral escalated to a human.
 */
export type ApprovalSource = "step_up" | "defer_escalation";

/**
 * Labels of a piece of data, usually a tool output.
 */
export interface DataLabels {
  /**
   * Sensitivity level of the data.
   */
  sensitivity: SensitivityLevel;
  /**
   * Data categories such as `pii`, `secret` or `financial`.
   *
   * @maxItems 64
   */
  categories: Identifier[];
  /**
   * True when the data is attacker-reachable content (web pages, inbound email, files from others); it taints the session.
   */
  untrusted: boolean;
}

/**
 * One step of a delegation chain: `delegator` let `delegatee` act on its behalf.
 */
export interface DelegationLink {
  /**
   * The principal that delegated.
   */
  delegator: Identifier;
  /**
   * The principal (usually an agent) that received the delegation.
   */
  delegatee: Identifier;
  /**
   * Scopes delegated; absent when the link did not state them.
   *
   * @maxItems 256
   */
  scope?: Identifier[];
  /**
   * When the delegation was granted, if known.
   */
  issued_at?: Timestamp;
  /**
   * When the delegation stops being valid, if it expires.
   */
  expires_at?: Timestamp;
}

/**
 * Who is acting, bound to the action at mediation time (AARM R6). A session and at least one of a human or a service principal are required.
 */
export interface Identity {
  /**
   * The human principal, e.g. `alice@example.com`.
   */
  human?: Identifier;
  /**
   * The service identity the agent runs as, e.g. `agent-svc`.
   */
  service?: Identifier;
  /**
   * The agent itself, e.g. `research-agent-v2`.
   */
  agent?: Identifier;
  /**
   * The session the action belongs to; context is accumulated per session.
   */
  session: Identifier;
  /**
   * Roles of the acting principal.
   *
   * @maxItems 256
   */
  roles: Identifier[];
  /**
   * Privilege scopes in effect, e.g. `db:read`.
   *
   * @maxItems 256
   */
  scope: Identifier[];
  /**
   * Delegations from the original principal to the acting agent, outermost first; empty when nothing was delegated.
   *
   * @maxItems 32
   */
  delegation_chain: DelegationLink[];
}

/**
 * Risk signals derived from the session's context. A signal that was not computed is absent, never false.
 */
export interface RiskSignals {
  /**
   * The action's tool lies outside the scope the user declared.
   */
  scope_expansion?: boolean;
  /**
   * The highest sensitivity accessed exceeds what the original request expected.
   */
  classification_escalation?: boolean;
  /**
   * The sequence of actions matches a suspicious pattern.
   */
  unusual_sequence?: boolean;
  /**
   * Semantic distance from the original request is above the drift threshold.
   */
  drift_detected?: boolean;
  /**
   * The action rate is anomalous.
   */
  velocity_anomaly?: boolean;
  /**
   * The session has more actions than its expected chain length.
   */
  chain_length_exceeded?: boolean;
  /**
   * Likelihood, from a classifier, that content in the session carries a prompt injection.
   */
  injection_score?: Score;
  /**
   * Overall anomaly score from a sequence model.
   */
  anomaly_score?: Score;
}

/**
 * A summary of an earlier action in the session, as shown to approvers and kept in receipts.
 */
export interface PriorAction {
  /**
   * The earlier action's id.
   */
  action_id: Identifier;
  /**
   * When it was intercepted.
   */
  timestamp: Timestamp;
  /**
   * Its tool, after meta-tool resolution.
   */
  tool: Identifier;
  /**
   * Its operation.
   */
  operation: Identifier;
  /**
   * The decision it received.
   */
  decision: DecisionKind;
}

/**
 * The exact policy a decision was made under.
 */
export interface PolicyRef {
  /**
   * Policy name as declared in the policy file.
   */
  name: Identifier;
  /**
   * Policy version as declared in the policy file, e.g. `2026.11.1`.
   */
  version: Identifier;
  /**
   * SHA-256 of the canonical compiled policy.
   */
  hash: Sha256Digest;
}

/**
 * Who is asked next when the approvers have not answered in time.
 */
export interface Escalation {
  /**
   * Milliseconds after the request was raised at which to escalate.
   */
  after_ms: number;
  /**
   * Approvers (people or groups) to escalate to.
   *
   * @minItems 1
   * @maxItems 256
   */
  to: Identifier[];
}

/**
 * What a STEP_UP needs before the action may run.
 */
export interface ApprovalRequirement {
  /**
   * Approvers (people or groups) who may decide, in order of first appearance among the deciding rules.
   *
   * @minItems 1
   * @maxItems 256
   */
  approvers: Identifier[];
  /**
   * How many distinct approvers must approve.
   */
  quorum: number;
  /**
   * Milliseconds to wait for the quorum; on timeout the action is denied. At most 7 days.
   */
  timeout_ms: number;
  /**
   * Escalation before the timeout, or null for none.
   */
  escalation: Escalation | null;
  /**
   * Whether the requesting human may approve their own action.
   */
  self_approval: boolean;
}

/**
 * The policy decision point's verdict on one action: exactly one of the five decisions, with everything the enforcement point needs to carry it out and everything a receipt needs to explain it (AARM spec §5.3, §3.3).
 */
export interface Decision {
  /**
   * The decision.
   */
  result: DecisionKind;
  /**
   * The AARM classification of the action, or null for a plain baseline decision.
   */
  classification: Classification | null;
  /**
   * The rules that decided, in source order; `default` when the default posture decided.
   *
   * @maxItems 1024
   */
  rules: Identifier[];
  /**
   * One reason per deciding rule, in the same order.
   *
   * @maxItems 1024
   */
  reasons: Prose[];
  /**
   * For MODIFY: the operations applied and the resulting parameters; null otherwise.
   */
  modifications: Modifications | null;
  /**
   * For STEP_UP: who must approve, how many, and how long to wait; null otherwise.
   */
  approval: ApprovalRequirement | null;
  /**
   * For DEFER: how long to wait for context and what happens on timeout; null otherwise.
   */
  deferral: DeferralRequirement | null;
  /**
   * For DEFER: the missing context whose arrival could change the decision, sorted; empty otherwise.
   *
   * @maxItems 256
   */
  context_needed: Identifier[];
  /**
   * The highest risk level the deciding rules declared, or null when none declared one.
   */
  risk_level: RiskLevel | null;
  /**
   * Confidence in the decision, when the scorer provides one.
   */
  confidence?: Score;
  /**
   * Alignment of the action with the original request (frozen before the decision), when computed.
   */
  alignment?: Score;
  /**
   * Semantic distance of the action from the original request, when computed.
   */
  semantic_distance?: Score;
  /**
   * The scorer that computed `alignment` and the session's drift, when one ran.
   */
  scorer?: ScorerRef;
  /**
   * The policy the decision was made under.
   */
  policy: PolicyRef;
}

/**
 * A scorer by id and version: the same scorer at the same version scores the same input the same.
 */
export interface ScorerRef {
  /**
   * The scoring method, e.g. `aarm.token-overlap`.
   */
  id: Identifier;
  /**
   * The scorer's version.
   */
  version: Identifier;
}

/**
 * What a MODIFY decision changes.
 */
export interface Modifications {
  /**
   * The operations applied, in application order; none when every operation was skipped (it addressed an absent argument), and the parameters are then as requested.
   *
   * @maxItems 1024
   */
  applied: AppliedModification[];
  /**
   * The parameters after every operation was applied; the tool runs with these.
   */
  parameters: ToolParameters;
}

/**
 * Location of a value inside the parameters, as a list of object keys from the top.
 *
 * @minItems 1
 * @maxItems 32
 */
export type ParameterPath = string[];

/**
 * One modification operation, discriminated by `op`.
 */
export type AppliedModification =
  SetModification | RemoveModification | ClampModification | RedactModification;

/**
 * Set a parameter to a fixed value.
 */
export interface SetModification {
  /**
   * Set the value at `path`.
   */
  op: "set";
  /**
   * The rule that asked for it.
   */
  rule: Identifier;
  /**
   * The parameter set.
   */
  path: ParameterPath;
  /**
   * The new value (any JSON value).
   */
  value: unknown;
}

/**
 * Remove a parameter.
 */
export interface RemoveModification {
  /**
   * Remove the value at `path`.
   */
  op: "remove";
  /**
   * The rule that asked for it.
   */
  rule: Identifier;
  /**
   * The parameter removed.
   */
  path: ParameterPath;
}

/**
 * Bring a numeric parameter into a range.
 */
export interface ClampModification {
  /**
   * Clamp the number at `path` into [min, max].
   */
  op: "clamp";
  /**
   * The rule that asked for it.
   */
  rule: Identifier;
  /**
   * The parameter clamped.
   */
  path: ParameterPath;
  /**
   * Lower bound, inclusive.
   */
  min: number;
  /**
   * Upper bound, inclusive.
   */
  max: number;
}

/**
 * Redact a string parameter, wholly or where a pattern matches.
 */
export interface RedactModification {
  /**
   * Redact the string at `path`.
   */
  op: "redact";
  /**
   * The rule that asked for it.
   */
  rule: Identifier;
  /**
   * The parameter redacted.
   */
  path: ParameterPath;
  /**
   * RE2 pattern of the parts to redact, or null to redact the whole value.
   */
  pattern: string | null;
}

/**
 * Why an action was deferred and what happens if the missing context does not arrive in time.
 */
export interface DeferralRequirement {
  /**
   * Why the action was deferred.
   */
  trigger: DeferralTrigger;
  /**
   * Milliseconds to wait for the missing context: 300000 (5 minutes) by default, at most 3600000 (1 hour).
   */
  timeout_ms: number;
  /**
   * What a timeout becomes: DENY, or STEP_UP to a human who can supply the context. Never ALLOW.
   */
  on_timeout: "deny" | "step_up";
  /**
   * The approval a timeout escalates to when `on_timeout` is `step_up`; null otherwise.
   */
  approval: ApprovalRequirement | null;
}

/**
 * How a deferred action ended (AARM spec §3.5). Recorded in a follow-up receipt that keeps the original identity.
 */
export interface DeferralResolution {
  /**
   * The deferral resolved.
   */
  deferral_id: Identifier;
  /**
   * The deferred action.
   */
  action_id: Identifier;
  /**
   * How it was resolved: `re_evaluation` (the missing context arrived and the policy was evaluated again), `user_confirmation` (a narrow question to the user; yes leads to STEP_UP, no to DENY), `resolver_exhausted` (automatic resolution gave up and handed over to a human), `timeout`, or `cancelled` (treated as DENY).
   */
  method: "re_evaluation" | "user_confirmation" | "resolver_exhausted" | "timeout" | "cancelled";
  /**
   * The terminal result. TIMEOUT means the timeout fired and the action was denied; a timeout configured to escalate gives STEP_UP instead.
   */
  result: "ALLOW" | "DENY" | "STEP_UP" | "TIMEOUT";
  /**
   * Why it was resolved this way.
   */
  reason: Prose;
  /**
   * When it was resolved.
   */
  resolved_at: Timestamp;
  /**
   * Resolution attempts made, including the last.
   */
  attempts: number;
  /**
   * The identity bound to the action when it was intercepted; it is re-validated before anything runs.
   */
  original_identity: Identity;
  /**
   * Hash of the context the re-evaluation used, when there was one.
   */
  context_hash?: Sha256Digest;
  /**
   * For a STEP_UP result, the approval request raised.
   */
  approval_request_id?: Identifier;
}

/**
 * An action suspended by a DEFER decision until the context it needs arrives (AARM spec §3.5). Nothing runs while it is pending; it keeps the original identity, policy version and context snapshot, and is not a new action.
 */
export interface DeferredAction {
  /**
   * Unique id of the deferral.
   */
  deferral_id: Identifier;
  /**
   * The suspended action, with the identity bound at interception.
   */
  action: Action;
  /**
   * SHA-256 of the action's canonical JSON; a resolution applies to this exact action.
   */
  action_digest: Sha256Digest;
  /**
   * The receipt of the DEFER decision; the resolution receipt points back to it.
   */
  decision_receipt_id: Identifier;
  /**
   * The policy version the action was deferred under.
   */
  policy: PolicyRef;
  /**
   * Hash of the context snapshot at suspension.
   */
  context_hash: Sha256Digest;
  /**
   * Why the action was deferred.
   */
  trigger: DeferralTrigger;
  /**
   * The rules that decided DEFER, if a rule did.
   *
   * @maxItems 1024
   */
  rules: Identifier[];
  /**
   * Why the action was deferred, for people.
   *
   * @maxItems 1024
   */
  reasons: Prose[];
  /**
   * The missing context whose arrival could change the decision, sorted.
   *
   * @maxItems 256
   */
  context_needed: Identifier[];
  /**
   * When the action was suspended.
   */
  created_at: Timestamp;
  /**
   * Milliseconds to wait: 300000 (5 minutes) by default, at most 3600000 (1 hour).
   */
  timeout_ms: number;
  /**
   * `created_at` plus `timeout_ms`.
   */
  timeout_at: Timestamp;
  /**
   * What a timeout becomes: DENY, or STEP_UP to a human who can supply the context. Never ALLOW.
   */
  on_timeout: "deny" | "step_up";
  /**
   * The approval a timeout escalates to when `on_timeout` is `step_up`; null otherwise.
   */
  approval: ApprovalRequirement | null;
  /**
   * How many deferrals this one waits behind (0 when it depends on none). Beyond the configured limit (3 by default) the action is denied.
   */
  cascade_depth: number;
  /**
   * Deferrals that must resolve before this action may run.
   *
   * @maxItems 64
   */
  depends_on: Identifier[];
  /**
   * Lifecycle state: `pending` while suspended; `resolved` when re-evaluation decided ALLOW or DENY; `escalated` when handed to a human; `timed_out` when the timeout fired.
   */
  state: "pending" | "resolved" | "escalated" | "timed_out";
  /**
   * Resolution attempts made so far.
   */
  attempts: number;
}

/**
 * The user's original request that started the session: the baseline every later action is compared with (AARM spec §5.2).
 */
export interface Intent {
  /**
   * The request as the user wrote it.
   */
  text: string;
  /**
   * Tools or tool families the user declared in scope; empty when none was declared, in which case no scope expansion is detected.
   *
   * @maxItems 256
   */
  scope: Identifier[];
  /**
   * Category of the request, if a classifier assigned one, e.g. `financial_report`.
   */
  intent_classification?: Identifier;
  /**
   * Entities the request names (people, accounts, files), if extracted.
   *
   * @maxItems 1024
   */
  entities?: string[];
  /**
   * The highest sensitivity the request is expected to need; accessing more raises `classification_escalation`. Treated as `public` when absent.
   */
  expected_classification?: SensitivityLevel;
}

/**
 * A signed, hash-chained record of one decision: what was requested, by whom, in what context, what was decided under which policy, any approval or deferral, and what happened (AARM R5, spec §5.4 consolidated receipt). The signature covers the RFC 8785 canonical JSON of every other field.
 */
export interface Receipt {
  /**
   * Unique id of the receipt, e.g. `rct_01JD3X…`.
   */
  receipt_id: Identifier;
  /**
   * Receipt format version. `1.0` is this schema, canonicalised with RFC 8785, hashed with SHA-256 and signed with Ed25519.
   */
  version: "1.0";
  /**
   * When the receipt was generated.
   */
  issued_at: Timestamp;
  /**
   * Hash of the previous receipt of the same session (its canonical JSON, signature included), or null for the session's first receipt. Deleting or reordering receipts breaks the chain.
   */
  prev_receipt_hash: Sha256Digest | null;
  /**
   * For a follow-up receipt (an approval or a deferral resolution), the receipt of the original STEP_UP or DEFER decision; null otherwise.
   */
  related_receipt_id: Identifier | null;
  /**
   * The action as requested and, if modified, as it ran.
   */
  action: ReceiptAction;
  /**
   * The identity the action was bound to when it was intercepted.
   */
  requester_context: RequesterContext;
  /**
   * What was decided and why.
   */
  decision: ReceiptDecision;
  /**
   * The context the decision was made in, by hash and summary; the full snapshot stays in the context store.
   */
  context: ReceiptContext;
  /**
   * The approval outcome for a STEP_UP follow-up receipt; null otherwise.
   */
  approval: ApprovalResult | null;
  /**
   * The deferral for a DEFER receipt and its resolution for the follow-up; null otherwise.
   */
  deferral: ReceiptDeferral | null;
  /**
   * What happened when the action ran; null when it did not run.
   */
  execution: Execution | null;
  /**
   * Signature over the canonical JSON of the receipt without this field.
   */
  signature: Signature;
}

/**
 * The action a receipt is about.
 */
export interface ReceiptAction {
  /**
   * The action's id.
   */
  action_id: Identifier;
  /**
   * When the action was intercepted.
   */
  timestamp: Timestamp;
  /**
   * The tool, after meta-tool resolution.
   */
  tool: Identifier;
  /**
   * The wrapper (meta-tool) name the agent called, when it was resolved to `tool`.
   */
  original_tool?: Identifier;
  /**
   * The operation on the tool.
   */
  operation: Identifier;
  /**
   * The tool's effect.
   */
  effect: Effect;
  /**
   * Resources the action touches.
   *
   * @maxItems 256
   */
  targets: string[];
  /**
   * The parameters as the agent requested them.
   */
  parameters: ToolParameters;
  /**
   * The parameters the tool actually ran with, when a MODIFY changed them; null otherwise.
   */
  modified_parameters: ToolParameters | null;
}

/**
 * The identity of the requester as bound at interception. Principals are recorded as claimed, so that a request refused for missing or invalid identity still gets a receipt.
 */
export interface RequesterContext {
  /**
   * The human principal.
   */
  human?: Identifier;
  /**
   * The service identity.
   */
  service?: Identifier;
  /**
   * The agent.
   */
  agent?: Identifier;
  /**
   * The session; receipts are chained per session.
   */
  session: Identifier;
  /**
   * Roles of the acting principal.
   *
   * @maxItems 256
   */
  roles: Identifier[];
  /**
   * Privilege scopes in effect.
   *
   * @maxItems 256
   */
  scope: Identifier[];
  /**
   * Delegations from the original principal to the acting agent, outermost first.
   *
   * @maxItems 32
   */
  delegation_chain: DelegationLink[];
  /**
   * When the identity claims were last verified (against an IdP or service registry), or null when they were not verified.
   */
  identity_verified_at: Timestamp | null;
}

/**
 * The policy and rules behind a decision.
 */
export interface ReceiptPolicy {
  /**
   * Policy name as declared in the policy file.
   */
  policy_id: Identifier;
  /**
   * The deciding rules, in source order; `default` when the default posture decided.
   *
   * @maxItems 1024
   */
  rule_ids: Identifier[];
  /**
   * Policy version.
   */
  version: Identifier;
  /**
   * SHA-256 of the canonical compiled policy, so the decision can be replayed against exactly this policy.
   */
  hash: Sha256Digest;
}

/**
 * The decision as recorded in a receipt.
 */
export interface ReceiptDecision {
  /**
   * The decision.
   */
  result: DecisionKind;
  /**
   * The AARM classification, or null for a plain baseline decision.
   */
  classification: Classification | null;
  /**
   * The policy and rules that decided.
   */
  policy: ReceiptPolicy;
  /**
   * One reason per deciding rule.
   *
   * @maxItems 1024
   */
  reasons: Prose[];
  /**
   * Highest risk level of the deciding rules, or null.
   */
  risk_level: RiskLevel | null;
  /**
   * Confidence in the decision, when provided.
   */
  confidence?: Score;
  /**
   * Alignment with the original request, when computed.
   */
  alignment?: Score;
  /**
   * Semantic distance from the original request, when computed.
   */
  semantic_distance?: Score;
  /**
   * The scorer that computed `alignment` (and the drift the context hash binds), when one ran.
   */
  scorer?: ScorerRef;
  /**
   * For DEFER: why the action was deferred.
   */
  deferral_trigger?: DeferralTrigger;
}

/**
 * A compact summary of the context snapshot, enough to read a receipt without the context store.
 */
export interface SnapshotSummary {
  /**
   * The session's most recent earlier actions, oldest first.
   *
   * @maxItems 1000
   */
  prior_actions: PriorAction[];
  /**
   * Data categories the session had seen.
   *
   * @maxItems 1024
   */
  data_classifications: Identifier[];
  /**
   * Highest sensitivity the session had seen, or null.
   */
  highest_sensitivity: SensitivityLevel | null;
  /**
   * Risk signals at decision time.
   */
  risk_signals: RiskSignals;
  /**
   * Semantic distance of this action from the original request, when computed.
   */
  semantic_distance?: Score;
  /**
   * Hash of the original request's canonical JSON, or null when there was none.
   */
  intent_hash: Sha256Digest | null;
}

/**
 * A pointer into the session's hash-chained context log.
 */
export interface ReceiptContext {
  /**
   * Hash of the context snapshot the decision used.
   */
  context_hash: Sha256Digest;
  /**
   * Sequence number of the last context-log entry included in the snapshot.
   */
  context_log_seq: number;
  /**
   * Summary of the snapshot.
   */
  snapshot_summary: SnapshotSummary;
}

/**
 * A deferral as recorded in a receipt: what was missing, and how it ended once it has.
 */
export interface ReceiptDeferral {
  /**
   * The deferred action's id in the deferral service.
   */
  deferral_id: Identifier;
  /**
   * Why the action was deferred.
   */
  trigger: DeferralTrigger;
  /**
   * The missing context the deferral waits for.
   *
   * @maxItems 256
   */
  context_needed: Identifier[];
  /**
   * When the deferral times out.
   */
  timeout_at: Timestamp;
  /**
   * How the deferral ended, in the follow-up receipt; null in the receipt of the DEFER decision itself.
   */
  resolution: DeferralResolution | null;
}

/**
 * Why an executed action failed.
 */
export interface ExecutionError {
  /**
   * Machine-readable error code from the tool or transport, when there is one.
   */
  code?: Identifier;
  /**
   * The error message, redacted of sensitive data.
   */
  message: Prose;
}

/**
 * The outcome of running the action.
 */
export interface Execution {
  /**
   * When the tool was called.
   */
  started_at: Timestamp;
  /**
   * When the tool returned or failed.
   */
  completed_at: Timestamp;
  /**
   * Whether the tool succeeded.
   */
  success: boolean;
  /**
   * Hash of the tool's output, or null when there was none.
   */
  output_hash: Sha256Digest | null;
  /**
   * Error details when the tool failed; null on success.
   */
  error: ExecutionError | null;
}

/**
 * An Ed25519 signature and the key that made it.
 */
export interface Signature {
  /**
   * The signature algorithm.
   */
  algorithm: "Ed25519";
  /**
   * Id of the signing key, naming its period, e.g. `aarm-signing-2026-11`. Old keys stay published so old receipts still verify.
   */
  key_id: Identifier;
  /**
   * The 64-byte signature in unpadded base64url (86 characters).
   */
  value: string;
}

/**
 * What the context accumulator knows about a session when an action is decided: the original request, the actions so far, the state accumulated from them and the risk signals (AARM spec §5.2, §3.2).
 */
export interface SessionContext {
  /**
   * The session's id, as in `identity.session` of its actions.
   */
  session_id: Identifier;
  /**
   * When the session started.
   */
  started_at: Timestamp;
  /**
   * The user's original request, or null when none was supplied.
   */
  intent: Intent | null;
  /**
   * Actions proposed in the session so far, oldest first.
   *
   * @maxItems 10000
   */
  action_history: SessionHistoryEntry[];
  /**
   * State derived from the history.
   */
  accumulated_state: AccumulatedState;
  /**
   * Risk signals computed for the session.
   */
  risk_signals: RiskSignals;
  /**
   * External context facts populated for this session, by name. A fact the policy references but that is absent here is unknown, never false.
   */
  facts?: {
    [k: string]: unknown;
  };
}

/**
 * One proposed action in a session's history, with its decision and, once it ran, its outcome.
 */
export interface SessionHistoryEntry {
  /**
   * The action's id.
   */
  action_id: Identifier;
  /**
   * When the action was intercepted.
   */
  timestamp: Timestamp;
  /**
   * The tool, after meta-tool resolution.
   */
  tool: Identifier;
  /**
   * The operation on the tool.
   */
  operation: Identifier;
  /**
   * The tool's effect.
   */
  effect: Effect;
  /**
   * Resources the action touched.
   *
   * @maxItems 256
   */
  targets: string[];
  /**
   * The arguments the tool ran with (after any modification).
   */
  parameters: ToolParameters;
  /**
   * The decision the action received.
   */
  decision: DecisionKind;
  /**
   * What came back when the action ran, or null while it has not run (or never will).
   */
  outcome: ActionOutcome | null;
}

/**
 * The recorded result of an executed action.
 */
export interface ActionOutcome {
  /**
   * When the tool returned.
   */
  completed_at: Timestamp;
  /**
   * Whether the tool reported success.
   */
  success: boolean;
  /**
   * Labels of the output; unclassified output is labelled restricted.
   */
  labels: DataLabels;
  /**
   * A short, redacted summary of the output, if one was made.
   */
  summary?: Prose;
}

/**
 * Aggregates maintained incrementally as actions are appended.
 */
export interface AccumulatedState {
  /**
   * Number of actions proposed in the session.
   */
  action_count: number;
  /**
   * Distinct tools used, in order of first use.
   *
   * @maxItems 4096
   */
  tools_used: Identifier[];
  /**
   * Distinct data categories the session has seen, e.g. `pii`.
   *
   * @maxItems 1024
   */
  data_classifications_accessed: Identifier[];
  /**
   * The highest sensitivity level the session has seen, or null when it has seen no data.
   */
  highest_sensitivity: SensitivityLevel | null;
  /**
   * Distinct entities (accounts, people, files) the session's actions referenced.
   *
   * @maxItems 4096
   */
  entities_accessed: string[];
  /**
   * True once the session has seen untrusted content.
   */
  tainted: boolean;
  /**
   * Distance between the latest action and the original request; absent when not computed.
   */
  semantic_distance?: Score;
  /**
   * Semantic distance aggregated over the session (exponential moving average); absent when not computed.
   */
  drift?: Score;
}

/**
 * A telemetry event for SIEM/SOAR export, discriminated by `event_type` (AARM R8, spec §5.7, §3.7). Sensitive values leave the engine only as hashes.
 */
export type TelemetryEvent =
  ActionEvent | DecisionEvent | ApprovalEvent | DeferralEvent | DriftEvent | ExportDegradedEvent;

/**
 * Event severity, in increasing order.
 */
export type Severity = "info" | "low" | "medium" | "high" | "critical";

/**
 * `aarm.action`: one per mediated action, whatever the decision.
 */
export interface ActionEvent {
  /**
   * Event type.
   */
  event_type: "aarm.action";
  /**
   * Unique id of the event, for de-duplication downstream.
   */
  event_id: Identifier;
  /**
   * When the event happened.
   */
  timestamp: Timestamp;
  /**
   * How urgently a SIEM should look at it; `high` and `critical` are flushed immediately.
   */
  severity: Severity;
  /**
   * The session the event belongs to.
   */
  session_id: Identifier;
  /**
   * The receipt recording the same event, for correlation, when there is one.
   */
  receipt_id?: Identifier;
  /**
   * The action, with its parameters only as a hash.
   */
  action: {
    /**
     * The action's id.
     */
    action_id: Identifier;
    /**
     * The tool, after meta-tool resolution.
     */
    tool: Identifier;
    /**
     * The wrapper name the agent called, when it was resolved.
     */
    original_tool?: Identifier;
    /**
     * The operation.
     */
    operation: Identifier;
    /**
     * The tool's effect.
     */
    effect: Effect;
    /**
     * SHA-256 of the parameters' canonical JSON; raw parameters never leave the engine.
     */
    parameters_hash: Sha256Digest;
  };
  /**
   * Who acted.
   */
  identity: {
    /**
     * The human principal.
     */
    human?: Identifier;
    /**
     * The service identity.
     */
    service?: Identifier;
    /**
     * The agent.
     */
    agent?: Identifier;
  };
  /**
   * The decision the action received.
   */
  decision: {
    /**
     * The decision.
     */
    result: DecisionKind;
    /**
     * The AARM classification, or null.
     */
    classification: Classification | null;
    /**
     * The policy's name.
     */
    policy_id: Identifier;
    /**
     * The policy's version.
     */
    policy_version: Identifier;
    /**
     * The deciding rules.
     *
     * @maxItems 1024
     */
    rule_ids: Identifier[];
    /**
     * Context signals that informed the decision.
     */
    context_signals: {
      /**
       * Semantic distance from the original request, when computed.
       */
      semantic_distance?: Score;
      /**
       * Whether the tool was outside the declared scope, when computed.
       */
      scope_expansion?: boolean;
    };
  };
  /**
   * How the execution went, or null when the action did not run.
   */
  execution: {
    /**
     * Whether the tool succeeded.
     */
    success: boolean;
    /**
     * How long the tool ran, in milliseconds.
     */
    duration_ms: number;
  } | null;
}

/**
 * `aarm.decision`: emitted for every decision other than a plain ALLOW (denials, modifications, escalations, deferrals).
 */
export interface DecisionEvent {
  /**
   * Event type.
   */
  event_type: "aarm.decision";
  /**
   * Unique id of the event, for de-duplication downstream.
   */
  event_id: Identifier;
  /**
   * When the event happened.
   */
  timestamp: Timestamp;
  /**
   * How urgently a SIEM should look at it; `high` and `critical` are flushed immediately.
   */
  severity: Severity;
  /**
   * The session the event belongs to.
   */
  session_id: Identifier;
  /**
   * The receipt recording the same event, for correlation, when there is one.
   */
  receipt_id?: Identifier;
  /**
   * The action decided.
   */
  action: {
    /**
     * The action's id.
     */
    action_id: Identifier;
    /**
     * The tool.
     */
    tool: Identifier;
    /**
     * The operation.
     */
    operation: Identifier;
    /**
     * The tool's effect.
     */
    effect: Effect;
    /**
     * Resources the action touches (e.g. the destination of an egress).
     *
     * @maxItems 256
     */
    targets: string[];
  };
  /**
   * The decision and why.
   */
  decision: {
    /**
     * The decision.
     */
    result: DecisionKind;
    /**
     * The AARM classification, or null.
     */
    classification: Classification | null;
    /**
     * One reason per deciding rule.
     *
     * @maxItems 1024
     */
    reasons: Prose[];
    /**
     * The policy's name.
     */
    policy_id: Identifier;
    /**
     * The policy's version.
     */
    policy_version: Identifier;
    /**
     * The deciding rules.
     *
     * @maxItems 1024
     */
    rule_ids: Identifier[];
    /**
     * Highest risk level of the deciding rules, or null.
     */
    risk_level: RiskLevel | null;
    /**
     * For DEFER: the missing context.
     *
     * @maxItems 256
     */
    context_needed: Identifier[];
  };
  /**
   * Context at decision time.
   */
  context: {
    /**
     * Tools of the session's most recent earlier actions, oldest first.
     *
     * @maxItems 100
     */
    prior_actions: Identifier[];
    /**
     * Data categories the session had seen.
     *
     * @maxItems 1024
     */
    data_classifications_accessed: Identifier[];
    /**
     * Semantic distance from the original request, when computed.
     */
    semantic_distance?: Score;
  };
}

/**
 * `aarm.approval`: a step in an approval workflow.
 */
export interface ApprovalEvent {
  /**
   * Event type.
   */
  event_type: "aarm.approval";
  /**
   * Unique id of the event, for de-duplication downstream.
   */
  event_id: Identifier;
  /**
   * When the event happened.
   */
  timestamp: Timestamp;
  /**
   * How urgently a SIEM should look at it; `high` and `critical` are flushed immediately.
   */
  severity: Severity;
  /**
   * The session the event belongs to.
   */
  session_id: Identifier;
  /**
   * The receipt recording the same event, for correlation, when there is one.
   */
  receipt_id?: Identifier;
  /**
   * The approval request.
   */
  request: {
    /**
     * The request's id.
     */
    request_id: Identifier;
    /**
     * The action awaiting approval.
     */
    action_id: Identifier;
    /**
     * The tool.
     */
    tool: Identifier;
    /**
     * The operation.
     */
    operation: Identifier;
    /**
     * A direct STEP_UP or a deferral escalation.
     */
    source: ApprovalSource;
  };
  /**
   * Where the approval workflow stands.
   */
  workflow: {
    /**
     * `requested` when raised, `escalated` when passed to the escalation approvers, then the outcome.
     */
    status: "requested" | "escalated" | "approved" | "denied" | "timeout";
    /**
     * The approver who decided, for `approved` and `denied`.
     */
    approver?: Identifier;
    /**
     * Milliseconds from request to this event.
     */
    response_time_ms: number;
    /**
     * The reason given, if any.
     */
    reason?: Prose;
  };
}

/**
 * `aarm.deferral`: a step in a deferral's lifecycle (AARM defines no deferral event; R8 requires DEFER to be visible).
 */
export interface DeferralEvent {
  /**
   * Event type.
   */
  event_type: "aarm.deferral";
  /**
   * Unique id of the event, for de-duplication downstream.
   */
  event_id: Identifier;
  /**
   * When the event happened.
   */
  timestamp: Timestamp;
  /**
   * How urgently a SIEM should look at it; `high` and `critical` are flushed immediately.
   */
  severity: Severity;
  /**
   * The session the event belongs to.
   */
  session_id: Identifier;
  /**
   * The receipt recording the same event, for correlation, when there is one.
   */
  receipt_id?: Identifier;
  /**
   * The deferral.
   */
  deferral: {
    /**
     * The deferral's id.
     */
    deferral_id: Identifier;
    /**
     * The deferred action.
     */
    action_id: Identifier;
    /**
     * The tool.
     */
    tool: Identifier;
    /**
     * The operation.
     */
    operation: Identifier;
    /**
     * Lifecycle step: `created` at suspension, `attempt` per resolution attempt, `resolved` with a result, `escalated` to a human, `timeout` when the timeout fired.
     */
    state: "created" | "attempt" | "resolved" | "escalated" | "timeout";
    /**
     * Why the action was deferred.
     */
    trigger: DeferralTrigger;
    /**
     * The missing context.
     *
     * @maxItems 256
     */
    context_needed: Identifier[];
    /**
     * Resolution attempts so far.
     */
    attempts: number;
    /**
     * The terminal result, for `resolved`, `escalated` and `timeout`.
     */
    result?: "ALLOW" | "DENY" | "STEP_UP" | "TIMEOUT";
    /**
     * Why, for people.
     */
    reason?: Prose;
  };
}

/**
 * `aarm.drift`: the session's cumulative drift from its original request crossed a level of its drift profile.
 */
export interface DriftEvent {
  /**
   * Event type.
   */
  event_type: "aarm.drift";
  /**
   * Unique id of the event, for de-duplication downstream.
   */
  event_id: Identifier;
  /**
   * When the event happened.
   */
  timestamp: Timestamp;
  /**
   * How urgently a SIEM should look at it; `high` and `critical` are flushed immediately.
   */
  severity: Severity;
  /**
   * The session the event belongs to.
   */
  session_id: Identifier;
  /**
   * The receipt recording the same event, for correlation, when there is one.
   */
  receipt_id?: Identifier;
  /**
   * The action whose decision crossed the level.
   */
  action_id: Identifier;
  /**
   * The level crossed upwards: `warning` or `exceeded` (above the threshold).
   */
  level: "warning" | "exceeded";
  /**
   * The drift profile in force.
   */
  profile: {
    /**
     * The profile's name.
     */
    name: Identifier;
    /**
     * Drift at or above which a warning is reported.
     */
    warning: Score;
    /**
     * Drift above which the session counts as drifted.
     */
    threshold: Score;
  };
  /**
   * Hash of the original request (the text itself may be sensitive), or null when there was none.
   */
  original_intent_hash: Sha256Digest | null;
  /**
   * The signals that indicate drift.
   */
  drift_signals: {
    /**
     * Semantic distance of the latest action from the original request.
     */
    semantic_distance: Score;
    /**
     * Cumulative drift after this action (the scorer's aggregate, an exponential moving average for the built-in scorer).
     */
    drift: Score;
    /**
     * Running maximum of the cumulative drift over the session.
     */
    peak_drift: Score;
    /**
     * Actions in the session so far.
     */
    action_count: number;
    /**
     * Whether the latest tool was outside the declared scope, when computed.
     */
    scope_expansion?: boolean;
    /**
     * Whether the session accessed more sensitive data than expected, when computed.
     */
    classification_escalation?: boolean;
  };
  /**
   * The session's recent actions as `tool.operation`, oldest first.
   *
   * @maxItems 100
   */
  action_chain_summary: string[];
}

/**
 * `aarm.export_degraded`: telemetry export failed several times in a row; events go to the local fallback until the destination answers again.
 */
export interface ExportDegradedEvent {
  /**
   * Event type.
   */
  event_type: "aarm.export_degraded";
  /**
   * Unique id of the event, for de-duplication downstream.
   */
  event_id: Identifier;
  /**
   * When export was found degraded.
   */
  timestamp: Timestamp;
  /**
   * Always `high`.
   */
  severity: Severity;
  /**
   * The destination that fails.
   */
  destination: Identifier;
  /**
   * Failed exports in a row.
   */
  consecutive_failures: number;
  /**
   * The last failure.
   */
  error: Prose;
}
