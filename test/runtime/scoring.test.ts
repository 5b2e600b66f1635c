// The built-in scorer: token-overlap alignment and exponential-moving-average drift, alone and as the
// runtime freezes them into decisions.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ContextLog } from "../../src/runtime/context/log.ts";
import {
  actionText,
  cosine,
  DEFAULT_ALPHA,
  tokenize,
  tokenOverlapScorer,
} from "../../src/runtime/scoring/token-overlap.ts";
import type { ScoredAction } from "../../src/runtime/scoring/types.ts";
import type { Action, Intent } from "../../src/schema/generated/types.ts";
import { propertyParams } from "../support/property.ts";
import { type Harness, harness, policy, receipt } from "./engine-harness.ts";

function action(tool: string, parameters: Record<string, unknown>): Action {
  return {
    action_id: "act_1",
    timestamp: "2026-11-22T09:00:00.000Z",
    tool,
    operation: "call",
    parameters,
    effect: "read",
    targets: [],
    identity: { human: "alice@example.com", session: "s", roles: [], scope: [], delegation_chain: [] },
  };
}

const intent = (text: string): Intent => ({ text, scope: [] });

describe("tokenize", () => {
  it("splits on non-letters and camelCase, lower-cases, drops stopwords and short tokens, strips suffixes", () => {
    expect([...tokenize("Send the Emails to sendMoney for Q4 reports, a_b")].sort()).toEqual(
      ["email", "money", "q4", "report", "send"].sort(),
    );
    expect([...tokenize("Café déjà-vu ÉTÉ")].sort()).toEqual(["café", "déjà", "vu", "été"].sort());
    expect(tokenize("")).toEqual(new Set());
  });

  it("reads tool names and argument values, not keys", () => {
    expect(
      actionText(
        action("crm.query", { customer: "Johnson", limit: 5, nested: { tags: ["vip"] }, flag: true }),
      ),
    ).toBe("crm.query Johnson 5 vip");
  });
});

describe("alignment", () => {
  const scorer = tokenOverlapScorer();
  it("is the cosine of the token sets: 1 for the same words, 0 for none shared", async () => {
    const same = await scorer.score(intent("query crm johnson"), action("crm.query", { q: "johnson" }), []);
    expect(same.alignment).toBe(1);
    const none = await scorer.score(intent("write a poem"), action("db.drop", { table: "users" }), []);
    expect(none.alignment).toBe(0);
    const some = await scorer.score(
      intent("Prepare briefing for Johnson meeting"),
      action("crm.query", { name: "Johnson" }),
      [],
    );
    expect(some.alignment).toBeCloseTo(1 / Math.sqrt(3 * 4), 6);
  });

  it("is deterministic, symmetric and within [0, 1]", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const x = cosine(tokenize(a), tokenize(b));
        expect(x).toBe(cosine(tokenize(b), tokenize(a)));
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1 + 1e-12);
      }),
      propertyParams(200),
    );
  });
});

describe("drift", () => {
  it("is an exponential moving average of 1 − alignment with the documented α", async () => {
    expect(DEFAULT_ALPHA).toBe(0.3);
    const scorer = tokenOverlapScorer();
    const history: ScoredAction[] = [
      { action: action("a", {}), alignment: 1 },
      { action: action("b", {}), alignment: null },
      { action: action("c", {}), alignment: 0.5 },
    ];
    const scores = await scorer.score(intent("zzz"), action("unrelated", {}), history);
    // d0 = 0; d1 = 0.3·0 = 0; (null skipped); d2 = 0.3·0.5 + 0.7·0 = 0.15; d3 = 0.3·1 + 0.7·0.15 = 0.405
    expect(scores).toEqual({ alignment: 0, drift: 0.405 });
    // One unrelated action alone moves drift by α at most.
    expect((await scorer.score(intent("zzz"), action("unrelated", {}), [])).drift).toBe(0.3);
    expect(() => tokenOverlapScorer({ alpha: 0 })).toThrow(RangeError);
  });

  it("detects a gradual divergence, not only one anomalous action", async () => {
    const scorer = tokenOverlapScorer();
    const request = intent("Prepare briefing for Johnson meeting");
    const steps = [
      action("crm.query", { name: "Johnson" }),
      action("email.search", { from: "johnson", topic: "meeting briefing" }),
      action("email.search", { query: "competitor pricing" }),
      action("documents.search", { query: "market analysis" }),
      action("files.export", { folder: "strategy" }),
      action("http.post", { url: "https://paste.example", body: "pricing" }),
    ];
    const history: ScoredAction[] = [];
    const drifts: number[] = [];
    for (const step of steps) {
      const scores = await scorer.score(request, step, history);
      history.push({ action: step, alignment: scores.alignment });
      drifts.push(scores.drift);
    }
    expect(drifts.slice(2)).toEqual([...drifts.slice(2)].sort((a, b) => a - b));
    expect(drifts[1]).toBeLessThan(0.7);
    expect(drifts.at(-1)).toBeGreaterThan(0.7);
  });
});

describe("scores in the runtime", () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it("are computed before the decision, frozen with the scorer's id and version, and decide drift rules", async () => {
    const ir = policy(`
policy drift version "1"
tool crm.query { args { name: string } effect read }
tool documents.search { args { query: string } effect read }
defer drifting when session.drift > 0.7 timeout 1m
allow reads when effect == read
default deny
`);
    h = harness(ir);
    const s = await h.session({ intent: "Prepare briefing for Johnson meeting" });
    const first = await h.call(s, "crm.query", { name: "Johnson" });
    expect(first.kind).toBe("allow");
    const handles = [];
    for (const query of ["market analysis", "competitor pricing", "quarterly revenue", "hiring plans"]) {
      handles.push(await s.evaluate({ tool: "documents.search", args: { query } }));
    }
    expect(handles.map((x) => x.kind)).toContain("pending");
    const r = await receipt(h.store, first.receiptId);
    expect(r.decision.alignment).toBeCloseTo(1 / Math.sqrt(12), 6);
    const loaded = await new ContextLog({ store: h.store }).load(s.id);
    if (!loaded.ok) throw new Error(loaded.error.kind);
    const decisions = loaded.value.entries.filter((e) => e.type === "decision");
    for (const d of decisions) {
      if (d.type !== "decision") continue;
      expect(d.signals?.scorer).toEqual({ id: "aarm.token-overlap", version: "1;alpha=0.3" });
      expect(d.signals?.scores.alignment).toBe(d.decision.alignment);
    }
    for (const handle of handles) if (handle.kind === "pending") handle.cancel();
  });

  it("are absent without an original request, so rules reading them defer", async () => {
    const ir = policy(`
policy drift version "1"
tool crm.query { args { name: string } effect read }
deny off when intent.alignment < 0.2
allow reads when effect == read
default deny
`);
    h = harness(ir);
    const s = await h.session();
    const handle = await s.evaluate({ tool: "crm.query", args: { name: "x" } });
    expect(handle.kind).toBe("pending");
    const r = await receipt(h.store, handle.receiptId);
    expect(r.decision.alignment).toBeUndefined();
    expect(r.deferral?.context_needed).toEqual(["intent.alignment"]);
    if (handle.kind === "pending") handle.cancel();
  });
});
