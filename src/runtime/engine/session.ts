/**
 * One agent session under the runtime: the pipeline every tool call goes
 * through, and the bookkeeping of what it released.
 *
 *   mediation → identity → context → scores → decision → receipt → release
 *
 * 1. **Mediation** turns the raw call into the canonical action (meta-tools
 *    resolved, arguments checked against the tool's declaration).
 * 2. **Identity**: the session's claims are verified again for every action
 *    (freshness, revocation) and the verified identity is bound to it.
 * 3. **Context**: the session's hash-chained log is loaded and verified, the
 *    clock is checked against it, and the action is appended.
 * 4. **Scores and facts** are computed, bounded in time, and frozen with the
 *    history into the evaluation input, whose hash the receipt carries.
 * 5. **Decision**: `evaluate(ir, input)`, pure. The enforcement point applies
 *    exactly that decision; it never evaluates again.
 * 6. **Receipt**: signed, chained and durably stored, then the decision is
 *    appended to the log.
 * 7. **Release**: only now is an `allow` handle returned.
 *
 * Fail closed: anything that goes wrong at any step (an exception, an error
 * value, a timeout, a tampered log, a clock running backwards) ends in DENY,
 * with a receipt whenever the store and signer still work, and is reported.
 * Calls of one session are decided one at a time, in the order they
 * arrived, so each sees every earlier one; waiting for an approval or a
 * deferral happens outside that order, so other calls proceed meanwhile.
 *
 * @module
 */
import { evaluate } from "../../eval/evaluate.ts";
import { labelOutput } from "../../eval/label.ts";
import type { Json } from "../../ir/contract.ts";
import { canonicalize, isPlainObject, sha256Hex } from "../../schema/canonical.ts";
import type {
  Action,
  Decision,
  Intent,
  ReceiptContext,
  ReceiptDeferral,
} from "../../schema/generated/types.ts";
import { validateAction, validateIntent } from "../../schema/validate.ts";
import type { ContextEntry, ContextEntryBody, DecisionSignals } from "../context/entry.ts";
import { GENESIS_HASH } from "../context/entry.ts";
import type { ContextError, ContextLog } from "../context/log.ts";
import { revalidate } from "../identity/revalidate.ts";
import type { IdentityClaims, IdentityVerifier, VerifiedIdentity } from "../identity/types.ts";
import { type ArgumentLimits, valueProblem } from "../mediation/conform.ts";
import { boundIdentity, claimedIdentity } from "../mediation/identity.ts";
import { mediate, type ToolCall } from "../mediation/mediate.ts";
import type { MetaToolResolver } from "../mediation/meta-tools.ts";
import type { ReceiptParts } from "../receipts/assemble.ts";
import type { ReceiptIssuer } from "../receipts/issuer.ts";
import type { ChainHead } from "../store/types.ts";
import { KeyedMutex } from "../store/keyed-mutex.ts";
import type { Scorer } from "../scoring/types.ts";
import { bounded, messageOf } from "./bounded.ts";
import { recordedDecision, refusal, settledDecision } from "./decision.ts";
import { type Concluded, documentId, runPending, type Settlement, type Suspended } from "./pending.ts";
import type { LoadedPolicy } from "./policy.ts";
import type { Reporter } from "./report.ts";
import {
  type ContextView,
  contextView,
  EMPTY_SUMMARY,
  evalInput,
  frozenHash,
  snapshotSummary,
} from "./snapshot.ts";
import type {
  AllowHandle,
  ApprovalService,
  DeferralService,
  DenyHandle,
  EnforcementHandle,
  FactProvider,
  FaultStage,
  OutcomeResult,
  PendingHandle,
  ToolOutcome,
} from "./types.ts";

type Args = { readonly [name: string]: Json };

/** What every session of a runtime shares. */
export interface SessionServices {
  readonly log: ContextLog;
  readonly issuer: ReceiptIssuer;
  readonly verifier: IdentityVerifier;
  readonly scorer: Scorer | null;
  readonly facts: FactProvider | null;
  readonly clock: () => Date;
  readonly approvals: ApprovalService | null;
  readonly deferrals: DeferralService | null;
  readonly resolvers: readonly MetaToolResolver[];
  readonly limits: ArgumentLimits;
  /** JSON Pointers of parameters recorded in receipts by hash only, per tool. */
  readonly sensitive: { readonly [tool: string]: readonly string[] };
  readonly timeouts: {
    readonly identityMs: number;
    readonly scorerMs: number;
    readonly factsMs: number;
    readonly pendingCeilingMs: number;
  };
  readonly policy: () => LoadedPolicy;
  readonly report: Reporter;
}

/** The user's original request as a session is started with it. */
export interface IntentInput {
  readonly text: string;
  /** Tools or tool families (`db` covers `db.query`) the user declared in scope. */
  readonly scope?: readonly string[];
  /** The highest sensitivity the request is expected to need; `public` when absent. */
  readonly expected_classification?: Intent["expected_classification"];
}

