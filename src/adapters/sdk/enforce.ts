/**
 * The enforcement point of the SDK: one tool call taken through a session,
 * from decision to recorded outcome. `guard` and the framework adapters are
 * thin shells around {@link enforce}.
 *
 *   evaluate → (wait for STEP_UP / DEFER) → run with the decided arguments → record the outcome
 *
 * The tool runs only for a fresh `allow` handle, with the handle's
 * arguments (as MODIFY left them). Whatever the tool returns or throws is
 * recorded into the session's context before the caller sees it, so later
 * decisions see what this call read; an output that cannot be recorded is
 * withheld.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import type { Session } from "../../runtime/engine/session.ts";
import type {
  AllowHandle,
  DenyHandle,
  EnforcementHandle,
  OutcomeResult,
  ToolOutcome,
} from "../../runtime/engine/types.ts";
import { runReleased } from "./backstop.ts";
import { AarmDeniedError, AarmOutcomeError, AarmReplayError } from "./errors.ts";

/** Longest error message of a failed tool recorded into the context. */
const MAX_ERROR_CHARS = 1024;

/** What a guarded call reports as it goes; see {@link GuardOptions.onEvent}. */
export type GuardEvent =
  | {
      /** The decision, as `session.evaluate` returned it. */
      readonly type: "decision";
      readonly tool: string;
      readonly callId: string;
      readonly handle: EnforcementHandle;
    }
  | {
      /** A STEP_UP or DEFER ended: released or denied. */
      readonly type: "settled";
      readonly tool: string;
      readonly callId: string;
      readonly handle: AllowHandle | DenyHandle;
    }
  | {
      /** The tool ran and its outcome was recorded (or recording failed: `recorded.ok` is false). */
      readonly type: "outcome";
      readonly tool: string;
      readonly callId: string;
      readonly actionId: string;
      readonly success: boolean;
      readonly recorded: OutcomeResult;
    };

/** Options shared by `guard` and the framework adapters. */
export interface GuardOptions {
  /**
   * The policy's name of a tool, by the key it has here, where they differ
   * (model-facing tool names cannot contain dots: `{ send_money: "bank.send_money" }`).
   * A key not listed is its own name.
   */
  readonly names?: { readonly [key: string]: string };
  /** Receives every decision, settlement and outcome. Must not block; what it throws is ignored. */
  readonly onEvent?: (event: GuardEvent) => void;
}

/** One call as it is put to the policy. */
export interface GuardedCall {
  /** The tool as the policy knows it. */
  readonly tool: string;
  /** The arguments as the agent gave them; anything but a plain JSON object is denied. */
  readonly args: unknown;
  /** The caller's id of the call: the same id and request is the same action, never run twice. */
  readonly callId: string;
  /** Aborting it gives up: before the decision, nothing is decided; while pending, the action is cancelled (denied). */
  readonly signal?: AbortSignal | undefined;
}

/** What a released tool is told about the call it runs for. */
export interface ReleasedCall {
  readonly tool: string;
  readonly callId: string;
  readonly actionId: string;
  /** ALLOW or MODIFY, or the STEP_UP / DEFER that was approved or resolved. */
  readonly decision: AllowHandle["decision"];
  /** The receipt that released the call. */
  readonly receiptId: string;
  /** The caller's signal, if any. */
  readonly signal?: AbortSignal | undefined;
}

/** A released tool: runs with the arguments the policy decided on. */
export type ReleasedTool<R> = (args: { readonly [name: string]: Json }, call: ReleasedCall) => Promise<R> | R;

/** A fresh call id, for callers that have none of their own. */
export function newCallId(): string {
  return `call-${globalThis.crypto.randomUUID()}`;
}

function emit(options: GuardOptions, event: GuardEvent): void {
  try {
    options.onEvent?.(event);
  } catch {
    // An observer never changes what happens to the call.
  }
}

