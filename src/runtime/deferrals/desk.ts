/**
 * The deferral service (AARM §3.5): deferred actions, kept in the store,
 * resolved as the missing context arrives.
 *
 * ```ts
 * const deferrals = new DeferralDesk({ store, resolvers: [factResolver(changeTickets)] });
 * const runtime = createRuntime({ ...options, deferrals });
 * // later, when a monitor or a person supplies the context:
 * deferrals.provideFacts(deferralId, { change_window_approved: true });
 * ```
 *
 * A deferred action is resolved by re-evaluation: the runtime evaluates it
 * again, under the policy and on the context snapshot it was deferred with,
 * with the facts gathered so far. ALLOW releases it (once the identity
 * still verifies), DENY refuses it, STEP_UP hands it to a human, and a
 * MODIFY (different arguments from those deferred) is refused. While the
 * policy still says DEFER, the desk waits for more facts. Facts come from
 * resolvers, tried in turn with a backoff, and from
 * {@link DeferralDesk.provideFacts}; a narrow yes/no question answered
 * through {@link DeferralDesk.confirm} escalates to a human (yes) or
 * refuses (no). After `maxAttempts` resolver attempts without a resolution
 * the action is escalated (`resolver_exhausted`). Every attempt is audited:
 * the stored record's `attempts` counts it and `onAttempt` receives it.
 *
 * The timeout is the runtime's: when it stops waiting, the stored record
 * is closed (`timed_out`), and the runtime records DENY, or escalates when
 * the policy says `then step_up`. Nothing here can turn a timeout into ALLOW.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import type { DeferralResolution, DeferredAction } from "../../schema/generated/types.ts";
import { messageOf } from "../engine/bounded.ts";
import type { DeferralService, DeferralSettlement, Reevaluate } from "../engine/types.ts";
import type { DeferralRecord, ListFilter, Page, Store, StoreResult } from "../store/types.ts";

/** Facts by name, as the policy declares them. */
export type DeferralFacts = { readonly [name: string]: Json };

/** What a resolver is asked. */
export interface ResolverInput {
  readonly deferred: DeferredAction;
  /** The attempt, from 1. */
  readonly attempt: number;
  /** Aborted when the runtime stops waiting. */
  readonly signal: AbortSignal;
}

/** What a resolver found. */
export type ResolverAnswer =
  | { readonly kind: "facts"; readonly facts: DeferralFacts }
  | { readonly kind: "unresolved"; readonly reason: string };

/** A source of missing context: an inventory, a ticket system, a monitor. */
export interface DeferralResolver {
  readonly id: string;
  resolve(input: ResolverInput): Promise<ResolverAnswer>;
}

/** One audited resolution attempt. */
export interface DeferralAttempt {
  readonly deferral_id: string;
  readonly attempt: number;
  /** A resolver id, `provided` (facts given through the desk) or `confirmation`. */
  readonly source: string;
  /** What came of it: a re-evaluated decision, `unresolved`, or `error`. */
  readonly outcome: string;
  readonly detail: string;
  readonly at: string;
}

/** Options of {@link DeferralDesk}. */
export interface DeferralDeskOptions {
  readonly store: Store;
  /** Tried in turn, one attempt each, until one resolves the action. */
  readonly resolvers?: readonly DeferralResolver[];
  /** Resolver attempts before escalating to a human; default 3, from 1 to 100. */
  readonly maxAttempts?: number;
  /** Wait after the first unsuccessful round of resolvers, ms, doubled each round; default 1000. */
  readonly retryMs?: number;
  readonly clock?: () => Date;
  /** Receives every resolution attempt. */
  readonly onAttempt?: (attempt: DeferralAttempt) => void;
}

/** Why a call on a deferral was refused. */
export type DeferralCallResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly kind: "not_pending" | "invalid"; readonly message: string };

/** Input arriving for a waiting deferral. */
type Arrival =
  | { readonly kind: "facts"; readonly facts: DeferralFacts }
  | { readonly kind: "confirmation"; readonly confirmed: boolean; readonly reason: string };

interface Waiting {
  readonly deferred: DeferredAction;
  readonly inbox: Arrival[];
  wake: () => void;
}

/** Default of {@link DeferralDeskOptions.maxAttempts}. */
export const DEFAULT_MAX_RESOLVER_ATTEMPTS = 3;

const MAX_REASON = 4096;

/** `promise`, or a rejection once `signal` aborts: a resolver that ignores the signal cannot hold the desk. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error("aborted"));
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(new Error("aborted"));
    signal.addEventListener("abort", abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (caught: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(caught instanceof Error ? caught : new Error(String(caught)));
      },
    );
  });
}

/** The deferral service over a {@link Store}. */
export class DeferralDesk implements DeferralService {
  readonly #store: Store;
  readonly #resolvers: readonly DeferralResolver[];
  readonly #maxAttempts: number;
  readonly #retryMs: number;
  readonly #clock: () => Date;
  readonly #onAttempt: (attempt: DeferralAttempt) => void;
  readonly #waiting = new Map<string, Waiting>();

