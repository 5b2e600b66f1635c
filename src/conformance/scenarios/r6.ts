/**
 * §9.6, R6: every action is bound to a verified identity, attributed in its
 * receipt, and denied without one.
 *
 * @module
 */
import type { DelegationLink } from "../../runtime/identity/types.ts";
import type { Scenario, ScenarioContext } from "../types.ts";
import type { Instance } from "../types.ts";
import { alice, expectRan, receiptOf, sleep } from "./support.ts";

const POLICY = `policy r6 version "1"
tool docs.read { args { path: string } effect read output internal }
tool docs.write { args { path: string } effect write target args.path }
allow writes on docs.write
allow reads on docs.read
default deny`;

/** A rotation deferred until the change window is known to be open. */
const DEFERRING = `policy r6_defer version "1"
tool creds.rotate { args { system: string } effect write target args.system }
fact window_open: bool
defer need_window on creds.rotate unless window_open needs window_open timeout 1m
allow rotation on creds.rotate when window_open
default deny`;

/** The first unresolved deferral of `d`, waiting up to 3 s for one. */
async function waitForDeferral(d: Instance) {
  for (let i = 0; i < 300; i++) {
    const open = (await d.deferrals.pending())[0];
    if (open !== undefined) return open;
    await sleep(10);
  }
  return undefined;
}

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
        t.check(ctx.session === s.id, `session ${ctx.session}, expected ${s.id}`);
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
  {
    id: "9.6.69",
    requirement: "R6",
    title: "A forged or unsigned identity token is denied",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY, identity: "jwt" });
      const valid = await d.token("alice@example.com", { roles: ["employee"] });
      const forged = await d.token("alice@example.com", { roles: ["employee"], forged: true });
      const [header = "", payload = ""] = valid.split(".");
      const unsigned = `${header}.${payload}.`;
      const ok = await d.session({ identity: alice("s69-valid", { token: valid }), intent: "read" });
      expectRan(
        t,
        await ok.call("docs.read", { path: "/runbook.md" }),
        "ALLOW",
        "docs.read with a valid token",
      );
      for (const [name, token] of [
        ["forged", forged],
        ["unsigned", unsigned],
      ] as const) {
        const s = await d.session({ identity: alice(`s69-${name}`, { token }), intent: "read" });
        const r = await s.call("docs.read", { path: "/runbook.md" });
        t.check(!r.executed, `an action with a ${name} token ran`);
        t.observe(
          `docs.read with a ${name} token: ${r.decision ?? "refused"}, not executed (${r.reason})`,
          r.receiptId,
        );
      }
    },
  },
  {
    id: "9.6.70",
    requirement: "R6",
    title: "A revoked token, or one past its freshness window, is denied",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY, identity: "jwt" });
      const stale = await d.token("alice@example.com", { roles: ["employee"], ageSeconds: 3600 });
      const s = await d.session({ identity: alice("s70-stale", { token: stale }), intent: "read" });
      const late = await s.call("docs.read", { path: "/runbook.md" });
      t.check(!late.executed, "an action with a stale token ran");
      t.observe(
        `docs.read with a token issued an hour ago (window 10 min): not executed (${late.reason})`,
        late.receiptId,
      );
      const bob = await d.token("bob@example.com", { roles: ["employee"] });
      const b = await d.session({
        identity: {
          session: "s70-revoked",
          human: "bob@example.com",
          agent: "assistant",
          roles: ["employee"],
          scope: [],
          token: bob,
        },
        intent: "read",
      });
      expectRan(
        t,
        await b.call("docs.read", { path: "/runbook.md" }),
        "ALLOW",
        "docs.read before bob's revocation",
      );
      d.revoke("bob@example.com");
      const revoked = await b.call("docs.read", { path: "/faq.md" });
      t.check(!revoked.executed, "an action with a revoked token ran");
      t.observe(
        `docs.read after bob's token was revoked: not executed (${revoked.reason})`,
        revoked.receiptId,
      );
    },
  },
  {
    id: "9.6.71",
    requirement: "R6",
    title:
      "Defer then resolve: the resolution keeps the original principal, roles and scope; a role change meanwhile stops the release",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: DEFERRING, pendingMs: 3000 });
      const settle = async (session: string, changeRoles: boolean) => {
        const s = await d.session({
          identity: alice(session, { roles: ["operator"], scope: ["db:read"] }),
          intent: "rotate the prod credentials",
        });
        const call = s.call("creds.rotate", { system: "prod" });
        const deferral = await waitForDeferral(d);
        t.check(deferral !== undefined, "no deferral was opened");
        if (changeRoles) d.setRoles("alice@example.com", ["viewer"]);
        await d.deferrals.provideFacts(deferral.deferred.deferral_id, { window_open: true });
        const r = await call;
        t.check(r.settlementReceiptId !== null, "no resolution receipt");
        const resolution = await d.receipt(r.settlementReceiptId);
        t.check(resolution !== null, "the resolution receipt is missing");
        const original = resolution.deferral?.resolution?.original_identity;
        t.check(
          resolution.requester_context.roles.join() === "operator" &&
            original?.human === "alice@example.com" &&
            original.roles.join() === "operator" &&
            original.scope.join() === "db:read",
          `the resolution receipt names ${JSON.stringify(original ?? null)}`,
        );
        t.observe(
          `resolution ${changeRoles ? "after a role change" : "unchanged"}: ${r.executed ? "executed" : `not executed (${r.reason})`}; original identity alice, operator, db:read`,
          resolution.receipt_id,
        );
        return r;
      };
      t.check((await settle("s71", false)).executed, "the resolved deferral did not run");
      t.check(
        !(await settle("s71-changed", true)).executed,
        "the deferral ran after the requester lost the role",
      );
    },
  },
];
