/**
 * The runtime: the AARM enforcement point an agent's tool calls go through.
 *
 * ```ts
 * const runtime = createRuntime({ policy: { path: "policy.aarm" }, store, keyring, identity });
 * const session = await runtime.startSession({ identity: claims, intent: "pay the March invoice" });
 * const handle = await session.evaluate({ tool: "bank.send_money", args, callId });
 * if (handle.kind === "allow" && !handle.replay) {
 *   const output = await tools[handle.tool](handle.args);
 *   await session.recordOutcome(handle.actionId, { success: true, output });
 * }
 * ```
 *
 * Every call is mediated, bound to a verified identity, decided by the
 * compiled policy on the session's accumulated context, and receipted before
 * anything may run; whatever fails on the way fails closed. See
 * `docs/runtime.md`.
 *
 * @module
 */
import type { Ir } from "../ir/types.ts";
import type { PolicyRef } from "../schema/generated/types.ts";
import { ContextLog } from "./context/log.ts";
import type { Signer } from "./crypto/signer.ts";
import {
  DEFAULT_RELOAD_INTERVAL_MS,
  type PolicyLoad,
  PolicyHolder,
  type PolicySource,
} from "./engine/policy.ts";
import { Reporter } from "./engine/report.ts";
import { type IntentInput, RuntimeSession, type Session } from "./engine/session.ts";
import type {
  ApprovalService,
  DeferralService,
  FactProvider,
  RuntimeEvent,
  RuntimeFault,
  RuntimeTimeouts,
} from "./engine/types.ts";
import type { IdentityClaims, IdentityVerifier } from "./identity/types.ts";
import type { ArgumentLimits } from "./mediation/conform.ts";
import { type MetaToolResolver, mcpToolResolver, skillResolver } from "./mediation/meta-tools.ts";
import { ReceiptIssuer } from "./receipts/issuer.ts";
import { checkProfile, DRIFT_PROFILES, type DriftProfileSelector } from "./scoring/drift.ts";
import { tokenOverlapScorer } from "./scoring/token-overlap.ts";
import type { Scorer } from "./scoring/types.ts";
import type { Store } from "./store/types.ts";

/** Anything that signs receipts with its active key; a `Keyring` is one. */
export interface SigningKeys {
  readonly signer: Signer;
}

/** How calls are mediated. */
export interface MediationOptions {
  /** Wrapper tools to resolve; by default `mcp_tool` ({@link mcpToolResolver}) and `Skill` ({@link skillResolver}). */
  readonly metaTools?: readonly MetaToolResolver[];
  /** Bounds on a call's arguments. */
  readonly limits?: ArgumentLimits;
  /**
   * Parameters recorded in receipts by their hash only, per tool, as JSON
   * Pointers (`{ "email.send": ["/body"] }`): receipt minimisation. The
   * context log, which stays in the store, keeps them in full.
   */
  readonly sensitiveParameters?: { readonly [tool: string]: readonly string[] };
}

/** What a runtime is built from. */
export interface RuntimeOptions {
  /** The policy: compiled (`{ ir }`) or a file compiled here and hot-reloaded (`{ path }`). */
  readonly policy: PolicySource;
  /** Where sessions, context logs and receipts are kept. */
  readonly store: Store;
  /** Signs receipts; a function is asked for every receipt, so a rotated keyring takes effect at once. */
  readonly keyring: SigningKeys | (() => SigningKeys);
  /** Verifies the identity claims of every action. */
  readonly identity: IdentityVerifier;
  /** Computes alignment and drift; the built-in token-overlap scorer by default, null for none. */
  readonly scorer?: Scorer | null;
  /** Supplies facts for decisions; none by default (declared facts are then unknown). */
  readonly facts?: FactProvider;
  /** The time; the system clock by default. */
  readonly clock?: () => Date;
  readonly mediation?: MediationOptions;
  /** Decides STEP_UPs; without one they wait for their timeout and are denied. */
  readonly approvals?: ApprovalService;
  /** Resolves DEFERs; without one they wait for their timeout and are denied (or escalated, as the policy says). */
  readonly deferrals?: DeferralService;
  /**
   * How many deferrals an action may wait behind (it depends on a deferred
   * action, which depends on another, …); deeper is denied. Default 3.
   */
  readonly maxDeferralDepth?: number;
  /**
   * Drift levels (AARM R7): one profile, or one per identity (e.g.
   * `profilesByAgent`); `DRIFT_PROFILES.default` (warning 0.5,
   * threshold 0.7) by default. Crossings are reported as `drift` events and
   * the threshold sets receipts' `drift_detected`.
   */
  readonly drift?: DriftProfileSelector;
  /** Receives every event; must not block (`createTelemetry(...).sink` buffers and exports them). */
  readonly telemetry?: (event: RuntimeEvent) => void;
  /** Receives every contained failure (also sent to `telemetry` as a `fault` event). */
  readonly onFault?: (fault: RuntimeFault) => void;
  readonly timeouts?: RuntimeTimeouts;
}

