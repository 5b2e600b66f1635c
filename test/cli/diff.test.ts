/**
 * `aarmc diff` as a user runs it: the built binary comparing two policies,
 * checked by stdout, stderr and exit code — and a counterexample it prints
 * is checked by feeding it back to `aarmc explain`.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TraceWriter } from "../../src/runtime/trace/index.ts";
import { compileText } from "../../src/compiler.ts";
import { evaluate } from "../../src/eval/index.ts";
import type { EvalDecision, EvalInput } from "../../src/ir/contract.ts";
import { permissionsEnforced, ROOT, run, workspace } from "./run.ts";

const OLD = `policy mail version "1"

tool email.send {
  args { to: string, body: string, cc?: string }
  effect egress
  target args.to
}

tool files.read {
  args { path: string }
  effect read
  output confidential, pii
}

deny pii_outside on email.send
  when session.seen(pii in labels) and domain(args.to) != "example.com"
  because "personal data may not leave the company"

step_up bulk on email.send
  when len(args.body) > 1000
  approvers ["security"]

allow reads when effect == read
allow mail on email.send

default deny
`;

/** The same policy with the domain check widened to a subdomain: a real behaviour change. */
const NEW = OLD.replace(`domain(args.to) != "example.com"`, `not ends_with(domain(args.to), "example.com")`);

/** The same behaviour written differently. */
const SAME = OLD.replace("len(args.body) > 1000", "1000 < len(args.body)");

interface Output {
  readonly tried: number;
  readonly given: number;
  readonly stoppedBy: string;
  readonly differences: {
    readonly kind: string;
    readonly count: number;
    readonly source: string;
    readonly action: EvalInput["action"];
    readonly snapshot: EvalInput["snapshot"];
    readonly old: EvalDecision;
    readonly new: EvalDecision;
  }[];
}

