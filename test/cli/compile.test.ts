/**
 * `aarmc compile` as a user runs it: the built binary in a subprocess.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { validateIr } from "../../src/compiler.ts";
import { evaluate } from "../../src/eval/index.ts";
import type { EvalDecision, EvalInput } from "../../src/ir/contract.ts";
import type { Ir } from "../../src/ir/types.ts";
import { permissionsEnforced, run, workspace } from "./run.ts";

const MAIL = `policy mail version "1"

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

const FILES = `policy files version "2"

import "./shared.aarm"

allow reads on files.read

default deny
`;

const SHARED = `module shared

tool files.read {
  args { path: string }
  effect read
}

deny secrets on files.read when args.path matches /secret/
`;

const BROKEN = `policy broken version "1"

tool a.b { args { x: number } effect read }

deny big on a.b when args.y > 1

default deny
`;

function expectOneLineError(stderr: string, pattern: RegExp): void {
  const last = stderr.trimEnd().split("\n").at(-1) ?? "";
  expect(last).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

function readIr(path: string): Ir {
  const ir = JSON.parse(readFileSync(path, "utf8")) as Ir;
  expect(validateIr(ir).ok).toBe(true);
  return ir;
}

/** Files in `dir` whose names mark them as temporary: an interrupted or failed write left them. */
function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".tmp"));
}

