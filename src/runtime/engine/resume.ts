/**
 * What a stored session says about its actions, for a process that resumes
 * it: which were decided and how, which were left waiting or undecided by a
 * process that ended, which were released without an outcome, and who the
 * session's principal is.
 *
 * The context log is the record of what happened (it is verified before any
 * of this is read); receipts are read only for what the log does not hold:
 * the receipt that released an action, and the context block of a STEP_UP
 * or DEFER its settlement follows.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import type { Action, Receipt } from "../../schema/generated/types.ts";
import { validateReceipt } from "../../schema/validate.ts";
import type { ContextEntry } from "../context/entry.ts";
import type { ReceiptRecord } from "../store/types.ts";
import type { AllowHandle, DenyHandle } from "./types.ts";

type DecisionEntry = ContextEntry & { readonly type: "decision" };

/** One action of a stored log and what the log says became of it. */
export interface LoggedAction {
  readonly action: Action;
  /** The action's own entry. */
  readonly seq: number;
  readonly hash: string;
  /** The first decision recorded on it; null when none was (its process ended while deciding). */
  decision: DecisionEntry | null;
  /**
   * A STEP_UP or DEFER that ended: released (approved, resolved ALLOW) or not;
   * `delegated` while a STEP_UP awaits the host's own prompt; null while it waits.
   */
  settlement: "released" | "denied" | "delegated" | null;
  /** The entry of that settlement. */
  settledAt: number | null;
  /** Whether an outcome was recorded. */
  outcome: boolean;
}

/** The actions of a verified log, by id, in the order they were proposed. */
export function loggedActions(entries: readonly ContextEntry[]): Map<string, LoggedAction> {
  const actions = new Map<string, LoggedAction>();
  for (const entry of entries) {
    switch (entry.type) {
      case "action":
        if (!actions.has(entry.action.action_id)) {
          actions.set(entry.action.action_id, {
            action: entry.action,
            seq: entry.seq,
            hash: entry.hash,
            decision: null,
            settlement: null,
            settledAt: null,
            outcome: false,
          });
        }
        break;
      case "decision": {
        const logged = actions.get(entry.action_id);
        if (logged !== undefined) logged.decision ??= entry;
        break;
      }
      case "approval": {
        const logged = actions.get(entry.action_id);
        if (logged === undefined) break;
        const host = entry.result.method === "host_prompt";
        if (entry.result.decision === "delegated") {
          if (host && logged.settlement === null) logged.settlement = "delegated";
        } else if (logged.settlement === null || (host && logged.settlement === "delegated")) {
          logged.settlement = entry.result.decision === "approved" ? "released" : "denied";
          logged.settledAt = entry.seq;
        }
        break;
      }
      case "deferral_resolution": {
        const logged = actions.get(entry.resolution.action_id);
        // A resolution to STEP_UP hands the action on to an approval: it still waits.
        if (logged !== undefined && logged.settlement === null && entry.resolution.result !== "STEP_UP") {
          logged.settlement = entry.resolution.result === "ALLOW" ? "released" : "denied";
          logged.settledAt = entry.seq;
        }
        break;
      }
      case "outcome": {
        const logged = actions.get(entry.action_id);
        if (logged !== undefined) logged.outcome = true;
        break;
      }
      case "intent":
        break;
    }
  }
  return actions;
}

/**
 * Whether the action was left undecided, or waiting on a STEP_UP or DEFER, by
 * the process that held it. A STEP_UP delegated to the host's prompt is not:
 * the host holds it, and any process may record its answer.
 */
export function isAbandoned(logged: LoggedAction): boolean {
  const result = logged.decision?.decision.result;
  return result === undefined || ((result === "STEP_UP" || result === "DEFER") && logged.settlement === null);
}

/** Whether the action was released for execution. */
export function isReleased(logged: LoggedAction): boolean {
  const result = logged.decision?.decision.result;
  return result === "ALLOW" || result === "MODIFY" || logged.settlement === "released";
}

