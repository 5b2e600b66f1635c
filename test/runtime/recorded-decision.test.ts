// What a receipt records about a decision beyond its verdict: the scorer behind its scores, and a MODIFY
// whose operations were all skipped, recorded as the MODIFY the evaluator decided.
import { afterEach, expect, it } from "vitest";
import { ContextLog } from "../../src/runtime/context/log.ts";
import { tokenOverlapScorer } from "../../src/runtime/scoring/token-overlap.ts";
import { validateReceipt } from "../../src/schema/validate.ts";
import { expectVerifiedReceipts, type Harness, harness, policy, receipt } from "./engine-harness.ts";

const IR = policy(`
policy recorded version "1.0"

tool db.query { args { sql: string, limit?: number } effect read }

modify cap on db.query clamp args.limit to 1..100
default deny
`);

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

it("names the scorer of the frozen scores in the decision receipt and its follow-ups", async () => {
  h = harness(IR);
  const scorer = tokenOverlapScorer();
  const s = await h.session({ intent: "query the orders" });
  const handle = await h.call(s, "db.query", { sql: "select * from orders", limit: 500 });
  if (handle.kind !== "allow") throw new Error("not released");
  const decided = await receipt(h.store, handle.receiptId);
  expect(decided.decision.scorer).toEqual({ id: scorer.id, version: scorer.version });
  expect(decided.decision.alignment).toBeTypeOf("number");
  const receipts = await expectVerifiedReceipts(h, IR);
  const execution = receipts.find((r) => r.execution !== null);
  expect(execution?.decision.scorer).toEqual({ id: scorer.id, version: scorer.version });
  // A refusal before any scoring names no scorer.
  const refused = await s.evaluate({ tool: "db.query", args: { sql: 42 } });
  expect((await receipt(h.store, refused.receiptId)).decision.scorer).toBeUndefined();
  // Nor does a receipt missing it fail the schema: the field is optional for receipts without scores.
  const { scorer: _dropped, ...withoutScorer } = decided.decision;
  expect(validateReceipt({ ...decided, decision: withoutScorer }).ok).toBe(true);
});

it("records no scorer when none ran", async () => {
  h = harness(IR, { scorer: null });
  const s = await h.session({ intent: "query the orders" });
  const handle = await h.call(s, "db.query", { sql: "select 1", limit: 5 });
  const decided = await receipt(h.store, handle.receiptId);
  expect(decided.decision.scorer).toBeUndefined();
  expect(decided.decision.alignment).toBeUndefined();
});

it("records a MODIFY whose operations were all skipped as MODIFY, applying the parameters as requested", async () => {
  h = harness(IR);
  const s = await h.session();
  const handle = await h.call(s, "db.query", { sql: "select 1" });
  expect(handle).toMatchObject({ kind: "allow", decision: "MODIFY", args: { sql: "select 1" } });
  const decided = await receipt(h.store, handle.receiptId);
  expect(decided.decision.result).toBe("MODIFY");
  expect(decided.action.modified_parameters).toEqual({ sql: "select 1" });
  const log = await new ContextLog({ store: h.store }).load(s.id);
  if (!log.ok) throw new Error("the log does not load");
  const entry = log.value.entries.find((e) => e.type === "decision");
  expect(entry?.type === "decision" ? entry.decision.modifications : null).toEqual({
    applied: [],
    parameters: { sql: "select 1" },
  });
  expect(h.tools.calls).toEqual([{ tool: "db.query", args: { sql: "select 1" } }]);
  await expectVerifiedReceipts(h, IR);
});
