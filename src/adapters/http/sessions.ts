/**
 * The sessions this service instance holds, each owned by the client that
 * started it, and the actions evaluated in them: the enforcement handles the
 * runtime returned, kept until they settle so that a client can poll (or
 * long-poll) a pending STEP_UP or DEFER.
 *
 * A session is only ever visible to the client that started it (others get
 * 404, as if it did not exist), so one client application cannot act, poll
 * or record outcomes in another's sessions.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import type { Session } from "../../runtime/engine/session.ts";
import type { AllowHandle, DenyHandle, EnforcementHandle } from "../../runtime/engine/types.ts";

/** The most actions remembered per session; the oldest settled ones are forgotten first. */
export const MAX_TRACKED_ACTIONS = 10_000;

/** An evaluated action: its handle and, once known, what it settled to. */
export interface TrackedAction {
  readonly handle: EnforcementHandle;
  settled: AllowHandle | DenyHandle | null;
}

/** A session held by this instance. */
export interface HostedSession {
  readonly session: Session;
  /** The name of the client that started it. */
  readonly owner: string;
  readonly actions: Map<string, TrackedAction>;
}

/** A handle as the API answers it. */
export type HandleJson =
  | {
      readonly kind: "allow";
      readonly action_id: string;
      readonly decision: string;
      readonly tool: string;
      readonly args: { readonly [name: string]: Json };
      readonly receipt_id: string;
      readonly replay: boolean;
    }
  | {
      readonly kind: "deny";
      readonly action_id: string;
      readonly decision: string;
      readonly reason: string;
      readonly rules: readonly string[];
      readonly receipt_id: string | null;
      readonly replay: boolean;
    }
  | {
      readonly kind: "pending";
      readonly action_id: string;
      readonly decision: string;
      readonly receipt_id: string;
      readonly replay: boolean;
      readonly poll: string;
    };

/** Where a pending action is polled. */
export function actionPath(sessionId: string, actionId: string): string {
  return `/v1/sessions/${encodeURIComponent(sessionId)}/actions/${encodeURIComponent(actionId)}`;
}

/** The JSON of a handle (its settlement if known). */
export function handleJson(sessionId: string, tracked: TrackedAction): HandleJson {
  const h = tracked.settled ?? tracked.handle;
  switch (h.kind) {
    case "allow":
      return {
        kind: "allow",
        action_id: h.actionId,
        decision: h.decision,
        tool: h.tool,
        args: h.args,
        receipt_id: h.receiptId,
        replay: h.replay,
      };
    case "deny":
      return {
        kind: "deny",
        action_id: h.actionId,
        decision: h.decision,
        reason: h.reason,
        rules: h.rules,
        receipt_id: h.receiptId,
        replay: h.replay,
      };
    case "pending":
      return {
        kind: "pending",
        action_id: h.actionId,
        decision: h.decision,
        receipt_id: h.receiptId,
        replay: h.replay,
        poll: actionPath(sessionId, h.actionId),
      };
  }
}

/** Remembers an evaluated action, settling it when its pending handle does. */
export function track(hosted: HostedSession, handle: EnforcementHandle): TrackedAction {
  const tracked: TrackedAction = { handle, settled: handle.kind === "pending" ? null : handle };
  if (handle.kind === "pending") {
    void handle.settled.then((settled) => {
      tracked.settled = settled;
    });
  }
  hosted.actions.delete(handle.actionId);
  hosted.actions.set(handle.actionId, tracked);
  if (hosted.actions.size > MAX_TRACKED_ACTIONS) {
    for (const [id, old] of hosted.actions) {
      if (old.settled !== null) {
        hosted.actions.delete(id);
        break;
      }
    }
  }
  return tracked;
}

/**
 * Waits up to `ms` for a tracked action to settle, or until `signal` aborts
 * (the client went away). Resolves either way; the caller reads the state.
 */
export async function waitSettled(tracked: TrackedAction, ms: number, signal: AbortSignal): Promise<void> {
  const handle = tracked.handle;
  if (tracked.settled !== null || handle.kind !== "pending" || ms <= 0 || signal.aborted) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    onAbort = resolve;
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([handle.settled.then(() => undefined), stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}