/** The output as JSON for the context, or why it is not JSON. */
function outputJson(
  value: unknown,
): { readonly ok: true; readonly json: Json | undefined } | { readonly ok: false; readonly error: string } {
  if (value === undefined) return { ok: true, json: undefined };
  if (typeof value === "string") return { ok: true, json: value };
  try {
    const text = JSON.stringify(value) as string | undefined;
    return { ok: true, json: text === undefined ? undefined : (JSON.parse(text) as Json) };
  } catch (caught) {
    return {
      ok: false,
      error: `the output is not JSON (${caught instanceof Error ? caught.message : String(caught)})`,
    };
  }
}

function failure(caught: unknown): ToolOutcome {
  const message = (caught instanceof Error ? caught.message : String(caught)).slice(0, MAX_ERROR_CHARS);
  const code =
    caught instanceof Error && "code" in caught && typeof caught.code === "string" ? caught.code : undefined;
  return { success: false, error: code === undefined ? { message } : { message, code: code.slice(0, 128) } };
}

/** Waits for a STEP_UP or DEFER to settle; an abort of `signal` cancels it. */
async function settle(
  handle: EnforcementHandle,
  signal: AbortSignal | undefined,
): Promise<AllowHandle | DenyHandle> {
  if (handle.kind !== "pending") return handle;
  const cancel = (): void => handle.cancel();
  if (signal?.aborted === true) cancel();
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    return await handle.settled;
  } finally {
    signal?.removeEventListener("abort", cancel);
  }
}

/**
 * Takes one call through `session` and runs `execute` only if the policy
 * releases it. Resolves with what the tool returned; rejects with
 * {@link AarmDeniedError} (not run), {@link AarmReplayError} (already run
 * under this call id), {@link AarmOutcomeError} (ran, output withheld),
 * the signal's reason (aborted before the decision or before the tool
 * started), or whatever the tool threw (its failure recorded first).
 */
export async function enforce<R>(
  session: Session,
  call: GuardedCall,
  execute: ReleasedTool<R>,
  options: GuardOptions = {},
): Promise<R> {
  const { tool, callId, signal } = call;
  signal?.throwIfAborted();
  const decided = await session.evaluate({
    tool,
    args: call.args as Readonly<Record<string, unknown>>,
    callId,
  });
  emit(options, { type: "decision", tool, callId, handle: decided });
  const handle = await settle(decided, signal);
  if (decided.kind === "pending") emit(options, { type: "settled", tool, callId, handle });
  if (handle.kind === "deny") {
    throw new AarmDeniedError(tool, handle, signal?.aborted === true ? { cause: signal.reason } : undefined);
  }
  if (handle.replay) throw new AarmReplayError(tool, handle.actionId, handle.receiptId);

  const record = async (outcome: ToolOutcome): Promise<OutcomeResult> => {
    const recorded = await session.recordOutcome(handle.actionId, outcome);
    emit(options, {
      type: "outcome",
      tool,
      callId,
      actionId: handle.actionId,
      success: outcome.success,
      recorded,
    });
    return recorded;
  };
  if (signal?.aborted === true) {
    // Released but not started: the caller gave up, so it does not start now.
    await record({ success: false, error: { message: "cancelled before it ran" } });
    throw signal.reason;
  }
  let result: R;
  try {
    const released: ReleasedCall = {
      tool,
      callId,
      actionId: handle.actionId,
      decision: handle.decision,
      receiptId: handle.receiptId,
      signal,
    };
    result = await runReleased(released, () => execute(handle.args, released));
  } catch (caught) {
    await record(failure(caught));
    throw caught;
  }
  const output = outputJson(result);
  if (!output.ok) {
    // The declared labels of the tool still enter the context; the unrepresentable output never reaches the agent.
    await record({ success: true });
    throw new AarmOutcomeError(tool, handle.actionId, output.error);
  }
  const recorded = await record(
    output.json === undefined ? { success: true } : { success: true, output: output.json },
  );
  if (!recorded.ok) throw new AarmOutcomeError(tool, handle.actionId, recorded.error);
  return result;
}
