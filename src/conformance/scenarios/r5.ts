/**
 * §9.5, R5: every decision has a signed, hash-chained receipt that verifies
 * offline, and any change to one is detected.
 *
 * @module
 */
import type { DecisionKind, Json } from "../../ir/contract.ts";
import { canonicalize } from "../../schema/canonical.ts";
import type { Scenario, ScenarioContext } from "../types.ts";
import { alice, receiptOf } from "./support.ts";

const POLICY = `policy r5 version "1"
tool docs.read { args { path: string } effect read output internal }
tool db.drop { args { name: string } effect delete target args.name }
tool db.query { args { sql: string, limit: number } effect read output internal }
tool payments.send { args { to: string, amount: number } effect egress target args.to }
tool backup.run { args { name: string } effect write target args.name }
tool report.build { args { name: string } effect write target args.name }
fact backup_window: bool
forbid no_drops on db.drop because "never"
modify cap_rows on db.query when args.limit > 100 set args.limit = 100
step_up big_payments on payments.send when args.amount > 1000 approvers ["group:finance"] timeout 1m
defer backups_need_window on backup.run when true needs backup_window timeout 1m
allow reads on docs.read
allow payments on payments.send
allow builds on report.build
default deny`;

/** Mail, for receipt minimisation. */
const MAIL = `policy r5_mail version "1"
tool email.send { args { to: string, body: string } effect egress target args.to }
allow mail on email.send
default deny`;

/** `value` with every object's keys in reverse order: the same content, other bytes. */
function reverseKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reverseKeys(v)]),
  );
}

const CALLS: readonly { tool: string; args: { [k: string]: unknown }; decision: DecisionKind }[] = [
  { tool: "docs.read", args: { path: "/runbook.md" }, decision: "ALLOW" },
  { tool: "db.drop", args: { name: "prod" }, decision: "DENY" },
  { tool: "db.query", args: { sql: "select *", limit: 5000 }, decision: "MODIFY" },
  { tool: "payments.send", args: { to: "acme", amount: 5000 }, decision: "STEP_UP" },
  { tool: "backup.run", args: { name: "nightly" }, decision: "DEFER" },
];

/**
 * A scenario that exports a session's receipts, checks the export verifies
 * with the public keys alone, alters it as `tamper` does, and checks the
 * alteration is detected.
 */
function tampering(id: string, title: string, tamper: (lines: string[]) => string[]): Scenario {
  return {
    id,
    requirement: "R5",
    title,
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice(`s${id}`), intent: "clean up the runbooks" });
      await s.call("docs.read", { path: "/runbook.md" });
      const denied = await s.call("db.drop", { name: "prod" });
      await s.call("docs.read", { path: "/faq.md" });
      const lines = (await d.exportReceipts()).trim().split("\n");
      const intact = await d.verifyLines(`${lines.join("\n")}\n`);
      t.check(intact.ok && intact.verified === lines.length, "the untouched export does not verify offline");
      t.observe(`untouched export: ${intact.verified} receipts verified with the public key only`);
      const altered = tamper(lines);
      const report = await d.verifyLines(`${altered.join("\n")}\n`);
      t.check(!report.ok, "the altered export still verifies");
      const issue = report.issues[0];
      t.observe(
        `altered export rejected: ${issue?.reason ?? "?"} at ${issue?.location ?? "?"}: ${issue?.message ?? "?"}`,
        denied.receiptId,
      );
    },
  };
}

/** `lines` with the first occurrence of `from` in the line at `index` replaced by `to`. */
function edit(lines: string[], index: number, from: string, to: string): string[] {
  return lines.map((line, i) => (i === index ? line.replace(from, to) : line));
}

