/**
 * Properties of the reference interpreter over generated well-typed policies and conforming
 * inputs (test/support/arbitrary-policy.ts): soundness of checker and interpreter together,
 * missing context never permitting, determinism and purity, and malformed helper input never
 * turning into ALLOW.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { DecisionKind, EvalDecision, EvalInput, Json } from "../../src/ir/contract.ts";
import type { CheckedPolicy } from "../../src/lang/checked.ts";
import { conformInput, evaluate, labelOutput } from "../../src/semantics/index.ts";
import {
  arbitraryScenario,
  BAD_EMAILS,
  BAD_IPS,
  BAD_URLS,
  checkGenerated,
  type GeneratedPolicy,
  GOOD_EMAILS,
  GOOD_IPS,
  GOOD_URLS,
  type StringKind,
} from "../support/arbitrary-policy.ts";
import { propertyParams } from "../support/property.ts";

const checkedCache = new Map<string, CheckedPolicy>();

/** The checked policy; fails the property, showing the policy, when the checker reports an error. */
function checked(policy: GeneratedPolicy): CheckedPolicy {
  const key = JSON.stringify([policy.source, policy.files]);
  const cached = checkedCache.get(key);
  if (cached !== undefined) return cached;
  const result = checkGenerated(policy);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (result.policy === null || errors.length > 0) {
    const lines = errors.map((d) => `${d.code} ${d.span?.line}:${d.span?.column} ${d.message}`);
    throw new Error(`generated policy does not check:\n${policy.source}\n${lines.join("\n")}`);
  }
  // Shrinking visits many policies; keep the cache from growing without bound.
  if (checkedCache.size > 200) checkedCache.clear();
  checkedCache.set(key, result.policy);
  return result.policy;
}

/**
 * The shared settings plus a time limit: shrinking a generated policy re-runs the generator per
 * step and can creep on for minutes, so a failure is reported with the best counterexample found
 * within the limit (replayable from the printed seed and path).
 */
function params(runs: number): fc.Parameters<unknown> {
  return { ...propertyParams<unknown>(runs), plugins: [fc.interruptAfterTimeLimit(20_000)] };
}

/** Strictness of decisions: a completion of missing context may never move the decision up. */
const STRICTNESS: Record<DecisionKind, number> = { ALLOW: 0, MODIFY: 1, STEP_UP: 2, DEFER: 3, DENY: 4 };

function withFacts(input: EvalInput, facts: { readonly [name: string]: Json }): EvalInput {
  return { ...input, snapshot: { ...input.snapshot, facts: { ...input.snapshot.facts, ...facts } } };
}

function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  for (let v = stack.pop(); v !== undefined; v = stack.pop()) {
    if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
      Object.freeze(v);
      stack.push(...Object.values(v));
    }
  }
  return value;
}

describe("the generator", () => {
  test("covers every construct, so the properties below exercise all of the language", () => {
    const constructs = [
      "forbid ",
      "deny ",
      "defer ",
      "step_up ",
      "modify ",
      "allow ",
      "classify ",
      " unless ",
      "risk ",
      "because ",
      "approvers [",
      "quorum ",
      "escalate after",
      "self_approval",
      "needs ",
      "then step_up",
      "timeout ",
      "set args.",
      "remove args.",
      "clamp args.",
      "redact args.",
      " matching /",
      'import "',
      "param ",
      "const ",
      "category ",
      "fact ",
      "target ",
      "output ",
      "?: ",
      "set<string>",
      "duration",
      "default deny",
      "default allow",
      " and ",
      " or ",
      "not (",
      " == ",
      " != ",
      " < ",
      " <= ",
      " > ",
      " >= ",
      " in ",
      " not in ",
      " matches ",
      " + ",
      " - ",
      " * ",
      "-(",
      "has(",
      "lower(",
      "upper(",
      "trim(",
      "len(",
      "starts_with(",
      "ends_with(",
      "contains(",
      "host(",
      "domain(",
      "in_cidr(",
      "intent.mentions(",
      "intent.text",
      "intent.scope",
      "intent.alignment",
      "session.drift",
      "session.tainted",
      "session.sensitivity",
      "session.seen(",
      " then ",
      "session.count(",
      "session.sum(",
      "within ",
      " in labels",
      "identity.roles",
      "identity.delegation_depth",
      "identity.human",
      "output",
      "effect == ",
      "target",
    ];
    const text = fc
      .sample(arbitraryScenario(), { numRuns: 250, seed: 1 })
      .map((s) => [s.policy.source, ...Object.values(s.policy.files)].join("\n"))
      .join("\n");
    expect(constructs.filter((c) => !text.includes(c))).toEqual([]);
  });
});

