/**
 * `explain` on concrete policies: the finance example's session replayed step
 * by step, near misses of a default DENY, what a DEFER needs, the re-check of
 * a modified action, and how conditions are rendered back to policy syntax.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileText, regexSources } from "../../src/compiler.ts";
import type { EvalIdentity, EvalInput, HistoryEntry, Json, Snapshot } from "../../src/eval/index.ts";
import { evaluate, labelOutput } from "../../src/eval/index.ts";
import { type Explanation, explain } from "../../src/eval/explain.ts";
import type { Ir } from "../../src/ir/types.ts";

const IDENTITY: EvalIdentity = {
  human: "alice@example.com",
  roles: ["accountant"],
  scope: [],
  delegation: [],
};

function compiled(text: string): { ir: Ir; sources: (string | null)[] } {
  const result = compileText(text);
  if (result.ir === null || result.policy === null)
    throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  return { ir: result.ir, sources: regexSources(result.policy, result.ir) };
}

function input(tool: string, args: { [name: string]: Json }, snapshot: Partial<Snapshot> = {}): EvalInput {
  return {
    action: { tool, args, time: 1_000_000, identity: IDENTITY },
    snapshot: { scores: {}, facts: {}, history: [], ...snapshot },
  };
}

/** Decides and explains; the decision is checked to be what `evaluate` says. */
function decideAndExplain(ir: Ir, action: EvalInput, sources?: (string | null)[]): Explanation {
  const decision = evaluate(ir, action);
  const explanation = explain(ir, action, decision, sources === undefined ? {} : { regexSources: sources });
  expect(explanation.decision).toBe(decision.decision);
  return explanation;
}

/** Clauses of the deciding rules as `rule: text = value`. */
function clauses(e: Explanation): string[] {
  return e.deciding.flatMap((r) => r.clauses.map((c) => `${r.rule}: ${c.text} = ${String(c.value)}`));
}

function hintTexts(e: Explanation): string[] {
  return e.hints.map((h) => h.text);
}

describe("the finance assistant's session", () => {
  const root = new URL("../../examples/finance-assistant/", import.meta.url);
  const { ir, sources } = compiled(readFileSync(new URL("policy.aarm", root), "utf8"));
  const session = JSON.parse(readFileSync(new URL("session.json", root), "utf8")) as {
    intent: { text: string };
    steps: { action: { tool: string; args: { [name: string]: Json } }; output?: string }[];
  };

  /** Each step decided and explained in the session so far; released steps join the history. */
  const explained: Explanation[] = [];
  const history: HistoryEntry[] = [];
  session.steps.forEach((step, i) => {
    const { tool, args } = step.action;
    const action = input(tool, args, { intent: session.intent, history: [...history] });
    const decision = evaluate(ir, action);
    explained.push(explain(ir, action, decision, { regexSources: sources }));
    if (decision.decision === "ALLOW" || decision.decision === "MODIFY") {
      const released = decision.modifications?.args ?? args;
      history.push({
        tool,
        effect: ir.tools[tool]?.effect ?? "read",
        args: released,
        time: i,
        labels: labelOutput(ir, tool, released, step.output ?? ""),
      });
    }
  });
  const step = (n: number): Explanation => {
    const e = explained[n - 1];
    if (e === undefined) throw new Error(`no step ${n}`);
    return e;
  };

  it("has the steps the example describes", () => {
    expect(explained.map((e) => e.decision)).toEqual([
      "ALLOW",
      "DENY",
      "ALLOW",
      "STEP_UP",
      "ALLOW",
      "MODIFY",
      "DENY",
      "DENY",
      "ALLOW",
    ]);
  });

  it("the injected payment: the clauses that held, and what would unmatch the rule", () => {
    const e = step(2);
    expect(e.summary).toBe("DENY bank.send_money by `prompt_injection.unrequested_target`");
    expect(clauses(e)).toEqual([
      "prompt_injection.unrequested_target: session.tainted = true",
      "prompt_injection.unrequested_target: args.recipient not in {} = true",
      "prompt_injection.unrequested_target: not intent.mentions(args.recipient) = true",
    ]);
    expect(e.hints).toEqual([
      {
        kind: "unmatch",
        rule: "prompt_injection.unrequested_target",
        clauses: ["not session.tainted", "args.recipient in {}", "intent.mentions(args.recipient)"],
        text: "`prompt_injection.unrequested_target` would not match if any of these held: not session.tainted; args.recipient in {}; intent.mentions(args.recipient)",
      },
    ]);
  });

  it("the requested payment: an unconditional allow", () => {
    const e = step(3);
    expect(e.deciding).toEqual([
      {
        rule: "payments",
        kind: "allow",
        reason: "allow rule payments matched",
        clauses: [],
        modified: false,
      },
    ]);
    expect(e.hints.map((h) => h.kind)).toEqual(["unconditional"]);
  });

  it("the large payment: the step-up's clause and its negation", () => {
    const e = step(4);
    expect(clauses(e)).toEqual(["large_payment: args.amount > 1000 = true"]);
    expect(hintTexts(e)).toEqual(["`large_payment` would not match if args.amount <= 1000"]);
  });

  it("the capped ledger query", () => {
    expect(clauses(step(6))).toEqual([
      "cap_ledger_rows: has(args.limit) = true",
      "cap_ledger_rows: args.limit > 100 = true",
    ]);
  });

  it("the destructive query: the forbid's regex shown as written", () => {
    const e = step(7);
    expect(clauses(e)).toEqual([
      "no_destructive_queries: args.sql matches /(?i)\\b(drop|truncate|delete)\\b/ = true",
    ]);
    expect(e.deciding[0]?.reason).toBe("the assistant never changes or destroys ledger data");
  });

  it("without the sources, a regex is named by its index", () => {
    const action = input("ledger.query", { sql: "DELETE FROM payments" });
    expect(clauses(decideAndExplain(ir, action))).toEqual([
      // The imported modules' regexes are numbered first.
      "no_destructive_queries: args.sql matches regex #2 = true",
    ]);
  });

  it("personal data emailed outside the company: both the injection and the exfiltration rule hold", () => {
    const e = step(8);
    expect(e.summary).toBe(
      "DENY email.send by `prompt_injection.unrequested_target`, `exfiltration.sensitive_data_leaving`",
    );
    expect(clauses(e)).toEqual([
      "prompt_injection.unrequested_target: session.tainted = true",
      "prompt_injection.unrequested_target: args.to not in {} = true",
      "prompt_injection.unrequested_target: not intent.mentions(args.to) = true",
      'exfiltration.sensitive_data_leaving: session.seen("restricted" in labels or "pii" in labels or "phi" in labels or "secret" in labels or "credential" in labels) = true',
      'exfiltration.sensitive_data_leaving: args.to not in {"ACME-DE44-5001"} = true',
      'exfiltration.sensitive_data_leaving: not (args.to matches /^[^@\\s]+@[^@\\s]+$/ and domain(args.to) in {"example.com"}) = true',
      'exfiltration.sensitive_data_leaving: not (args.to matches /^[A-Za-z][A-Za-z0-9+.-]*:\\/\\// and host(args.to) in {"example.com"}) = true',
    ]);
    expect(e.hints[1]?.clauses).toEqual([
      'not session.seen("restricted" in labels or "pii" in labels or "phi" in labels or "secret" in labels or "credential" in labels)',
      'args.to in {"ACME-DE44-5001"}',
      'args.to matches /^[^@\\s]+@[^@\\s]+$/ and domain(args.to) in {"example.com"}',
      'args.to matches /^[A-Za-z][A-Za-z0-9+.-]*:\\/\\// and host(args.to) in {"example.com"}',
    ]);
  });

  it("an undeclared tool", () => {
    const e = decideAndExplain(ir, input("bank.wire", {}));
    expect(e.summary).toBe("DENY bank.wire: the policy declares no tool of this name");
    expect(e.hints.map((h) => h.kind)).toEqual(["undeclared_tool"]);
  });
});

