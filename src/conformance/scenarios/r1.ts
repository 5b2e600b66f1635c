/**
 * §9.1, R1: every action is intercepted before it runs, and whatever fails
 * on the way fails closed.
 *
 * @module
 */
import { ConformanceFailure, NotApplicable } from "../run.ts";
import type { Scenario, ScenarioContext } from "../types.ts";
import { alice, expectBlocked, receiptOf, runs } from "./support.ts";

const POLICY = `policy r1 version "1"
tool database.drop { args { name: string } effect delete target args.name }
tool database.query { args { sql: string } effect read output internal }
tool db.drop_table { args { table: string } effect delete target args.table }
tool credentials.rotate { args { system: string } effect write target args.system }
tool brainstorming { args { topic: string } effect read output public }
fact change_window_approved: bool
forbid drop_databases on database.drop because "dropping databases is never allowed"
forbid drop_tables on db.drop_table because "dropping tables is never allowed"
defer rotation_needs_window on credentials.rotate when true needs change_window_approved timeout 5m
deny no_password_brainstorms on brainstorming when args.topic matches /(?i)password/
  because "no brainstorming about passwords"
allow reads when effect == read
default deny`;

const INTENT = "look at the orders table";

export const R1: readonly Scenario[] = [
  {
    id: "9.1.1",
    requirement: "R1",
    title:
      "A forbidden action is denied with a receipt naming the policy and the reason; the tool never runs",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s1"), intent: "the CEO said drop prod now" });
      const result = await s.call("database.drop", { name: "production" });
      expectBlocked(t, result, "DENY", "database.drop(production)");
      const receipt = await receiptOf(t, d, result);
      t.check(receipt.decision.policy.policy_id === "r1", "the receipt does not name the policy");
      t.check(
        receipt.decision.policy.rule_ids.includes("drop_databases"),
        "the receipt does not name the rule",
      );
      t.check(
        receipt.decision.reasons.includes("dropping databases is never allowed"),
        "the receipt does not give the reason",
      );
    },
  },
  {
    id: "9.1.2",
    requirement: "R1",
    title: "A DEFER suspends the action with a deferral receipt; nothing runs, and the wait ends in DENY",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s2"), intent: "rotate the payment credentials" });
      const result = await s.call("credentials.rotate", { system: "prod-payments" });
      expectBlocked(t, result, "DEFER", "credentials.rotate(prod-payments)");
      const receipt = await receiptOf(t, d, result);
      t.check(receipt.decision.result === "DEFER", `the decision receipt says ${receipt.decision.result}`);
      t.check(result.settlementReceiptId !== null, "the timeout left no receipt");
      t.observe("deferral receipt, then a timeout receipt", result.settlementReceiptId);
    },
  },
  {
    id: "9.1.3",
    requirement: "R1",
    title: "With no policy to decide by, nothing passes: the enforcement point does not start",
    only: { kinds: ["sdk"], reason: "needs the policy made unavailable to the enforcement point's process" },
    async run(t: ScenarioContext) {
      try {
        await t.start({ policy: POLICY, fault: "policy" });
      } catch (caught) {
        if (caught instanceof ConformanceFailure || caught instanceof NotApplicable) throw caught;
        t.observe(`start refused: ${caught instanceof Error ? caught.message : String(caught)}`);
        return;
      }
      t.check(false, "the deployment started without a policy");
    },
  },
  {
    id: "9.1.4",
    requirement: "R1",
    title: "The context store is down: the action is denied and does not run",
    only: { kinds: ["sdk"], reason: "needs a store failure injected into the enforcement point's process" },
    receiptsVerify: false,
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY, fault: "store" });
      const s = await d.session({ identity: alice("s4"), intent: INTENT });
      const result = await s.call("database.query", { sql: "select 1" });
      t.check(!result.executed, "the tool ran without a stored context");
      t.check(result.decision === "DENY" || result.decision === null, `decided ${result.decision}`);
      t.check(runs(d, "database.query") === 0, "the tool ran");
      t.observe(
        `database.query with the store down: ${result.decision ?? "refused"}, not executed (${result.reason})`,
      );
    },
  },
  {
    id: "9.1.5",
    requirement: "R1",
    title: "The signer is down: no receipt can be made, so the action is denied and does not run",
    only: { kinds: ["sdk"], reason: "needs a signer failure injected into the enforcement point's process" },
    receiptsVerify: false,
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY, fault: "signer" });
      const s = await d.session({ identity: alice("s5"), intent: INTENT });
      const result = await s.call("database.query", { sql: "select 1" });
      t.check(!result.executed && runs(d, "database.query") === 0, "the tool ran without a signed receipt");
      t.check(result.receiptId === null, "a receipt was written although the signer is down");
      t.observe(`database.query with the signer down: ${result.decision ?? "refused"}, not executed`);
    },
  },
  {
    id: "9.1.6",
    requirement: "R1",
    title: "The policy engine throws mid-evaluation: the action is denied, receipted, and does not run",
    only: {
      kinds: ["sdk"],
      reason: "needs an evaluator failure injected into the enforcement point's process",
    },
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY, fault: "evaluator" });
      const s = await d.session({ identity: alice("s6"), intent: INTENT });
      const result = await s.call("database.query", { sql: "select 1" });
      expectBlocked(t, result, "DENY", "database.query with the evaluator failing");
      const receipt = await receiptOf(t, d, result);
      t.check(
        receipt.decision.policy.rule_ids.includes("runtime:evaluator"),
        "the receipt does not name the failure",
      );
    },
  },
  {
    id: "9.1.8",
    requirement: "R1",
    title: "A meta-tool wrapper is resolved before evaluation; the receipt keeps the wrapper's name",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s8"), intent: INTENT });
      const result = await s.call("mcp_tool", {
        mcp_server_name: "db",
        mcp_tool_name: "drop_table",
        arguments: { table: "users" },
      });
      expectBlocked(t, result, "DENY", "mcp_tool(db, drop_table)");
      const receipt = await receiptOf(t, d, result);
      t.check(receipt.action.tool === "db.drop_table", `evaluated as ${receipt.action.tool}`);
      t.check(receipt.action.original_tool === "mcp_tool", "the receipt lost the wrapper's name");
      t.check(receipt.decision.policy.rule_ids.includes("drop_tables"), "the forbid rule did not decide");
    },
  },
  {
    id: "9.1.9",
    requirement: "R1",
    title: "A Skill meta-tool resolves to the skill, and the policy decides on the skill's name",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s9"), intent: INTENT });
      const result = await s.call("Skill", { skill: "brainstorming", topic: "password ideas" });
      expectBlocked(t, result, "DENY", "Skill(brainstorming)");
      const receipt = await receiptOf(t, d, result);
      t.check(receipt.action.tool === "brainstorming", `evaluated as ${receipt.action.tool}`);
    },
  },
  {
    id: "9.1.10",
    requirement: "R1",
    title: "An unknown tool is never silently executed",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s10"), intent: INTENT });
      const result = await s.call("shell.exec", { command: "rm -rf /" });
      expectBlocked(t, result, "DENY", "shell.exec (undeclared)");
    },
  },
];
