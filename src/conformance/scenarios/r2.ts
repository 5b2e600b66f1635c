/**
 * §9.2, R2: the session's context accumulates, labelled, per session, and
 * what was seen earlier is not lost.
 *
 * @module
 */
import type { Scenario, ScenarioContext } from "../types.ts";
import { alice, expectBlocked, expectRan } from "./support.ts";

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
];
