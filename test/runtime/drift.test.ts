// Drift tracking per session: levels reported once per upward crossing, re-armed below, running maximum.
import { describe, expect, it } from "vitest";
import { DRIFT_PROFILES, profilesByAgent, SessionDrift } from "../../src/runtime/scoring/drift.ts";
import type { Action } from "../../src/schema/generated/types.ts";

const action = (agent?: string): Action => ({
  action_id: "act_1",
  timestamp: "2026-11-22T09:00:00.000Z",
  tool: "files.read",
  operation: "call",
  parameters: {},
  effect: "read",
  targets: [],
  identity: {
    session: "s",
    human: "alice",
    ...(agent === undefined ? {} : { agent }),
    roles: [],
    scope: [],
    delegation_chain: [],
  },
});

const summary = {
  prior_actions: [],
  data_classifications: [],
  highest_sensitivity: null,
  risk_signals: {},
  intent_hash: null,
};

function levels(tracker: SessionDrift, drifts: readonly number[], agent?: string): (string | null)[] {
  return drifts.map(
    (drift) =>
      tracker.observe({
        session_id: "s",
        action: action(agent),
        alignment: 0,
        drift,
        summary,
        receipt_id: null,
      })?.level ?? null,
  );
}

describe("drift tracking", () => {
  it("reports each level once per upward crossing, again only after falling below, and keeps the peak", () => {
    const tracker = new SessionDrift(DRIFT_PROFILES.default);
    expect(levels(tracker, [0.2, 0.55, 0.6, 0.75, 0.8, 0.6, 0.4, 0.72])).toEqual([
      null,
      "warning",
      null,
      "exceeded",
      null,
      null,
      null,
      "exceeded",
    ]);
    expect(tracker.peak).toBe(0.8);
  });

  it("chooses the profile by agent and falls back to the default", () => {
    const select = profilesByAgent({ coder: DRIFT_PROFILES.coding_assistant });
    expect(levels(new SessionDrift(select), [0.85, 0.95], "coder")).toEqual(["warning", "exceeded"]);
    expect(levels(new SessionDrift(select), [0.85], "someone")).toEqual(["exceeded"]);
    expect(() => profilesByAgent({ bad: { name: "bad", warning: 0.9, threshold: 0.5 } })).toThrow(RangeError);
  });
});
