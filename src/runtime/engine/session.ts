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
import type { FeatureValues } from "../../eval/feature-state.ts";
import { labelOutput } from "../../eval/label.ts";
import type { EvalInput, Json } from "../../ir/contract.ts";
import { canonicalHash, canonicalize, isPlainObject, sha256Hex } from "../../schema/canonical.ts";
import type {
  Action,
  Decision,
  Intent,
  Receipt,
  ReceiptContext,
  ReceiptDeferral,
  SnapshotSummary,
} from "../../schema/generated/types.ts";
import { validateAction, validateApprovalResult, validateIntent } from "../../schema/validate.ts";
import type { ContextEntry, ContextEntryBody, DecisionSignals } from "../context/entry.ts";
import { GENESIS_HASH } from "../context/entry.ts";
import { ContextAccumulator } from "../context/accumulator.ts";
import type { ContextError, ContextLog, ContextResult, SealedEntry } from "../context/log.ts";
import { type Blocking, type Dependency, dependencies } from "../deferrals/dependencies.ts";
import { revalidate } from "../identity/revalidate.ts";
import type { IdentityClaims, IdentityVerifier, VerifiedIdentity } from "../identity/types.ts";
import { type ArgumentLimits, valueProblem } from "../mediation/conform.ts";
import { boundIdentity, claimedIdentity } from "../mediation/identity.ts";
import { mediate, type ToolCall } from "../mediation/mediate.ts";
import type { MetaToolResolver } from "../mediation/meta-tools.ts";
import type { ReceiptParts } from "../receipts/assemble.ts";
import type { PreparedReceipt, ReceiptError, ReceiptIssuer } from "../receipts/issuer.ts";
import type { AppendOptions, ChainHead, SessionRecord, Store } from "../store/types.ts";
import { KeyedMutex } from "../store/keyed-mutex.ts";
import { type DriftProfileSelector, SessionDrift } from "../scoring/drift.ts";
import type { Scorer } from "../scoring/types.ts";
import { bounded, messageOf } from "./bounded.ts";
import { recordedDecision, refusal, settledDecision } from "./decision.ts";
import {
  type Concluded,
  documentId,
  HOST_PROMPT,
  hostAnswer,
  runPending,
  type Settlement,
  type Suspended,
} from "./pending.ts";
import type { LoadedPolicy } from "./policy.ts";
import {
  isAbandoned,
  isReleased,
  lastReceipt,
  type LoggedAction,
  loggedActions,
  parseReceipts,
  type Principal,
  principal,
  releasedArgs,
  samePrincipal,
  storedHandle,
  storedPrincipal,
} from "./resume.ts";
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
  HostAnswer,
  HostApprovalResult,
  HostDelegation,
  OutcomeResult,
  PendingHandle,
  Reevaluate,
  ToolOutcome,
} from "./types.ts";
import { MAX_ERROR_MESSAGE_CHARS } from "./types.ts";

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
  /** How many deferrals an action may wait behind; deeper is denied. */
  readonly maxDeferralDepth: number;
  readonly policy: () => LoadedPolicy;
  readonly report: Reporter;
  /** The store the log and the receipts are kept in, read when a stored session is resumed. */
  readonly store: Store;
  /** The drift profile per identity (AARM R7). */
  readonly drift: DriftProfileSelector;
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
   * Records the host's answer to a STEP_UP delegated to its own approval
   * prompt (`PendingHandle.delegateToHost`), in this or any other process
   * sharing the store: once, for the action whose digest the answer names.
   * Approved, and with the session's identity still the one the action was
   * decided with, the action counts as released by that approval, and its
   * outcome may be recorded; otherwise it stays denied. Either way a
   * follow-up receipt records it (method `host_prompt`, the approver not
   * verified). Never rejects.
   */
  recordHostApproval(actionId: string, answer: HostAnswer): Promise<HostApprovalResult>;
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
  /** The evaluation input the decision was made on; null for a refusal. */
  readonly input: EvalInput | null;
  /** The session-query values it was made on, which its input's empty history stands for. */
  readonly features?: FeatureValues;
}

/** The id of a session whose claims name none it could use; such a session writes nothing. */
const UNUSABLE_SESSION = "unusable-session";

const LONE_SURROGATE = /\p{Cs}/u;
const IDENTIFIER = /^[^\u0000-\u001F\u007F]{1,256}$/u;

function isIdentifier(value: unknown): value is string {
  return typeof value === "string" && IDENTIFIER.test(value) && !LONE_SURROGATE.test(value);
}

/** Why an action left undecided or waiting by a process that ended is denied. */
const ABANDONED = "the process holding it ended";

