/**
 * Name resolution and typing: what each reference denotes, the type of each
 * expression, constant values, presence guards for optional arguments, and
 * the typing rules of §8.
 */
import { describe, expect, it } from "vitest";
import type * as ast from "../../src/lang/ast.ts";
import { checkText } from "../../src/lang/check.ts";
import type { CheckedPolicy, Resolution, Type } from "../../src/lang/checked.ts";

const HEAD = 'policy p version "1"\n';
const TOOLS = `tool bank.pay { args { dest: string, amount: number, memo?: string, tags: set<string>, wait: duration } effect egress target args.dest }
tool bank.get { args { id: string, amount: number } effect read output confidential, financial }
fact window: bool
fact region: string
`;

function errors(text: string): string[] {
  return checkText(`${HEAD}${TOOLS}${text}\ndefault deny`)
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => d.code);
}

function policyOf(text: string): CheckedPolicy {
  const result = checkText(`${HEAD}${TOOLS}${text}\ndefault deny`);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  if (result.policy === null) throw new Error("no policy");
  return result.policy;
}

/** The condition of the last rule. */
function lastWhen(policy: CheckedPolicy): ast.Expr {
  const when = policy.rules.at(-1)?.rule.when;
  if (when === null || when === undefined) throw new Error("no condition");
  return when;
}

/** Resolution of every Ref in the policy's own rules, by its text. */
function resolutions(policy: CheckedPolicy): Record<string, Resolution> {
  const out: Record<string, Resolution> = {};
  for (const [ref, resolution] of policy.resolutions) {
    if (ref.span.file === "policy.aarm") out[ref.path.map((n) => n.text).join(".")] = resolution;
  }
  return out;
}

describe("resolution", () => {
  it("resolves the action, identity, intent, session, facts, effects, labels and functions", () => {
    const policy =
      policyOf(`deny r when tool == "bank.pay" and effect == egress and target == region and window
  and "admin" in identity.roles and identity.delegation_depth > 1 and intent.alignment < 0.5
  and session.tainted and session.sensitivity >= confidential and session.drift > 0.2
  and intent.mentions(intent.text) and pii != untrusted and lower(identity.human) == "x"`);
    expect(resolutions(policy)).toMatchObject({
      tool: { kind: "action", field: "tool" },
      effect: { kind: "action", field: "effect" },
      egress: { kind: "effect_literal", effect: "egress" },
      target: { kind: "action", field: "target" },
      region: { kind: "fact", name: "region", type: { kind: "string" } },
      window: { kind: "fact", name: "window", type: { kind: "bool" } },
      "identity.roles": { kind: "identity", field: "roles" },
      "identity.delegation_depth": { kind: "identity", field: "delegation_depth" },
      "intent.alignment": { kind: "intent", field: "alignment" },
      "session.tainted": { kind: "session", field: "tainted" },
      "session.sensitivity": { kind: "session", field: "sensitivity" },
      confidential: { kind: "label_literal", label: "confidential" },
      "session.drift": { kind: "session", field: "drift" },
      "intent.mentions": { kind: "function", name: "intent.mentions" },
      "intent.text": { kind: "intent", field: "text" },
      pii: { kind: "label_literal", label: "pii" },
      untrusted: { kind: "label_literal", label: "untrusted" },
      lower: { kind: "function", name: "lower" },
      "identity.human": { kind: "identity", field: "human" },
    });
  });

  it("resolves tool, effect, target and labels inside a session query to the prior entry", () => {
    const policy = policyOf(
      'deny r when tool == "bank.pay" and session.seen(tool == "bank.get" and effect == read and target == "x" and pii in labels)',
    );
    const entries = [...policy.resolutions.values()].filter((r) => r.kind === "entry");
    expect(entries).toEqual([
      { kind: "entry", field: "tool" },
      { kind: "entry", field: "effect" },
      { kind: "entry", field: "target" },
      { kind: "entry", field: "labels" },
    ]);
  });

  it("resolves output and the producing action's fields in a classifier", () => {
    const policy = policyOf(
      'classify ssn on bank.get when output matches /\\d{3}/ and tool == "bank.get" and args.id == "1" label pii',
    );
    const when = policy.classifiers[0]?.classifier.when;
    expect(when?.kind).toBe("Binary");
    const kinds = [...policy.resolutions.values()].map((r) => r.kind);
    expect(kinds).toContain("output");
    expect(kinds).toContain("action");
  });

  it("folds consts and records their values", () => {
    const policy = policyOf(`const base = 100
const limit = base * 2 + 5
const kinds = {write, delete}
const domains = {"a.com", "b.com"} 
const wait = 1h + 30m
deny r on bank.pay when args.amount > limit and effect in kinds and domain(args.dest) in domains and args.wait > wait`);
    const values = Object.fromEntries(
      [...policy.resolutions.values()].flatMap((r) => (r.kind === "const" ? [[r.name, r.value]] : [])),
    );
    expect(values).toEqual({
      base: { kind: "number", value: 100 },
      limit: { kind: "number", value: 205 },
      kinds: {
        kind: "set",
        elements: [
          { kind: "effect", value: "write" },
          { kind: "effect", value: "delete" },
        ],
      },
      domains: {
        kind: "set",
        elements: [
          { kind: "string", value: "a.com" },
          { kind: "string", value: "b.com" },
        ],
      },
      wait: { kind: "duration", ms: 5_400_000 },
    });
  });
});

