/**
 * `aarm` as a user runs it: the built binary in a subprocess.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "./run.ts";

describe("aarm demo", () => {
  it("runs the finance assistant's session and shows every decision", () => {
    const r = run("aarm", ["demo"]);
    expect(r.status, r.stderr).toBe(0);
    // The injected payment is denied, the requested one runs, the large one waits for a human.
    expect(r.stdout).toMatch(/ATTACKER-LT12-9000[\s\S]*?DENY[\s\S]*?payee_not_requested/);
    expect(r.stdout).toMatch(/"amount":420\}\n\s+ALLOW/);
    expect(r.stdout).toMatch(/"amount":12000\}\n\s+STEP_UP/);
    expect(r.stdout).toMatch(/DELETE FROM payments[\s\S]*?DENY[\s\S]*?no_destructive_queries/);
    expect(r.stdout).toMatch(/"limit":5000\}\n\s+MODIFY[\s\S]*?ran with \{"limit":100,/);
    expect(r.stdout).toMatch(/jane@acme\.example[\s\S]*?DENY[\s\S]*?pii_leaves_company/);
    // Every decision was receipted in SQLite, signed, chained and verified offline.
    expect(r.stdout).toMatch(
      /(\d+) of \1 receipts verified offline: signatures valid, 1 session chain whole/,
    );
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