/** How a session ends. */
export type EndResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** An agent session: the enforcement point's view. */
export interface Session {
  /** The session id (`identity.session` of its claims). */
  readonly id: string;
  /**
   * Decides one tool call and returns what to do with it. Never rejects.
   * Run the tool only for an `allow` handle that is not a `replay`, with the
   * handle's `tool` and `args`.
   */
  evaluate(call: ToolCall): Promise<EnforcementHandle>;
  /**
   * Records what happened when a released action ran: its output is
   * labelled by the policy's classifiers and added to the context (later
   * decisions see it), and an execution receipt is issued, a follow-up of
   * the receipt that released it. Once per action. Never rejects.
   */
  recordOutcome(actionId: string, outcome: ToolOutcome): Promise<OutcomeResult>;
  /**
   * Ends the session: pending actions are cancelled (and so denied), the
   * context stays stored, read-only, and the session is forgotten in
   * memory. Every later call is denied. Never rejects.
   */
  end(): Promise<EndResult>;
}

/** A released action, until its outcome is recorded. */
interface Released {
  readonly action: Action;
  readonly args: Args;
  readonly decision: Decision;
  readonly receiptId: string;
  readonly releasedAt: string;
  readonly policy: LoadedPolicy;
  readonly identityVerifiedAt: string | null;
  readonly context: ReceiptContext;
  outcome: boolean;
}

type State =
  | { readonly kind: "active" }
  | { readonly kind: "ended" }
  /** Failed closed: every call is denied; `receipts` says whether the store holds this session to chain them in. */
  | { readonly kind: "failed"; readonly reason: string; readonly receipts: boolean };

/** What a decision on an action already in the log is recorded with. */
interface Draft {
  readonly action: Action;
  readonly policy: LoadedPolicy;
  readonly identityVerifiedAt: string | null;
  /** The identity as verified for the decision: what a release after a wait must still establish. */
  readonly verified: VerifiedIdentity;
  readonly context: ReceiptContext;
  readonly intent: Intent | null;
  readonly signals: DecisionSignals | null;
}

/** The id of a session whose claims name none it could use; such a session writes nothing. */
const UNUSABLE_SESSION = "unusable-session";

const LONE_SURROGATE = /\p{Cs}/u;
const IDENTIFIER = /^[^\u0000-\u001F\u007F]{1,256}$/u;

function isIdentifier(value: unknown): value is string {
  return typeof value === "string" && IDENTIFIER.test(value) && !LONE_SURROGATE.test(value);
}

function describeContextError(error: ContextError): string {
  switch (error.kind) {
    case "store":
      return `the context store failed: ${error.error.message}`;
    case "invalid":
      return `the context entry was refused: ${error.message}`;
    case "ended":
      return "the session has ended";
    case "broken":
      return `the context log failed verification at entry ${error.seq} (${error.reason}): ${error.message}`;
  }
}

function asReplay<H extends EnforcementHandle>(handle: H): H {
  if (handle.kind !== "pending") return { ...handle, replay: true };
  const pending: PendingHandle = { ...handle, replay: true, settled: handle.settled.then(asReplay) };
  return pending as H;
}

/** The session implementation behind {@link Session}. */
export class RuntimeSession implements Session {
  readonly id: string;
  readonly #services: SessionServices;
  readonly #claims: IdentityClaims;
  #state: State;
  readonly #lock = new KeyedMutex();
  /** Decisions by call key (call id and request digest): the same request is the same action. */
  readonly #calls = new Map<string, Promise<EnforcementHandle>>();
  /** The digest of the first request made under each call id. */
  readonly #requests = new Map<string, string>();
  readonly #released = new Map<string, Released>();
  readonly #pending = new Set<{ readonly cancel: () => void; readonly settled: Promise<unknown> }>();
  /** The last context-log entry this session read or wrote, for receipts of refusals made without reading it. */
  #head: ChainHead | null = null;
  readonly #onEnd: () => void;

  private constructor(services: SessionServices, claims: IdentityClaims, state: State, onEnd: () => void) {
    this.id = claims.session;
    this.#services = services;
    this.#claims = claims;
    this.#state = state;
    this.#onEnd = onEnd;
  }

