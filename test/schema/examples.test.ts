// Realistic documents of every kind validate and come back as the same value, typed; the fields each
// document requires are pinned.
import { describe, expect, it } from "vitest";
import { validateAction } from "../../src/schema/index.ts";
import { cases } from "./cases.ts";
import { actions } from "./fixtures.ts";

describe.each(cases)("$name", ({ validate, examples }) => {
  it.each(examples.map((example, index) => ({ example, index })))("accepts example $index", ({ example }) => {
    const result = validate(example);
    expect(result).toEqual({ ok: true, value: example });
    expect(result.ok && result.value).toBe(example);
  });

  it("rejects a value that is not an object, at the root", () => {
    for (const value of [null, "action", 42, [], true]) {
      const result = validate(value);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.errors.map((e) => e.path)).toEqual([""]);
    }
  });
});

// The contract's required fields, pinned: dropping one from a schema must be a deliberate change here too.
const REQUIRED: Record<string, string> = {
  Action: "action_id effect identity operation parameters targets timestamp tool",
  Intent: "scope text",
  SessionContext: "accumulated_state action_history intent risk_signals session_id started_at",
  Decision:
    "approval classification context_needed deferral modifications policy reasons result risk_level rules",
  Receipt:
    "action approval context decision deferral execution issued_at prev_receipt_hash receipt_id " +
    "related_receipt_id requester_context signature version",
  ApprovalRequest:
    "action action_digest created_at data_classifications expires_at highest_sensitivity original_request " +
    "policy prior_actions reasons request_id requirement risk_level rules source",
  ApprovalResult: "action_digest decided_at decision reason request_id requirement responses source",
  DeferredAction:
    "action action_digest approval attempts cascade_depth context_hash context_needed created_at " +
    "decision_receipt_id deferral_id depends_on on_timeout policy reasons rules state timeout_at timeout_ms trigger",
  DeferralResolution: "action_id attempts deferral_id method original_identity reason resolved_at result",
  TelemetryEvent: "event_type",
};

it.each(cases)("$name: an empty object is told every required field", ({ name, validate }) => {
  const result = validate({});
  const expected = (REQUIRED[name] ?? "")
    .split(" ")
    .map((field) => ({ path: `/${field}`, message: "is required" }));
  expect(result).toEqual({ ok: false, errors: expected });
});

it("Identity requires the session, the role and scope lists and the delegation chain", () => {
  const result = validateAction({ ...actions[0], identity: {} });
  expect(!result.ok && result.errors.map((e) => `${e.path} ${e.message}`)).toEqual([
    "/identity must have at least one of: human, service",
    "/identity/delegation_chain is required",
    "/identity/roles is required",
    "/identity/scope is required",
    "/identity/session is required",
  ]);
});
