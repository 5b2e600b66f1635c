/**
 * `aarmc replay` as a user runs it: the built binary on traces recorded with
 * the trace writer, checked by stdout, stderr and exit code.
 */
import { spawnSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TraceWriter } from "../../src/runtime/trace/index.ts";
import { compileText } from "../../src/compiler.ts";
import { evaluate } from "../../src/eval/index.ts";
import type { EvalDecision, EvalInput, HistoryEntry, Json } from "../../src/ir/contract.ts";
import { cliEntry, permissionsEnforced, run, workspace } from "./run.ts";

const POLICY = `policy payments version "1"

tool files.read {
  args { path: string }
  effect read
  output internal, untrusted
}

tool bank.pay {
  args { to: string, amount: number }
  effect egress
  target args.to
}

deny injected on bank.pay
  when session.tainted and not intent.mentions(args.to)
  because "payee not requested after untrusted content"

step_up large on bank.pay
  when args.amount > 1000
  approvers ["finance"]

allow reads when effect == read
allow payments on bank.pay

default deny
`;

/** The same policy with a lower approval threshold. */
const STRICTER = POLICY.replace("args.amount > 1000", "args.amount > 100");

interface Step {
  readonly tool: string;
  readonly args: { readonly [name: string]: Json };
}

const STEPS: readonly Step[] = [
  { tool: "files.read", args: { path: "/invoices/1" } },
  { tool: "bank.pay", args: { to: "ACME", amount: 420 } },
  { tool: "bank.pay", args: { to: "EVIL", amount: 50 } },
  { tool: "bank.pay", args: { to: "ACME", amount: 5000 } },
];

/** A session decided under `source` and recorded as the runtime would: decisions, and outcomes of what ran. */
function record(
  source: string,
  steps: readonly Step[] = STEPS,
  tamper?: (d: EvalDecision, i: number) => EvalDecision,
): string {
  const ir = compileText(source).ir;
  if (ir === null) throw new Error("policy does not compile");
  const writer = new TraceWriter();
  const lines: string[] = [];
  const history: HistoryEntry[] = [];
  steps.forEach((step, i) => {
    const time = Date.UTC(2026, 10, 22, 9) + i * 60_000;
    const input: EvalInput = {
      action: {
        tool: step.tool,
        args: step.args,
        time,
        identity: { human: "alice", roles: [], scope: [], delegation: [] },
      },
      snapshot: { intent: { text: "pay ACME" }, scores: {}, facts: {}, history: [...history] },
    };
    const decision = evaluate(ir, input);
    const written = writer.decision({
      session: "sess_1",
      step: i,
      policy: { ...ir.policy, hash: ir.hash },
      input,
      decision: tamper === undefined ? decision : tamper(decision, i),
    });
    if (!written.ok) throw new Error(written.message);
    lines.push(written.line);
    if (decision.decision === "ALLOW") {
      const entry: HistoryEntry = {
        tool: step.tool,
        effect: ir.tools[step.tool]?.effect ?? "execute",
        args: step.args,
        time,
        labels: ir.tools[step.tool]?.output ?? [],
      };
      history.push(entry);
      const outcome = writer.outcome({ session: "sess_1", step: i, entry });
      if (!outcome.ok) throw new Error(outcome.message);
      lines.push(outcome.line);
    }
  });
  return `${lines.join("\n")}\n`;
}

