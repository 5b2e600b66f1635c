/**
 * `aarmc` as a user runs it: the built binary in a subprocess, checked by its
 * stdout, stderr and exit code.
 */
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { permissionsEnforced, run, workspace } from "./run.ts";

const POLICY = `policy mail version "1"

tool email.send {
  args { to: string, body: string }
  effect egress
  target args.to
}

deny external on email.send
  when domain(args.to) != "example.com"
  because "mail leaves the company"

allow internal on email.send

default deny
`;

const BROKEN = `policy mail version "1"

tool email.send {
  args { to: string }
  effect egress
}

deny external on email.send when domian(args.to) != "example.com"

default deny
`;

/** A failure message is one line, names a location, and carries no stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const last = stderr.trimEnd().split("\n").at(-1) ?? "";
  expect(last).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe("aarmc", () => {
  it("lists its commands with --help and exits 0", () => {
    const r = run("aarmc", ["--help"]);
    expect(r.status).toBe(0);
    for (const command of ["check", "fmt", "explain"]) expect(r.stdout).toContain(command);
  });

  it("gives every command a --help with usage and examples", () => {
    for (const command of ["check", "fmt", "explain"]) {
      const r = run("aarmc", [command, "--help"]);
      expect(r.status, command).toBe(0);
      expect(r.stdout, command).toContain(`Usage: aarmc ${command}`);
      expect(r.stdout, command).toContain("Examples:");
    }
  });

  it("rejects an unknown command and an unknown flag with exit 2", () => {
    expect(run("aarmc", ["frobnicate"]).status).toBe(2);
    const r = run("aarmc", ["check", "--frobnicate"]);
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, /unknown option/i);
  });

  it("never colours output when NO_COLOR is set or stdout is not a terminal", () => {
    const dir = workspace({ "policy.aarm": BROKEN });
    const r = run("aarmc", ["check"], { cwd: dir, env: { FORCE_COLOR: "1" } });
    expect(r.stdout + r.stderr).not.toContain("\u001b[");
  });
});

describe("aarmc check", () => {
  it("passes a valid policy with exit 0", () => {
    const dir = workspace({ "policy.aarm": POLICY });
    const r = run("aarmc", ["check"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("checked 1 file: 0 errors");
  });

  it("reports errors with code, location, code frame and suggestion, exit 1", () => {
    const dir = workspace({ "policy.aarm": BROKEN });
    const r = run("aarmc", ["check", "policy.aarm"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/policy\.aarm:8:\d+/);
    expect(r.stdout).toContain("domian");
    expect(r.stdout).toContain("domain");
  });

  it("emits machine-readable JSON with --format json", () => {
    const dir = workspace({ "policy.aarm": BROKEN });
    const r = run("aarmc", ["check", "--format", "json"], { cwd: dir });
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { errors: number; diagnostics: { code: string; line: number }[] };
    expect(out.errors).toBeGreaterThan(0);
    expect(out.diagnostics[0]?.code).toMatch(/^AARM\d{4}$/);
    expect(out.diagnostics[0]?.line).toBe(8);
  });

  it("fails on warnings only with --deny-warnings", () => {
    const dir = workspace({
      "policy.aarm": POLICY.replace("default deny", "fact unused_fact: bool\n\ndefault deny"),
    });
    expect(run("aarmc", ["check"], { cwd: dir }).status).toBe(0);
    expect(run("aarmc", ["check", "--deny-warnings"], { cwd: dir }).status).toBe(1);
  });

  it("answers a missing path with one line naming it, exit 2", () => {
    const r = run("aarmc", ["check", "nope/missing.aarm"], { cwd: workspace({}) });
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, /nope\/missing\.aarm: no such file/);
  });

  it("answers an unreadable directory with one line naming it, exit 2", () => {
    if (!permissionsEnforced()) return; // root, and `nobody` cannot read this checkout: nothing to exercise
    const dir = workspace({ "locked/policy.aarm": POLICY });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "locked"), 0o000);
    const r = run("aarmc", ["check", "locked"], { cwd: dir, unprivileged: true });
    chmodSync(join(dir, "locked"), 0o755);
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, /locked: cannot read directory/);
  });
});

describe("aarmc fmt", () => {
  const messy = POLICY.replace("deny external on email.send\n  when", "deny   external   on email.send when");

  it("--check lists unformatted files and exits 1; formatted files pass", () => {
    const dir = workspace({ "a.aarm": messy });
    const r = run("aarmc", ["fmt", "--check"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("a.aarm");
    expect(run("aarmc", ["fmt", "--write"], { cwd: dir }).status).toBe(0);
    expect(run("aarmc", ["fmt", "--check"], { cwd: dir }).status).toBe(0);
    expect(readFileSync(join(dir, "a.aarm"), "utf8")).toContain("deny external on email.send");
  });

  it("prints the formatted text without flags", () => {
    const dir = workspace({ "a.aarm": messy });
    const r = run("aarmc", ["fmt", "a.aarm"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("deny external on email.send\n");
  });

  it("refuses to format a file with syntax errors, exit 2", () => {
    const dir = workspace({ "a.aarm": "policy p version \n deny {" });
    const r = run("aarmc", ["fmt", "--write", "a.aarm"], { cwd: dir });
    expect(r.status).toBe(2);
    expect(readFileSync(join(dir, "a.aarm"), "utf8")).toBe("policy p version \n deny {");
  });
});

describe("aarmc explain", () => {
  const files = {
    "policy.aarm": POLICY,
    "out.json": JSON.stringify({ tool: "email.send", args: { to: "eve@evil.test", body: "hi" } }),
    "in.json": JSON.stringify({ tool: "email.send", args: { to: "bob@example.com", body: "hi" } }),
  };

  it("explains a denial with the deciding rule and reason", () => {
    const r = run("aarmc", ["explain", "policy.aarm", "--action", "out.json"], { cwd: workspace(files) });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^DENY email\.send/);
    expect(r.stdout).toContain("external: mail leaves the company");
  });

  it("prints the decision as JSON with --format json", () => {
    const r = run("aarmc", ["explain", "policy.aarm", "--action", "in.json", "--format", "json"], {
      cwd: workspace(files),
    });
    expect(r.status).toBe(0);
    const d = JSON.parse(r.stdout) as { decision: string; rules: string[] };
    expect(d).toMatchObject({ decision: "ALLOW", rules: ["internal"] });
  });

  it("names the file, line and column of malformed JSON, exit 2", () => {
    const dir = workspace({ ...files, "bad.json": '{"tool": "email.send",\n  "args": {to: 1}}' });
    const r = run("aarmc", ["explain", "policy.aarm", "--action", "bad.json"], { cwd: dir });
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, /bad\.json:2:\d+: malformed JSON/);
  });

  it("rejects an action for an unknown tool, exit 2", () => {
    const dir = workspace({ ...files, "x.json": JSON.stringify({ tool: "shell.exec", args: {} }) });
    const r = run("aarmc", ["explain", "policy.aarm", "--action", "x.json"], { cwd: dir });
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, /x\.json: .*shell\.exec/);
  });

  it("rejects a policy with errors with its first error's location, exit 2", () => {
    const dir = workspace({ ...files, "policy.aarm": BROKEN });
    const r = run("aarmc", ["explain", "policy.aarm", "--action", "out.json"], { cwd: dir });
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, /policy\.aarm:8:\d+: policy has \d+ errors?/);
  });

  it("requires --action", () => {
    const r = run("aarmc", ["explain", "policy.aarm"], { cwd: workspace(files) });
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, /missing --action/);
  });
});
