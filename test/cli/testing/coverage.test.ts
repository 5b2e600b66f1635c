/**
 * Coverage on the compiled IR: a rule is covered when it decided or its
 * condition held, and every outcome branch a decision takes is recorded —
 * including the modify tier's re-check and conflict, the default posture,
 * and DEFER for unknown context.
 */
import { describe, expect, it } from "vitest";
import { meets, PolicyCoverage, ratio } from "../../../src/cli/testing/coverage.ts";
import { compileText } from "../../../src/compiler.ts";
import { evaluate } from "../../../src/eval/index.ts";
import type { EvalInput, Json } from "../../../src/ir/contract.ts";
import type { Ir } from "../../../src/ir/types.ts";

const POLICY = `policy cov version "1"

tool db.query {
  args { sql: string, limit?: number, note?: string }
  effect read
}

tool mail.send {
  args { to: string }
  effect egress
  target args.to
}

fact window: bool

forbid drops on db.query when args.sql matches /(?i)\\bdrop\\b/
deny secret_note on db.query when has(args.note) and args.note == "secret"
modify mark_note on db.query when has(args.note) set args.note = "secret"
modify cap_limit on db.query when has(args.limit) and args.limit > 100 clamp args.limit to 0..100
modify halve_limit on db.query when has(args.limit) and args.limit > 200 set args.limit = 50
defer needs_window on mail.send unless window needs window
step_up external on mail.send when domain(args.to) != "example.com" approvers ["owner"]
allow reads on db.query
allow mail on mail.send when window

default deny
`;

function compiled(text: string): Ir {
  const result = compileText(text);
  if (result.ir === null) throw new Error(JSON.stringify(result.diagnostics));
  return result.ir;
}

function input(tool: string, args: { [k: string]: Json }, facts: { [k: string]: Json } = {}): EvalInput {
  return {
    action: { tool, args, time: 0, identity: { roles: [], scope: [], delegation: [] } },
    snapshot: { scores: {}, facts, history: [] },
  };
}

function record(coverage: PolicyCoverage, ir: Ir, i: EvalInput): string {
  const decision = evaluate(ir, i);
  coverage.record(i, decision);
  return decision.decision;
}

describe("PolicyCoverage", () => {
  const ir = compiled(POLICY);

  it("lists the branches the policy can reach, none reached before any step", () => {
    const report = new PolicyCoverage(ir, "policy.aarm").report("cov 1");
    expect(report.branches.map((b) => b.id)).toEqual([
      "forbid",
      "deny",
      "defer",
      "step_up",
      "modify",
      "allow",
      "modify_recheck_deny",
      "modify_conflict",
      "default",
      "unknown_defer",
    ]);
    expect(report.branches.every((b) => !b.reached)).toBe(true);
    expect(report.ruleCoverage).toEqual({ covered: 0, total: 9, percent: 0 });
  });

  it("records rules whose condition held though a stronger rule decided", () => {
    const coverage = new PolicyCoverage(ir, "policy.aarm");
    expect(record(coverage, ir, input("db.query", { sql: "drop table t", limit: 150 }))).toBe("DENY");
    const report = coverage.report("cov 1");
    const covered = report.rules.filter((r) => r.covered).map((r) => r.id);
    expect(covered).toEqual(["drops", "cap_limit", "reads"]);
    expect(report.branches.filter((b) => b.reached).map((b) => b.id)).toEqual(["forbid"]);
  });

  it("tells each branch apart", () => {
    const coverage = new PolicyCoverage(ir, "policy.aarm");
    const steps: [EvalInput, string][] = [
      [input("db.query", { sql: "select", note: "secret" }), "DENY"],
      [input("db.query", { sql: "select", note: "hello" }), "DENY"],
      [input("db.query", { sql: "select", limit: 300 }), "DEFER"],
      [input("db.query", { sql: "select", limit: 150 }), "MODIFY"],
      [input("db.query", { sql: "select" }), "ALLOW"],
      [input("mail.send", { to: "a@example.com" }, { window: false }), "DEFER"],
      [input("mail.send", { to: "a@else.example" }, { window: true }), "STEP_UP"],
      [input("mail.send", { to: "a@example.com" }), "DEFER"],
    ];
    for (const [i, want] of steps) expect(record(coverage, ir, i)).toBe(want);
    const report = coverage.report("cov 1");
    const reached = report.branches.filter((b) => b.reached).map((b) => b.id);
    expect(reached).toEqual([
      "deny",
      "defer",
      "step_up",
      "modify",
      "allow",
      "modify_recheck_deny",
      "modify_conflict",
      "unknown_defer",
    ]);
    expect(report.rules.filter((r) => !r.covered).map((r) => r.id)).toEqual(["drops"]);
  });

  it("records the default posture", () => {
    const coverage = new PolicyCoverage(ir, "policy.aarm");
    expect(record(coverage, ir, input("mail.send", { to: "a@example.com" }, { window: true }))).toBe("ALLOW");
    const ir2 = compiled(POLICY.replace("allow mail on mail.send when window\n", ""));
    const c2 = new PolicyCoverage(ir2, "policy.aarm");
    expect(record(c2, ir2, input("mail.send", { to: "a@example.com" }, { window: true }))).toBe("DENY");
    expect(c2.report("cov 1").branches.find((b) => b.id === "default")?.reached).toBe(true);
  });

  it("leaves out branches a policy cannot reach", () => {
    const simple = compiled(`policy s version "1"
tool a.b { args { x: number } effect read }
deny big on a.b when args.x > 10
allow all on a.b
default deny
`);
    expect(new PolicyCoverage(simple, "s.aarm").report("s 1").branches.map((b) => b.id)).toEqual([
      "deny",
      "allow",
    ]);
  });
});

describe("coverage ratios", () => {
  it("rounds down, so that 99.99% never shows as 100%", () => {
    expect(ratio(9999, 10000).percent).toBe(99.9);
    expect(ratio(2, 3).percent).toBe(66.6);
    expect(ratio(0, 0).percent).toBe(100);
  });

  it("compares the threshold exactly", () => {
    expect(meets(ratio(9, 10), 90)).toBe(true);
    expect(meets(ratio(8, 9), 88.9)).toBe(false);
    expect(meets(ratio(8, 9), 88.8)).toBe(true);
  });
});