export const R5: readonly Scenario[] = [
  {
    id: "9.5.56",
    requirement: "R5",
    title: "Each of the five decisions has a receipt with every required field, identity included",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({
        identity: alice("s56", { roles: ["analyst"], scope: ["docs:read"] }),
        intent: "maintenance",
      });
      for (const call of CALLS) {
        const r = await s.call(call.tool, call.args);
        const receipt = await receiptOf(t, d, r);
        t.check(
          receipt.decision.result === call.decision,
          `${call.tool}: receipt says ${receipt.decision.result}`,
        );
        t.check(
          receipt.requester_context.human === "alice@example.com",
          `${call.tool}: no human in the receipt`,
        );
        t.check(
          receipt.requester_context.roles.includes("analyst"),
          `${call.tool}: roles missing from the receipt`,
        );
        t.check(
          receipt.requester_context.scope.includes("docs:read"),
          `${call.tool}: scope missing from the receipt`,
        );
        t.check(/^sha256:[0-9a-f]{64}$/.test(receipt.decision.policy.hash), `${call.tool}: no policy hash`);
        t.check(receipt.signature.key_id.length > 0, `${call.tool}: no key id`);
        t.observe(
          `${call.tool}: ${call.decision} receipt with identity, policy ${receipt.decision.policy.policy_id} ${receipt.decision.policy.version}`,
          r.receiptId,
        );
      }
      const modified = await s.call("db.query", { sql: "select *", limit: 900 });
      t.check(modified.args?.limit === 100, "MODIFY did not run the tool with the modified arguments");
    },
  },
  tampering(
    "9.5.57",
    "Receipts verify offline with only the published public key and key id; a changed byte does not",
    (lines) => edit(lines, 0, "/runbook.md", "/runbook.mD"),
  ),
  tampering("9.5.58", "Changing one character of requester_context.human is detected", (lines) =>
    edit(lines, 1, "alice@example.com", "alicf@example.com"),
  ),
  tampering("9.5.59", "Altering decision.policy.hash is detected", (lines) =>
    lines.map((line, i) => (i === 1 ? line.replace(/"hash":"sha256:[0-9a-f]/, '"hash":"sha256:X') : line)),
  ),
  tampering("9.5.61", "A receipt without its signature, or with an unknown key id, is rejected", (lines) =>
    edit(lines, 1, '"key_id":"', '"key_id":"unknown-'),
  ),
  tampering("9.5.65", "Deleting a receipt from the chain is detected", (lines) =>
    lines.filter((_, i) => i !== 1),
  ),
  {
    id: "9.5.60",
    requirement: "R5",
    title: "Changing a receipt's decision from DENY to ALLOW is detected by offline verification",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s60"), intent: "clean up" });
      const r = await s.call("db.drop", { name: "prod" });
      const lines = await d.exportReceipts();
      const intact = await d.verifyLines(lines);
      t.check(intact.ok, "the untouched export does not verify");
      const tampered = lines.replace('"result":"DENY"', '"result":"ALLOW"');
      t.check(tampered !== lines, "the export has no DENY to change");
      const report = await d.verifyLines(tampered);
      t.check(!report.ok, "a receipt changed from DENY to ALLOW still verifies");
      t.observe(
        `tampered export: ${report.issues[0]?.location ?? "?"}: ${report.issues[0]?.message ?? "?"}`,
        r.receiptId,
      );
    },
  },
  {
    id: "9.5.64",
    requirement: "R5",
    title: "A failed execution is receipted with success false and the error",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY, failing: { "docs.read": "disk on fire" } });
      const s = await d.session({ identity: alice("s64"), intent: "read the runbook" });
      const r = await s.call("docs.read", { path: "/runbook.md" });
      t.check(r.executed, "the tool did not run");
      const report = await d.exportReceipts();
      const execution = report
        .trim()
        .split("\n")
        .map(
          (line) =>
            JSON.parse(line) as {
              related_receipt_id?: string | null;
              execution?: { success: boolean; error?: unknown } | null;
            },
        )
        .find(
          (receipt) =>
            receipt.related_receipt_id === r.receiptId &&
            receipt.execution !== null &&
            receipt.execution !== undefined,
        );
      t.check(execution?.execution?.success === false, "no execution receipt with success false");
      t.check(
        JSON.stringify(execution.execution.error ?? "").includes("disk on fire"),
        "the error is not in the receipt",
      );
      t.observe("execution receipt: success false, error recorded");
    },
  },
  {
    id: "9.5.62",
    requirement: "R5",
    title: "Key rotation: receipts signed with the old key still verify, new ones carry the new key id",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s62"), intent: "read the runbook" });
      const before = await s.call("docs.read", { path: "/runbook.md" });
      d.rotateKeys();
      const after = await s.call("docs.read", { path: "/faq.md" });
      const old = await receiptOf(t, d, before);
      const fresh = await receiptOf(t, d, after);
      t.check(
        old.signature.key_id !== fresh.signature.key_id,
        "the new receipt is signed with the old key id",
      );
      const report = await d.verify();
      t.check(
        report.ok && report.verified === report.checked,
        "receipts do not all verify after the rotation",
      );
      t.observe(
        `signed with ${old.signature.key_id} before, ${fresh.signature.key_id} after`,
        before.receiptId,
      );
      t.observe(
        `${report.verified} of ${report.checked} receipts verify across the rotation`,
        after.receiptId,
      );
    },
  },
  {
    id: "9.5.63",
    requirement: "R5",
    title: "Canonicalisation is stable: key order and whitespace do not change the signed bytes",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("s63"), intent: "read the runbook" });
      const r = await s.call("docs.read", { path: "/runbook.md" });
      const lines = (await d.exportReceipts()).trim().split("\n");
      const reordered = lines.map((line) =>
        JSON.stringify(reverseKeys(JSON.parse(line) as Json), null, 2).replace(/\n\s*/g, " "),
      );
      t.check(reordered[0] !== lines[0], "the rewritten receipt is textually the same");
      for (const [i, line] of lines.entries()) {
        const a = canonicalize(JSON.parse(line));
        const b = canonicalize(JSON.parse(reordered[i] ?? ""));
        t.check(a.ok && b.ok && a.value === b.value, "reordering changed the canonical bytes");
      }
      const report = await d.verifyLines(`${reordered.join("\n")}\n`);
      t.check(report.ok && report.verified === lines.length, "the reordered receipts do not verify");
      t.observe(
        `${lines.length} receipts with keys reversed and whitespace added: same canonical bytes, all verify`,
        r.receiptId,
      );
    },
  },
  {
    id: "9.5.66",
    requirement: "R5",
    title: "Receipt minimisation: the PII body of an email is in the receipt as a hash, not in clear",
    async run(t: ScenarioContext) {
      const body = "Jane Roe, SSN 123-45-6789, lives at 12 Main St";
      const d = await t.start({
        policy: MAIL,
        sensitiveParameters: { "email.send": ["/body"] },
      });
      const s = await d.session({ identity: alice("s66"), intent: "mail Jane's record to bob" });
      const r = await s.call("email.send", { to: "bob@example.com", body });
      t.check(r.executed && r.args?.body === body, "the tool did not get the body in full");
      const receipt = await receiptOf(t, d, r);
      const recorded = JSON.stringify(receipt.action.parameters);
      t.check(!(await d.exportReceipts()).includes("123-45-6789"), "the SSN is in the receipts");
      t.check(/sha256:[0-9a-f]{64}/.test(recorded), `the body is recorded as ${recorded}`);
      t.observe(`receipt parameters: ${recorded}`, r.receiptId);
    },
  },
];