describe("a default DENY: the near misses", () => {
  const { ir } = compiled(`policy files version "1"
tool files.read { args { path: string, size: number } effect read }
fact business_hours: bool
allow small_reads on files.read when args.size < 1000 and starts_with(args.path, "/public/")
allow admin_reads on files.read when "admin" in identity.roles and business_hours and args.size < 10
step_up huge on files.read when args.size > 100000 approvers ["ops"]
deny secrets on files.read when starts_with(args.path, "/secret/")
default deny
`);

  it("lists the rules that would have decided otherwise, fewest failed clauses first", () => {
    const e = decideAndExplain(ir, input("files.read", { path: "/public/a", size: 5000 }));
    expect(e.summary).toBe("DENY files.read no rule matched; default deny");
    expect(e.deciding).toEqual([]);
    expect(e.nearMisses.map((r) => r.rule)).toEqual(["small_reads", "huge", "admin_reads"]);
    expect(hintTexts(e)).toEqual([
      "allow `small_reads` would have matched if args.size < 1000",
      "step_up `huge` would have matched if args.size > 100000",
      'allow `admin_reads` would have matched if all of these held: "admin" in identity.roles; business_hours; args.size < 10',
    ]);
    expect(e.nearMisses[2]?.clauses).toEqual([
      { text: '"admin" in identity.roles', value: false, missing: [] },
      { text: "business_hours", value: "unknown", missing: ["business_hours"] },
      { text: "args.size < 10", value: false, missing: [] },
    ]);
  });

  it("says when no rule for the tool could change it", () => {
    const { ir: denyOnly } = compiled(`policy p version "1"
tool files.read { args { path: string } effect read }
deny secrets on files.read when starts_with(args.path, "/secret/")
default deny
`);
    const e = decideAndExplain(denyOnly, input("files.read", { path: "/a" }));
    expect(e.nearMisses).toEqual([]);
    expect(hintTexts(e)).toEqual(["no rule for `files.read` can decide otherwise than the default deny"]);
  });
});

