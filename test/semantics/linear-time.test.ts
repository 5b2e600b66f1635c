/**
 * Hostile input stays cheap: regular expressions run in linear time whatever the pattern
 * (re2js, never the backtracking engine), and huge strings, deep JSON and long histories cost
 * at most linear work. Time limits are generous: these tests are about complexity, not speed.
 */
import { describe, expect, test } from "vitest";
import type { EvalInput, HistoryEntry, Json } from "../../src/ir/contract.ts";
import { checkPolicy, checkText } from "../../src/lang/check.ts";
import type { CheckedPolicy } from "../../src/lang/checked.ts";
import { memoryHost } from "../../src/lang/host.ts";
import { evaluate, labelOutput } from "../../src/semantics/index.ts";

function policyOf(text: string): CheckedPolicy {
  const result = checkText(text);
  if (result.policy === null) throw new Error(JSON.stringify(result.diagnostics));
  return result.policy;
}

function input(tool: string, args: EvalInput["action"]["args"], history: HistoryEntry[] = []): EvalInput {
  return {
    action: { tool, args, time: 10_000_000, identity: { roles: [], scope: [], delegation: [] } },
    snapshot: { intent: { text: "x".repeat(1_000_000) }, scores: {}, facts: {}, history },
  };
}

function timed<T>(run: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = run();
  return { value, ms: performance.now() - start };
}

describe("catastrophic backtracking cannot happen", () => {
  const policy = policyOf(`policy p version "1"
tool t.x { args { s: string } effect write }
deny nested on t.x when args.s matches /(a+)+$/
deny pairs on t.x when args.s matches /(x+x+)+y/
modify scrub on t.x redact args.s matching /(x+x+)+y/
classify slow when output matches /(a|aa)+$/ label secret
default allow
`);

  test("(a+)+$ and (x+x+)+y against 100 KB of attacker text finish in well under a second", () => {
    const as = timed(() => evaluate(policy, input("t.x", { s: `${"a".repeat(100_000)}!` })));
    expect(as.value.decision).toBe("MODIFY");
    expect(as.ms).toBeLessThan(1000);
    const xs = timed(() => evaluate(policy, input("t.x", { s: "x".repeat(100_000) })));
    expect(xs.value.decision).toBe("MODIFY");
    expect(xs.ms).toBeLessThan(1000);
  });

  test("classifying 100 KB of output with a pathological pattern is linear too", () => {
    const result = timed(() => labelOutput(policy, "t.x", { s: "" }, `${"a".repeat(100_000)}!`));
    expect(result.value).toEqual(["restricted"]);
    expect(result.ms).toBeLessThan(1000);
  });
});

describe("hostile sizes", () => {
  test("megabyte strings through every string built-in stay fast", () => {
    const policy = policyOf(`policy p version "1"
tool t.x { args { s: string } effect write }
deny d on t.x when host(args.s) == "a" or domain(args.s) == "b" or in_cidr(args.s, "10.0.0.0/8")
  or contains(lower(args.s), upper(args.s)) or intent.mentions(args.s) or len(trim(args.s)) == 1
default allow
`);
    const s = `${"a@".repeat(500_000)}x`;
    const result = timed(() => evaluate(policy, input("t.x", { s })));
    expect(result.value.decision).toBe("DEFER");
    expect(result.ms).toBeLessThan(2000);
  });

  test("a history of 100,000 prior actions is evaluated in linear time", () => {
    const policy = policyOf(`policy p version "1"
tool t.x { args { n: number } effect egress }
deny burst on t.x when session.count(effect == egress, within 1h) > 100000
deny exfil on t.x when session.seen(secret in labels then effect == egress then tool == "t.x")
deny total on t.x when session.sum("t.x", n) > 1e12
deny sensitive on t.x when session.tainted and session.sensitivity >= restricted
default allow
`);
    const history: HistoryEntry[] = Array.from({ length: 100_000 }, (_, i) => ({
      tool: "t.x",
      effect: "egress",
      args: { n: i },
      time: 10_000_000 - i,
      labels: ["internal"],
    }));
    const result = timed(() => evaluate(policy, input("t.x", { n: 1 }, history)));
    expect(result.value.decision).toBe("ALLOW");
    expect(result.ms).toBeLessThan(5000);
  });

  test("arbitrarily deep JSON in an opaque argument neither overflows the stack nor slows evaluation", () => {
    const files = {
      "policy.aarm": `policy p version "1"
import mcp "./tools.json" as x
tool x.run { effect write }
fact strict: bool
modify tidy on x.run when has(args.options) set args.label = "tidied"
modify maybe on x.run when strict set args.label = "tidied"
default deny
`,
      "tools.json": JSON.stringify({
        tools: [
          {
            name: "run",
            inputSchema: {
              type: "object",
              properties: { options: { type: "object" }, label: { type: "string" } },
            },
          },
        ],
      }),
    };
    const checked = checkPolicy("policy.aarm", memoryHost(files));
    if (checked.policy === null) throw new Error(JSON.stringify(checked.diagnostics));
    let deep: Json = {};
    for (let i = 0; i < 200_000; i++) deep = { next: deep };
    // `maybe` might match: its outcome is compared with the certain one, deep arguments and all.
    const result = timed(() => evaluate(checked.policy as CheckedPolicy, input("x.run", { options: deep })));
    expect(result.value.decision).toBe("MODIFY");
    expect(result.value.modifications?.args.options).toBe(deep);
    expect(result.ms).toBeLessThan(2000);
  });
});