  /**
   * Starts a session: creates it in the store and logs the original request.
   * A session that cannot be started is returned failed closed (every call
   * denied) and the failure is reported; it never throws.
   */
  static async start(
    services: SessionServices,
    claims: IdentityClaims,
    intent: string | IntentInput | undefined,
    onEnd: () => void,
  ): Promise<RuntimeSession> {
    let copy: unknown;
    try {
      // The session keeps its own copy: a caller changing its claims object later changes nothing here.
      copy = structuredClone(claims);
    } catch {
      copy = null;
    }
    const given =
      isPlainObject(copy) && isIdentifier(copy.session) ? (copy as unknown as IdentityClaims) : null;
    const failed = (reason: string, receipts: boolean): RuntimeSession => {
      const id = given?.session ?? UNUSABLE_SESSION;
      services.report.fault({ stage: "session", session_id: id, action_id: null, message: reason });
      return new RuntimeSession(
        services,
        given ?? { session: id },
        { kind: "failed", reason, receipts },
        onEnd,
      );
    };
    if (given === null) return failed("the identity claims name no usable session id", false);
    let created: Awaited<ReturnType<ContextLog["start"]>>;
    try {
      created = await services.log.start(given.session);
    } catch (caught) {
      return failed(`the session could not be started: ${messageOf(caught)}`, false);
    }
    if (!created.ok) {
      return failed(`the session could not be started: ${describeContextError(created.error)}`, false);
    }
    const session = new RuntimeSession(services, given, { kind: "active" }, onEnd);
    if (intent === undefined) return session;
    const request = typeof intent === "string" ? { text: intent } : intent;
    const valid = validateIntent({ ...request, scope: [...(request.scope ?? [])] });
    if (!valid.ok) {
      return failed(`the original request is malformed: ${valid.errors[0]?.message ?? "invalid"}`, true);
    }
    const logged = await session.#append({ type: "intent", intent: valid.value });
    if (!logged.ok) return failed(`the original request could not be logged: ${logged.message}`, true);
    return session;
  }

  evaluate(call: ToolCall): Promise<EnforcementHandle> {
    const raw: ToolCall = isPlainObject(call) ? call : ({} as ToolCall);
    const key = this.#callKey(raw);
    if (key !== null) {
      const seen = this.#calls.get(key.action);
      if (seen !== undefined) return seen.then(asReplay);
    }
    // Like an idempotency key elsewhere: a call id reused for a different request is refused, not re-decided.
    const first = key === null ? undefined : this.#requests.get(key.callId);
    const conflict =
      key !== null && first !== undefined && first !== key.request
        ? `call id ${JSON.stringify(key.callId)} was already used for a different request`
        : null;
    const actionId =
      key === null
        ? `act_${globalThis.crypto.randomUUID().replaceAll("-", "")}`
        : `act_${key.action.slice(0, 32)}`;
    const handle = this.#lock
      .run(this.id, () => this.#decide(raw, actionId, conflict))
      .catch((caught: unknown) => {
        this.#fault("session", actionId, `unexpected failure: ${messageOf(caught)}`);
        return this.#deny(actionId, "DENY", ["runtime:session"], "the runtime failed", null);
      });
    if (key !== null) {
      this.#calls.set(key.action, handle);
      if (first === undefined) this.#requests.set(key.callId, key.request);
    }
    return handle;
  }

  /**
   * The call's idempotency keys, or null when it has no call id (or a request
   * JSON cannot carry, which is refused anyway and gets a fresh action id):
   * the digest of the request, and the key of the action, from the session,
   * the call id and that digest.
   */
  #callKey(
    call: ToolCall,
  ): { readonly callId: string; readonly request: string; readonly action: string } | null {
    if (typeof call.callId !== "string") return null;
    const request = canonicalize({
      tool: call.tool ?? null,
      args: call.args ?? null,
      operation: call.operation ?? null,
    });
    if (!request.ok) return null;
    const digest = sha256Hex(request.value);
    const action = canonicalize({ session: this.id, call_id: call.callId, request: digest });
    return action.ok ? { callId: call.callId, request: digest, action: sha256Hex(action.value) } : null;
  }

