/**
 * `guard`: plain async tool functions, wrapped so that every call goes
 * through a session's policy.
 *
 * ```ts
 * const tools = guard(
 *   {
 *     "invoices.read": async ({ invoice_id }: { invoice_id: string }) => readInvoice(invoice_id),
 *     "bank.send_money": async (args: { recipient: string; amount: number }) => bank.send(args),
 *   },
 *   session,
 * );
 * try {
 *   await tools["bank.send_money"]({ recipient, amount }, { signal, callId: toolUseId });
 * } catch (error) {
 *   if (error instanceof AarmDeniedError) tellTheModel(error.reason);
 *   else throw error;
 * }
 * ```
 *
 * @module
 */
import type { Session } from "../../runtime/engine/session.ts";
import { markGuarded } from "./coverage.ts";
import { enforce, type GuardOptions, newCallId, type ReleasedCall } from "./enforce.ts";

/**
 * An async tool function: called with its arguments (a JSON object, as the
 * policy decided on them) and, optionally used, the call it runs for.
 */
export type ToolFunction = (args: never, call: ReleasedCall) => Promise<unknown>;

/** Tool functions by the name the policy knows them by (or by a key {@link GuardOptions.names} maps). */
export type ToolFunctions = { readonly [name: string]: ToolFunction };

/** How one guarded call is made. */
export interface CallOptions {
  /**
   * The caller's id for the call (a model's tool-use id): the same id with
   * the same arguments is the same action, decided once and never run twice.
   * A fresh id by default.
   */
  readonly callId?: string;
  /** Gives up: a STEP_UP or DEFER being waited on is cancelled (and denied, with a receipt). */
  readonly signal?: AbortSignal;
}

/** A tool function as `guard` returns it. */
export type GuardedTool<F extends ToolFunction> = (
  args: Parameters<F>[0],
  options?: CallOptions,
) => Promise<Awaited<ReturnType<F>>>;

/** The guarded counterparts of `T`, by the same keys. */
export type GuardedTools<T extends ToolFunctions> = { readonly [K in keyof T]: GuardedTool<T[K]> };

/**
 * Wraps each of `tools` so that a call is decided by `session` first. A
 * guarded call:
 *
 * - runs the tool only when released (ALLOW, MODIFY, or a STEP_UP / DEFER
 *   approved or resolved), with the arguments the policy decided on;
 * - rejects with `AarmDeniedError` (reason, rules, decision, receipt id,
 *   action id) when denied, refused or cancelled, without running it;
 * - waits while a STEP_UP or DEFER is pending; `options.signal` cancels;
 * - records what the tool returned or threw into the session's context
 *   (later decisions see it), then returns it or rethrows;
 * - rejects with `AarmReplayError` for a call id already released.
 *
 * Each call makes exactly one decision, with one decision receipt.
 */
export function guard<T extends ToolFunctions>(
  tools: T,
  session: Session,
  options: GuardOptions = {},
): GuardedTools<T> {
  const guarded: { [key: string]: GuardedTool<ToolFunction> } = {};
  for (const [key, fn] of Object.entries(tools)) {
    if (typeof fn !== "function") throw new TypeError(`guard: tool ${key} is not a function`);
    const tool = options.names?.[key] ?? key;
    guarded[key] = markGuarded((args: unknown, call: CallOptions = {}) =>
      enforce(
        session,
        { tool, args: args ?? {}, callId: call.callId ?? newCallId(), signal: call.signal },
        (decided, released) => fn(decided as never, released),
        options,
      ),
    );
  }
  return Object.freeze(guarded) as GuardedTools<T>;
}