describe("types", () => {
  it("types every sub-expression", () => {
    const policy = policyOf(
      'deny r on bank.pay when len(args.tags) + 1 > 2 and args.dest + "x" != "y" and session.count(effect == egress) >= 3',
    );
    const when = lastWhen(policy);
    const types: Type[] = [];
    const visit = (e: ast.Expr): void => {
      const t = policy.types.get(e);
      if (t !== undefined) types.push(t);
      if (e.kind === "Binary") [e.left, e.right].forEach(visit);
    };
    visit(when);
    expect(types.map((t) => t.kind)).toEqual(expect.arrayContaining(["bool", "number", "string"]));
    expect(policy.types.get(when)).toEqual({ kind: "bool" });
  });

  it("types level comparisons and level-in-labels", () => {
    expect(errors("deny r when session.sensitivity > internal")).toEqual([]);
    expect(errors("deny r when session.seen(restricted in labels)")).toEqual([]);
    expect(errors("deny r when session.sensitivity > pii")).toEqual(["AARM3007"]);
  });

  it("accepts membership of T in set<T> and substrings, and rejects the rest", () => {
    expect(
      errors(
        'deny r on bank.pay when "x" in args.tags and "ab" in args.dest and args.dest not in {"a", "b"}',
      ),
    ).toEqual([]);
    expect(errors("deny r on bank.pay when args.amount in args.tags")).toEqual(["AARM3007"]);
    expect(errors("deny r on bank.pay when args.dest in args.amount")).toEqual(["AARM3007"]);
  });

  it("requires bool conditions and homogeneous sets", () => {
    expect(errors("deny r on bank.pay when args.amount")).toEqual(["AARM3007"]);
    expect(errors('deny r on bank.pay when args.dest in {"a", 1}')).toEqual(["AARM3007"]);
    expect(errors("deny r when effect in {read, pii}")).toEqual(["AARM3007"]);
  });

  it("adds durations and joins strings but does not mix them", () => {
    expect(errors("deny r on bank.pay when args.wait + 1m > 2h")).toEqual([]);
    expect(errors("deny r on bank.pay when args.wait + 1 > 2h")).toEqual(["AARM3007"]);
    expect(errors("deny r on bank.pay when args.wait * 2 > 2h")).toEqual(["AARM3007"]);
  });

  it("types args against every tool of on", () => {
    expect(errors("deny r on bank.pay, bank.get when args.amount > 1")).toEqual([]);
    expect(errors('deny r on bank.pay, bank.get when args.dest == "x"')).toEqual(["AARM3003"]);
  });

  it("takes regular expressions compiled by RE2 only", () => {
    expect(errors("deny r on bank.pay when args.dest matches /(?i)^[a-z]+\\d{2,}$/")).toEqual([]);
    expect(errors("deny r on bank.pay when args.dest matches /(a)\\1/")).toEqual(["AARM3008"]);
    expect(errors("deny r on bank.pay when args.amount matches /1/")).toEqual(["AARM3007"]);
  });

  it("checks session.sum's tool and number argument, and positive windows", () => {
    expect(errors('deny r when session.sum("bank.pay", amount, within 24h) > 1000')).toEqual([]);
    expect(errors('deny r when session.sum("bank.pay", dest) > 1000')).toEqual(["AARM3007"]);
    expect(errors('deny r when session.sum("bank.py", amount) > 1000')).toEqual(["AARM3002"]);
    expect(errors('deny r when session.sum("bank.pay", amont) > 1000')).toEqual(["AARM3003"]);
  });

  it("checks has(), in_cidr and arity", () => {
    expect(
      errors(
        "deny r on bank.pay when has(args.memo) and has(window) and has(target) and has(identity.agent) and has(intent.text)",
      ),
    ).toEqual([]);
    expect(errors("deny r when has(session.tainted)")).toEqual(["AARM3009"]);
    expect(errors('deny r on bank.pay when in_cidr(args.dest, "fd00::/8")')).toEqual([]);
    expect(errors("deny r on bank.pay when in_cidr(args.dest, args.dest)")).toEqual(["AARM3009"]);
    expect(errors("deny r on bank.pay when starts_with(args.dest)")).toEqual(["AARM3009"]);
  });
});