describe("soundness", () => {
  test("generated policies check without errors, and conforming inputs never make the interpreter throw", () => {
    fc.assert(
      fc.property(arbitraryScenario({ inputs: 4 }), ({ policy: generated, inputs, outputs }) => {
        const policy = checked(generated);
        for (const input of inputs) {
          expect(conformInput(policy, input)).toEqual({ ok: true });
          const decision = evaluate(policy, input);
          expect(decision.rules.length).toBe(decision.reasons.length);
          expect([...decision.contextNeeded].sort()).toEqual(decision.contextNeeded);
          for (const output of outputs) {
            const labels = labelOutput(policy, input.action.tool, input.action.args, output);
            expect(
              labels.filter((l) => ["public", "internal", "confidential", "restricted"].includes(l)),
            ).toHaveLength(1);
          }
        }
      }),
      params(150),
    );
  });
});

describe("missing context never means permitted", () => {
  test("a decision over unpopulated facts is DEFER naming missing inputs, or no completion is stricter", () => {
    const arbitrary = arbitraryScenario({ inputs: 1, factChance: 0.4, factPresence: false });
    fc.assert(
      fc.property(arbitrary, ({ policy: generated, inputs: [input], completions: randomCompletions }) => {
        if (input === undefined) return;
        const policy = checked(generated);
        const missing = generated.facts.filter((f) => !Object.hasOwn(input.snapshot.facts, f.name));
        const decision = evaluate(policy, input);
        if (decision.decision === "DEFER") {
          if (decision.reasons.some((r) => r.startsWith("missing context"))) {
            expect(decision.contextNeeded.length).toBeGreaterThan(0);
          }
          const needs = new Set(policy.rules.flatMap((r) => r.rule.deferral?.needs.map((n) => n.text) ?? []));
          for (const name of decision.contextNeeded) {
            if (!policy.facts.has(name)) continue;
            expect(missing.some((f) => f.name === name) || needs.has(name)).toBe(true);
          }
          return;
        }
        const completions: Record<string, Json>[] =
          missing.length <= 3 && missing.every((f) => f.type === "bool")
            ? Array.from({ length: 2 ** missing.length }, (_, bits) =>
                Object.fromEntries(missing.map((f, i) => [f.name, ((bits >> i) & 1) === 1])),
              )
            : randomCompletions.map((values) =>
                Object.fromEntries(missing.map((f) => [f.name, values[f.name] as Json])),
              );
        for (const completion of completions) {
          const completed = evaluate(policy, withFacts(input, completion));
          expect(STRICTNESS[completed.decision]).toBeLessThanOrEqual(STRICTNESS[decision.decision]);
          if (decision.decision === "ALLOW") expect(completed.decision).toBe("ALLOW");
        }
      }),
      params(400),
    );
  });
});

describe("determinism and purity", () => {
  test("evaluating twice gives deep-equal decisions and never mutates the input", () => {
    fc.assert(
      fc.property(arbitraryScenario(), ({ policy: generated, inputs }) => {
        const policy = checked(generated);
        for (const input of inputs) {
          const before = structuredClone(input);
          const frozen = deepFreeze(structuredClone(input));
          const first: EvalDecision = evaluate(policy, frozen);
          const second: EvalDecision = evaluate(policy, frozen);
          expect(second).toEqual(first);
          expect(evaluate(policy, input)).toEqual(first);
          expect(input).toEqual(before);
        }
      }),
      params(150),
    );
  });
});

describe("no fault turns into ALLOW", () => {
  const POOLS: Record<Exclude<StringKind, "plain">, { good: readonly string[]; bad: readonly string[] }> = {
    url: { good: GOOD_URLS, bad: BAD_URLS },
    email: { good: GOOD_EMAILS, bad: BAD_EMAILS },
    ip: { good: GOOD_IPS, bad: BAD_IPS },
  };

  test("an ALLOW on malformed helper input is an ALLOW for every well-formed value in its place", () => {
    const arbitrary = fc.tuple(
      arbitraryScenario(),
      fc.nat(),
      fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
    );
    fc.assert(
      fc.property(arbitrary, ([{ policy: generated, inputs }, badSeed, goodSeeds]) => {
        const policy = checked(generated);
        for (const input of inputs) {
          const tool = generated.tools.find((t) => t.name === input.action.tool);
          const helperArgs = (tool?.args ?? []).filter(
            (a) => a.kind !== "plain" && Object.hasOwn(input.action.args, a.name),
          );
          if (helperArgs.length === 0) continue;
          const variant = (choose: (kind: Exclude<StringKind, "plain">, i: number) => string): EvalInput => {
            const args = { ...input.action.args };
            helperArgs.forEach((a, i) => {
              args[a.name] = choose(a.kind as Exclude<StringKind, "plain">, i);
            });
            return { ...input, action: { ...input.action, args } };
          };
          const pickFrom = (pool: readonly string[], seed: number) => pool[seed % pool.length] as string;
          const bad = evaluate(
            policy,
            variant((kind, i) => pickFrom(POOLS[kind].bad, badSeed + i)),
          );
          if (bad.decision !== "ALLOW") continue;
          for (const seed of goodSeeds) {
            const good = evaluate(
              policy,
              variant((kind, i) => pickFrom(POOLS[kind].good, seed + i)),
            );
            expect(good.decision).toBe("ALLOW");
          }
        }
      }),
      params(200),
    );
  });
});