describe("DEFER", () => {
  const { ir } = compiled(`policy p version "1"
tool files.read { args { path: string, size: number } effect read }
fact business_hours: bool
fact ticket: string
deny after_hours on files.read when not business_hours and args.size > 10
defer review on files.read when args.size > 1000000 needs ticket
allow reads on files.read
default deny
`);

  it("for missing context: the unknown clause with what it misses, and the facts to provide", () => {
    const e = decideAndExplain(ir, input("files.read", { path: "/a", size: 50 }));
    expect(e.decision).toBe("DEFER");
    expect(e.contextNeeded).toEqual(["business_hours"]);
    expect(e.deciding[0]?.clauses).toEqual([
      { text: "not business_hours", value: "unknown", missing: ["business_hours"] },
      { text: "args.size > 10", value: true, missing: [] },
    ]);
    expect(hintTexts(e)).toEqual([
      "`after_hours` would not match if args.size <= 10",
      "provide `business_hours` to decide",
    ]);
  });

  it("by a defer rule: its clauses and its needs", () => {
    const e = decideAndExplain(
      ir,
      input("files.read", { path: "/a", size: 5_000_000 }, { facts: { business_hours: true } }),
    );
    expect(e.summary).toBe("DEFER files.read by `review`; needs `ticket`");
    expect(clauses(e)).toEqual(["review: args.size > 1000000 = true"]);
  });
});

describe("the re-check of a modified action", () => {
  const { ir } = compiled(`policy p version "1"
tool db.query { args { sql: string, limit: number } effect read }
modify cap on db.query when args.limit > 100 set args.limit = 5000
deny huge on db.query when args.limit > 1000
allow q on db.query
default deny
`);

  it("explains the deny on the arguments it matched", () => {
    const e = decideAndExplain(ir, input("db.query", { sql: "select", limit: 500 }));
    expect(e.decision).toBe("DENY");
    expect(e.deciding).toEqual([
      {
        rule: "huge",
        kind: "deny",
        reason: "deny rule huge matched",
        clauses: [{ text: "args.limit > 1000", value: true, missing: [] }],
        modified: true,
      },
    ]);
  });
});

describe("rendering conditions", () => {
  const { ir } = compiled(`policy p version "1"
tool t.op { args { a: number, b: number, s: string, tags: set<string>, note?: string } effect egress target args.s }
fact region: string
deny r1 on t.op when (args.a + args.b) * 2 > 10 - args.b - (1 - args.a)
deny r2 on t.op when args.s not in {"x", "y"} and not (args.a > 1 or args.b > 1)
deny r3 on t.op when -args.a < -(args.b + 1) and lower(target) == region
deny r4 on t.op when session.count(effect == egress and tool != "t.op", within 90m) > 2
deny r5 on t.op when session.seen(pii in labels then effect == egress, within 1d) or session.sum("t.op", a, within 30s) > 5
deny r6 on t.op when has(args.note) and (args.note matches /x/ or len(args.tags) == 0) unless args.s in args.tags
default allow
`);
  const action = input("t.op", { a: 0, b: 0, s: "z", tags: [] });
  /** The clauses of `rule`, explained as if it had decided. */
  const rendered = (rule: string): string[] => {
    const decision = { ...evaluate(ir, action), rules: [rule] };
    return explain(ir, action, decision).deciding[0]?.clauses.map((c) => c.text) ?? [];
  };

  it("arithmetic with the parentheses it needs", () => {
    expect(rendered("r1")).toEqual(["(args.a + args.b) * 2 > 10 - args.b - (1 - args.a)"]);
  });

  it("not in, and a negated disjunction split into its conjuncts", () => {
    expect(rendered("r2")).toEqual(['args.s not in {"x", "y"}', "args.a <= 1", "args.b <= 1"]);
  });

  it("negation, calls and the target", () => {
    expect(rendered("r3")).toEqual(["-args.a < -(args.b + 1)", "lower(args.s) == region"]);
  });

  it("session queries with their windows", () => {
    expect(rendered("r4")).toEqual(['session.count(effect == "egress" and tool != "t.op", within 90m) > 2']);
    expect(rendered("r5")).toEqual([
      'session.seen("pii" in labels then effect == "egress", within 1d) or session.sum("t.op", a, within 30s) > 5',
    ]);
  });

  it("presence tests, matches, and an unless", () => {
    expect(rendered("r6")).toEqual([
      "has(args.note)",
      "args.note matches regex #0 or len(args.tags) == 0",
      "args.s not in args.tags",
    ]);
  });
});

describe("explain reads and never changes", () => {
  it("the input and the decision", () => {
    const { ir } = compiled(
      readFileSync(new URL("../../examples/finance-assistant/policy.aarm", import.meta.url), "utf8"),
    );
    const action = input("bank.send_money", { recipient: "X", amount: 5000 }, { intent: { text: "pay X" } });
    const decision = evaluate(ir, action);
    const before = JSON.stringify([action, decision]);
    const e = explain(ir, action, decision);
    expect(JSON.stringify([action, decision])).toBe(before);
    expect(JSON.parse(JSON.stringify(e))).toEqual(e);
  });
});