describe("presence guards", () => {
  const accepted = [
    'has(args.memo) and args.memo == "x"',
    'args.memo == "x" and has(args.memo)',
    'not has(args.memo) or args.memo == "x"',
    'args.memo == "x" or not has(args.memo)',
    '(has(args.memo) and args.amount > 1) and (args.memo == "x" or args.memo == "y")',
    'has(args.memo) and not (args.memo == "x")',
    'not (not has(args.memo) or args.memo != "x")',
  ];
  const rejected = [
    'args.memo == "x"',
    'has(args.memo) or args.memo == "x"',
    'not has(args.memo) and args.memo == "x"',
    'has(args.memo) and args.amount > 1 or args.memo == "x"',
    'not (has(args.memo) and args.memo == "x") and args.memo == "y"',
  ];
  for (const condition of accepted) {
    it(`accepts ${condition}`, () => {
      expect(errors(`deny r on bank.pay when ${condition}`)).toEqual([]);
    });
  }
  for (const condition of rejected) {
    it(`rejects ${condition}`, () => {
      expect(errors(`deny r on bank.pay when ${condition}`)).toEqual(["AARM3006"]);
    });
  }

  it("guards across a rule's clauses", () => {
    expect(errors('deny r on bank.pay when has(args.memo) unless args.memo == "ok"')).toEqual([]);
    expect(errors('deny r on bank.pay when args.memo == "x" unless not has(args.memo)')).toEqual([]);
    expect(errors("modify r on bank.pay when has(args.memo) set args.dest = args.memo")).toEqual([]);
    expect(errors("modify r on bank.pay set args.dest = args.memo")).toEqual(["AARM3006"]);
    expect(errors('deny r on bank.pay unless has(args.memo) when args.memo == "x"')).toEqual(["AARM3006"]);
  });

  it("needs no guard for the target of a modification", () => {
    expect(errors('modify r on bank.pay set args.memo = "x"')).toEqual([]);
    expect(errors("modify r on bank.pay remove args.memo")).toEqual([]);
    expect(errors("modify r on bank.pay redact args.memo matching /\\d+/")).toEqual([]);
  });
});

describe("rule clauses", () => {
  it("checks modification values and bounds", () => {
    expect(
      errors('modify r on bank.pay set args.dest = "x" clamp args.amount to 0..1000 set args.tags = {}'),
    ).toEqual([]);
    expect(errors("modify r on bank.pay set args.dest = region")).toEqual(["AARM3013"]);
    expect(errors("modify r on bank.pay clamp args.amount to 0..args.amount")).toEqual(["AARM3013"]);
    expect(errors("modify r on bank.pay clamp args.amount to 10..1")).toEqual(["AARM3018"]);
    expect(errors("modify r on bank.pay redact args.amount")).toEqual(["AARM3018"]);
  });

  it("checks approvals and deferrals", () => {
    expect(
      errors('step_up r approvers ["a", "b"] quorum 2 timeout 24h escalate after 1h to ["c"] self_approval'),
    ).toEqual([]);
    expect(errors('step_up r approvers ["a"] quorum 1.5')).toEqual(["AARM3016"]);
    expect(errors('step_up r approvers [""]')).toEqual(["AARM3016"]);
    expect(errors('step_up r approvers ["a"] escalate after 15m to ["b"]')).toEqual(["AARM3017"]);
    expect(errors('step_up r approvers ["a"] timeout 0s')).toEqual(["AARM3017"]);
    expect(errors('defer r needs window timeout 1h then step_up approvers ["ops"] timeout 2h')).toEqual([]);
    expect(errors("defer r needs windw")).toEqual(["AARM3001"]);
  });

  it("keeps forbid context-free", () => {
    expect(errors('forbid r on bank.pay when args.dest matches /x/ and "admin" in identity.roles')).toEqual(
      [],
    );
    expect(errors("forbid r when window")).toEqual(["AARM3015"]);
    expect(errors("forbid r on bank.pay when intent.mentions(args.dest)")).toEqual(["AARM3015"]);
    expect(errors("forbid r when session.seen(pii in labels)")).toEqual(["AARM3015"]);
    expect(errors("forbid r when intent.alignment < 0.2")).toEqual(["AARM3015"]);
  });

  it("requires set elements to be constants", () => {
    expect(errors("deny r on bank.pay when args.dest in {region}")).toEqual(["AARM3013"]);
  });
});
