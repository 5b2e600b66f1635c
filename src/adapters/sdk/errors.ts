/**
 * What a guarded tool call rejects with when the tool did not run (or its
 * output was withheld). Each error carries what the runtime recorded, so the
 * caller can show the reason and find the receipt.
 *
 * @module
 */
import type { DecisionKind } from "../../ir/contract.ts";
import type { DenyHandle } from "../../runtime/engine/types.ts";

/** The policy (or the runtime, failing closed) refused the call: the tool did not run. */
export class AarmDeniedError extends Error {
  override readonly name = "AarmDeniedError";
  /** The tool as the policy knows it. */
  readonly tool: string;
  /** Why, for the agent: the deciding rules' reasons, joined. */
  readonly reason: string;
  /** The deciding rules; `runtime:<stage>` when the runtime refused or failed closed. */
  readonly rules: readonly string[];
  /** DENY, or the STEP_UP / DEFER that was refused, timed out or cancelled. */
  readonly decision: DecisionKind;
  /** The receipt recording the denial, or null when none could be written. */
  readonly receiptId: string | null;
  readonly actionId: string;

  constructor(tool: string, handle: DenyHandle, options?: ErrorOptions) {
    super(`${tool} was denied by policy: ${handle.reason}`, options);
    this.tool = tool;
    this.reason = handle.reason;
    this.rules = handle.rules;
    this.decision = handle.decision;
    this.receiptId = handle.receiptId;
    this.actionId = handle.actionId;
  }
}

/**
 * The call repeats one already released (same call id, same request): the
 * action ran, or is running, for the first caller and does not run again.
 */
export class AarmReplayError extends Error {
  override readonly name = "AarmReplayError";
  readonly tool: string;
  readonly actionId: string;
  /** The receipt that released the action the first time. */
  readonly receiptId: string;

  constructor(tool: string, actionId: string, receiptId: string) {
    super(`${tool}: call already released as action ${actionId}; it does not run twice`);
    this.tool = tool;
    this.actionId = actionId;
    this.receiptId = receiptId;
  }
}

/**
 * The tool ran but its output could not be recorded into the session's
 * context (not JSON, too large, the store failed). The output is withheld:
 * what the policy has not seen must not reach the agent.
 */
export class AarmOutcomeError extends Error {
  override readonly name = "AarmOutcomeError";
  readonly tool: string;
  readonly actionId: string;

  constructor(tool: string, actionId: string, problem: string) {
    super(`${tool}: the output was withheld because it could not be recorded: ${problem}`);
    this.tool = tool;
    this.actionId = actionId;
  }
}

/** Tools that can run without going through the policy were found (AARM scenario 100). */
export class AarmUnguardedError extends Error {
  override readonly name = "AarmUnguardedError";
  /** The unguarded tools' names. */
  readonly tools: readonly string[];

  constructor(tools: readonly string[]) {
    super(`tools not guarded by aarm: ${tools.join(", ")}`);
    this.tools = tools;
  }
}
