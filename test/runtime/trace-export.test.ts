// A session run through the runtime on SQLite, exported as a decision trace (`aarm trace`), decided again by
// `aarmc replay` under the same policy: nothing differs.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { readTraceText } from "../../src/runtime/trace/index.ts";
import { exportTrace } from "../../src/runtime/trace/export.ts";
import { run, workspace } from "../cli/run.ts";
import { type Harness, harness, policy } from "./engine-harness.ts";

const POLICY = `
policy exported version "1.0"

tool files.read { args { path: string } effect read output internal, untrusted }
tool db.query { args { sql: string, limit?: number } effect read }
tool bank.pay { args { to: string, amount: number } effect egress target args.to }

deny injected on bank.pay
  when session.tainted and not intent.mentions(args.to)
  because "payee not requested after untrusted content"
step_up large on bank.pay when args.amount > 1000 approvers ["finance"] timeout 1m
modify cap on db.query when has(args.limit) and args.limit > 100 clamp args.limit to 1..100
allow reads when effect == read
allow payments on bank.pay

default deny
`;

let h: Harness | null = null;
let dir: string | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

it("exports a stored session as a trace that aarmc replay decides identically", async () => {
  h = harness(policy(POLICY), { outputs: { "files.read": "invoice from ACME" } });
  const session = await h.session({ id: "s-export", intent: "pay ACME the invoice" });
  const decided = [
    await h.call(session, "db.query", { sql: "select 1", limit: 500 }),
    await h.call(session, "bank.pay", { to: "ACME", amount: 40 }),
    await h.call(session, "files.read", { path: "/invoices/7" }),
    await h.call(session, "bank.pay", { to: "EVIL", amount: 40 }),
    await h.call(session, "bank.pay", { to: "ACME", amount: 5000 }),
    await h.call(session, "bank.drop", { everything: true }),
  ];
  expect(decided.map((d) => d.decision)).toEqual(["MODIFY", "ALLOW", "ALLOW", "DENY", "STEP_UP", "DENY"]);

  const exported = await exportTrace(h.store, "s-export");
  if (!exported.ok) throw new Error(exported.message);
  // The undeclared tool is refused by the policy's unknown_tool rule, so it is a decision point too.
  expect(exported.decisions).toBe(6);
  expect(exported.outcomes).toBe(3);
  const text = exported.lines.map((line) => `${line}\n`).join("");
  const points = [...readTraceText(text)].map((result) => {
    if (!result.ok) throw new Error(result.error.message);
    return result.point;
  });
  expect(points.map((p) => p.recorded.decision)).toEqual(decided.map((d) => d.decision));
  // The decision after the untrusted read sees it in its history.
  expect(points[3]?.input.snapshot.history.map((e) => e.tool)).toEqual([
    "db.query",
    "bank.pay",
    "files.read",
  ]);

  dir = workspace({ "policy.aarm": POLICY });
  const traced = run("aarm", ["trace", "--db", h.path, "--session", "s-export", "-o", "trace.jsonl"], {
    cwd: dir,
  });
  expect(traced).toMatchObject({ status: 0, stderr: "" });
  const replayed = run("aarmc", ["replay", "policy.aarm", "trace.jsonl"], { cwd: dir });
  expect(replayed.stderr).toBe("");
  expect(replayed.stdout).toContain("every decision matches the recorded one");
  expect(replayed.status).toBe(0);

  // Under a changed policy the replay shows what would change.
  writeFileSync(join(dir, "stricter.aarm"), POLICY.replace("args.amount > 1000", "args.amount > 10"));
  const against = run("aarmc", ["replay", "policy.aarm", "trace.jsonl", "--against", "stricter.aarm"], {
    cwd: dir,
  });
  expect(against.status).toBe(1);
  expect(against.stdout).toContain("ALLOW → STEP_UP");
});

it("refuses to export a session the store does not have", async () => {
  h = harness(policy(POLICY));
  const exported = await exportTrace(h.store, "nope");
  expect(exported.ok).toBe(false);
  dir = workspace({});
  const traced = run("aarm", ["trace", "--db", h.path, "--session", "nope"], { cwd: dir });
  expect(traced.status).toBe(2);
  expect(traced.stderr).toContain("nope");
});
