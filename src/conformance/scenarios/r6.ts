/**
 * §9.6, R6: every action is bound to a verified identity, attributed in its
 * receipt, and denied without one.
 *
 * @module
 */
import type { DelegationLink } from "../../runtime/identity/types.ts";
import type { Scenario, ScenarioContext } from "../types.ts";
import { alice, expectRan, receiptOf } from "./support.ts";

const POLICY = `policy r6 version "1"
tool docs.read { args { path: string } effect read output internal }
tool docs.write { args { path: string } effect write target args.path }
allow writes on docs.write
allow reads on docs.read
default deny`;

/** The same tools under the standard library's delegation limits. */
const DELEGATED = POLICY.replace(
  'policy r6 version "1"',
  'policy r6_delegated version "1"\nimport std/delegation with { max_depth = 2 }',
);

function delegation(
  delegator: string,
  delegatee: string,
  scope: string[],
  expiresInMs: number,
): DelegationLink {
  const now = Date.now();
  return {
    delegator,
    delegatee,
    scope,
    issued_at: new Date(now - 60_000).toISOString(),
    expires_at: new Date(now + expiresInMs).toISOString(),
  };
}

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
  {
    id: "9.6.72",
    requirement: "R6",
    title:
      "Delegation: the receipt lists the chain; beyond the delegated scope, or after expiry, the action is denied",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: DELEGATED });
      const chain = [
        delegation("alice@example.com", "orchestrator", ["docs.read"], 3_600_000),
        delegation("orchestrator", "sub-agent", ["docs.read"], 3_600_000),
      ];
      const s = await d.session({
        identity: alice("s72", { agent: "sub-agent", delegation: chain }),
        intent: { text: "read the runbook", scope: ["docs.read"] },
      });
      const ok = await s.call("docs.read", { path: "/runbook.md" });
      expectRan(t, ok, "ALLOW", "docs.read within the delegated scope");
      const receipt = await receiptOf(t, d, ok);
      t.check(
        receipt.requester_context.delegation_chain.length === 2,
        "the receipt does not list the delegation chain",
      );
      const beyond = await s.call("docs.write", { path: "/runbook.md" });
      t.check(!beyond.executed, "an action beyond the delegated scope ran");
      t.observe(
        `docs.write beyond the delegated scope: ${beyond.decision ?? "refused"}, not executed`,
        beyond.receiptId,
      );
      const expired = await d.session({
        identity: alice("s72-expired", {
          agent: "sub-agent",
          delegation: [delegation("alice@example.com", "sub-agent", ["docs.read"], -1_000)],
        }),
        intent: { text: "read the runbook", scope: ["docs.read"] },
      });
      const late = await expired.call("docs.read", { path: "/runbook.md" });
      t.check(!late.executed, "an action under an expired delegation ran");
      t.observe(
        `docs.read under an expired delegation: ${late.decision ?? "refused"} (${late.reason})`,
        late.receiptId,
      );
    },
  },
];
