/**
 * `aarm` as a user runs it: the built binary in a subprocess.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { run, workspace } from "./run.ts";

describe("aarm demo", () => {
  let r: ReturnType<typeof run>;
  beforeAll(() => {
    r = run("aarm", ["demo"]);
  });

  it("runs the finance assistant's session and shows every decision", () => {
    expect(r.status, r.stderr).toBe(0);
    // The injected payment is denied, the requested one runs, the large one waits for a human.
    expect(r.stdout).toMatch(/ATTACKER-LT12-9000[\s\S]*?DENY[\s\S]*?prompt_injection\.unrequested_target/);
    expect(r.stdout).toMatch(/"amount":420\}\n\s+ALLOW/);
    expect(r.stdout).toMatch(/"amount":12000\}\n\s+STEP_UP/);
    expect(r.stdout).toMatch(/DELETE FROM payments[\s\S]*?DENY[\s\S]*?no_destructive_queries/);
    expect(r.stdout).toMatch(/"limit":5000\}\n\s+MODIFY[\s\S]*?ran with \{"limit":100,/);
    expect(r.stdout).toMatch(/jane@acme\.example[\s\S]*?DENY[\s\S]*?exfiltration\.sensitive_data_leaving/);
    // Every decision was receipted in SQLite, signed, chained and verified offline.
    expect(r.stdout).toMatch(
      /(\d+) of \1 receipts verified offline: signatures valid, 1 session chain whole/,
    );
  });

  it("calls plain async tool functions through guard(): only released calls run, each with one decision receipt", () => {
    expect(r.status, r.stderr).toBe(0);
    // Every tool of the script is a guarded function, checked before the session starts (scenario 100).
    expect(r.stdout).toContain(
      "tools: invoices.read, bank.send_money, crm.lookup, ledger.query, email.send (plain async functions, every one guarded)",
    );
    // What the invoice said entered the context, labelled, before the injected payment was decided.
    expect(r.stdout).toMatch(/\[1\][\s\S]*?ran; output labelled confidential, financial, untrusted\n\n\[2\]/);
    // Denied, refused and unapproved calls never ran; the step-up waited and timed out.
    const step = (n: number) => r.stdout.split(`\n[${n}] `)[1]?.split("\n\n")[0] ?? "";
    for (const n of [2, 7, 8]) expect(step(n)).toMatch(/DENY[\s\S]*not run$/);
    expect(step(4)).toMatch(/STEP_UP[\s\S]*waiting[\s\S]*settled: denied \(timed out[\s\S]*not run$/);
    for (const n of [1, 3, 5, 6, 9]) expect(step(n)).toMatch(/\n\s+ran; output labelled /);
    expect(r.stdout).toContain("5 ran, 3 DENY (not run), 1 STEP_UP (not run), 0 DEFER (not run)");
    expect(r.stdout).toContain("9 guarded calls, 9 decision receipts (one each)");
  });

  it("decides alike on every run", () => {
    const strip = (text: string) => text.replace(/rct_[0-9a-f]+|\/\S*aarm-demo-\S*/g, "");
    const again = run("aarm", ["demo"]);
    expect(again.status).toBe(0);
    expect(strip(again.stdout)).toBe(strip(r.stdout));
  });

  it("runs a script of its own: a DEFER waits and is denied, an undeclared tool is never run", () => {
    const dir = workspace({
      "p.aarm": [
        'policy ops version "1"',
        "tool creds.rotate { args { system: string } effect write target args.system }",
        "fact window_open: bool",
        "defer rotation on creds.rotate when true needs window_open timeout 5m",
        "default deny",
      ].join("\n"),
      "s.json": JSON.stringify({
        identity: { human: "alice@example.com", session: "ops" },
        steps: [
          { note: "rotate", action: { tool: "creds.rotate", args: { system: "prod" } }, output: "ok" },
          { note: "shell", action: { tool: "shell.exec", args: { cmd: "id" } }, output: "root" },
        ],
      }),
    });
    const r = run("aarm", ["demo", "--policy", "p.aarm", "--session", "s.json", "--data", "data"], {
      cwd: dir,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[1\] rotate[\s\S]*DEFER[\s\S]*waiting: no fact answers[\s\S]*not run\n/);
    expect(r.stdout).toMatch(/\[2\] shell[\s\S]*DENY[\s\S]*not run\n/);
    expect(r.stdout).toContain("0 ran, 1 DENY (not run), 0 STEP_UP (not run), 1 DEFER (not run)");
    expect(r.stdout).toContain("2 guarded calls, 2 decision receipts (one each)");
  });

  it("leaves a store and keys that `aarm verify` checks again", () => {
    const data = mkdtempSync(join(tmpdir(), "aarm-demo-test-"));
    expect(run("aarm", ["demo", "--data", data]).status).toBe(0);
    const r = run("aarm", ["verify", join(data, "aarm.sqlite"), "--keys", join(data, "keys")]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("has --help with examples", () => {
    const r = run("aarm", ["demo", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Examples:");
  });
});