function expectOneLineError(stderr: string, pattern: RegExp): void {
  const last = stderr.trimEnd().split("\n").at(-1) ?? "";
  expect(last).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

/** A one-decision trace of `input` under `source`. */
function trace(source: string, input: EvalInput): string {
  const ir = compileText(source).ir;
  if (ir === null) throw new Error("policy does not compile");
  const line = new TraceWriter().decision({
    session: "s",
    step: 0,
    policy: { ...ir.policy, hash: ir.hash },
    input,
    decision: evaluate(ir, input),
  });
  if (!line.ok) throw new Error(line.message);
  return `${line.line}\n`;
}

const SUBDOMAIN: EvalInput = {
  action: {
    tool: "email.send",
    args: { to: "bob@mail.example.com", body: "hi" },
    time: 0,
    identity: { roles: [], scope: [], delegation: [] },
  },
  snapshot: {
    scores: {},
    facts: {},
    history: [
      {
        tool: "files.read",
        effect: "read",
        args: { path: "/crm" },
        time: 0,
        labels: ["confidential", "pii"],
      },
    ],
  },
};

describe("aarmc diff", () => {
  it("explains itself with --help", () => {
    const r = run("aarmc", ["diff", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: aarmc diff <old-policy> <new-policy>");
    for (const flag of ["--tests", "--max-inputs", "--seed", "--timeout-seconds", "--format"])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).toContain("Examples:");
    expect(run("aarmc", ["--help"]).stdout).toContain("diff");
  });

  it("finds a counterexample, prints it with both decisions, exit 1", () => {
    const dir = workspace({ "old.aarm": OLD, "new.aarm": NEW });
    const r = run("aarmc", ["diff", "old.aarm", "new.aarm", "--max-inputs", "20000"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /^\d\. DENY→ALLOW {2}\(\d+ of 20000 inputs; first seen in a generated input; shrunk\)$/m,
    );
    expect(r.stdout).toMatch(/action: {3}\{"tool":"email\.send"/);
    expect(r.stdout).toMatch(/old: DENY by pii_outside — personal data may not leave the company/);
    expect(r.stdout).toMatch(/new: ALLOW by mail/);
    expect(r.stdout).toMatch(/kinds? of difference found/);
  });

  it("prints counterexamples that aarmc explain reproduces", () => {
    const dir = workspace({ "old.aarm": OLD, "new.aarm": NEW });
    const r = run("aarmc", ["diff", "old.aarm", "new.aarm", "--max-inputs", "20000", "--format", "json"], {
      cwd: dir,
    });
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as Output;
    expect(out.differences.length).toBeGreaterThan(0);
    for (const [i, d] of out.differences.entries()) {
      writeFileSync(join(dir, `action${i}.json`), JSON.stringify(d.action));
      writeFileSync(join(dir, `context${i}.json`), JSON.stringify(d.snapshot));
      for (const [policy, expected] of [
        ["old.aarm", d.old],
        ["new.aarm", d.new],
      ] as const) {
        const e = run(
          "aarmc",
          [
            "explain",
            policy,
            "--action",
            `action${i}.json`,
            "--context",
            `context${i}.json`,
            "--format",
            "json",
          ],
          { cwd: dir },
        );
        expect(e.status, e.stderr).toBe(0);
        expect(JSON.parse(e.stdout)).toMatchObject({ decision: expected.decision, rules: expected.rules });
      }
    }
  });

  it("exits 0 when no input tells the policies apart", () => {
    const dir = workspace({ "old.aarm": OLD, "same.aarm": SAME });
    const r = run("aarmc", ["diff", "old.aarm", "same.aarm", "--max-inputs", "3000"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("searched 3000 inputs with seed 1; input budget reached");
    expect(r.stdout).toContain("no difference found");
    const identical = run("aarmc", ["diff", "old.aarm", "old.aarm"], { cwd: dir });
    expect(identical.status).toBe(0);
    expect(identical.stdout).toContain("identical IR");
  });

  it("is deterministic for a seed, and JSON output says what it did", () => {
    const dir = workspace({ "old.aarm": OLD, "new.aarm": NEW });
    const args = [
      "diff",
      "old.aarm",
      "new.aarm",
      "--max-inputs",
      "4000",
      "--seed",
      "42",
      "--max-examples",
      "100",
      "--format",
      "json",
    ];
    const a = run("aarmc", args, { cwd: dir });
    const b = run("aarmc", args, { cwd: dir });
    expect(a.status).toBe(1);
    expect(a.stdout).toBe(b.stdout);
    const out = JSON.parse(a.stdout) as Output & { seed: number; compare: string };
    expect(out).toMatchObject({ seed: 42, compare: "full", tried: 4000, given: 0, stoppedBy: "max-inputs" });
    expect(out.differences.every((d) => d.source === "generated" && d.count > 0)).toBe(true);
  });

  it("tries inputs from --tests first: traces and session test files", () => {
    const test = readFileSync(join(ROOT, "examples", "finance-assistant", "policy.test.yaml"), "utf8");
    const finance = readFileSync(join(ROOT, "examples", "finance-assistant", "policy.aarm"), "utf8");
    const dir = workspace({
      "old.aarm": OLD,
      "new.aarm": NEW,
      "traces/today.jsonl": trace(OLD, SUBDOMAIN),
      "finance/policy.aarm": finance,
      "finance/next.aarm": finance.replace("args.amount > 1000", "args.amount > 100"),
      "finance/policy.test.yaml": test,
    });
    const fromTrace = run(
      "aarmc",
      ["diff", "old.aarm", "new.aarm", "--tests", "traces", "--max-inputs", "1", "--format", "json"],
      { cwd: dir },
    );
    expect(fromTrace.status).toBe(1);
    const out = JSON.parse(fromTrace.stdout) as Output;
    expect(out).toMatchObject({ tried: 1, given: 1 });
    expect(out.differences[0]).toMatchObject({ kind: "DENY→ALLOW", source: "traces/today.jsonl:1" });

    const fromTests = run(
      "aarmc",
      [
        "diff",
        "finance/policy.aarm",
        "finance/next.aarm",
        "--tests",
        "finance/policy.test.yaml",
        "--max-inputs",
        "25",
      ],
      { cwd: dir },
    );
    expect(fromTests.status).toBe(1);
    expect(fromTests.stdout).toMatch(/ALLOW→STEP_UP .*first seen at finance\/policy\.test\.yaml:\d+/);
  });

  it("stops at the time limit", () => {
    const dir = workspace({ "old.aarm": OLD, "same.aarm": SAME });
    const r = run(
      "aarmc",
      [
        "diff",
        "old.aarm",
        "same.aarm",
        "--max-inputs",
        "100000000",
        "--timeout-seconds",
        "1",
        "--format",
        "json",
      ],
      { cwd: dir },
    );
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as Output).stoppedBy).toBe("time");
  });

  it("never colours output when NO_COLOR is set or stdout is not a terminal", () => {
    const dir = workspace({ "old.aarm": OLD, "new.aarm": NEW });
    const r = run("aarmc", ["diff", "old.aarm", "new.aarm", "--max-inputs", "2000"], {
      cwd: dir,
      env: { FORCE_COLOR: "1" },
    });
    expect(r.stdout + r.stderr).not.toContain("\u001b[");
  });
});

describe("aarmc diff: bad input is one line with its location, exit 2", () => {
  const good = trace(OLD, SUBDOMAIN);
  const cases: [string, Record<string, string>, string[], RegExp][] = [
    ["a missing policy", { "old.aarm": OLD }, ["old.aarm", "nope.aarm"], /nope\.aarm: no such file/],
    [
      "a missing second policy argument",
      { "old.aarm": OLD },
      ["old.aarm"],
      /diff: expected <old-policy> <new-policy>/,
    ],
    [
      "a policy with errors",
      { "old.aarm": OLD, "new.aarm": NEW.replace("ends_with", "end_with") },
      ["old.aarm", "new.aarm"],
      /new\.aarm:\d+:\d+: policy has 1 error/,
    ],
    [
      "a non-numeric --max-inputs",
      { "old.aarm": OLD },
      ["old.aarm", "old.aarm", "--max-inputs", "lots"],
      /--max-inputs must be an integer from 1 to 100000000, not "lots"/,
    ],
    [
      "a zero --timeout-seconds",
      { "old.aarm": OLD },
      ["old.aarm", "old.aarm", "--timeout-seconds", "0"],
      /--timeout-seconds must be an integer from 1/,
    ],
    [
      "a negative --seed",
      { "old.aarm": OLD },
      ["old.aarm", "old.aarm", "--seed=-3"],
      /--seed must be an integer from 0 to 4294967295/,
    ],
    [
      "a missing --tests path",
      { "old.aarm": OLD },
      ["old.aarm", "old.aarm", "--tests", "nope"],
      /nope: no such file/,
    ],
    [
      "a --tests file of another kind",
      { "old.aarm": OLD, "notes.txt": "hello" },
      ["old.aarm", "old.aarm", "--tests", "notes.txt"],
      /notes\.txt: expected a trace \(\.jsonl\) or a session test file \(\.test\.yaml\)/,
    ],
    [
      "a --tests folder with nothing to read",
      { "old.aarm": OLD, "empty/readme.md": "nothing" },
      ["old.aarm", "old.aarm", "--tests", "empty"],
      /empty: no traces \(\*\.jsonl\) or session tests \(\*\.test\.yaml\) in this folder/,
    ],
    [
      "malformed JSON lines",
      { "old.aarm": OLD, "t.jsonl": `${good}{"format"\n` },
      ["old.aarm", "old.aarm", "--tests", "t.jsonl"],
      /t\.jsonl:2:10: malformed JSON/,
    ],
    [
      "a traced action for an unknown tool",
      { "old.aarm": OLD, "t.jsonl": good.replace('"tool":"email.send"', '"tool":"email.sned"') },
      ["old.aarm", "old.aarm", "--tests", "t.jsonl"],
      /t\.jsonl:1:\d+: \/action\/tool: policy mail declares no tool "email\.sned"/,
    ],
    [
      "a test file with a YAML error",
      { "old.aarm": OLD, "bad.test.yaml": "policy: old.aarm\nsessions: [\n" },
      ["old.aarm", "old.aarm", "--tests", "bad.test.yaml"],
      /bad\.test\.yaml:\d+:\d+: invalid YAML/,
    ],
    [
      "a test file calling an unknown tool",
      {
        "old.aarm": OLD,
        "bad.test.yaml":
          "policy: old.aarm\nsessions:\n  - name: s\n    steps:\n      - tool: email.sned\n        args: {}\n        expect: { decision: ALLOW }\n",
      },
      ["old.aarm", "old.aarm", "--tests", "bad.test.yaml"],
      /bad\.test\.yaml:5:\d+: the policy declares no tool "email\.sned"/,
    ],
  ];
  for (const [name, files, args, pattern] of cases) {
    it(`refuses ${name}`, () => {
      const r = run("aarmc", ["diff", ...args], { cwd: workspace(files) });
      expect(r.status).toBe(2);
      expectOneLineError(r.stderr, pattern);
      expect(r.stdout).toBe("");
    });
  }

  it("refuses an unreadable --tests directory", () => {
    if (!permissionsEnforced()) return; // root, and `nobody` cannot read this checkout
    const dir = workspace({ "old.aarm": OLD, "traces/a.jsonl": good });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "traces"), 0o000);
    const r = run("aarmc", ["diff", "old.aarm", "old.aarm", "--tests", "traces"], {
      cwd: dir,
      unprivileged: true,
    });
    chmodSync(join(dir, "traces"), 0o755);
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, /traces: cannot read directory: permission denied/);
  });
});
