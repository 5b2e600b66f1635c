/**
 * Folded session features decide exactly as history scans: for generated
 * policies and histories, `evaluate(ir, input, { features })` with the values
 * of a state folded entry by entry (part of the history folded, the rest
 * given as a tail, the state pruned on the way) equals `evaluate(ir, input)`
 * on the full history — every field of the decision.
 *
 * CI runs at least 5,000 decisions with the fixed seed; the deep run
 * (AARM_PROPERTY_DEPTH=deep) at least 250,000.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { compileChecked, compileText } from "../../src/compiler.ts";
import {
  appendEntry,
  evaluate,
  type FeatureState,
  featureValues,
  initialFeatureState,
  pruneFeatureState,
} from "../../src/eval/index.ts";
import type { EvalInput, HistoryEntry } from "../../src/ir/contract.ts";
import type { Ir } from "../../src/ir/types.ts";
import { arbitraryScenario, checkGenerated } from "../support/arbitrary-policy.ts";
import { propertyParams } from "../support/property.ts";

const MIN_DECISIONS = process.env.AARM_PROPERTY_DEPTH === "deep" ? 250_000 : 5_000;
let decisions = 0;

function folded(ir: Ir, entries: readonly HistoryEntry[]): FeatureState {
  const state = initialFeatureState(ir);
  for (const entry of entries) appendEntry(state, entry);
  return state;
}

/** The decision on `input` from folded values: `split` entries folded, the rest as a tail, pruned at `prune` midway. */
function decideFolded(ir: Ir, input: EvalInput, split: number, prune: number | null) {
  const history = input.snapshot.history;
  const state = folded(ir, history.slice(0, split >> 1));
  if (prune !== null) pruneFeatureState(state, prune);
  for (const entry of history.slice(split >> 1, split)) appendEntry(state, entry);
  const features = featureValues(state, input.action.time, history.slice(split));
  // The history is not read: an empty one decides the same.
  return evaluate(ir, { ...input, snapshot: { ...input.snapshot, history: [] } }, { features });
}

function disagree(source: string, input: EvalInput, expected: unknown, actual: unknown, how: string): never {
  throw new Error(
    `folded (${how}) differs\n--- policy\n${source}\n--- input\n${JSON.stringify(input)}\n--- scan\n${JSON.stringify(expected)}\n--- folded\n${JSON.stringify(actual)}`,
  );
}

describe("folded features ≡ history scans", () => {
  it("decide alike for generated policies and histories", () => {
    fc.assert(
      fc.property(arbitraryScenario({ inputs: 12 }), fc.nat(), (scenario, salt) => {
        const { source } = scenario.policy;
        const checked = checkGenerated(scenario.policy);
        if (checked.policy === null) throw new Error(`generated policy does not check:\n${source}`);
        const { ir } = compileChecked(checked.policy);
        if (ir === null) throw new Error(`does not compile:\n${source}`);
        // Longer histories too: every input's history, then all of them joined, in the time of each input.
        const joined = scenario.inputs.flatMap((i) => i.snapshot.history);
        const inputs = [
          ...scenario.inputs,
          ...scenario.inputs.map((i) => ({ ...i, snapshot: { ...i.snapshot, history: joined } })),
        ];
        for (const [n, input] of inputs.entries()) {
          if (ir.tools[input.action.tool] === undefined) continue;
          const expected = evaluate(ir, input);
          const length = input.snapshot.history.length;
          const split = (salt + n) % (length + 1);
          const now = input.action.time;
          for (const [how, prune] of [
            ["all folded", null],
            ["tail", null],
            ["pruned", now - ((salt >> 3) % 4) * 1_800_000],
          ] as const) {
            const actual = decideFolded(ir, input, how === "all folded" ? length : split, prune);
            if (!isDeepStrictEqual(actual, expected)) disagree(source, input, expected, actual, how);
            decisions++;
          }
        }
      }),
      { ...propertyParams(250), endOnFailure: true },
    );
  }, 600_000);

  afterAll(() => {
    expect(decisions).toBeGreaterThanOrEqual(MIN_DECISIONS);
  });
});

describe("long sessions", () => {
  const { ir } = compileText(`policy long version "1"

tool pay { args { amount: number } effect egress }
tool half { args { amount: number } effect egress }
tool read { args { path: string } effect read }

deny burst when session.count(effect == egress, within 1h) >= 500
deny spent when session.sum("pay", amount, within 1h) > 40000
deny spent_frac when session.sum("half", amount, within 1h) > 1000.25
step_up read_then_pay when tool == "pay" and session.seen(tool == "read" then tool == "pay", within 10m)
  approvers ["owner"]
allow rest when true

default deny
`);
  if (ir === null) throw new Error("the policy does not compile");

  it("agree with scans across prefix sums, pruning and compaction", () => {
    const history: HistoryEntry[] = [];
    const state = initialFeatureState(ir);
    let now = 0;
    for (let i = 0; i < 6_000; i++) {
      now += 1_000 + (i % 7) * 300;
      const tool = i % 5 === 0 ? "read" : i % 2 === 0 ? "pay" : "half";
      const entry: HistoryEntry = {
        tool,
        effect: tool === "read" ? "read" : "egress",
        args: tool === "read" ? { path: "/x" } : { amount: tool === "pay" ? i % 97 : (i % 13) / 4 },
        time: now,
        labels: ["public"],
      };
      history.push(entry);
      appendEntry(state, entry);
      if (i % 250 !== 0 && i < 5_990) continue;
      const input: EvalInput = {
        action: {
          tool: "pay",
          args: { amount: 1 },
          time: now,
          identity: { roles: [], scope: [], delegation: [] },
        },
        snapshot: { scores: {}, facts: {}, history },
      };
      const features = featureValues(state, now);
      expect(evaluate(ir, input, { features })).toEqual(evaluate(ir, input));
      pruneFeatureState(state, now);
    }
    expect(() => featureValues(state, now - 1)).toThrow(RangeError);
  });
});
