/**
 * §9.2, R2: the session's context accumulates, labelled, per session, and
 * what was seen earlier is not lost.
 *
 * @module
 */
import type { Scenario, ScenarioContext } from "../types.ts";
import { alice, expectBlocked, expectRan, receiptOf } from "./support.ts";

const POLICY = `policy r2 version "1"
tool crm.lookup { args { customer_id: string } effect read output confidential }
tool files.read { args { path: string } effect read }
tool email.send { args { to: string, body: string } effect egress target args.to }
tool orders.cancel { args { order_id: string } effect write target args.order_id }
classify ssn on crm.lookup when output matches /\\b\\d{3}-\\d{2}-\\d{4}\\b/ label restricted, pii
deny pii_leaves on email.send when session.seen(pii in labels) and not ends_with(args.to, "@example.com")
  because "PII was read in this session"
deny sensitive_leaves on email.send when session.sensitivity >= restricted and not ends_with(args.to, "@example.com")
  because "restricted data was read in this session"
allow cancellations on orders.cancel when intent.mentions("cancel")
allow reads when effect == read
allow mail on email.send
default deny`;

export const R2: readonly Scenario[] = [
  {
    id: "9.2.11",
    requirement: "R2",
    title: "At the fifth action the decision's context holds the four prior actions and the original request",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({
        identity: alice("c"),
        intent: "look up four customers and cancel their orders",
      });
      for (let i = 1; i <= 4; i++) await s.call("crm.lookup", { customer_id: `c-${i}` });
      const fifth = await s.call("orders.cancel", { order_id: "o-1" });
      const receipt = await receiptOf(t, d, fifth);
      const summary = receipt.context.snapshot_summary;
      t.check(
        summary.prior_actions.length === 4,
        `the context summary holds ${summary.prior_actions.length} prior actions`,
      );
      t.check(summary.intent_hash !== null, "the original request is not part of the decision's context");
      t.check(receipt.context.context_log_seq > 0, "the receipt does not give the context log position");
      t.observe(
        `fifth action decided with 4 prior actions, request hash ${summary.intent_hash}, context ${receipt.context.context_hash}`,
        fifth.receiptId,
      );
    },
  },
  {
    id: "9.2.12",
    requirement: "R2",
    title: "An output with SSNs is labelled PII, and the next action is decided with PII in context",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY, outputs: { "crm.lookup": "Jane Roe, SSN 123-45-6789" } });
      const s = await d.session({ identity: alice("a"), intent: "summarise the customer's account" });
      expectRan(t, await s.call("crm.lookup", { customer_id: "c-42" }), "ALLOW", "crm.lookup");
      const send = await s.call("email.send", { to: "someone@gmail.com", body: "summary" });
      expectBlocked(t, send, "DENY", "email.send to gmail after reading PII");
    },
  },
  {
    id: "9.2.13",
    requirement: "R2",
    title:
      "Output nothing classifies counts as restricted, and the next external send is treated as sensitive",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY, outputs: { "files.read": "opaque bytes" } });
      const s = await d.session({ identity: alice("b"), intent: "read the file and mail it" });
      expectRan(
        t,
        await s.call("files.read", { path: "/data/blob" }),
        "ALLOW",
        "files.read (unlabelled output)",
      );
      const send = await s.call("email.send", { to: "someone@gmail.com", body: "see attached" });
      expectBlocked(t, send, "DENY", "email.send to gmail after unlabelled output");
    },
  },
  {
    id: "9.2.14",
    requirement: "R2",
    title: "Context is per session: PII read in one session does not affect another",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY, outputs: { "crm.lookup": "SSN 123-45-6789" } });
      const a = await d.session({ identity: alice("session-a"), intent: "look up the customer" });
      const b = await d.session({ identity: alice("session-b"), intent: "mail the newsletter" });
      expectRan(t, await a.call("crm.lookup", { customer_id: "c-1" }), "ALLOW", "session A: crm.lookup");
      expectBlocked(
        t,
        await a.call("email.send", { to: "x@gmail.com", body: "hi" }),
        "DENY",
        "session A: email.send",
      );
      expectRan(
        t,
        await b.call("email.send", { to: "x@gmail.com", body: "hi" }),
        "ALLOW",
        "session B: email.send",
      );
    },
  },
  {
    id: "9.2.16",
    requirement: "R2",
    title: "A long session does not forget that PII was read at its start",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY, outputs: { "crm.lookup": "SSN 123-45-6789" } });
      const s = await d.session({
        identity: alice("long"),
        intent: "review the customer files and mail a summary",
      });
      expectRan(t, await s.call("crm.lookup", { customer_id: "c-1" }), "ALLOW", "crm.lookup (PII) first");
      for (let i = 0; i < 200; i++) await s.call("files.read", { path: `/public/page-${i}.txt` });
      t.observe("200 further actions");
      const send = await s.call("email.send", { to: "someone@gmail.com", body: "summary" });
      expectBlocked(t, send, "DENY", "email.send to gmail 201 actions after the PII read");
    },
  },
  {
    id: "9.2.17",
    requirement: "R2",
    title: "An ended session keeps its context for forensics and refuses further actions",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("ended"), intent: "look up a customer" });
      expectRan(t, await s.call("crm.lookup", { customer_id: "c-9" }), "ALLOW", "crm.lookup");
      await s.end();
      const after = await s.call("crm.lookup", { customer_id: "c-9" });
      t.check(!after.executed, "a call after the session ended ran");
      t.observe(
        `after the end: ${after.decision ?? "refused"}, not executed (${after.reason})`,
        after.receiptId,
      );
    },
  },
  {
    id: "9.2.18",
    requirement: "R2",
    title: "Without the user's original request, a context-dependent allow cannot fire",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const without = await d.session({ identity: alice("no-intent") });
      const r = await without.call("orders.cancel", { order_id: "o-7" });
      t.check(!r.executed, "orders.cancel ran with no original request");
      t.check(r.decision !== "ALLOW", "a context-dependent allow fired without the request");
      t.observe(`orders.cancel without a request: ${r.decision}, not executed`, r.receiptId);
      const withIntent = await d.session({
        identity: alice("with-intent"),
        intent: "cancel order o-7 please",
      });
      expectRan(
        t,
        await withIntent.call("orders.cancel", { order_id: "o-7" }),
        "ALLOW",
        "orders.cancel with a request",
      );
    },
  },
  {
    id: "9.2.15",
    requirement: "R2",
    title: "An earlier context entry edited in storage fails the hash chain: the session fails closed",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY, outputs: { "crm.lookup": "Jane Roe, SSN 123-45-6789" } });
      const s = await d.session({ identity: alice("s15"), intent: "look up Jane" });
      expectRan(t, await s.call("crm.lookup", { customer_id: "c-1" }), "ALLOW", "crm.lookup (PII)");
      // An insider rewrites the stored outcome so that the PII read disappears from the session's context.
      t.check(await d.editStoredContext(s.id, '"pii"', '"public"'), "no stored context entry mentions pii");
      t.observe("the stored outcome entry of crm.lookup was rewritten: label pii replaced by public");
      const r = await s.call("email.send", { to: "x@gmail.com", body: "hi" });
      t.check(!r.executed, "the email left after the context was tampered with");
      t.check(/failed verification/.test(r.reason), `denied for: ${r.reason}`);
      t.observe(`email.send after the edit: ${r.decision ?? "refused"} (${r.reason})`, r.receiptId);
      const later = await s.call("files.read", { path: "/notes.txt" });
      t.check(!later.executed, "the session went on after its context failed verification");
      t.observe(`files.read afterwards: not executed (${later.reason})`, later.receiptId);
    },
  },
];