/** How a session is started. */
export interface SessionOptions {
  /** Who is acting; `identity.session` is the session's id. Verified again for every action. */
  readonly identity: IdentityClaims;
  /** The user's original request, which actions are scored and checked against. */
  readonly intent?: string | IntentInput;
}

/** A running runtime. */
export interface Runtime {
  /** The policy in force: what new decisions are made and receipted under. */
  readonly policy: PolicyRef;
  /** The compiled policy in force. */
  readonly ir: Ir;
  /**
   * Starts a session. Never rejects: a session that cannot be started (the
   * store fails, the session id is taken, the request is malformed) is
   * returned failed closed, denying every call, and the failure is reported.
   */
  startSession(options: SessionOptions): Promise<Session>;
  /**
   * Resumes the stored session `options.identity.session` names, or starts
   * it as {@link startSession} does when the store has none; for processes
   * that share a store, each opening the session in turn. The stored log is
   * verified; a broken log, an ended session or claims naming another
   * principal than the session's give a session failed closed. Actions a
   * process that ended left undecided or waiting are denied, with receipts;
   * ones it released may still get their outcome recorded, and a STEP_UP it
   * delegated to the host's prompt its answer (`recordHostApproval`). A
   * stored session keeps its original request: `options.intent` is then
   * ignored. Never rejects.
   */
  openSession(options: SessionOptions): Promise<Session>;
  /**
   * Compiles the policy file again now if it changed (always, with `force`).
   * A policy that does not compile is reported and the one in force stays.
   */
  reloadPolicy(force?: boolean): PolicyLoad;
  /** Stops watching the policy and cancels (denies) every pending action. The store stays open. */
  close(): Promise<void>;
}

function checkDrift(drift: DriftProfileSelector): DriftProfileSelector {
  return typeof drift === "function" ? drift : checkProfile(drift);
}

/** The default of {@link RuntimeOptions.maxDeferralDepth}. */
export const DEFAULT_MAX_DEFERRAL_DEPTH = 3;

export const DEFAULT_TIMEOUTS = { identityMs: 2000, scorerMs: 1000, factsMs: 1000 } as const;

/**
 * Creates a runtime. Throws `PolicyLoadError` when a policy file does not
 * compile: with no policy nothing could be decided, and nothing has been yet.
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  const holder = PolicyHolder.open(options.policy);
  const report = new Reporter(options.telemetry, options.onFault);
  const clock = options.clock ?? (() => new Date());
  const keys = options.keyring;
  const issuer = new ReceiptIssuer({
    store: options.store,
    signer: () => (typeof keys === "function" ? keys() : keys).signer,
    clock,
  });
  const services = {
    log: new ContextLog({ store: options.store, clock }),
    issuer,
    verifier: options.identity,
    scorer: options.scorer === undefined ? tokenOverlapScorer() : options.scorer,
    facts: options.facts ?? null,
    clock,
    approvals: options.approvals ?? null,
    deferrals: options.deferrals ?? null,
    resolvers: options.mediation?.metaTools ?? [mcpToolResolver(), skillResolver()],
    limits: options.mediation?.limits ?? {},
    sensitive: options.mediation?.sensitiveParameters ?? {},
    drift: options.drift === undefined ? DRIFT_PROFILES.default : checkDrift(options.drift),
    timeouts: {
      identityMs: options.timeouts?.identityMs ?? DEFAULT_TIMEOUTS.identityMs,
      scorerMs: options.timeouts?.scorerMs ?? DEFAULT_TIMEOUTS.scorerMs,
      factsMs: options.timeouts?.factsMs ?? DEFAULT_TIMEOUTS.factsMs,
      pendingCeilingMs: options.timeouts?.pendingCeilingMs ?? Number.POSITIVE_INFINITY,
    },
    maxDeferralDepth: options.maxDeferralDepth ?? DEFAULT_MAX_DEFERRAL_DEPTH,
    policy: () => holder.current,
    report,
    store: options.store,
  };
  const live = new Set<RuntimeSession>();
  const announce = (load: PolicyLoad): void => {
    if (load.ok) report.emit({ type: "policy_loaded", policy: load.policy.ref });
    else report.emit({ type: "policy_rejected", path: holder.path ?? "", problems: load.problems });
  };
  if ("path" in options.policy) {
    holder.watch(options.policy.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS, announce);
  }
  return {
    get policy() {
      return holder.current.ref;
    },
    get ir() {
      return holder.current.ir;
    },
    async startSession(start) {
      const session = await RuntimeSession.start(services, start.identity, start.intent, () =>
        live.delete(session),
      );
      live.add(session);
      return session;
    },
    async openSession(open) {
      const session = await RuntimeSession.open(services, open.identity, open.intent, () =>
        live.delete(session),
      );
      live.add(session);
      return session;
    },
    reloadPolicy(force = false) {
      const load = holder.reload(force);
      if (!load.ok || load.changed) announce(load);
      return load;
    },
    async close() {
      holder.stop();
      await Promise.all([...live].map((session) => session.cancelPending()));
    },
  };
}
