/**
 * What the scenarios share: the principals they act as, and the checks most
 * of them end with (the tool did not run; the receipt says what it must).
 *
 * @module
 */
import type { DecisionKind, Json } from "../../ir/contract.ts";
import type { IdentityClaims } from "../../runtime/identity/types.ts";
import type { Receipt } from "../../schema/generated/types.ts";
import type { CallResult, Instance, ScenarioContext, TelemetryCapture } from "../types.ts";

/** Alice, an employee, through her assistant agent, in session `session`. */
export function alice(session: string, extra: Partial<IdentityClaims> = {}): IdentityClaims {
  return {
    session,
    human: "alice@example.com",
    agent: "assistant",
    roles: ["employee"],
    scope: [],
    ...extra,
  };
}

/** Checks that a call was decided `decision` and that the tool did not run. */
export function expectBlocked(
  t: ScenarioContext,
  result: CallResult,
  decision: DecisionKind,
  what: string,
): void {
  t.check(!result.executed, `${what}: the tool ran`);
  t.check(
    result.decision === decision,
    `${what}: decided ${result.decision ?? "nothing"}, expected ${decision}`,
  );
  t.observe(
    `${what}: ${decision}, not executed${result.reason === "" ? "" : ` (${result.reason})`}`,
    result.receiptId,
  );
}

/** Checks that a call was decided `decision` and that the tool ran. */
export function expectRan(
  t: ScenarioContext,
  result: CallResult,
  decision: DecisionKind,
  what: string,
): void {
  const why = result.reason === "" ? "" : ` (${result.reason})`;
  t.check(
    result.decision === decision,
    `${what}: decided ${result.decision ?? "nothing"}, expected ${decision}${why}`,
  );
  t.check(result.executed, `${what}: the tool did not run${why}`);
  t.observe(`${what}: ${decision}, executed`, result.receiptId);
}

/** The receipt of a call's decision, which must exist and validate. */
export async function receiptOf(
  t: ScenarioContext,
  instance: Instance,
  result: CallResult,
): Promise<Receipt> {
  t.check(result.receiptId !== null, "no receipt was written for the decision");
  const receipt = await instance.receipt(result.receiptId);
  t.check(receipt !== null, `receipt ${result.receiptId} is missing or invalid`);
  return receipt;
}

/** How many times `tool` ran in `instance`. */
export function runs(instance: Instance, tool: string): number {
  return instance.executions.filter((e) => e.tool === tool).length;
}

/** The exported events of `type`, their bodies as records. */
export function ofType(
  capture: TelemetryCapture,
  type: string,
): { readonly [field: string]: Json | undefined }[] {
  return capture.events
    .filter((e) => e.type === type)
    .map((e) =>
      e.body !== null && typeof e.body === "object" && !Array.isArray(e.body)
        ? (e.body as { readonly [field: string]: Json })
        : {},
    );
}

/** Records the first exported event of each of `types` as evidence. */
export function sampleTelemetry(
  t: ScenarioContext,
  capture: TelemetryCapture,
  types: readonly string[],
): void {
  for (const type of types) {
    const first = capture.events.find((e) => e.type === type);
    if (first !== undefined) t.sample(first);
  }
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