  #fault(stage: FaultStage, actionId: string | null, message: string): void {
    this.#services.report.fault({ stage, session_id: this.id, action_id: actionId, message });
  }

  #deny(
    actionId: string,
    decision: DenyHandle["decision"],
    rules: readonly string[],
    reason: string,
    receiptId: string | null,
  ): DenyHandle {
    return { kind: "deny", actionId, reason, rules, decision, receiptId, replay: false };
  }

  async #append(
    body: ContextEntryBody,
  ): Promise<
    { readonly ok: true; readonly entry: ContextEntry } | { readonly ok: false; readonly message: string }
  > {
    try {
      const appended = await this.#services.log.append(this.id, body);
      if (!appended.ok) return { ok: false, message: describeContextError(appended.error) };
      this.#head = { seq: appended.value.seq, hash: appended.value.hash };
      return { ok: true, entry: appended.value };
    } catch (caught) {
      return { ok: false, message: `the context log failed: ${messageOf(caught)}` };
    }
  }

  async #issue(
    parts: ReceiptParts,
  ): Promise<{ readonly ok: true; readonly id: string } | { readonly ok: false; readonly message: string }> {
    try {
      const issued = await this.#services.issuer.issue({
        ...parts,
        sensitive: this.#services.sensitive[parts.action.tool] ?? [],
      });
      if (issued.ok) return { ok: true, id: issued.value.receipt.receipt_id };
      const error = issued.error;
      switch (error.kind) {
        case "store":
          return { ok: false, message: `the receipt store failed: ${error.error.message}` };
        case "sign":
          return {
            ok: false,
            message: `signing failed: ${error.error.reason === "signer_failed" ? error.error.detail : error.error.error.message}`,
          };
        case "schema":
          return {
            ok: false,
            message: `the receipt is malformed: ${error.errors[0]?.path ?? ""} ${error.errors[0]?.message ?? ""}`,
          };
        case "redaction":
          return { ok: false, message: `sensitive parameter ${error.error.pointer}: ${error.error.message}` };
        case "related":
          return { ok: false, message: error.message };
      }
    } catch (caught) {
      return { ok: false, message: `the receipt generator failed: ${messageOf(caught)}` };
    }
  }

  /** A context pointer for a receipt made without reading the log: its last known entry. */
  #pointer(): ReceiptContext {
    return {
      context_hash: this.#head?.hash ?? GENESIS_HASH,
      context_log_seq: this.#head?.seq ?? 0,
      snapshot_summary: EMPTY_SUMMARY,
    };
  }

  /** Denies before the action reached the context log: a receipt (when the session has a chain), no log entries. */
  async #refuse(
    action: Action,
    policy: LoadedPolicy,
    stage: FaultStage,
    reason: string,
    identityVerifiedAt: string | null,
    fault: boolean,
  ): Promise<DenyHandle> {
    if (fault) this.#fault(stage, action.action_id, reason);
    const decision = refusal(stage, reason, policy.ref);
    const chained = this.#state.kind !== "failed" || this.#state.receipts;
    let receiptId: string | null = null;
    if (chained) {
      const issued = await this.#issue({
        action,
        identity_verified_at: identityVerifiedAt,
        decision,
        context: this.#pointer(),
      });
      if (issued.ok) receiptId = issued.id;
      else this.#fault("receipt", action.action_id, issued.message);
    }
    this.#emitDecision(action, decision, receiptId);
    return this.#deny(action.action_id, "DENY", decision.rules, decision.reasons.join("; "), receiptId);
  }

  #emitDecision(action: Action, decision: Decision, receiptId: string | null): void {
    this.#services.report.emit({
      type: "decision",
      session_id: this.id,
      action_id: action.action_id,
      tool: action.tool,
      decision: decision.result,
      rules: decision.rules,
      receipt_id: receiptId,
      policy: decision.policy,
    });
  }

  /** The clock's time, or null when it gives no valid time. */
  #now(): Date | null {
    try {
      const now = this.#services.clock();
      return now instanceof Date && !Number.isNaN(now.getTime()) ? now : null;
    } catch {
      return null;
    }
  }

  /** Verifies the session's claims now and binds the result. */
  async #verify(now: Date): Promise<
    | {
        readonly ok: true;
        readonly identity: Action["identity"];
        readonly verified: VerifiedIdentity;
        readonly verifiedAt: string;
      }
    | { readonly ok: false; readonly reason: string; readonly fault: boolean }
  > {
    const checked = await bounded("the identity verifier", this.#services.timeouts.identityMs, () =>
      this.#services.verifier.verify(this.#claims, now),
    );
    if (!checked.ok) return { ok: false, reason: checked.message, fault: true };
    const result = checked.value;
    if (!isPlainObject(result))
      return { ok: false, reason: "the identity verifier answered nonsense", fault: true };
    if (!result.ok) {
      return {
        ok: false,
        reason: `identity not verified (${result.failure}): ${result.message}`,
        fault: result.failure === "unavailable",
      };
    }
    const verified = result.identity;
    if (verified.session !== this.id) {
      return {
        ok: false,
        reason: `the verified identity is for session ${JSON.stringify(verified.session)}`,
        fault: false,
      };
    }
    if (verified.human === undefined && verified.service === undefined) {
      return {
        ok: false,
        reason: "the identity names neither a human nor a service principal",
        fault: false,
      };
    }
    if (verified.valid_until !== null && !(Date.parse(verified.valid_until) > now.getTime())) {
      return { ok: false, reason: `the identity expired at ${verified.valid_until}`, fault: false };
    }
    return { ok: true, identity: boundIdentity(verified), verified, verifiedAt: verified.verified_at };
  }

  /** Facts for the decision: the declared ones the provider populated, type-checked. */
  async #facts(
    action: Action,
    policy: LoadedPolicy,
  ): Promise<{ readonly ok: true; readonly facts: Args } | { readonly ok: false; readonly message: string }> {
    const provider = this.#services.facts;
    if (provider === null) return { ok: true, facts: {} };
    const declared = policy.ir.facts;
    const got = await bounded("the fact provider", this.#services.timeouts.factsMs, () =>
      provider.facts({ session_id: this.id, action, declared }),
    );
    if (!got.ok) return got;
    if (!isPlainObject(got.value)) return { ok: false, message: "the fact provider returned no object" };
    const facts: Record<string, Json> = {};
    for (const [name, value] of Object.entries(got.value)) {
      const type = Object.hasOwn(declared, name) ? declared[name] : undefined;
      // Facts the policy does not declare cannot influence it; they are not frozen either.
      if (type === undefined) continue;
      const problem = valueProblem(value, type);
      if (problem !== null) return { ok: false, message: `the fact provider returned ${name}: ${problem}` };
      facts[name] = value as Json;
    }
    const text = canonicalize(facts);
    if (!text.ok) return { ok: false, message: `the facts are not JSON: ${text.error.message}` };
    return { ok: true, facts: JSON.parse(text.value) as Args };
  }

  /** Scores for the decision (none without an original request or a scorer), bounded and checked. */
  async #score(
    view: ContextView,
    action: Action,
  ): Promise<
    | {
        readonly ok: true;
        readonly scores: DecisionSignals["scores"];
        readonly scorer: DecisionSignals["scorer"];
      }
    | { readonly ok: false; readonly message: string }
  > {
    const scorer = this.#services.scorer;
    const intent = view.intent;
    if (scorer === null || intent === null) return { ok: true, scores: {}, scorer: null };
    const got = await bounded("the scorer", this.#services.timeouts.scorerMs, () =>
      scorer.score(intent, action, view.scored),
    );
    if (!got.ok) return got;
    const isScore = (x: unknown): x is number => typeof x === "number" && x >= 0 && x <= 1;
    const scores: unknown = got.value;
    if (!isPlainObject(scores) || !isScore(scores.alignment) || !isScore(scores.drift)) {
      return { ok: false, message: "the scorer returned scores outside [0, 1]" };
    }
    if (!isIdentifier(scorer.id) || !isIdentifier(scorer.version)) {
      return { ok: false, message: "the scorer's id or version is not a usable identifier" };
    }
    return {
      ok: true,
      scores: { alignment: scores.alignment, drift: scores.drift },
      scorer: { id: scorer.id, version: scorer.version },
    };
  }

  /** The pipeline for one call; runs under the session's lock. `conflict` refuses a call id reused for another request. */
  async #decide(call: ToolCall, actionId: string, conflict: string | null): Promise<EnforcementHandle> {
    const policy = this.#services.policy();
    const now = this.#now();
    if (now === null) {
      this.#fault("clock", actionId, "the clock gives no valid time");
      return this.#deny(actionId, "DENY", ["runtime:clock"], "the clock gives no valid time", null);
    }
    const mediated = mediate(call, {
      ir: policy.ir,
      resolvers: this.#services.resolvers,
      limits: this.#services.limits,
      actionId,
      timestamp: now.toISOString(),
      identity: claimedIdentity(this.#claims),
    });
    if (this.#state.kind === "failed") {
      return this.#refuse(
        mediated.action,
        policy,
        "session",
        `the session failed closed: ${this.#state.reason}`,
        null,
        false,
      );
    }
    if (this.#state.kind === "ended") {
      return this.#refuse(mediated.action, policy, "session", "the session has ended", null, false);
    }
    if (conflict !== null) return this.#refuse(mediated.action, policy, "mediation", conflict, null, false);
    if (!mediated.ok)
      return this.#refuse(mediated.action, policy, "mediation", mediated.problem, null, false);

    const verified = await this.#verify(now);
    if (!verified.ok)
      return this.#refuse(mediated.action, policy, "identity", verified.reason, null, verified.fault);
    const bound: Action = { ...mediated.action, identity: verified.identity };
    const valid = validateAction(bound);
    if (!valid.ok) {
      const first = valid.errors[0];
      const reason = `the action does not fit the canonical schema at ${first?.path || "/"}: ${first?.message}`;
      return this.#refuse(bound, policy, "mediation", reason, verified.verifiedAt, false);
    }
    const action = valid.value;

    let entries: readonly ContextEntry[];
    try {
      const loaded = await this.#services.log.load(this.id);
      if (!loaded.ok) {
        const reason = describeContextError(loaded.error);
        if (loaded.error.kind === "broken") this.#state = { kind: "failed", reason, receipts: true };
        return this.#refuse(action, policy, "context", reason, verified.verifiedAt, true);
      }
      if (loaded.value.session.state === "ended") {
        // Ended elsewhere (another process sharing the store): nothing more may be added to it.
        this.#state = { kind: "ended" };
        return this.#refuse(action, policy, "session", "the session has ended", verified.verifiedAt, false);
      }
      entries = loaded.value.entries;
      const last = entries.at(-1);
      this.#head = last === undefined ? null : { seq: last.seq, hash: last.hash };
    } catch (caught) {
      return this.#refuse(
        action,
        policy,
        "context",
        `the context log failed: ${messageOf(caught)}`,
        verified.verifiedAt,
        true,
      );
    }
    const view = contextView(entries);
    if (view.latest !== null && now.getTime() < view.latest) {
      const reason = `the clock went backwards: ${now.toISOString()} is before the session's last entry at ${new Date(view.latest).toISOString()}`;
      return this.#refuse(action, policy, "clock", reason, verified.verifiedAt, true);
    }
    const appended = await this.#append({ type: "action", action });
    if (!appended.ok)
      return this.#refuse(action, policy, "context", appended.message, verified.verifiedAt, true);

    // From here on the action is in the log, and so is whatever is decided on it.
    const entry = appended.entry;
    const draft = (context: ReceiptContext, signals: DecisionSignals | null): Draft => ({
      action,
      policy,
      identityVerifiedAt: verified.verifiedAt,
      verified: verified.verified,
      context,
      intent: view.intent,
      signals,
    });
    const summarised = snapshotSummary(action, view, {});
    const plain = draft(
      {
        context_hash: entry.hash,
        context_log_seq: entry.seq,
        snapshot_summary: summarised.ok ? summarised.summary : EMPTY_SUMMARY,
      },
      null,
    );
    const failClosed = (stage: FaultStage, message: string): Promise<EnforcementHandle> => {
      this.#fault(stage, actionId, message);
      return this.#conclude(plain, refusal(stage, message, policy.ref));
    };

    const facts = await this.#facts(action, policy);
    if (!facts.ok) return failClosed("facts", facts.message);
    const scored = await this.#score(view, action);
    if (!scored.ok) return failClosed("scorer", scored.message);
    const input = evalInput(action, view, facts.facts, scored.scores);
    const hashed = frozenHash({
      session_id: this.id,
      context_log_seq: entry.seq,
      context_head: entry.hash,
      input,
      scorer: scored.scorer,
    });
    if (!hashed.ok)
      return failClosed("context", `the evaluation input has no canonical form: ${hashed.message}`);
    let decision: Decision;
    try {
      decision = recordedDecision(evaluate(policy.ir, input), policy.ref, scored.scores);
    } catch (caught) {
      return failClosed("evaluator", `the policy evaluator failed: ${messageOf(caught)}`);
    }
    const summary = snapshotSummary(action, view, scored.scores);
    return this.#conclude(
      draft(
        {
          context_hash: hashed.hash,
          context_log_seq: entry.seq,
          snapshot_summary: summary.ok ? summary.summary : EMPTY_SUMMARY,
        },
        { context_hash: hashed.hash, scores: scored.scores, scorer: scored.scorer, facts: facts.facts },
      ),
      decision,
    );
  }

  /**
   * Records a decision on a logged action (receipt, then decision entry) and
   * enforces it. Whatever cannot be recorded turns the decision into DENY.
   */
  async #conclude(draft: Draft, decision: Decision): Promise<EnforcementHandle> {
    const { action, policy } = draft;
    const now = this.#now()?.getTime() ?? Date.parse(action.timestamp);
    const deferral: ReceiptDeferral | null =
      decision.deferral === null
        ? null
        : {
            deferral_id: documentId("dfr", action.action_id),
            trigger: decision.deferral.trigger,
            context_needed: decision.context_needed,
            timeout_at: new Date(now + decision.deferral.timeout_ms).toISOString(),
            resolution: null,
          };
    const parts: ReceiptParts = {
      action,
      identity_verified_at: draft.identityVerifiedAt,
      decision,
      context: draft.context,
      ...(deferral === null ? {} : { deferral }),
    };
    const issued = await this.#issue(parts);
    if (!issued.ok) {
      this.#fault("receipt", action.action_id, issued.message);
      const denial = refusal("receipt", `the receipt could not be written: ${issued.message}`, policy.ref);
      await this.#append({
        type: "decision",
        action_id: action.action_id,
        decision: denial,
        receipt_id: null,
      });
      this.#emitDecision(action, denial, null);
      return this.#deny(action.action_id, "DENY", denial.rules, denial.reasons.join("; "), null);
    }
    const logged = await this.#append({
      type: "decision",
      action_id: action.action_id,
      decision,
      receipt_id: issued.id,
      ...(draft.signals === null ? {} : { signals: draft.signals }),
    });
    if (!logged.ok) {
      this.#fault("context", action.action_id, logged.message);
      if (decision.result !== "DENY") {
        // Receipted, but the log does not know it: later decisions would not see it, so it must not run.
        const denial = refusal("context", `the decision could not be logged: ${logged.message}`, policy.ref);
        const followUp = await this.#issue({
          action,
          identity_verified_at: draft.identityVerifiedAt,
          decision: denial,
          context: draft.context,
          related_receipt_id: issued.id,
        });
        const receiptId = followUp.ok ? followUp.id : issued.id;
        this.#emitDecision(action, denial, receiptId);
        return this.#deny(action.action_id, "DENY", denial.rules, denial.reasons.join("; "), receiptId);
      }
    }
    this.#emitDecision(action, decision, issued.id);
    switch (decision.result) {
      case "DENY":
        return this.#deny(action.action_id, "DENY", decision.rules, decision.reasons.join("; "), issued.id);
      case "ALLOW":
      case "MODIFY":
        return this.#release(draft, decision, issued.id, draft.identityVerifiedAt, draft.context);
      case "STEP_UP":
      case "DEFER":
        return this.#suspend(
          {
            action,
            decision,
            receiptId: issued.id,
            context: draft.context,
            intent: draft.intent,
            identityVerifiedAt: draft.identityVerifiedAt,
            suspendedAt: now,
            deferral,
          },
          policy,
          draft.verified,
        );
    }
  }

  /** Hands out an `allow` handle and remembers the action until its outcome is recorded. */
  #release(
    draft: Pick<Draft, "action" | "policy">,
    decision: Decision,
    receiptId: string,
    identityVerifiedAt: string | null,
    context: ReceiptContext,
  ): AllowHandle {
    const action = draft.action;
    const args = (decision.modifications?.parameters ?? action.parameters) as Args;
    this.#released.set(action.action_id, {
      action,
      args,
      decision,
      receiptId,
      releasedAt: (this.#now() ?? new Date(action.timestamp)).toISOString(),
      policy: draft.policy,
      identityVerifiedAt,
      context,
      outcome: false,
    });
    return {
      kind: "allow",
      actionId: action.action_id,
      tool: action.tool,
      args,
      decision: decision.result,
      receiptId,
      replay: false,
    };
  }

  /** Suspends a STEP_UP or DEFER: the handle settles once the wait ends. */
  #suspend(suspended: Suspended, policy: LoadedPolicy, verified: VerifiedIdentity): PendingHandle {
    const controller = new AbortController();
    const host = {
      approvals: this.#services.approvals,
      deferrals: this.#services.deferrals,
      clock: () => this.#now() ?? new Date(Number.NaN),
      ceilingMs: this.#services.timeouts.pendingCeilingMs,
      // Stale identity must never authorize execution: the claims must establish, now, the very identity
      // the action was decided with (same principal, roles, scope and delegation).
      reverify: async () => {
        const now = this.#now();
        if (now === null) return { ok: false as const, reason: "the clock gives no valid time" };
        const checked = await bounded("the identity verifier", this.#services.timeouts.identityMs, () =>
          revalidate(verified, this.#services.verifier, this.#claims, now),
        );
        if (!checked.ok)
          return { ok: false as const, reason: `the identity could not be revalidated: ${checked.message}` };
        const result = checked.value;
        return result.ok
          ? { ok: true as const, verifiedAt: result.identity.verified_at }
          : {
              ok: false as const,
              reason: `the identity no longer holds (${result.failure}): ${result.message}`,
            };
      },
      conclude: (s: Suspended, settlement: Settlement) =>
        this.#lock.run(this.id, () => this.#settle(s, settlement, policy)),
      fault: (stage: FaultStage, message: string) => this.#fault(stage, suspended.action.action_id, message),
    };
    const actionId = suspended.action.action_id;
    const result = suspended.decision.result === "STEP_UP" ? "STEP_UP" : "DEFER";
    const settled = runPending(host, suspended, controller.signal)
      .catch((caught: unknown): Concluded => {
        this.#fault(result === "STEP_UP" ? "approval" : "deferral", actionId, messageOf(caught));
        return { result: "DENY", reason: "the wait failed", receiptId: null };
      })
      .then((concluded): AllowHandle | DenyHandle => {
        const released = this.#released.get(actionId);
        if (concluded.result === "ALLOW" && released !== undefined && concluded.receiptId !== null) {
          return {
            kind: "allow",
            actionId,
            tool: released.action.tool,
            args: released.args,
            decision: result,
            receiptId: concluded.receiptId,
            replay: false,
          };
        }
        return this.#deny(actionId, result, suspended.decision.rules, concluded.reason, concluded.receiptId);
      });
    const entry = { cancel: () => controller.abort(), settled };
    this.#pending.add(entry);
    void settled.finally(() => this.#pending.delete(entry));
    return {
      kind: "pending",
      actionId,
      decision: result,
      receiptId: suspended.receiptId,
      settled,
      cancel: () => controller.abort(),
      replay: false,
    };
  }

  /** Records a settlement of a suspended action (under the session's lock) and, for ALLOW, releases it. */
  async #settle(s: Suspended, settlement: Settlement, policy: LoadedPolicy): Promise<Concluded> {
    let result = settlement.result;
    let reason = settlement.reason;
    let context = s.context;
    const state = this.#state;
    if (state.kind === "failed") {
      // The session failed closed while the action waited: nothing more is released, nor written to its log.
      if (result !== "DENY") {
        result = "DENY";
        reason = `${reason}; but the session failed closed: ${state.reason}`;
      }
    } else if (settlement.entry !== null) {
      const appended = await this.#append(settlement.entry);
      if (appended.ok) {
        context = { ...s.context, context_hash: appended.entry.hash, context_log_seq: appended.entry.seq };
      } else {
        this.#fault("context", s.action.action_id, appended.message);
        if (result !== "DENY") {
          result = "DENY";
          reason = `${reason}; but it could not be logged: ${appended.message}`;
        }
      }
    }
    const decision = settledDecision(s.decision, result, reason, settlement.requirement);
    const identityVerifiedAt = settlement.identityVerifiedAt ?? s.identityVerifiedAt;
    const issued = await this.#issue({
      action: s.action,
      identity_verified_at: identityVerifiedAt,
      decision,
      context,
      related_receipt_id: settlement.related,
      ...(settlement.approval === null ? {} : { approval: settlement.approval }),
      ...(settlement.deferral === null ? {} : { deferral: settlement.deferral }),
    });
    if (!issued.ok) this.#fault("receipt", s.action.action_id, issued.message);
    const receiptId = issued.ok ? issued.id : null;
    if (result === "ALLOW" && receiptId === null) {
      result = "DENY";
      reason = `${reason}; but its receipt could not be written`;
    }
    if (result === "ALLOW" && receiptId !== null) {
      this.#release({ action: s.action, policy }, decision, receiptId, identityVerifiedAt, context);
    }
    if (result !== "STEP_UP") {
      this.#services.report.emit({
        type: "settlement",
        session_id: this.id,
        action_id: s.action.action_id,
        released: result === "ALLOW",
        reason,
        receipt_id: receiptId,
      });
    }
    return { result, reason, receiptId };
  }

  recordOutcome(actionId: string, outcome: ToolOutcome): Promise<OutcomeResult> {
    return this.#lock
      .run(this.id, () => this.#recordOutcome(actionId, outcome))
      .catch((caught: unknown): OutcomeResult => {
        const message = `recording the outcome failed: ${messageOf(caught)}`;
        this.#fault("outcome", actionId, message);
        return { ok: false, error: message };
      });
  }

  async #recordOutcome(actionId: string, outcome: ToolOutcome): Promise<OutcomeResult> {
    const released = this.#released.get(actionId);
    if (released === undefined) return { ok: false, error: `no released action ${actionId} in this session` };
    if (released.outcome) return { ok: false, error: `the outcome of ${actionId} is already recorded` };
    if (!isPlainObject(outcome) || typeof outcome.success !== "boolean") {
      return { ok: false, error: "an outcome needs a boolean success" };
    }
    const output = outcome.output;
    let text = "";
    let outputHash: string | null = null;
    if (output !== undefined) {
      const canonical = canonicalize(output);
      if (!canonical.ok) return { ok: false, error: `the output is not JSON: ${canonical.error.message}` };
      text = typeof output === "string" ? output : canonical.value;
      outputHash = `sha256:${sha256Hex(canonical.value)}`;
    }
    const completedAt = (this.#now() ?? new Date(released.releasedAt)).toISOString();
    let labels: string[];
    try {
      labels = labelOutput(released.policy.ir, released.action.tool, released.args, text);
    } catch (caught) {
      // Output that cannot be classified is the most sensitive and untrusted: fail closed for later decisions.
      labels = ["restricted", "untrusted"];
      this.#fault("outcome", actionId, `labelling the output failed: ${messageOf(caught)}`);
    }
    const logged = await this.#append({
      type: "outcome",
      action_id: actionId,
      completed_at: completedAt,
      success: outcome.success,
      labels,
      output_hash: outputHash,
    });
    if (!logged.ok) {
      this.#fault("context", actionId, logged.message);
      return { ok: false, error: logged.message };
    }
    released.outcome = true;
    const error = outcome.error;
    const issued = await this.#issue({
      action: released.action,
      identity_verified_at: released.identityVerifiedAt,
      decision: released.decision,
      context: { ...released.context, context_hash: logged.entry.hash, context_log_seq: logged.entry.seq },
      related_receipt_id: released.receiptId,
      execution: {
        started_at: released.releasedAt,
        completed_at: completedAt,
        success: outcome.success,
        output_hash: outputHash,
        error: outcome.success
          ? null
          : {
              message: (typeof error?.message === "string" ? error.message : "the tool failed").slice(
                0,
                4096,
              ),
              ...(isIdentifier(error?.code) ? { code: error.code } : {}),
            },
      },
    });
    if (!issued.ok) this.#fault("receipt", actionId, issued.message);
    this.#services.report.emit({
      type: "outcome",
      session_id: this.id,
      action_id: actionId,
      success: outcome.success,
      labels,
      receipt_id: issued.ok ? issued.id : null,
    });
    return issued.ok ? { ok: true, receiptId: issued.id, labels } : { ok: false, error: issued.message };
  }

  async end(): Promise<EndResult> {
    const pending = [...this.#pending];
    for (const entry of pending) entry.cancel();
    await Promise.all(pending.map((entry) => entry.settled));
    return this.#lock
      .run(this.id, async (): Promise<EndResult> => {
        const was = this.#state;
        this.#state = { kind: "ended" };
        this.#calls.clear();
        this.#requests.clear();
        this.#released.clear();
        this.#onEnd();
        if (was.kind === "ended") return { ok: false, error: "the session has already ended" };
        if (was.kind === "failed" && !was.receipts) return { ok: true };
        const ended = await this.#services.log.end(this.id);
        return ended.ok ? { ok: true } : { ok: false, error: describeContextError(ended.error) };
      })
      .catch((caught: unknown): EndResult => ({ ok: false, error: messageOf(caught) }));
  }

  /** Cancels every pending action and waits until each has settled (runtime shutdown). */
  async cancelPending(): Promise<void> {
    const pending = [...this.#pending];
    for (const entry of pending) entry.cancel();
    await Promise.all(pending.map((entry) => entry.settled));
  }
}
