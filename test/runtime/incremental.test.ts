/**
 * The context accumulator decides as reading the whole log again: for
 * generated sessions — approvals and deferrals settled late, outcomes
 * recorded late or never, far enough behind to force the feature state to be
 * rebuilt — a decision on the accumulated feature values equals the decision
 * on the full history `toHistory` derives; and a runtime session reads each
 * entry of its log once, not once per decision.
 */
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { evaluate } from "../../src/eval/evaluate.ts";
import { appendEntry, featureValues, initialFeatureState } from "../../src/eval/feature-state.ts";
import type { EvalInput } from "../../src/ir/contract.ts";
import { ContextAccumulator, TAIL_LIMIT } from "../../src/runtime/context/accumulator.ts";
import type { ContextEntry } from "../../src/runtime/context/entry.ts";
import { toHistory } from "../../src/runtime/context/history.ts";
import type { Store } from "../../src/runtime/store/types.ts";
import { propertyParams } from "../support/property.ts";
import { type Harness, harness, policy } from "./engine-harness.ts";

const IR = policy(`
policy incremental version "1"

tool a.read { args { path: string } effect read }
tool a.send { args { to: string, amount: number } effect egress target args.to }


deny burst when session.count(effect == egress, within 1h) >= 3
deny leak when session.seen(pii in labels then effect == egress, within 30m)
deny spent when session.sum("a.send", amount, within 2h) > 100
deny tainted when session.tainted
deny sensitive when session.sensitivity >= confidential
deny targeted when session.count(target == "x") > 1
deny untrusted_reads when session.count(untrusted in labels and effect == read) > 1000
deny pii_sends when session.count(pii in labels and effect == egress) > 1000
deny total when session.sum("a.send", amount) > 100000
allow rest when true

default deny
`);

type Kind = "ALLOW" | "DENY" | "MODIFY" | "STEP_UP" | "DEFER";

interface Step {
  readonly send: boolean;
  readonly amount: number;
  readonly to: string;
  readonly kind: Kind;
  readonly approved: boolean;
  /** Steps until a STEP_UP or DEFER settles, and until a released action's outcome (-1: never). */
  readonly settleAfter: number;
  readonly outcomeAfter: number;
  readonly labels: readonly string[];
  readonly gapMs: number;
}

const step: fc.Arbitrary<Step> = fc.record({
  send: fc.boolean(),
  amount: fc.constantFrom(0, 7, 40, 2.5, 99.75),
  to: fc.constantFrom("x", "y"),
  kind: fc.constantFrom<Kind>("ALLOW", "ALLOW", "DENY", "MODIFY", "STEP_UP", "DEFER"),
  approved: fc.boolean(),
  settleAfter: fc.constantFrom(0, 1, 3, TAIL_LIMIT + 5),
  outcomeAfter: fc.constantFrom(0, 0, 1, 2, TAIL_LIMIT + 3, -1),
  labels: fc.subarray(["public", "internal", "confidential", "pii", "untrusted"], { maxLength: 2 }),
  gapMs: fc.constantFrom(0, 1_000, 600_000, 1_800_001),
});

/** The log a session of `steps` writes, as batches of entries: one batch per step. */
function sessionLog(steps: readonly Step[]): { batches: ContextEntry[][]; times: number[] } {
  const batches: ContextEntry[][] = [];
  const times: number[] = [];
  const later = new Map<number, object[]>();
  const schedule = (at: number, entry: object): void => {
    later.set(at, [...(later.get(at) ?? []), entry]);
  };
  let seq = 0;
  let time = Date.parse("2026-11-22T00:00:00Z");
  const entry = (body: object): ContextEntry =>
    ({
      ...body,
      session_id: "s",
      seq: seq,
      hash: `h${seq++}`,
      prev_hash: "p",
      time: new Date(time).toISOString(),
    }) as unknown as ContextEntry;
  for (const [i, s] of steps.entries()) {
    time += s.gapMs;
    const batch: ContextEntry[] = (later.get(i) ?? []).map((e) => entry(e));
    const id = `act_${i}`;
    const args = s.send ? { to: s.to, amount: s.amount } : { path: "/p" };
    batch.push(
      entry({
        type: "action",
        action: {
          action_id: id,
          timestamp: new Date(time).toISOString(),
          tool: s.send ? "a.send" : "a.read",
          operation: "call",
          parameters: args,
          effect: s.send ? "egress" : "read",
          targets: s.send ? [s.to] : [],
        },
      }),
    );
    const modifications = s.kind === "MODIFY" ? { parameters: { ...args, amount: 1 } } : null;
    batch.push(entry({ type: "decision", action_id: id, decision: { result: s.kind, modifications } }));
    const outcome = { type: "outcome", action_id: id, labels: s.labels };
    if (s.kind === "ALLOW" || s.kind === "MODIFY") {
      if (s.outcomeAfter >= 0) schedule(i + 1 + s.outcomeAfter, outcome);
    } else if (s.kind === "STEP_UP" || s.kind === "DEFER") {
      const settle = i + 1 + s.settleAfter;
      schedule(
        settle,
        s.kind === "STEP_UP"
          ? { type: "approval", action_id: id, result: { decision: s.approved ? "approved" : "denied" } }
          : {
              type: "deferral_resolution",
              resolution: { action_id: id, result: s.approved ? "ALLOW" : "DENY" },
            },
      );
      if (s.approved && s.outcomeAfter >= 0) schedule(settle + s.outcomeAfter, outcome);
    }
    batches.push(batch);
    times.push(time);
  }
  return { batches, times };
}

