/**
 * `aarmc init` as a user runs it: the scaffold checks cleanly, is formatted,
 * compiles and passes its own tests with full rule coverage; existing files
 * are never overwritten without --force; the workflow is the one docs/ci.md
 * documents.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { permissionsEnforced, ROOT, run, workspace } from "./run.ts";

const SCAFFOLD = ["policy.aarm", "policy.test.yaml", ".github/workflows/aarm.yml"];

function expectOneLineError(stderr: string, pattern: RegExp): void {
  const last = stderr.trimEnd().split("\n").at(-1) ?? "";
  expect(last).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe("aarmc init", () => {
  it("scaffolds a policy that checks, is formatted, compiles and passes its tests with full coverage", () => {
    const dir = workspace({});
    const r = run("aarmc", ["init", "support"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    for (const file of SCAFFOLD) {
      expect(existsSync(join(dir, "support", file)), file).toBe(true);
      expect(r.stdout).toContain(`created support/${file}`);
    }
    const at = join(dir, "support");
    expect(readFileSync(join(at, "policy.aarm"), "utf8")).toContain('policy support version "0.1.0"');
    const check = run("aarmc", ["check", "--deny-warnings", "."], { cwd: at });
    expect(check.status, check.stdout).toBe(0);
    expect(run("aarmc", ["fmt", "--check", "."], { cwd: at }).status).toBe(0);
    expect(run("aarmc", ["compile", ".", "-o", "build/policies/"], { cwd: at }).status).toBe(0);
    const tests = run("aarmc", ["test", "--coverage", "--min-coverage", "100", "."], { cwd: at });
    expect(tests.status, tests.stdout + tests.stderr).toBe(0);
    expect(tests.stdout).toMatch(/rules 4\/4 \(100%\), branches 4\/4 \(100%\)/);
  });

  it("scaffolds into the current folder by default, naming the policy after it", () => {
    const dir = workspace({});
    expect(run("aarmc", ["init"], { cwd: dir }).status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([".github", "policy.aarm", "policy.test.yaml"]);
    expect(readFileSync(join(dir, "policy.aarm"), "utf8")).toMatch(/^policy aarm_cli_\w+ version/m);
  });

  it("falls back to a plain name when the folder's name is not one", () => {
    const dir = workspace({});
    expect(run("aarmc", ["init", "policy"], { cwd: dir }).status).toBe(0);
    expect(readFileSync(join(dir, "policy", "policy.aarm"), "utf8")).toContain(
      'policy agent version "0.1.0"',
    );
    expect(run("aarmc", ["init", "2nd-try"], { cwd: dir }).status).toBe(0);
    expect(readFileSync(join(dir, "2nd-try", "policy.aarm"), "utf8")).toContain(
      'policy agent version "0.1.0"',
    );
  });

  it("refuses to overwrite existing files, naming them and writing nothing, exit 2", () => {
    const dir = workspace({ "policy.test.yaml": "mine\n", ".github/workflows/aarm.yml": "mine too\n" });
    const r = run("aarmc", ["init"], { cwd: dir });
    expect(r.status).toBe(2);
    expectOneLineError(
      r.stderr,
      /init: policy\.test\.yaml, \.github\/workflows\/aarm\.yml already exist; use --force/,
    );
    expect(existsSync(join(dir, "policy.aarm"))).toBe(false);
    expect(readFileSync(join(dir, "policy.test.yaml"), "utf8")).toBe("mine\n");
    expect(readFileSync(join(dir, ".github/workflows/aarm.yml"), "utf8")).toBe("mine too\n");
  });

  it("overwrites with --force", () => {
    const dir = workspace({ "policy.aarm": "mine\n" });
    const r = run("aarmc", ["init", "--force"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, "policy.aarm"), "utf8")).toMatch(/^\/\/ An assistant/);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("writes the workflow that docs/ci.md shows", () => {
    const dir = workspace({});
    run("aarmc", ["init"], { cwd: dir });
    const workflow = readFileSync(join(dir, ".github/workflows/aarm.yml"), "utf8");
    const docs = readFileSync(join(ROOT, "docs", "ci.md"), "utf8");
    const shown = /```yaml\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(shown).toBe(workflow);
    for (const command of [
      "npx aarmc check --deny-warnings",
      "npx aarmc fmt --check",
      "npx aarmc compile",
      "npx aarmc test --coverage --min-coverage 90",
      "node-version: 24",
    ]) {
      expect(workflow).toContain(command);
    }
  });

  it("answers bad input with one line and exit 2", () => {
    const dir = workspace({ "file.txt": "" });
    const extra = run("aarmc", ["init", "a", "b"], { cwd: dir });
    expect(extra.status).toBe(2);
    expectOneLineError(extra.stderr, /init: unexpected argument "b"/);
    const under = run("aarmc", ["init", "file.txt/x"], { cwd: dir });
    expect(under.status).toBe(2);
    expectOneLineError(under.stderr, /file\.txt\/x: cannot create folder/);
  });

  it("answers an unwritable folder with one line naming it, exit 2", () => {
    if (!permissionsEnforced()) return; // root, and `nobody` cannot read this checkout
    const dir = workspace({ "locked/keep": "" });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "locked"), 0o500);
    const r = run("aarmc", ["init", "locked"], { cwd: dir, unprivileged: true });
    chmodSync(join(dir, "locked"), 0o755);
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, /locked: cannot create folder/);
    writeFileSync(join(dir, "locked", "keep"), "");
    expect(readdirSync(join(dir, "locked"))).toEqual(["keep"]);
  });

  it("has --help with usage and examples", () => {
    const r = run("aarmc", ["init", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: aarmc init [dir] [--force]");
    expect(r.stdout).toContain("Examples:");
    const list = run("aarmc", ["--help"]);
    for (const command of ["init", "compile", "test"]) expect(list.stdout).toContain(`  ${command}`);
  });
});
