/**
 * §9.9, R9: each released action gets a just-in-time credential scoped by
 * the decision (the tool's effect, the action, its arguments, its session),
 * short-lived and single-use, which the tool checks before it acts; every
 * issue and use is logged against the action; a privilege that does not fit
 * the task is escalated.
 *
 * @module
 */
import type { Scenario, ScenarioContext } from "../types.ts";
import { alice, expectBlocked, expectRan, receiptOf, runs, sleep } from "./support.ts";

/** The ticket tools and policy of the §9.9 scenarios, shared with the runtime's credential tests. */
export const TICKETS = `policy tickets version "1"
tool tickets.get { args { id: string } effect read }
tool tickets.update { args { id: string, text: string } effect write }
tool email.send { args { to: string, body: string } effect egress target args.to }
step_up privilege_mismatch on email.send
  when "admin" in identity.scope
  approvers ["security"] timeout 1m
  because "a routine email under an admin-scoped identity: privilege does not match the task"
allow tickets on tickets.get, tickets.update
allow mail on email.send
default deny`;

export const R9: readonly Scenario[] = [
  {
    id: "9.9.83",
    requirement: "R9",
    title: "A read gets a read-only credential; a write attempted with it fails at the target",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: TICKETS, credentials: {} });
      const s = await d.session({ identity: alice("s83"), intent: "triage ticket T-1" });
      const read = await s.call("tickets.get", { id: "T-1" });
      expectRan(t, read, "ALLOW", "tickets.get(T-1) with its credential");
      const credential = read.credential;
      t.check(credential !== null, "no credential was issued for the read");
      t.check(credential.grant.scope === "read", `the read's credential allows ${credential.grant.scope}`);
      const write = d.credentials().present(credential.token, {
        session_id: s.id,
        tool: "tickets.update",
        effect: "write",
        args: { id: "T-1", text: "wiped" },
      });
      t.check(!write.ok, "the read credential was accepted for a write");
      t.check(runs(d, "tickets.update") === 0, "the write ran");
      t.observe(
        `credential ${credential.id} (scope ${credential.grant.scope}) presented for tickets.update: refused (${write.failure})`,
        read.receiptId,
      );
    },
  },
  {
    id: "9.9.84",
    requirement: "R9",
    title: "The credential expires after its validity and cannot be used in another session",
    async run(t: ScenarioContext) {
      const ttlMs = 300;
      const d = await t.start({ policy: TICKETS, credentials: { ttlMs } });
      const s = await d.session({ identity: alice("s84"), intent: "triage ticket T-1" });
      const other = await d.session({ identity: alice("s84-other"), intent: "something else" });
      const read = await s.call("tickets.get", { id: "T-1" });
      expectRan(t, read, "ALLOW", "tickets.get(T-1)");
      const credential = read.credential;
      t.check(credential !== null, "no credential was issued");
      const validity = Date.parse(credential.expires_at) - Date.parse(credential.issued_at);
      t.check(validity === ttlMs, `the credential is valid for ${validity} ms, configured ${ttlMs}`);
      const use = { tool: "tickets.get", effect: "read" as const, args: { id: "T-1" } };
      const elsewhere = d.credentials().present(credential.token, { ...use, session_id: other.id });
      t.check(
        !elsewhere.ok && elsewhere.failure === "wrong_session",
        "the credential was accepted in another session",
      );
      await sleep(ttlMs + 50);
      const late = d.credentials().present(credential.token, { ...use, session_id: s.id });
      t.check(!late.ok && late.failure === "expired", "the credential was accepted after it expired");
      t.observe(
        `credential ${credential.id}, valid ${validity} ms: refused in another session (wrong_session), then after expiry (expired)`,
        read.receiptId,
      );
    },
  },
  {
    id: "9.9.85",
    requirement: "R9",
    title: "Every credential issue and use is logged and linked to the action id",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: TICKETS, credentials: {} });
      const s = await d.session({ identity: alice("s85"), intent: "triage ticket T-1" });
      const read = await s.call("tickets.get", { id: "T-1" });
      const write = await s.call("tickets.update", { id: "T-1", text: "assigned to ops" });
      expectRan(t, read, "ALLOW", "tickets.get(T-1)");
      expectRan(t, write, "ALLOW", "tickets.update(T-1)");
      t.check(read.credential !== null && write.credential !== null, "a released action had no credential");
      const misuse = d.credentials().present(read.credential.token, {
        session_id: s.id,
        tool: "tickets.update",
        effect: "write",
        args: { id: "T-1", text: "x" },
      });
      t.check(!misuse.ok, "the read credential was accepted for a write");
      const readAction = (await receiptOf(t, d, read)).action.action_id;
      const writeAction = (await receiptOf(t, d, write)).action.action_id;
      const log = d.credentials().audit.map((e) => `${e.event} ${e.credential_id} ${e.action_id}`);
      const expected = [
        `issued ${read.credential.id} ${readAction}`,
        `used ${read.credential.id} ${readAction}`,
        `issued ${write.credential.id} ${writeAction}`,
        `used ${write.credential.id} ${writeAction}`,
        `refused ${read.credential.id} ${readAction}`,
      ];
      t.check(
        JSON.stringify(log) === JSON.stringify(expected),
        `the credential log is ${JSON.stringify(log)}, expected ${JSON.stringify(expected)}`,
      );
      for (const line of log) t.observe(`credential log: ${line}`);
      t.observe("the read's action id leads to the receipt that released it", read.receiptId);
      t.observe("the write's action id leads to the receipt that released it", write.receiptId);
    },
  },
  {
    id: "9.9.86",
    requirement: "R9",
    title: "A routine email.send under an admin-scope identity is escalated (privilege/task mismatch)",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: TICKETS });
      const admin = await d.session({
        identity: alice("s86-admin", { scope: ["admin", "mail:send"] }),
        intent: "send the weekly update",
      });
      const escalated = await admin.call("email.send", { to: "team@example.com", body: "weekly update" });
      expectBlocked(t, escalated, "STEP_UP", "email.send under an admin scope");
      const user = await d.session({
        identity: alice("s86-user", { scope: ["mail:send"] }),
        intent: "send the weekly update",
      });
      expectRan(
        t,
        await user.call("email.send", { to: "team@example.com", body: "weekly update" }),
        "ALLOW",
        "email.send under a mail-only scope",
      );
    },
  },
];