function input(time: number, history: EvalInput["snapshot"]["history"]): EvalInput {
  return {
    action: {
      tool: "a.send",
      args: { to: "y", amount: 1 },
      time,
      identity: { roles: [], scope: [], delegation: [] },
    },
    snapshot: { scores: {}, facts: {}, history },
  };
}

describe("the context accumulator", () => {
  it("decides as the whole log's history, however late actions settle", () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: TAIL_LIMIT + 10, maxLength: 3 * TAIL_LIMIT }),
        fc.nat(7),
        (steps, every) => {
          const { batches, times } = sessionLog(steps);
          const accumulator = new ContextAccumulator();
          const seen: ContextEntry[] = [];
          for (const [i, batch] of batches.entries()) {
            accumulator.apply(batch);
            seen.push(...batch);
            if (i % (every + 1) !== 0 && i !== batches.length - 1) continue;
            const now = (times[i] as number) + 1;
            const history = toHistory(seen);
            const features = accumulator.features(IR, now);
            const folded = initialFeatureState(IR);
            for (const entry of history) appendEntry(folded, entry);
            expect(features).toEqual(featureValues(folded, now));
            const expected = evaluate(IR, input(now, history));
            const actual = evaluate(IR, input(now, []), { features });
            if (JSON.stringify(actual) !== JSON.stringify(expected))
              throw new Error(
                `step ${i}: ${JSON.stringify(expected.rules)} ≠ ${JSON.stringify(actual.rules)}`,
              );
            const categories = new Set(history.flatMap((e) => e.labels).filter((l) => l === "pii"));
            expect(accumulator.categories).toEqual([...categories]);
            expect(accumulator.released).toBe(history.length);
            expect(ContextAccumulator.of(seen).features(IR, now)).toEqual(features);
          }
        },
      ),
      { ...propertyParams(60), endOnFailure: true },
    );
  }, 120_000);
});

/** Counts the records each `readContext` returns. */
function counting(store: Store, reads: number[]): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      // The store's methods use private fields: call them on the store itself.
      if (name !== "readContext") return (value as (...args: unknown[]) => unknown).bind(target);
      return async (...args: Parameters<Store["readContext"]>) => {
        const read = await (value as Store["readContext"]).apply(target, args);
        if (read.ok) reads.push(read.value.records.length);
        return read;
      };
    },
  });
}

const RUNTIME_IR = policy(`
policy incremental_runtime version "1"

tool a.read { args { path: string } effect read output public }
tool a.send { args { to: string, amount: number } effect egress target args.to output public }

deny spent when session.sum("a.send", amount, within 2h) > 100
allow rest when true

default deny
`);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("a runtime session", () => {
  it("reads each log entry once, not once per decision", async () => {
    const reads: number[] = [];
    h = harness(RUNTIME_IR, { wrap: (store) => counting(store, reads) });
    const s = await h.session({ intent: "read things" });
    for (let i = 0; i < 30; i++) {
      const handle = await h.call(s, "a.read", { path: `/f${i}` });
      expect(handle.kind).toBe("allow");
    }
    // Three entries per action (action, decision, outcome), plus the request: each read once or so.
    const total = reads.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(3 * 30 + 10);
    expect(Math.max(...reads)).toBeLessThanOrEqual(4);
  });

  it("verifies what was appended since: an entry rewritten in storage fails the session closed", async () => {
    h = harness(RUNTIME_IR);
    const s = await h.session({ id: "rewritten", intent: "send" });
    expect((await h.call(s, "a.send", { to: "y", amount: 60 })).kind).toBe("allow");
    // The session has read its log up to the first action; an insider rewrites that action's decision.
    const db = new DatabaseSync(h.path);
    db.exec("DROP TRIGGER context_entries_no_update");
    const row = db
      .prepare(
        "SELECT seq, body FROM context_entries WHERE session_id = 'rewritten' AND body LIKE '%\"decision\"%'",
      )
      .get() as { seq: number; body: string };
    db.prepare("UPDATE context_entries SET body = ? WHERE session_id = 'rewritten' AND seq = ?").run(
      row.body.replace('"ALLOW"', '"DENY"'),
      row.seq,
    );
    db.close();
    const handle = await h.call(s, "a.send", { to: "y", amount: 60 });
    expect(handle.kind).toBe("deny");
    expect((handle as { rules: readonly string[] }).rules).toEqual(["runtime:context"]);
    expect((await h.call(s, "a.read", { path: "/p" })).kind).toBe("deny");
    expect(h.tools.ran("a.send")).toBe(1);
  });
});
