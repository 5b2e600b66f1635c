// AARM acceptance scenarios §9.7 (R7: semantic distance), with the built-in scorer and drift profiles.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  CODING as CODING_POLICY,
  CODING_STEPS,
  GRADUAL,
  MEETING as MEETING_POLICY,
} from "../../src/conformance/scenarios/r7.ts";
import type { ApprovalService, DriftEvent, EnforcementHandle } from "../../src/runtime/engine/types.ts";
import { DRIFT_PROFILES, profilesByAgent } from "../../src/runtime/scoring/drift.ts";
import type { ApprovalRequest } from "../../src/schema/generated/types.ts";
import { expectVerifiedReceipts, type Harness, harness, policy, receipt } from "./engine-harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function drifts(events: Harness["events"]): DriftEvent[] {
  return events.filter((e): e is DriftEvent => e.type === "drift");
}

const MEETING = policy(MEETING_POLICY);

const CODING = policy(CODING_POLICY);

/** Ordinary read/test/edit steps of a coding agent on a parser bug. */

describe("§9.7 R7: semantic distance", () => {
  it("73: meeting-prep drift warns, then escalates the confidential read and emits a drift event", async () => {
    h = harness(MEETING);
    const s = await h.session({ intent: "Prepare briefing for Johnson meeting" });
    const steps: [string, { readonly [k: string]: string }][] = [
      ["crm.query", { name: "Johnson" }],
      ["email.search", { query: "from:johnson meeting" }],
      ["email.search", { query: "competitor pricing" }],
      ["documents.search", { query: "market analysis" }],
      ["file.read", { path: "/strategy/competitive-response.docx" }],
    ];
    const handles: EnforcementHandle[] = [];
    for (const [tool, args] of steps) handles.push(await h.call(s, tool, args));
    expect(handles.slice(0, 4).map((x) => x.decision)).toEqual(["ALLOW", "ALLOW", "ALLOW", "ALLOW"]);
    expect(handles[4]?.decision).toBe("STEP_UP");
    const events = drifts(h.events);
    expect(events.map((e) => [e.tool, e.level])).toEqual([
      ["email.search", "warning"],
      ["file.read", "exceeded"],
    ]);
    const exceeded = events[1];
    expect(exceeded?.drift).toBeGreaterThan(0.7);
    expect(exceeded?.action_id).toBe(handles[4]?.actionId);
    expect(exceeded?.chain).toEqual(steps.map(([tool]) => tool));
    const r = await receipt(h.store, handles[4]?.receiptId ?? null);
    expect(r.context.snapshot_summary.risk_signals.drift_detected).toBe(true);
    await expectVerifiedReceipts(h, MEETING);
  });

  it("74: bug-fix scope creep: in-scope edits pass, the helper edit warns, the dependency update is denied", async () => {
    // A profile tuned for this deployment: warn early, escalate late.
    h = harness(CODING, { drift: { name: "bugfix", warning: 0.4, threshold: 0.7 } });
    const s = await h.session({ intent: "Fix null pointer on line 42 of login.py" });
    const read = await h.call(s, "code.read", { path: "login.py" });
    const write = await h.call(s, "code.write", {
      path: "login.py",
      patch: "check user for null on line 42",
    });
    expect([read.decision, write.decision]).toEqual(["ALLOW", "ALLOW"]);
    expect(drifts(h.events)).toEqual([]);
    const helper = await h.call(s, "code.write", { path: "auth_utils.py", patch: "refactor token helpers" });
    expect(helper.decision).toBe("ALLOW");
    expect(drifts(h.events).map((e) => [e.tool, e.level])).toEqual([["code.write", "warning"]]);
    const update = await h.call(s, "package.update", { name: "cryptography" });
    expect(update.decision).toBe("DENY");
    expect(h.tools.ran("package.update")).toBe(0);
    await expectVerifiedReceipts(h, CODING);
  });

  it("75: a gradual divergence crosses the threshold though no single step does", async () => {
    const ir = policy(GRADUAL);
    h = harness(ir);
    const s = await h.session({ intent: "summarise the quarterly sales notes" });
    // One unrelated step alone moves the aggregate by at most α = 0.3.
    const single = await h.call(s, "web.browse", { topic: "holiday recipes" });
    expect(single.decision).toBe("ALLOW");
    expect(drifts(h.events)).toEqual([]);
    const decisions: string[] = [];
    for (const topic of ["garden furniture", "football scores", "vintage cameras", "ski resorts"]) {
      decisions.push((await h.call(s, "web.browse", { topic })).decision);
    }
    expect(decisions.slice(0, 2)).toEqual(["ALLOW", "ALLOW"]);
    expect(decisions).toContain("DEFER");
    expect(drifts(h.events).some((e) => e.level === "exceeded")).toBe(true);
    await expectVerifiedReceipts(h, ir);
  });

  it("76: a coding-agent profile (0.9) does not flag ordinary read/test/edit work that the 0.7 default does", async () => {
    const coding = profilesByAgent({ "coding-agent": DRIFT_PROFILES.coding_assistant });
    const last: Record<string, boolean | undefined> = {};
    for (const agent of ["coding-agent", "research-agent-v2"]) {
      h = harness(CODING, { drift: coding });
      const s = await h.session({ intent: "Fix the flaky test in the parser", claims: { agent } });
      let final: EnforcementHandle | undefined;
      for (const [tool, args] of CODING_STEPS) final = await h.call(s, tool, args);
      expect(final?.decision).toBe("ALLOW");
      const r = await receipt(h.store, final?.receiptId ?? null);
      last[agent] = r.context.snapshot_summary.risk_signals.drift_detected;
      if (agent === "coding-agent") expect(drifts(h.events)).toEqual([]);
      else expect(drifts(h.events).map((e) => e.level)).toEqual(["warning", "exceeded"]);
      await h.close();
      h = undefined;
    }
    expect(last).toEqual({ "coding-agent": false, "research-agent-v2": true });
  });

  it("77: the aggregation and threshold are documented and configured; distance is in receipts and approval requests", async () => {
    const requests: ApprovalRequest[] = [];
    const approvals: ApprovalService = {
      request: (request) => {
        requests.push(request);
        return new Promise(() => undefined);
      },
    };
    h = harness(MEETING, { approvals });
    const s = await h.session({ intent: "Prepare briefing for Johnson meeting" });
    for (const query of [
      "competitor pricing",
      "market analysis",
      "pricing strategy",
      "acquisition rumours",
    ]) {
      await h.call(s, "email.search", { query });
    }
    const handle = await s.evaluate({
      tool: "file.read",
      args: { path: "/strategy/competitive-response.docx" },
    });
    expect(handle.decision).toBe("STEP_UP");
    await expect.poll(() => requests.length).toBe(1);
    expect(requests[0]?.semantic_distance).toBe(1);
    const r = await receipt(h.store, handle.receiptId);
    expect(r.decision.semantic_distance).toBe(1);
    expect(r.context.snapshot_summary.semantic_distance).toBe(1);
    if (handle.kind === "pending") handle.cancel();
    // Configuration: the scorer's version names α; the default profile names its levels.
    expect(h.events.find((e) => e.type === "drift")).toMatchObject({
      profile: { name: "default", warning: 0.5, threshold: 0.7 },
    });
    const docs = readFileSync(new URL("../../docs/runtime.md", import.meta.url), "utf8");
    expect(docs).toContain("exponential moving average");
    expect(docs).toContain("running maximum");
    expect(docs).toContain("coding_assistant");
  });
});
