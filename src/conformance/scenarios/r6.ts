/**
 * §9.6, R6: every action is bound to a verified identity, attributed in its
 * receipt, and denied without one.
 *
 * @module
 */
import type { Scenario, ScenarioContext } from "../types.ts";
import { alice, expectRan, receiptOf } from "./support.ts";

const POLICY = `policy r6 version "1"
tool docs.read { args { path: string } effect read output internal }
allow reads on docs.read
default deny`;

export const R6: readonly Scenario[] = [
  {
    id: "9.6.67",
    requirement: "R6",
    title: "The same action by two people in two sessions is attributed to each correctly",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const people = [
        alice("alice-session", { roles: ["finance"], scope: ["docs:read"] }),
        {
          session: "bob-session",
          human: "bob@example.com",
          agent: "assistant",
          roles: ["support"],
          scope: ["tickets"],
        },
      ];
      for (const identity of people) {
        const s = await d.session({ identity, intent: "read the runbook" });
        const r = await s.call("docs.read", { path: "/runbook.md" });
        expectRan(t, r, "ALLOW", `docs.read by ${identity.human}`);
        const receipt = await receiptOf(t, d, r);
        const ctx = receipt.requester_context;
        t.check(ctx.human === identity.human, `attributed to ${ctx.human}, expected ${identity.human}`);
        t.check(ctx.session === identity.session, `session ${ctx.session}, expected ${identity.session}`);
        t.check(ctx.agent === "assistant", "the agent is not in the receipt");
        t.check(JSON.stringify(ctx.roles) === JSON.stringify(identity.roles), "roles misattributed");
      }
    },
  },
  {
    id: "9.6.68",
    requirement: "R6",
    title: "An action with no human or service principal is denied",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: { session: "anonymous", agent: "assistant" }, intent: "read" });
      const r = await s.call("docs.read", { path: "/runbook.md" });
      t.check(!r.executed, "an action without identity ran");
      t.observe(
        `docs.read with no principal: ${r.decision ?? "refused"}, not executed (${r.reason})`,
        r.receiptId,
      );
    },
  },
];