describe("aarmc compile", () => {
  it("compiles one policy to the named file and prints its cost and hash", () => {
    const dir = workspace({ "mail.aarm": MAIL });
    const r = run("aarmc", ["compile", "mail.aarm", "-o", "mail.ir.json"], { cwd: dir });
    expect(r.status).toBe(0);
    const ir = readIr(join(dir, "mail.ir.json"));
    expect(r.stdout).toContain("mail.aarm → mail.ir.json");
    expect(r.stdout).toContain(`policy mail 1, cost ${ir.cost}, ${ir.hash}`);
    expect(ir.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(leftovers(dir)).toEqual([]);
  });

  it("compiles every policy of a folder into the output folder, modules through their importers", () => {
    const dir = workspace({ "p/mail.aarm": MAIL, "p/files.aarm": FILES, "p/shared.aarm": SHARED });
    const r = run("aarmc", ["compile", "p", "-o", "out"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(readdirSync(join(dir, "out")).sort()).toEqual(["files.ir.json", "mail.ir.json"]);
    const files = readIr(join(dir, "out", "files.ir.json"));
    expect(files.rules.map((rule) => rule.id)).toEqual(["shared.secrets", "reads"]);
    expect(r.stdout).toContain("p/files.aarm → out/files.ir.json");
  });

  it("writes into an existing folder, or a path ending in /, even for one policy", () => {
    const dir = workspace({ "mail.aarm": MAIL });
    expect(run("aarmc", ["compile", "mail.aarm", "-o", "build/"], { cwd: dir }).status).toBe(0);
    expect(existsSync(join(dir, "build", "mail.ir.json"))).toBe(true);
  });

  it("the IR it writes decides as the compiler's own", () => {
    const dir = workspace({ "mail.aarm": MAIL });
    run("aarmc", ["compile", "mail.aarm", "-o", "mail.ir.json"], { cwd: dir });
    const ir = readIr(join(dir, "mail.ir.json"));
    const input: EvalInput = {
      action: {
        tool: "email.send",
        args: { to: "eve@evil.test", body: "x" },
        time: 0,
        identity: { roles: [], scope: [], delegation: [] },
      },
      snapshot: { scores: {}, facts: {}, history: [] },
    };
    expect(evaluate(ir, input)).toMatchObject({ decision: "DENY", rules: ["external"] });
  });

  it("--target js writes a standalone module that decides as the IR does", async () => {
    const dir = workspace({ "mail.aarm": MAIL });
    const r = run("aarmc", ["compile", "mail.aarm", "-o", "out/", "--target", "js"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("out/mail.mjs");
    const module = (await import(pathToFileURL(join(dir, "out", "mail.mjs")).href)) as {
      evaluate(input: EvalInput): EvalDecision;
      ir: { hash: string };
    };
    const input: EvalInput = {
      action: {
        tool: "email.send",
        args: { to: "bob@example.com", body: "x" },
        time: 0,
        identity: { roles: [], scope: [], delegation: [] },
      },
      snapshot: { scores: {}, facts: {}, history: [] },
    };
    expect(module.evaluate(input)).toMatchObject({ decision: "ALLOW", rules: ["internal"] });
    expect(module.ir.hash).toMatch(/^sha256:/);
  });

  it("emits JSON with --format json", () => {
    const dir = workspace({ "p/mail.aarm": MAIL, "p/files.aarm": FILES, "p/shared.aarm": SHARED });
    const r = run("aarmc", ["compile", "p", "-o", "out", "--format", "json"], { cwd: dir });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as {
      written: boolean;
      policies: { source: string; name: string; cost: number; hash: string; output: string }[];
    };
    expect(report.written).toBe(true);
    expect(report.policies.map((p) => [p.source, p.name, p.output])).toEqual([
      ["p/files.aarm", "files", "out/files.ir.json"],
      ["p/mail.aarm", "mail", "out/mail.ir.json"],
    ]);
    expect(report.policies[0]?.cost).toBeGreaterThan(0);
  });

  it("refuses a policy over --max-cost with a diagnostic, exit 1, and writes nothing", () => {
    const dir = workspace({ "p/mail.aarm": MAIL, "p/files.aarm": FILES, "p/shared.aarm": SHARED });
    const r = run("aarmc", ["compile", "p", "-o", "out", "--max-cost", "1"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[AARM5002]");
    expect(r.stderr).toContain("over the budget of 1");
    expect(r.stdout).toContain("refused: over --max-cost 1");
    expect(existsSync(join(dir, "out"))).toBe(false);
    const json = run("aarmc", ["compile", "p", "-o", "out", "--max-cost", "1", "--format", "json"], {
      cwd: dir,
    });
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout) as {
      written: boolean;
      policies: { name: string; refused: boolean }[];
    };
    expect(report.written).toBe(false);
    expect(report.policies.map((p) => [p.name, p.refused])).toEqual([
      ["files", true],
      ["mail", true],
    ]);
    expect(run("aarmc", ["compile", "p", "-o", "out", "--max-cost", "10000"], { cwd: dir }).status).toBe(0);
  });

  it("leaves existing outputs untouched when any policy has errors (exit 2)", () => {
    const dir = workspace({ "p/mail.aarm": MAIL, "p/broken.aarm": BROKEN, "out/mail.ir.json": "previous\n" });
    const r = run("aarmc", ["compile", "p", "-o", "out"], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("args.y");
    expectOneLineError(r.stderr, /p\/broken\.aarm:5:\d+: 1 error; nothing was written/);
    expect(readFileSync(join(dir, "out", "mail.ir.json"), "utf8")).toBe("previous\n");
    expect(readdirSync(join(dir, "out"))).toEqual(["mail.ir.json"]);
  });

  it("replaces an existing output in one step, leaving no temporary file", () => {
    const dir = workspace({ "mail.aarm": MAIL, "mail.ir.json": "old" });
    expect(run("aarmc", ["compile", "mail.aarm", "-o", "mail.ir.json"], { cwd: dir }).status).toBe(0);
    expect(readIr(join(dir, "mail.ir.json")).policy.name).toBe("mail");
    expect(leftovers(dir)).toEqual([]);
  });

  it("fails cleanly when the output folder cannot be written", () => {
    if (!permissionsEnforced()) return; // root, and `nobody` cannot read this checkout
    const dir = workspace({ "mail.aarm": MAIL, "out/keep": "" });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "out"), 0o500);
    const r = run("aarmc", ["compile", "mail.aarm", "-o", "out/"], { cwd: dir, unprivileged: true });
    chmodSync(join(dir, "out"), 0o755);
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, /out\/mail\.ir\.json: cannot write: permission denied/);
    expect(readdirSync(join(dir, "out"))).toEqual(["keep"]);
  });

  it("answers bad input with one line and exit 2", () => {
    const dir = workspace({
      "mail.aarm": MAIL,
      "p/mail.aarm": MAIL,
      "q/mail.aarm": MAIL,
      "shared.aarm": SHARED,
      "empty/readme.txt": "",
      "file.txt": "",
      "sub/keep": "",
    });
    const cases: [string[], RegExp][] = [
      [["compile", "mail.aarm"], /missing -o OUT/],
      [["compile", "-o", "x.json"], /missing <paths\.\.\.>/],
      [["compile", "nope.aarm", "-o", "x.json"], /nope\.aarm: no such file/],
      [["compile", "shared.aarm", "-o", "x.json"], /shared\.aarm: is a module, not a policy/],
      [["compile", "empty", "-o", "x"], /no policy files under empty/],
      [["compile", "p", "q", "-o", "out"], /q\/mail\.aarm: policy mail is also the name of p\/mail\.aarm/],
      [["compile", "p", "q", "-o", "file.txt"], /file\.txt: exists and is not a directory/],
      [["compile", "mail.aarm", "-o", "x", "--max-cost", "lots"], /--max-cost must be a whole number/],
      [["compile", "mail.aarm", "-o", "x", "--target", "wasm"], /--target must be one of ir, js/],
    ];
    const outside = run("aarmc", ["compile", "../mail.aarm", "-o", "x.json"], { cwd: join(dir, "sub") });
    expect(outside.status).toBe(2);
    expectOneLineError(outside.stderr, /\.\.\/mail\.aarm: the policy is outside the working directory/);
    for (const [args, pattern] of cases) {
      const r = run("aarmc", args, { cwd: dir });
      expect(r.status, args.join(" ")).toBe(2);
      expectOneLineError(r.stderr, pattern);
    }
    expect(existsSync(join(dir, "x.json"))).toBe(false);
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  it("answers an unreadable directory with one line naming it, exit 2", () => {
    if (!permissionsEnforced()) return; // root, and `nobody` cannot read this checkout
    const dir = workspace({ "locked/mail.aarm": MAIL });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "locked"), 0o000);
    const r = run("aarmc", ["compile", "locked", "-o", "out"], { cwd: dir, unprivileged: true });
    chmodSync(join(dir, "locked"), 0o755);
    expect(r.status).toBe(2);
    expectOneLineError(r.stderr, /locked: cannot read directory/);
  });

  it("has --help with usage and examples, and no colour off a terminal", () => {
    const r = run("aarmc", ["compile", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: aarmc compile <paths...> -o OUT");
    expect(r.stdout).toContain("--max-cost N");
    expect(r.stdout).toContain("Examples:");
    const dir = workspace({ "mail.aarm": MAIL });
    const c = run("aarmc", ["compile", "mail.aarm", "-o", "x.json", "--max-cost", "1"], {
      cwd: dir,
      env: { FORCE_COLOR: "1", NO_COLOR: "" },
    });
    expect(c.stdout + c.stderr).not.toContain("\u001b[");
  });

  it("does not draw progress when stderr is not a terminal", () => {
    const dir = workspace(
      Object.fromEntries([1, 2, 3, 4].map((n) => [`p${n}.aarm`, MAIL.replace("mail", `m${n}`)])),
    );
    writeFileSync(join(dir, "extra.aarm"), MAIL.replace("policy mail", "policy extra"));
    const r = run("aarmc", ["compile", ".", "-o", "out"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
  });
});