function expectOneLineError(stderr: string, pattern: RegExp): void {
  const last = stderr.trimEnd().split("\n").at(-1) ?? "";
  expect(last).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe("aarmc replay", () => {
  it("explains itself with --help", () => {
    const r = run("aarmc", ["replay", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: aarmc replay <policy> <trace.jsonl>");
    expect(r.stdout).toContain("--against");
    expect(r.stdout).toContain("Examples:");
    expect(run("aarmc", ["--help"]).stdout).toContain("replay");
  });

  it("replays a trace under its own policy: one line per decision point, exit 0", () => {
    const dir = workspace({ "policy.aarm": POLICY, "trace.jsonl": record(POLICY) });
    const r = run("aarmc", ["replay", "policy.aarm", "trace.jsonl"], { cwd: dir });
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines.find((l) => /^sess_1\s+0\s/.test(l))).toMatch(/files\.read\s+ALLOW\s+reads/);
    expect(lines.find((l) => /^sess_1\s+2\s/.test(l))).toMatch(/bank\.pay\s+DENY\s+injected/);
    expect(lines.find((l) => /^sess_1\s+3\s/.test(l))).toMatch(/bank\.pay\s+STEP_UP\s+large/);
    expect(r.stdout).toContain(
      "4 decision points in 1 session: 2 ALLOW, 1 STEP_UP, 1 DENY; every decision matches",
    );
    expect(r.stdout).not.toContain("≠");
  });

  it("marks decisions that differ from the recorded ones, exit 1", () => {
    const tampered = record(POLICY, STEPS, (d, i) =>
      i === 1 ? { ...d, decision: "DENY", rules: ["injected"] } : d,
    );
    const dir = workspace({ "policy.aarm": POLICY, "trace.jsonl": tampered });
    const r = run("aarmc", ["replay", "policy.aarm", "trace.jsonl"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout.split("\n").find((l) => /^sess_1\s+1\s/.test(l))).toMatch(
      /ALLOW\s+payments\s+≠ recorded DENY by injected/,
    );
    expect(r.stdout).toContain("1 differs from the recorded decision");
  });

  it("notes when the trace was recorded under another policy", () => {
    const dir = workspace({ "policy.aarm": STRICTER, "trace.jsonl": record(POLICY) });
    const r = run("aarmc", ["replay", "policy.aarm", "trace.jsonl"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/note: the trace has decisions recorded under payments 1 \(sha256:/);
  });

  it("previews a policy change with --against: each change with its rules, a summary, exit 1", () => {
    const dir = workspace({ "policy.aarm": POLICY, "next.aarm": STRICTER, "trace.jsonl": record(POLICY) });
    const r = run("aarmc", ["replay", "policy.aarm", "trace.jsonl", "--against", "next.aarm"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("sess_1 step 1 bank.pay (line 3): ALLOW → STEP_UP");
    expect(r.stdout).toMatch(/old: payments — allow rule payments matched/);
    expect(r.stdout).toMatch(/new: large — step_up rule large matched/);
    expect(r.stdout).toContain("1 of 4 decisions change: 1 ALLOW→STEP_UP");
    expect(r.stdout).not.toContain("step 0");
  });

  it("exits 0 with --against when nothing changes", () => {
    const dir = workspace({ "policy.aarm": POLICY, "trace.jsonl": record(POLICY) });
    const r = run("aarmc", ["replay", "policy.aarm", "trace.jsonl", "--against", "policy.aarm"], {
      cwd: dir,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("no decision changes (4 decision points)");
  });

  it("compares only the decision with --compare decision", () => {
    const renamed = POLICY.replace("allow payments on bank.pay", "allow payouts on bank.pay");
    const dir = workspace({ "policy.aarm": POLICY, "next.aarm": renamed, "trace.jsonl": record(POLICY) });
    const full = run("aarmc", ["replay", "policy.aarm", "trace.jsonl", "--against", "next.aarm"], {
      cwd: dir,
    });
    expect(full.status).toBe(1);
    expect(full.stdout).toContain("ALLOW→ALLOW (rules, reasons)");
    const coarse = run(
      "aarmc",
      ["replay", "policy.aarm", "trace.jsonl", "--against", "next.aarm", "--compare", "decision"],
      { cwd: dir },
    );
    expect(coarse.status).toBe(0);
  });

  it("emits JSON with --format json", () => {
    const dir = workspace({ "policy.aarm": POLICY, "next.aarm": STRICTER, "trace.jsonl": record(POLICY) });
    const plain = run("aarmc", ["replay", "policy.aarm", "trace.jsonl", "--format", "json"], { cwd: dir });
    expect(plain.status).toBe(0);
    const out = JSON.parse(plain.stdout) as {
      policy: { hash: string };
      points: {
        session: string;
        step: number;
        decision: string;
        rules: string[];
        matchesRecorded: boolean;
      }[];
      summary: { points: number; mismatches: number; decisions: Record<string, number> };
    };
    expect(out.policy.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(out.points.map((p) => p.decision)).toEqual(["ALLOW", "ALLOW", "DENY", "STEP_UP"]);
    expect(out.points.every((p) => p.matchesRecorded)).toBe(true);
    expect(out.summary).toMatchObject({
      points: 4,
      mismatches: 0,
      decisions: { ALLOW: 2, DENY: 1, STEP_UP: 1 },
    });

    const against = run(
      "aarmc",
      ["replay", "policy.aarm", "trace.jsonl", "--against", "next.aarm", "--format", "json"],
      { cwd: dir },
    );
    expect(against.status).toBe(1);
    const diff = JSON.parse(against.stdout) as {
      changed: number;
      summary: Record<string, number>;
      changes: {
        line: number;
        step: number;
        change: string;
        old: { rules: string[] };
        new: { rules: string[] };
      }[];
    };
    expect(diff.changed).toBe(1);
    expect(diff.summary).toEqual({ "ALLOW→STEP_UP": 1 });
    expect(diff.changes[0]).toMatchObject({
      line: 3,
      step: 1,
      change: "ALLOW→STEP_UP",
      old: { rules: ["payments"] },
      new: { rules: ["large"] },
    });
  });

  it("reads the trace from standard input with -", () => {
    const dir = workspace({ "policy.aarm": POLICY });
    const r = spawnSync(process.execPath, [cliEntry("aarmc"), "replay", "policy.aarm", "-"], {
      cwd: dir,
      env: { PATH: process.env.PATH, NO_COLOR: "1" },
      input: record(POLICY),
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("4 decision points in 1 session");
  });

  it("accepts a recorded unknown_tool decision for a tool the policy does not declare", () => {
    const trace = record(POLICY, [{ tool: "shell.exec", args: { cmd: "ls" } }]);
    const dir = workspace({ "policy.aarm": POLICY, "trace.jsonl": trace });
    const r = run("aarmc", ["replay", "policy.aarm", "trace.jsonl"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/shell\.exec\s+DENY\s+unknown_tool/);
  });

  it("shows escape sequences and bidirectional controls from the trace escaped, never raw", () => {
    const hostile = record(POLICY).replaceAll('"session":"sess_1"', '"session":"s\\u001b[2J\\u202eevil"');
    const dir = workspace({ "policy.aarm": POLICY, "trace.jsonl": hostile });
    const r = run("aarmc", ["replay", "policy.aarm", "trace.jsonl"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("s\\u001b[2J\\u202eevil");
    expect(r.stdout).not.toMatch(/[\u001b\u202e]/);
  });

  it("never colours output when NO_COLOR is set or stdout is not a terminal", () => {
    const dir = workspace({ "policy.aarm": POLICY, "trace.jsonl": record(POLICY) });
    const r = run("aarmc", ["replay", "policy.aarm", "trace.jsonl"], { cwd: dir, env: { FORCE_COLOR: "1" } });
    expect(r.stdout + r.stderr).not.toContain("\u001b[");
  });
});

describe("aarmc replay: bad input is one line with its location, exit 2", () => {
  const good = record(POLICY);
  const firstLine = good.split("\n")[0] ?? "";

  const cases: [string, Record<string, string>, string[], RegExp][] = [
    [
      "a missing trace",
      { "policy.aarm": POLICY },
      ["policy.aarm", "nope.jsonl"],
      /nope\.jsonl: no such file/,
    ],
    ["a missing policy", { "trace.jsonl": good }, ["nope.aarm", "trace.jsonl"], /nope\.aarm: no such file/],
    [
      "a missing --against policy",
      { "policy.aarm": POLICY, "trace.jsonl": good },
      ["policy.aarm", "trace.jsonl", "--against", "nope.aarm"],
      /nope\.aarm: no such file/,
    ],
    [
      "a policy with errors",
      { "policy.aarm": POLICY.replace("intent.mentions", "intent.mention"), "trace.jsonl": good },
      ["policy.aarm", "trace.jsonl"],
      /policy\.aarm:\d+:\d+: policy has 1 error/,
    ],
    [
      "malformed JSON",
      { "policy.aarm": POLICY, "trace.jsonl": `${firstLine}\n{"format": "aarm-trace",, }\n` },
      ["policy.aarm", "trace.jsonl"],
      /trace\.jsonl:2:25: malformed JSON/,
    ],
    [
      "a record with an unknown field",
      {
        "policy.aarm": POLICY,
        "trace.jsonl": firstLine.replace('"kind":"decision"', '"kind":"decision","colour":"red"'),
      },
      ["policy.aarm", "trace.jsonl"],
      /trace\.jsonl:1:\d+: \/colour: unknown field "colour"/,
    ],
    [
      "an action for a tool the policy does not declare",
      {
        "policy.aarm": POLICY,
        "trace.jsonl": firstLine.replace('"tool":"files.read"', '"tool":"files.raed"'),
      },
      ["policy.aarm", "trace.jsonl"],
      /trace\.jsonl:1:\d+: \/action\/tool: policy payments declares no tool "files\.raed"/,
    ],
    [
      "a line longer than the bound",
      { "policy.aarm": POLICY, "trace.jsonl": `${"x".repeat(1_100_000)}\n` },
      ["policy.aarm", "trace.jsonl"],
      /trace\.jsonl:1:1: line is longer than 1048576 bytes/,
    ],
    [
      "a directory for the trace",
      { "policy.aarm": POLICY, "traces/a.jsonl": good },
      ["policy.aarm", "traces"],
      /traces: is a directory/,
    ],
    [
      "a missing trace argument",
      { "policy.aarm": POLICY },
      ["policy.aarm"],
      /replay: missing <trace\.jsonl>/,
    ],
    [
      "an unknown --compare level",
      { "policy.aarm": POLICY, "trace.jsonl": good },
      ["policy.aarm", "trace.jsonl", "--compare", "some"],
      /--compare must be one of decision, outcome, full/,
    ],
  ];
  for (const [name, files, args, pattern] of cases) {
    it(`refuses ${name}`, () => {
      const r = run("aarmc", ["replay", ...args], { cwd: workspace(files) });
      expect(r.status).toBe(2);
      expectOneLineError(r.stderr, pattern);
      expect(r.stdout).toBe("");
    });
  }

  it("refuses an unreadable trace", () => {
    if (!permissionsEnforced()) return; // root, and `nobody` cannot read this checkout
    const dir = workspace({ "policy.aarm": POLICY, "trace.jsonl": good });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "trace.jsonl"), 0o000);
    const r = run("aarmc", ["replay", "policy.aarm", "trace.jsonl"], { cwd: dir, unprivileged: true });
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, /trace\.jsonl: permission denied/);
  });
});