  constructor(options: DeferralDeskOptions) {
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_RESOLVER_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
      throw new Error("maxAttempts must be an integer from 1 to 100");
    }
    const retryMs = options.retryMs ?? 1000;
    if (!Number.isFinite(retryMs) || retryMs < 0) throw new Error("retryMs must be a duration in ms");
    this.#store = options.store;
    this.#resolvers = options.resolvers ?? [];
    this.#maxAttempts = maxAttempts;
    this.#retryMs = retryMs;
    this.#clock = options.clock ?? (() => new Date());
    this.#onAttempt = options.onAttempt ?? (() => {});
  }

  /** Records `deferred` and resolves it; see the module comment. */
  async defer(
    deferred: DeferredAction,
    signal: AbortSignal,
    reevaluate: Reevaluate,
  ): Promise<DeferralSettlement> {
    if (this.#waiting.has(deferred.deferral_id))
      throw new Error(`deferral ${deferred.deferral_id} is already waiting`);
    // Registered before the first await, so that facts given as soon as the DEFER is known are kept.
    const waiting: Waiting = { deferred, inbox: [], wake: () => {} };
    this.#waiting.set(deferred.deferral_id, waiting);
    const created = await this.#store.createDeferral(deferred);
    if (!created.ok) {
      this.#waiting.delete(deferred.deferral_id);
      throw new Error(`the deferral could not be stored: ${created.error.message}`);
    }
    let attempts = 0;
    let resolverAttempts = 0;
    let round = 0;
    const audit = async (source: string, outcome: string, detail: string): Promise<void> => {
      attempts++;
      this.#onAttempt({
        deferral_id: deferred.deferral_id,
        attempt: attempts,
        source,
        outcome,
        detail: detail.slice(0, MAX_REASON),
        at: this.#clock().toISOString(),
      });
      await this.#update(deferred.deferral_id, (d) => ({ ...d, attempts: Math.min(attempts, 10_000) }), null);
    };
    const settle = async (settlement: DeferralSettlement): Promise<DeferralSettlement> => {
      await this.#update(
        deferred.deferral_id,
        (d) => ({ ...d, state: settlement.result === "STEP_UP" ? "escalated" : "resolved" }),
        this.#resolution(deferred, settlement),
      );
      return settlement;
    };
    /** Re-evaluates with `facts`; a settlement, or null while the policy still defers. */
    const tryFacts = async (source: string, facts: DeferralFacts): Promise<DeferralSettlement | null> => {
      const again = await reevaluate(facts);
      if (!again.ok) {
        await audit(source, "error", again.message);
        return null;
      }
      const { result, reasons } = again.value;
      await audit(source, result, reasons.join("; "));
      const reason = `re-evaluated with ${Object.keys(facts).sort().join(", ") || "no facts"}: ${reasons.join("; ") || result}`;
      const method = "re_evaluation" as const;
      switch (result) {
        case "ALLOW":
          return { result: "ALLOW", method, reason, attempts };
        case "DENY":
          return { result: "DENY", method, reason, attempts };
        case "MODIFY":
          return { result: "DENY", method, reason: `${reason}; it would run with other arguments`, attempts };
        case "STEP_UP":
          return {
            result: "STEP_UP",
            method,
            reason,
            attempts,
            ...(again.value.approval === null ? {} : { approval: again.value.approval }),
          };
        case "DEFER":
          return null;
      }
    };
    try {
      for (;;) {
        if (signal.aborted) throw new Error("the runtime no longer waits for this deferral");
        const arrival = waiting.inbox.shift();
        if (arrival !== undefined) {
          if (arrival.kind === "confirmation") {
            await audit("confirmation", arrival.confirmed ? "STEP_UP" : "DENY", arrival.reason);
            return await settle({
              result: arrival.confirmed ? "STEP_UP" : "DENY",
              method: "user_confirmation",
              reason: `the user ${arrival.confirmed ? "confirmed" : "declined"}: ${arrival.reason}`,
              attempts,
            });
          }
          const done = await tryFacts("provided", arrival.facts);
          if (done !== null) return await settle(done);
          continue;
        }
        if (this.#resolvers.length > 0 && resolverAttempts < this.#maxAttempts) {
          for (const resolver of this.#resolvers) {
            if (resolverAttempts >= this.#maxAttempts || signal.aborted) break;
            resolverAttempts++;
            let found: ResolverAnswer;
            try {
              found = await untilAborted(
                resolver.resolve({ deferred, attempt: resolverAttempts, signal }),
                signal,
              );
            } catch (caught) {
              await audit(resolver.id, "error", messageOf(caught));
              continue;
            }
            if (found?.kind !== "facts") {
              await audit(resolver.id, "unresolved", typeof found?.reason === "string" ? found.reason : "");
              continue;
            }
            const done = await tryFacts(resolver.id, found.facts);
            if (done !== null) return await settle(done);
          }
          if (signal.aborted) continue;
          if (resolverAttempts >= this.#maxAttempts) {
            return await settle({
              result: "STEP_UP",
              method: "resolver_exhausted",
              reason: `automatic resolution exhausted after ${resolverAttempts} attempt(s)`,
              attempts,
            });
          }
          await this.#pause(waiting, signal, this.#retryMs * 2 ** Math.min(round++, 16));
        } else {
          await this.#pause(waiting, signal, Number.POSITIVE_INFINITY);
        }
      }
    } catch (caught) {
      if (signal.aborted) {
        const timeout = signal.reason === "timeout";
        await this.#update(
          deferred.deferral_id,
          (d) => ({ ...d, state: timeout ? "timed_out" : "resolved" }),
          {
            ...this.#resolution(deferred, {
              result: "DENY",
              method: "re_evaluation",
              reason: timeout ? "timed out" : "cancelled",
              attempts,
            }),
            method: timeout ? "timeout" : "cancelled",
            result: timeout ? "TIMEOUT" : "DENY",
          },
        );
      }
      throw caught;
    } finally {
      this.#waiting.delete(deferred.deferral_id);
    }
  }

  /** Waits `ms`, or until something arrives for the deferral or the wait is aborted. */
  #pause(waiting: Waiting, signal: AbortSignal, ms: number): Promise<void> {
    if (waiting.inbox.length > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", wake);
        waiting.wake = () => {};
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(wake, ms) : undefined;
      signal.addEventListener("abort", wake, { once: true });
      waiting.wake = wake;
    });
  }

  #resolution(deferred: DeferredAction, settlement: DeferralSettlement): DeferralResolution {
    return {
      deferral_id: deferred.deferral_id,
      action_id: deferred.action.action_id,
      method: settlement.method,
      result: settlement.result,
      reason: settlement.reason.slice(0, MAX_REASON),
      resolved_at: this.#clock().toISOString(),
      attempts: Math.min(settlement.attempts, 10_000),
      original_identity: deferred.action.identity,
    };
  }

  /** Applies `change` to the stored record (retrying lost races); failures leave the runtime's record as the truth. */
  async #update(
    deferralId: string,
    change: (deferred: DeferredAction) => DeferredAction,
    resolution: DeferralResolution | null,
  ): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const got = await this.#store.getDeferral(deferralId);
      if (!got.ok || got.value.resolution !== null) return;
      const updated = await this.#store.updateDeferral(deferralId, got.value.version, {
        deferred: change(got.value.deferred),
        resolution,
      });
      if (updated.ok || updated.error.kind !== "conflict") return;
    }
  }

  #deliver(deferralId: string, arrival: Arrival): DeferralCallResult {
    const waiting = this.#waiting.get(deferralId);
    if (waiting === undefined) {
      return { ok: false, kind: "not_pending", message: `no deferral ${deferralId} is waiting here` };
    }
    waiting.inbox.push(arrival);
    waiting.wake();
    return { ok: true };
  }

  /** Facts for a waiting deferral: the action is evaluated again with them. */
  provideFacts(deferralId: string, facts: DeferralFacts): DeferralCallResult {
    if (typeof facts !== "object" || facts === null || Array.isArray(facts)) {
      return { ok: false, kind: "invalid", message: "facts must be a JSON object" };
    }
    return this.#deliver(deferralId, { kind: "facts", facts });
  }

  /** Facts for every deferral of a session waiting here; the number of deferrals they went to. */
  provideSessionFacts(sessionId: string, facts: DeferralFacts): number {
    let delivered = 0;
    for (const [id, waiting] of this.#waiting) {
      if (waiting.deferred.action.identity.session === sessionId && this.provideFacts(id, facts).ok)
        delivered++;
    }
    return delivered;
  }

  /**
   * The user's answer to the narrow question a deferral asks (did you mean to
   * delete these records?): yes hands the action to a human approver, no
   * refuses it. This is context, never an approval.
   */
  confirm(deferralId: string, confirmed: boolean, reason = ""): DeferralCallResult {
    if (typeof confirmed !== "boolean")
      return { ok: false, kind: "invalid", message: "confirmed must be a boolean" };
    return this.#deliver(deferralId, {
      kind: "confirmation",
      confirmed,
      reason: String(reason).slice(0, 1024),
    });
  }

  /** Deferrals by id: by default the unresolved ones. */
  list(
    filter: ListFilter = { pending: true },
    page: Page = { limit: 100 },
  ): Promise<StoreResult<readonly DeferralRecord[]>> {
    return this.#store.listDeferrals(filter, page);
  }

  /** One deferral and, once resolved, its resolution. */
  show(deferralId: string): Promise<StoreResult<DeferralRecord>> {
    return this.#store.getDeferral(deferralId);
  }
}

/**
 * A resolver asking a function (a ticket system, an inventory) for the facts the
 * deferral needs; no fact found is `unresolved`.
 */
export function factResolver(
  id: string,
  facts: (deferred: DeferredAction, signal: AbortSignal) => Promise<DeferralFacts> | DeferralFacts,
): DeferralResolver {
  return {
    id,
    async resolve({ deferred, signal }) {
      const found = await facts(deferred, signal);
      const names = Object.keys(found ?? {});
      if (names.length === 0) return { kind: "unresolved", reason: `${id} knows none of the facts needed` };
      return { kind: "facts", facts: found };
    },
  };
}