/** The session's own copy of the claims (a caller changing its object later changes nothing), or null when they name no usable session id. */
function ownClaims(claims: IdentityClaims): IdentityClaims | null {
  let copy: unknown;
  try {
    copy = structuredClone(claims);
  } catch {
    copy = null;
  }
  return isPlainObject(copy) && isIdentifier(copy.session) ? (copy as unknown as IdentityClaims) : null;
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

/** A receipt and a log entry, built to be stored together. */
interface Paired {
  readonly receipt: PreparedReceipt;
  readonly entry: SealedEntry;
}

function receiptFailure(error: ReceiptError): string {
  switch (error.kind) {
    case "store":
      return `the receipt store failed: ${error.error.message}`;
    case "sign":
      return `signing failed: ${error.error.reason === "signer_failed" ? error.error.detail : error.error.error.message}`;
    case "schema":
      return `the receipt is malformed: ${error.errors[0]?.path ?? ""} ${error.errors[0]?.message ?? ""}`;
    case "redaction":
      return `sensitive parameter ${error.error.pointer}: ${error.error.message}`;
    case "related":
      return error.message;
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
  /** Deferred actions, and actions waiting behind them, that later calls may depend on. */
  readonly #blocking = new Map<string, Blocking>();
  /** The deferral chain each action waited behind, by action id, until it is decided. */
  readonly #cascades = new Map<string, Dependency>();
  /** The last context-log entry this session read or wrote, for receipts of refusals made without reading it. */
  #head: ChainHead | null = null;
  /** The session's context as far as it was read and verified; null until the first decision reads it. */
  #context: ContextAccumulator | null = null;
  /** The principal a resumed session's actions were bound to: every later action must be bound to it too. */
  #principal: Principal | null = null;
  readonly #onEnd: () => void;
  readonly #drift: SessionDrift;

  private constructor(services: SessionServices, claims: IdentityClaims, state: State, onEnd: () => void) {
    this.id = claims.session;
    this.#services = services;
    this.#claims = claims;
    this.#state = state;
    this.#onEnd = onEnd;
    this.#drift = new SessionDrift(services.drift);
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
    const given = ownClaims(claims);
    if (given === null) {
      return RuntimeSession.#failed(
        services,
        null,
        "the identity claims name no usable session id",
        false,
        onEnd,
      );
    }
    let created: Awaited<ReturnType<ContextLog["start"]>>;
    try {
      created = await services.log.start(given.session);
    } catch (caught) {
      const reason = `the session could not be started: ${messageOf(caught)}`;
      return RuntimeSession.#failed(services, given, reason, false, onEnd);
    }
    if (!created.ok) {
      const reason = `the session could not be started: ${describeContextError(created.error)}`;
      return RuntimeSession.#failed(services, given, reason, false, onEnd);
    }
    return RuntimeSession.#begin(services, given, intent, onEnd);
  }

  /**
   * Resumes the stored session `claims.session` names, or starts it when the
   * store has none. The log is loaded and verified; a broken log, an ended
   * session or claims naming another principal than the one the session's
   * actions were bound to give a session failed closed. What a process that
   * ended left behind is settled now: an action it was deciding or waiting
   * on is denied, with a receipt. `intent` is used only to start a session;
   * a stored session keeps its own. Never throws.
   */
  static async open(
    services: SessionServices,
    claims: IdentityClaims,
    intent: string | IntentInput | undefined,
    onEnd: () => void,
  ): Promise<RuntimeSession> {
    const given = ownClaims(claims);
    if (given === null) {
      return RuntimeSession.#failed(
        services,
        null,
        "the identity claims name no usable session id",
        false,
        onEnd,
      );
    }
    const failed = (reason: string, receipts: boolean): RuntimeSession =>
      RuntimeSession.#failed(services, given, reason, receipts, onEnd);
    let loaded: Awaited<ReturnType<ContextLog["load"]>>;
    try {
      loaded = await services.log.load(given.session);
      if (!loaded.ok && loaded.error.kind === "store" && loaded.error.error.kind === "not_found") {
        const created = await services.log.start(given.session);
        if (created.ok) return await RuntimeSession.#begin(services, given, intent, onEnd);
        if (created.error.kind !== "store" || created.error.error.kind !== "conflict") {
          return failed(`the session could not be started: ${describeContextError(created.error)}`, false);
        }
        // Another process created it meanwhile: resume that one.
        loaded = await services.log.load(given.session);
      }
    } catch (caught) {
      return failed(`the session could not be resumed: ${messageOf(caught)}`, false);
    }
    if (!loaded.ok) {
      const reason = `the session could not be resumed: ${describeContextError(loaded.error)}`;
      // A broken log still belongs to a stored session, whose receipt chain records the refusals.
      return failed(reason, loaded.error.kind === "broken");
    }
    if (loaded.value.session.state === "ended") return failed("the session has ended", true);
    const entries = loaded.value.entries;
    const stored = storedPrincipal(entries);
    const claimed = principal(given);
    const differs = (field: keyof Principal): boolean =>
      claimed[field] !== null && claimed[field] !== stored?.[field];
    if (stored !== null && (differs("human") || differs("service") || differs("agent"))) {
      return failed("the identity claims name another principal than the session's", true);
    }
    const session = new RuntimeSession(services, given, { kind: "active" }, onEnd);
    session.#principal = stored;
    const last = entries.at(-1);
    session.#head = last === undefined ? null : { seq: last.seq, hash: last.hash };
    const recovered = await session
      .#recover(entries)
      .catch((caught: unknown) => `the session could not be resumed: ${messageOf(caught)}`);
    if (recovered !== null) {
      services.report.fault({
        stage: "session",
        session_id: given.session,
        action_id: null,
        message: recovered,
      });
      session.#state = { kind: "failed", reason: recovered, receipts: true };
    }
    return session;
  }

  /** A session failed closed from the start, with the failure reported. */
  static #failed(
    services: SessionServices,
    given: IdentityClaims | null,
    reason: string,
    receipts: boolean,
    onEnd: () => void,
  ): RuntimeSession {
    const id = given?.session ?? UNUSABLE_SESSION;
    services.report.fault({ stage: "session", session_id: id, action_id: null, message: reason });
    return new RuntimeSession(
      services,
      given ?? { session: id },
      { kind: "failed", reason, receipts },
      onEnd,
    );
  }

  /** A session just created in the store, with its original request logged. */
  static async #begin(
    services: SessionServices,
    given: IdentityClaims,
    intent: string | IntentInput | undefined,
    onEnd: () => void,
  ): Promise<RuntimeSession> {
    const session = new RuntimeSession(services, given, { kind: "active" }, onEnd);
    if (intent === undefined) return session;
    const request = typeof intent === "string" ? { text: intent } : intent;
    const valid = validateIntent({ ...request, scope: [...(request.scope ?? [])] });
    if (!valid.ok) {
      const reason = `the original request is malformed: ${valid.errors[0]?.message ?? "invalid"}`;
      return RuntimeSession.#failed(services, given, reason, true, onEnd);
    }
    const logged = await session.#append({ type: "intent", intent: valid.value });
    if (!logged.ok) {
      const reason = `the original request could not be logged: ${logged.message}`;
      return RuntimeSession.#failed(services, given, reason, true, onEnd);
    }
    return session;
  }

  /**
   * Settles what a process that ended left in the log (see {@link open}):
   * null when all of it is recorded, else why not.
   */
  async #recover(entries: readonly ContextEntry[]): Promise<string | null> {
    const abandoned = [...loggedActions(entries).values()].filter(isAbandoned);
    if (abandoned.length === 0) return null;
    const read = await this.#services.store.readReceipts(this.id);
    if (!read.ok) return `the receipts could not be read: ${read.error.message}`;
    const parsed = parseReceipts(read.value.records);
    if (!parsed.ok) return parsed.message;
    const intent = contextView(entries).intent;
    for (const logged of abandoned) {
      const problem = await this.#abandon(logged, parsed.receipts, intent);
      if (problem !== null) return `an action left by an ended process could not be denied: ${problem}`;
    }
    return null;
  }

  /**
   * Denies an action its process left undecided or waiting. Undecided, it
   * was never released (release follows the logged decision): its decision
   * is recorded as DENY, following the receipt of a decision that was never
   * logged, if any. Waiting, it is settled as a cancelled wait is.
   */
  async #abandon(
    logged: LoggedAction,
    receipts: readonly Receipt[],
    intent: Intent | null,
  ): Promise<string | null> {
    const policy = this.#services.policy();
    const action = logged.action;
    const entry = logged.decision;
    if (entry === null) {
      const last = lastReceipt(receipts, action.action_id);
      const denial = refusal("session", ABANDONED, policy.ref);
      let receiptId = last?.decision.result === "DENY" ? last.receipt_id : null;
      if (receiptId === null) {
        const issued = await this.#issue({
          action,
          identity_verified_at: last?.requester_context.identity_verified_at ?? null,
          decision: denial,
          context: {
            context_hash: logged.hash,
            context_log_seq: logged.seq,
            snapshot_summary: EMPTY_SUMMARY,
          },
          ...(last === null ? {} : { related_receipt_id: last.receipt_id }),
        });
        if (!issued.ok) return issued.message;
        receiptId = issued.id;
      }
      const appended = await this.#append({
        type: "decision",
        action_id: action.action_id,
        decision: denial,
        receipt_id: receiptId,
      });
      if (!appended.ok) return appended.message;
      this.#emitDecision(action, denial, receiptId);
      return null;
    }
    // The receipt the wait follows: the STEP_UP or DEFER decision, or the escalation of a DEFER to STEP_UP.
    const waiting = lastReceipt(
      receipts,
      action.action_id,
      (r) => r.decision.result === "STEP_UP" || r.decision.result === "DEFER",
    );
    if (waiting === null) return `no receipt of the ${entry.decision.result} decision on ${action.action_id}`;
    const escalated = waiting.related_receipt_id !== null;
    const decision = escalated
      ? settledDecision(
          entry.decision,
          "STEP_UP",
          waiting.decision.reasons[0] ?? "escalated",
          entry.decision.deferral?.approval ?? null,
        )
      : entry.decision;
    const suspended: Suspended = {
      action,
      decision,
      receiptId: waiting.receipt_id,
      context: waiting.context,
      intent,
      identityVerifiedAt: waiting.requester_context.identity_verified_at,
      suspendedAt: Date.parse(entry.time),
      deferral: escalated ? null : waiting.deferral,
      reevaluate: () => Promise.resolve({ ok: false, message: ABANDONED }),
      cascade: { depth: 0, dependsOn: [] },
    };
    const cancelled = new AbortController();
    cancelled.abort();
    const concluded = await runPending(
      {
        approvals: null,
        deferrals: null,
        clock: () => this.#now() ?? new Date(Number.NaN),
        ceilingMs: 0,
        reverify: () => Promise.resolve({ ok: false, reason: ABANDONED }),
        conclude: (s, settlement) =>
          this.#settle(s, { ...settlement, reason: `${settlement.reason}: ${ABANDONED}` }, policy),
        fault: (stage, message) => this.#fault(stage, action.action_id, message),
      },
      suspended,
      cancelled.signal,
    );
    return concluded.receiptId === null ? concluded.reason : null;
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
    const found = dependencies(raw, [...this.#blocking.values()], {
      ir: this.#services.policy().ir,
      resolvers: this.#services.resolvers,
      limits: this.#services.limits,
      identity: claimedIdentity(this.#claims),
    });
    // A repeat of a deferred action (or of one waiting behind it) is that action: it attaches to its record.
    if (found.kind === "repeat" && conflict === null) return found.of.handle.then(asReplay);
    const cascade = found.kind === "depends" ? found.dependency : null;
    const decide = (blocked: string | null): Promise<EnforcementHandle> =>
      this.#lock
        .run(this.id, () => this.#decide(raw, actionId, conflict, blocked))
        .catch((caught: unknown) => {
          this.#fault("session", actionId, `unexpected failure: ${messageOf(caught)}`);
          return this.#deny(actionId, "DENY", ["runtime:session"], "the runtime failed", null);
        });
    const handle = cascade === null ? decide(null) : this.#behind(actionId, cascade, decide);
    if (found.kind !== "repeat") this.#track(actionId, handle, found.probe, cascade);
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

  /**
   * The session's context for a decision: the whole log, verified, the first
   * time; afterwards only the entries appended since the last read, verified
   * to chain onto it (a log changed under it is `broken`). On any failure the
   * context is forgotten, and the next decision reads the whole log again.
   */
  async #loadContext(): Promise<
    ContextResult<{ readonly session: SessionRecord; readonly view: ContextAccumulator }>
  > {
    const known = this.#context;
    this.#context = null;
    const head = known?.head ?? null;
    const log = this.#services.log;
    const loaded =
      known === null || head === null ? await log.load(this.id) : await log.loadAfter(this.id, head);
    if (!loaded.ok) return loaded;
    const view = known ?? new ContextAccumulator();
    view.apply(loaded.value.entries);
    this.#context = view;
    return { ok: true, value: { session: loaded.value.session, view } };
  }

  async #append(
    body: ContextEntryBody,
    options: AppendOptions = {},
  ): Promise<
    { readonly ok: true; readonly entry: ContextEntry } | { readonly ok: false; readonly message: string }
  > {
    try {
      const appended = await this.#services.log.append(this.id, body, options);
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
      const issued = await this.#services.issuer.issue(this.#sensitive(parts));
      return issued.ok
        ? { ok: true, id: issued.value.receipt.receipt_id }
        : { ok: false, message: receiptFailure(issued.error) };
    } catch (caught) {
      return { ok: false, message: `the receipt generator failed: ${messageOf(caught)}` };
    }
  }

  #sensitive(parts: ReceiptParts): ReceiptParts {
    return { ...parts, sensitive: this.#services.sensitive[parts.action.tool] ?? [] };
  }

  /**
   * Stores a receipt and the log entry that goes with it in one store
   * transaction ({@link Store.appendChains}): one write, and one sync, where
   * there would be two. `make` builds both on the session's chain heads.
   * Null when that cannot be done (a store without the method, an ended
   * session, a record that cannot be built, a store that refused): nothing
   * was stored, and the caller writes them one at a time, as it does for a
   * store without the method, so every failure is met as it always is.
   * A message when the receipt cannot be built at all.
   */
  async #together(
    make: (session: SessionRecord) => Promise<Paired | { readonly message: string } | null>,
  ): Promise<{ readonly id: string; readonly entry: ContextEntry } | { readonly message: string } | null> {
    const store = this.#services.store;
    if (store.appendChains === undefined) return null;
    try {
      const session = await store.getSession(this.id);
      if (!session.ok || session.value.state === "ended") return null;
      const made = await make(session.value);
      if (made === null || "message" in made) return made;
      const stored = await store.appendChains([made.entry.record], made.receipt.record);
      if (!stored.ok) return null;
      const { entry } = made.entry;
      this.#head = { seq: entry.seq, hash: entry.hash };
      return { id: made.receipt.issued.receipt.receipt_id, entry };
    } catch {
      return null;
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

  #emitDecision(
    action: Action,
    decision: Decision,
    receiptId: string | null,
    summary: SnapshotSummary = EMPTY_SUMMARY,
  ): void {
    this.#services.report.emit({
      type: "decision",
      session_id: this.id,
      action_id: action.action_id,
      tool: action.tool,
      decision: decision.result,
      rules: decision.rules,
      receipt_id: receiptId,
      policy: decision.policy,
      action,
      recorded: decision,
      summary,
    });
  }

  /** Tracks the session's drift on a decision made on scores, and reports a level crossed. */
  #observeDrift(draft: Draft, receiptId: string): void {
    const scores = draft.signals?.scores;
    if (scores?.alignment === undefined || scores.drift === undefined) return;
    const crossed = this.#drift.observe({
      session_id: this.id,
      action: draft.action,
      alignment: scores.alignment,
      drift: scores.drift,
      summary: draft.context.snapshot_summary,
      receipt_id: receiptId,
    });
    if (crossed !== null) this.#services.report.emit(crossed);
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
  async #decide(
    call: ToolCall,
    actionId: string,
    conflict: string | null,
    blocked: string | null,
  ): Promise<EnforcementHandle> {
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
    if (blocked !== null) return this.#refuse(mediated.action, policy, "deferral", blocked, null, false);
    if (!mediated.ok)
      return this.#refuse(mediated.action, policy, "mediation", mediated.problem, null, false);

    const verified = await this.#verify(now);
    if (!verified.ok)
      return this.#refuse(mediated.action, policy, "identity", verified.reason, null, verified.fault);
    if (this.#principal !== null && !samePrincipal(this.#principal, principal(verified.identity))) {
      // A resumed session acts for the principal its actions were bound to, never another.
      const reason = "the verified identity is not the principal of the resumed session";
      this.#state = { kind: "failed", reason, receipts: true };
      return this.#refuse(mediated.action, policy, "identity", reason, verified.verifiedAt, true);
    }
    const bound: Action = { ...mediated.action, identity: verified.identity };
    const valid = validateAction(bound);
    if (!valid.ok) {
      const first = valid.errors[0];
      const reason = `the action does not fit the canonical schema at ${first?.path || "/"}: ${first?.message}`;
      return this.#refuse(bound, policy, "mediation", reason, verified.verifiedAt, false);
    }
    const action = valid.value;

    let view: ContextAccumulator;
    try {
      const loaded = await this.#loadContext();
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
      view = loaded.value.view;
      this.#head = view.head;
      if (view.proposed(action.action_id)) {
        // Decided before, by another process sharing the session: the same action, its recorded decision
        // again. Rare, so read from the whole log.
        const full = await this.#services.log.load(this.id);
        const stored = full.ok ? loggedActions(full.value.entries).get(action.action_id) : undefined;
        if (stored !== undefined) return storedHandle(stored);
        const reason = full.ok ? "the action vanished from the log" : describeContextError(full.error);
        return this.#refuse(action, policy, "context", reason, verified.verifiedAt, true);
      }
    } catch (caught) {
      this.#context = null;
      return this.#refuse(
        action,
        policy,
        "context",
        `the context log failed: ${messageOf(caught)}`,
        verified.verifiedAt,
        true,
      );
    }
    if (view.latest !== null && now.getTime() < view.latest) {
      const reason = `the clock went backwards: ${now.toISOString()} is before the session's last entry at ${new Date(view.latest).toISOString()}`;
      return this.#refuse(action, policy, "clock", reason, verified.verifiedAt, true);
    }
    // Unsynced: it releases nothing; the decision's synced commit, before any release, makes it durable.
    const appended = await this.#append({ type: "action", action }, { sync: false });
    if (!appended.ok)
      return this.#refuse(action, policy, "context", appended.message, verified.verifiedAt, true);

    // From here on the action is in the log, and so is whatever is decided on it.
    const entry = appended.entry;
    const draft = (
      context: ReceiptContext,
      signals: DecisionSignals | null,
      input: EvalInput | null,
    ): Draft => ({
      action,
      policy,
      identityVerifiedAt: verified.verifiedAt,
      verified: verified.verified,
      context,
      intent: view.intent,
      signals,
      input,
    });
    const summarised = snapshotSummary(action, view, {});
    const plain = draft(
      {
        context_hash: entry.hash,
        context_log_seq: entry.seq,
        snapshot_summary: summarised.ok ? summarised.summary : EMPTY_SUMMARY,
      },
      null,
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
    let features: FeatureValues;
    try {
      features = view.features(policy.ir, input.action.time);
    } catch (caught) {
      return failClosed("evaluator", `the session's features failed: ${messageOf(caught)}`);
    }
    const hashed = frozenHash({
      session_id: this.id,
      context_log_seq: entry.seq,
      context_head: entry.hash,
      input,
      features,
      scorer: scored.scorer,
    });
    if (!hashed.ok)
      return failClosed("context", `the evaluation input has no canonical form: ${hashed.message}`);
    let decision: Decision;
    try {
      decision = recordedDecision(
        evaluate(policy.ir, input, { features }),
        policy.ref,
        scored.scores,
        scored.scorer,
      );
    } catch (caught) {
      return failClosed("evaluator", `the policy evaluator failed: ${messageOf(caught)}`);
    }
    const summary = snapshotSummary(
      action,
      view,
      scored.scores,
      this.#drift.profile(action.identity).threshold,
    );
    return this.#conclude(
      {
        ...draft(
          {
            context_hash: hashed.hash,
            context_log_seq: entry.seq,
            snapshot_summary: summary.ok ? summary.summary : EMPTY_SUMMARY,
          },
          { context_hash: hashed.hash, scores: scored.scores, scorer: scored.scorer, facts: facts.facts },
          input,
        ),
        features,
      },
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
    const body = (receiptId: string): ContextEntryBody => ({
      type: "decision",
      action_id: action.action_id,
      decision,
      receipt_id: receiptId,
      ...(draft.signals === null ? {} : { signals: draft.signals }),
    });
    const together = await this.#together(async (session) => {
      const receipt = await this.#services.issuer.prepare(this.#sensitive(parts), session.receipt_head);
      if (!receipt.ok) return { message: receiptFailure(receipt.error) };
      const entry = this.#services.log.seal(
        this.id,
        body(receipt.value.issued.receipt.receipt_id),
        session.context_head,
      );
      return entry.ok ? { receipt: receipt.value, entry: entry.value } : null;
    });
    const issued =
      together === null
        ? await this.#issue(parts)
        : "id" in together
          ? { ok: true as const, id: together.id }
          : { ok: false as const, message: together.message };
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
    const logged =
      together !== null && "entry" in together
        ? { ok: true as const, entry: together.entry }
        : await this.#append(body(issued.id));
    const lost = !logged.ok
      ? `the decision could not be logged: ${logged.message}`
      : decision.result === "DENY"
        ? null
        : await this.#preempted(action.action_id, logged.entry, draft.context.context_log_seq);
    if (lost !== null) {
      this.#fault("context", action.action_id, lost);
      if (decision.result !== "DENY") {
        // Receipted, but the log does not know it (or records another decision first): it must not run.
        const denial = refusal("context", lost, policy.ref);
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
    this.#emitDecision(action, decision, issued.id, draft.context.snapshot_summary);
    this.#observeDrift(draft, issued.id);
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
            reevaluate: this.#reevaluator(draft),
            cascade: this.#cascadeOf(action.action_id),
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
    const ended = runPending(host, suspended, controller.signal).catch((caught: unknown): Concluded => {
      this.#fault(result === "STEP_UP" ? "approval" : "deferral", actionId, messageOf(caught));
      return { result: "DENY", reason: "the wait failed", receiptId: null };
    });
    const settled = ended.then((concluded): AllowHandle | DenyHandle => {
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
      delegateToHost: () => this.#delegate(suspended, controller, ended),
      replay: false,
    };
  }

  /** Delegates a suspended STEP_UP to the host's prompt: ends its wait as `delegated` (see {@link PendingHandle}). */
  async #delegate(
    s: Suspended,
    controller: AbortController,
    ended: Promise<Concluded>,
  ): Promise<HostDelegation> {
    const requirement = s.decision.approval;
    if (s.decision.result !== "STEP_UP" || requirement === null) {
      return { ok: false, error: "only a STEP_UP can be delegated to the host's prompt" };
    }
    // A host's prompt is one answer: it cannot stand for a quorum of distinct approvers.
    if (requirement.quorum > 1) {
      return { ok: false, error: `the approval needs a quorum of ${requirement.quorum}` };
    }
    const digest = canonicalHash(s.action);
    if (!digest.ok) return { ok: false, error: "the action has no canonical form" };
    controller.abort(HOST_PROMPT);
    const concluded = await ended;
    return concluded.result === "STEP_UP" && concluded.receiptId !== null
      ? { ok: true, receiptId: concluded.receiptId, actionDigest: digest.value }
      : { ok: false, error: `not delegated: ${concluded.reason}` };
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
        const lost =
          result === "ALLOW" ? await this.#preempted(s.action.action_id, appended.entry, null) : null;
        if (lost !== null) {
          this.#fault("context", s.action.action_id, lost);
          result = "DENY";
          reason = `${reason}; but ${lost}`;
        }
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

  /** Waits until every action `dependency` names has settled, then decides; denies if one was not released. */
  async #behind(
    actionId: string,
    dependency: Dependency,
    decide: (blocked: string | null) => Promise<EnforcementHandle>,
  ): Promise<EnforcementHandle> {
    const limit = this.#services.maxDeferralDepth;
    if (dependency.depth > limit) {
      return decide(`it waits behind a chain of ${dependency.depth} deferrals; at most ${limit} are allowed`);
    }
    const ran = await Promise.all(dependency.on.map((b) => b.done));
    const failed = dependency.on.filter((_, i) => ran[i] !== true).map((b) => b.actionId);
    if (failed.length > 0) return decide(`it depends on ${failed.join(", ")}, which was not released`);
    this.#cascades.set(actionId, dependency);
    return decide(null);
  }

  /** The deferral chain an action waited behind (consumed once it is decided). */
  #cascadeOf(actionId: string): Suspended["cascade"] {
    const dependency = this.#cascades.get(actionId);
    this.#cascades.delete(actionId);
    if (dependency === undefined) return { depth: 0, dependsOn: [] };
    return { depth: dependency.depth, dependsOn: dependency.on.map((b) => documentId("dfr", b.actionId)) };
  }

  /**
   * Makes the action a blocker for later calls while it is deferred (or, for
   * `cascade`, while it waits behind deferrals), until it has run or never will.
   */
  #track(
    actionId: string,
    handle: Promise<EnforcementHandle>,
    probe: Blocking["probe"],
    cascade: Dependency | null,
  ): void {
    const register = (): void => {
      let waiting = true;
      void handle.then(async (h) => {
        if (h.kind === "pending") await h.settled;
        waiting = false;
      });
      const entry: Blocking = {
        actionId,
        probe,
        depth: cascade?.depth ?? 0,
        handle,
        waiting: () => waiting,
        done: this.#wasReleased(handle),
      };
      this.#blocking.set(actionId, entry);
      void entry.done.then(() => this.#blocking.delete(actionId));
    };
    if (cascade !== null) register();
    else {
      void handle.then((h) => {
        if (h.kind === "pending" && h.decision === "DEFER" && !h.replay) register();
      });
    }
  }

  /** Whether the action behind `handle` was released, once it has settled. */
  async #wasReleased(handle: Promise<EnforcementHandle>): Promise<boolean> {
    const first = await handle;
    const final = first.kind === "pending" ? await first.settled : first;
    return final.kind === "allow" && !final.replay;
  }

  /** Re-evaluation of a suspended action with more facts, on the snapshot and policy it was decided with. */
  #reevaluator(draft: Draft): Reevaluate {
    return async (facts) => {
      const { input, features } = draft;
      if (input === null || features === undefined)
        return { ok: false, message: "the decision has no evaluation input" };
      if (!isPlainObject(facts)) return { ok: false, message: "facts must be a JSON object" };
      const declared = draft.policy.ir.facts;
      const merged: Record<string, Json> = { ...input.snapshot.facts };
      for (const [name, value] of Object.entries(facts)) {
        const type = Object.hasOwn(declared, name) ? declared[name] : undefined;
        // As for the fact provider: facts the policy does not declare cannot influence it.
        if (type === undefined) continue;
        const problem = valueProblem(value, type);
        if (problem !== null) return { ok: false, message: `fact ${name}: ${problem}` };
        merged[name] = value;
      }
      const text = canonicalize(merged);
      if (!text.ok) return { ok: false, message: `the facts are not JSON: ${text.error.message}` };
      try {
        const again = evaluate(
          draft.policy.ir,
          { ...input, snapshot: { ...input.snapshot, facts: JSON.parse(text.value) as Args } },
          { features },
        );
        const recorded = recordedDecision(again, draft.policy.ref, {});
        return {
          ok: true,
          value: {
            result: recorded.result,
            rules: recorded.rules,
            reasons: recorded.reasons,
            approval: recorded.approval,
          },
        };
      } catch (caught) {
        return { ok: false, message: `the policy evaluator failed: ${messageOf(caught)}` };
      }
    };
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

  /**
   * Why the action must not be released although `mine`, its decision or
   * settlement, was logged: another process sharing the session logged one
   * first, and the log's first one stands. Null when `mine` is the first;
   * the log is not read back when nothing came between the action's own
   * entry (`since`) and `mine`.
   */
  async #preempted(actionId: string, mine: ContextEntry, since: number | null): Promise<string | null> {
    if (since !== null && mine.seq === since + 1) return null;
    let loaded: Awaited<ReturnType<ContextLog["load"]>>;
    try {
      loaded = await this.#services.log.load(this.id);
    } catch (caught) {
      return `the log could not be read back: ${messageOf(caught)}`;
    }
    if (!loaded.ok) return `the log could not be read back: ${describeContextError(loaded.error)}`;
    const logged = loggedActions(loaded.value.entries).get(actionId);
    const first = mine.type === "decision" ? logged?.decision?.seq : logged?.settledAt;
    return first === mine.seq ? null : "another process recorded a decision on it first";
  }

  /** A released action whose outcome is not recorded, as the stored log and receipts know it; else why not. */
  async #storedRelease(actionId: string): Promise<Released | string> {
    const unknown = `no released action ${actionId} in this session`;
    if (this.#state.kind !== "active") return unknown;
    const loaded = await this.#services.log.load(this.id);
    if (!loaded.ok) return describeContextError(loaded.error);
    const logged = loggedActions(loaded.value.entries).get(actionId);
    if (logged === undefined || logged.decision === null || !isReleased(logged)) return unknown;
    if (logged.outcome) return `the outcome of ${actionId} is already recorded`;
    const read = await this.#services.store.readReceipts(this.id);
    if (!read.ok) return `the receipts could not be read: ${read.error.message}`;
    const parsed = parseReceipts(read.value.records);
    if (!parsed.ok) return parsed.message;
    const releasing = lastReceipt(
      parsed.receipts,
      actionId,
      (r) => (r.decision.result === "ALLOW" || r.decision.result === "MODIFY") && r.execution === null,
    );
    if (releasing === null) return `no receipt released ${actionId}`;
    const decided = logged.decision.decision;
    return {
      action: logged.action,
      args: releasedArgs(logged),
      decision:
        decided.result === "ALLOW" || decided.result === "MODIFY"
          ? decided
          : settledDecision(decided, "ALLOW", releasing.decision.reasons[0] ?? "released", null),
      receiptId: releasing.receipt_id,
      releasedAt: releasing.issued_at,
      // Its output is labelled by the policy in force now: the one it was released under is not kept.
      policy: this.#services.policy(),
      identityVerifiedAt: releasing.requester_context.identity_verified_at,
      context: releasing.context,
      outcome: false,
    };
  }

  async #recordOutcome(actionId: string, outcome: ToolOutcome): Promise<OutcomeResult> {
    let released = this.#released.get(actionId);
    if (released === undefined) {
      // Released by another process sharing the session (a resumed session's predecessor): the log knows it.
      const stored = await this.#storedRelease(actionId);
      if (typeof stored === "string") return { ok: false, error: stored };
      released = stored;
      this.#released.set(actionId, released);
    }
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
    const body: ContextEntryBody = {
      type: "outcome",
      action_id: actionId,
      completed_at: completedAt,
      success: outcome.success,
      labels,
      output_hash: outputHash,
    };
    const error = outcome.error;
    const { action, identityVerifiedAt, decision, context, receiptId, releasedAt } = released;
    const parts = (entry: ContextEntry): ReceiptParts => ({
      action,
      identity_verified_at: identityVerifiedAt,
      decision,
      context: { ...context, context_hash: entry.hash, context_log_seq: entry.seq },
      related_receipt_id: receiptId,
      execution: {
        started_at: releasedAt,
        completed_at: completedAt,
        success: outcome.success,
        output_hash: outputHash,
        error: outcome.success
          ? null
          : {
              message: (typeof error?.message === "string" ? error.message : "the tool failed").slice(
                0,
                MAX_ERROR_MESSAGE_CHARS,
              ),
              ...(isIdentifier(error?.code) ? { code: error.code } : {}),
            },
      },
    });
    const together = await this.#together(async (session) => {
      const entry = this.#services.log.seal(this.id, body, session.context_head);
      if (!entry.ok) return null;
      const receipt = await this.#services.issuer.prepare(
        this.#sensitive(parts(entry.value.entry)),
        session.receipt_head,
      );
      return receipt.ok ? { receipt: receipt.value, entry: entry.value } : null;
    });
    const logged =
      together !== null && "entry" in together
        ? { ok: true as const, entry: together.entry }
        : await this.#append(body);
    if (!logged.ok) {
      this.#fault("context", actionId, logged.message);
      return { ok: false, error: logged.message };
    }
    released.outcome = true;
    const issued =
      together !== null && "id" in together
        ? { ok: true as const, id: together.id }
        : await this.#issue(parts(logged.entry));
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

  recordHostApproval(actionId: string, answer: HostAnswer): Promise<HostApprovalResult> {
    return this.#lock
      .run(this.id, () => this.#recordHostApproval(actionId, answer))
      .catch((caught: unknown): HostApprovalResult => {
        const message = `recording the host's answer failed: ${messageOf(caught)}`;
        this.#fault("approval", actionId, message);
        return { ok: false, error: message };
      });
  }

  /** Settles a STEP_UP delegated to the host's prompt with the host's answer, as the stored log and receipts know it. */
  async #recordHostApproval(actionId: string, answer: HostAnswer): Promise<HostApprovalResult> {
    const refuse = (error: string): HostApprovalResult => ({ ok: false, error });
    if (this.#state.kind !== "active") return refuse(`no delegated action ${actionId} in this session`);
    if (
      !isPlainObject(answer) ||
      !isIdentifier(answer.approver) ||
      typeof answer.approved !== "boolean" ||
      !(answer.at instanceof Date) ||
      Number.isNaN(answer.at.getTime()) ||
      typeof answer.actionDigest !== "string"
    ) {
      return refuse("a host's answer needs an approver, approved, a valid time and the action digest");
    }
    const now = this.#now();
    if (now === null) return refuse("the clock gives no valid time");
    const loaded = await this.#services.log.load(this.id);
    if (!loaded.ok) return refuse(describeContextError(loaded.error));
    if (loaded.value.session.state === "ended") return refuse("the session has ended");
    const logged = loggedActions(loaded.value.entries).get(actionId);
    if (logged?.decision?.decision.result !== "STEP_UP" || logged.settlement !== "delegated") {
      return refuse(`no STEP_UP ${actionId} delegated to the host's prompt and still unanswered`);
    }
    const digest = canonicalHash(logged.action);
    if (!digest.ok || digest.value !== answer.actionDigest) {
      return refuse(`the answer names another action than ${actionId}`);
    }
    const read = await this.#services.store.readReceipts(this.id);
    if (!read.ok) return refuse(`the receipts could not be read: ${read.error.message}`);
    const parsed = parseReceipts(read.value.records);
    if (!parsed.ok) return refuse(parsed.message);
    // The receipts must agree: the last approval recorded on it is this delegation (an answer is recorded once).
    const delegation = lastReceipt(parsed.receipts, actionId, (r) => r.approval !== null);
    const delegated = delegation?.approval;
    if (
      delegation === null ||
      delegated?.decision !== "delegated" ||
      delegated.method !== "host_prompt" ||
      delegated.action_digest !== digest.value
    ) {
      return refuse(`no receipt of ${actionId} delegated to the host's prompt and still unanswered`);
    }
    if (answer.at.getTime() < Date.parse(delegated.decided_at)) {
      return refuse("the answer is dated before the action was delegated");
    }
    const valid = validateApprovalResult(
      hostAnswer(
        delegated,
        { approver: answer.approver, approved: answer.approved, at: answer.at.toISOString() },
        now.toISOString(),
      ),
    );
    if (!valid.ok) return refuse(`the host's answer is malformed: ${valid.errors[0]?.message ?? "invalid"}`);
    const result = valid.value;
    const identity = answer.approved ? await this.#reverifyAs(logged.action, now) : null;
    const suspended: Suspended = {
      action: logged.action,
      decision: logged.decision.decision,
      receiptId: delegation.receipt_id,
      context: delegation.context,
      intent: null,
      identityVerifiedAt: delegation.requester_context.identity_verified_at,
      suspendedAt: Date.parse(logged.decision.time),
      deferral: null,
      reevaluate: () => Promise.resolve({ ok: false, message: "the action is not deferred" }),
      cascade: { depth: 0, dependsOn: [] },
    };
    const concluded = await this.#settle(
      suspended,
      {
        result: identity?.ok === true ? "ALLOW" : "DENY",
        reason: identity === null || identity.ok ? result.reason : `${result.reason}, but ${identity.reason}`,
        requirement: null,
        approval: result,
        deferral: null,
        // Approved but not released: the log must not show it as an approved (so released) action.
        entry: identity?.ok === false ? null : { type: "approval", action_id: actionId, result },
        related: delegation.receipt_id,
        identityVerifiedAt: identity?.ok === true ? identity.verifiedAt : null,
      },
      this.#services.policy(),
    );
    if (concluded.receiptId === null) return refuse(concluded.reason);
    return {
      ok: true,
      released: concluded.result === "ALLOW",
      reason: concluded.reason,
      receiptId: concluded.receiptId,
    };
  }

  /**
   * Whether the session's claims verify now to the identity `action` was
   * decided with: stale identity must never authorize execution, whichever
   * process approves it.
   */
  async #reverifyAs(
    action: Action,
    now: Date,
  ): Promise<
    { readonly ok: true; readonly verifiedAt: string } | { readonly ok: false; readonly reason: string }
  > {
    const verified = await this.#verify(now);
    if (!verified.ok) return { ok: false, reason: verified.reason };
    const fresh = canonicalize(verified.identity);
    const decided = canonicalize(action.identity);
    return fresh.ok && decided.ok && fresh.value === decided.value
      ? { ok: true, verifiedAt: verified.verifiedAt }
      : { ok: false, reason: "the identity is no longer the one the action was decided with" };
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