/** The arguments a released action ran with: as a MODIFY changed them, or as requested. */
export function releasedArgs(logged: LoggedAction): { readonly [name: string]: Json } {
  const modified = logged.decision?.decision.modifications?.parameters;
  // Parameters came out of JSON (the log is canonical JSON), so they are JSON values.
  return (modified ?? logged.action.parameters) as { readonly [name: string]: Json };
}

/**
 * The decision the log records on an action, as the handle a repeated call
 * gets (`replay: true`: whatever it allows ran, or may have run, already).
 * An action still undecided or waiting elsewhere is denied here.
 */
export function storedHandle(logged: LoggedAction): AllowHandle | DenyHandle {
  const actionId = logged.action.action_id;
  const entry = logged.decision;
  if (entry === null) {
    return {
      kind: "deny",
      actionId,
      reason: "the action was proposed before and never decided",
      rules: ["runtime:session"],
      decision: "DENY",
      receiptId: null,
      replay: true,
    };
  }
  const { result, rules, reasons } = entry.decision;
  if (isReleased(logged) && entry.receipt_id !== null) {
    return {
      kind: "allow",
      actionId,
      tool: logged.action.tool,
      args: releasedArgs(logged),
      decision: result,
      receiptId: entry.receipt_id,
      replay: true,
    };
  }
  const waiting = (result === "STEP_UP" || result === "DEFER") && logged.settlement === null;
  return {
    kind: "deny",
    actionId,
    reason: waiting
      ? "the action is waiting for a settlement in another process"
      : logged.settlement === "delegated"
        ? "the action is waiting for the host's approval prompt"
        : reasons.join("; "),
    rules,
    decision: result,
    receiptId: entry.receipt_id,
    replay: true,
  };
}

/** The principal (human, service, agent) a session's first action was bound to; null before any action. */
export function storedPrincipal(entries: readonly ContextEntry[]): Principal | null {
  for (const entry of entries) {
    if (entry.type === "action") return principal(entry.action.identity);
  }
  return null;
}

/** Who acts: the identity's principals. */
export interface Principal {
  readonly human: string | null;
  readonly service: string | null;
  readonly agent: string | null;
}

/** The principals of an identity or of identity claims. */
export function principal(identity: {
  readonly human?: string;
  readonly service?: string;
  readonly agent?: string;
}): Principal {
  return { human: identity.human ?? null, service: identity.service ?? null, agent: identity.agent ?? null };
}

/** Whether two principals are the same. */
export function samePrincipal(a: Principal, b: Principal): boolean {
  return a.human === b.human && a.service === b.service && a.agent === b.agent;
}

/** The receipts of a session's chain, parsed and schema-checked; an error for the first that is not a receipt. */
export function parseReceipts(
  records: readonly ReceiptRecord[],
):
  | { readonly ok: true; readonly receipts: readonly Receipt[] }
  | { readonly ok: false; readonly message: string } {
  const receipts: Receipt[] = [];
  for (const record of records) {
    let value: unknown;
    try {
      value = JSON.parse(record.body);
    } catch {
      return { ok: false, message: `stored receipt ${record.receipt_id} is not JSON` };
    }
    const valid = validateReceipt(value);
    if (!valid.ok)
      return { ok: false, message: `stored receipt ${record.receipt_id} is not a valid receipt` };
    receipts.push(valid.value);
  }
  return { ok: true, receipts };
}

/** The last receipt about `actionId` that `accepts`, or null. */
export function lastReceipt(
  receipts: readonly Receipt[],
  actionId: string,
  accepts: (receipt: Receipt) => boolean = () => true,
): Receipt | null {
  for (let i = receipts.length - 1; i >= 0; i -= 1) {
    const receipt = receipts[i] as Receipt;
    if (receipt.action.action_id === actionId && accepts(receipt)) return receipt;
  }
  return null;
}
