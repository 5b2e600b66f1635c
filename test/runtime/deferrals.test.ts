// The deferral desk beyond the §9.4 scenarios: the narrow user confirmation, facts for a whole session,
// facts of the wrong type, and the stored record of a timed-out deferral.
import { afterEach, describe, expect, it } from "vitest";
import { ApprovalDesk } from "../../src/runtime/approvals/desk.ts";
import { type DeferralAttempt, DeferralDesk } from "../../src/runtime/deferrals/desk.ts";
import type { PendingHandle } from "../../src/runtime/engine/types.ts";
import type { Store } from "../../src/runtime/store/types.ts";
import { type Harness, harness, policy, receipt, TestVerifier } from "./engine-harness.ts";

const IR = policy(`
policy deferrals version "1"
tool records.delete { args { table: string } effect delete target args.table }
tool records.purge { args { table: string } effect delete target args.table }
fact window_open: bool
fact user_confirmed: bool
defer confirm_delete on records.delete when true
  needs user_confirmed timeout 10m then step_up approvers ["carol@example.com"] timeout 10m
deny closed on records.purge when not window_open because "outside the window"
deny unconfirmed on records.purge when not user_confirmed because "the user did not confirm"
allow purges on records.purge when window_open and user_confirmed
default deny
`);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function setup(ceilingMs = 3000) {
  let desks: { deferrals: DeferralDesk; approvals: ApprovalDesk } | null = null;
  const attempts: DeferralAttempt[] = [];
  const get = () => {
    if (desks === null) throw new Error("no desks");
    return desks;
  };
  h = harness(IR, {
    // The desks read the harness's clock, which the runtime dates requests by.
    wrap: (store: Store, clock) => {
      desks = {
        deferrals: new DeferralDesk({ store, clock: clock.current, onAttempt: (a) => attempts.push(a) }),
        approvals: new ApprovalDesk({
          store,
          verifier: new TestVerifier(["carol@example.com"]),
          clock: clock.current,
          pollMs: 10,
        }),
      };
      return store;
    },
    deferrals: { defer: (d, signal, again) => get().deferrals.defer(d, signal, again) },
    approvals: { request: (r, signal) => get().approvals.request(r, signal) },
    timeouts: { pendingCeilingMs: ceilingMs, identityMs: 200, scorerMs: 200, factsMs: 200 },
  });
  return { ...get(), attempts };
}

async function deferralOf(handle: PendingHandle): Promise<string> {
  return (await receipt((h as Harness).store, handle.receiptId)).deferral?.deferral_id ?? "";
}

describe("deferral desk", () => {
  it("a user's yes is context, not approval: it hands the action to a human approver", async () => {
    const { deferrals, approvals } = setup();
    const s = await (h as Harness).session();
    const handle = (await s.evaluate({ tool: "records.delete", args: { table: "orders" } })) as PendingHandle;
    expect(handle.decision).toBe("DEFER");
    expect(deferrals.confirm(await deferralOf(handle), true, "yes, delete the orders table").ok).toBe(true);
    let request = null;
    for (let i = 0; i < 200 && request === null; i++) {
      const listed = await approvals.list();
      request = listed.ok ? (listed.value[0]?.request ?? null) : null;
      if (request === null) await new Promise((r) => setTimeout(r, 5));
    }
    expect(request?.source).toBe("defer_escalation");
    await approvals.approve(request?.request_id ?? "", { approver: "carol@example.com", token: "t" });
    const settled = await handle.settled;
    expect(settled.kind).toBe("allow");
  });

  it("a user's no refuses the action", async () => {
    const { deferrals } = setup();
    const s = await (h as Harness).session();
    const handle = (await s.evaluate({ tool: "records.delete", args: { table: "orders" } })) as PendingHandle;
    deferrals.confirm(await deferralOf(handle), false, "no");
    const settled = await handle.settled;
    expect(settled.kind).toBe("deny");
    const r = await receipt((h as Harness).store, settled.receiptId);
    expect(r.deferral?.resolution).toMatchObject({ method: "user_confirmation", result: "DENY" });
  });

  it("facts for a session reach its waiting deferrals; a fact of the wrong type is audited and changes nothing", async () => {
    const { deferrals, attempts } = setup();
    const s = await (h as Harness).session();
    const handle = (await s.evaluate({ tool: "records.purge", args: { table: "orders" } })) as PendingHandle;
    expect(handle.decision).toBe("DEFER");
    expect(deferrals.provideSessionFacts(s.id, { user_confirmed: "yes" })).toBe(1);
    for (let i = 0; i < 200 && attempts.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(attempts[0]).toMatchObject({ source: "provided", outcome: "error" });
    expect(deferrals.provideSessionFacts("another-session", { user_confirmed: true })).toBe(0);
    // Confirmed, but the window is closed: re-evaluation denies.
    deferrals.provideSessionFacts(s.id, { user_confirmed: true, window_open: false });
    const settled = await handle.settled;
    expect(settled.kind).toBe("deny");
    const r = await receipt((h as Harness).store, settled.receiptId);
    expect(r.deferral?.resolution).toMatchObject({ method: "re_evaluation", result: "DENY", attempts: 2 });
  });

  it("a timed-out deferral is closed in the store, and facts arriving later are refused", async () => {
    const { deferrals } = setup(100);
    const s = await (h as Harness).session();
    const handle = (await s.evaluate({ tool: "records.delete", args: { table: "orders" } })) as PendingHandle;
    const id = await deferralOf(handle);
    // The policy escalates a timeout to a human; nobody answers, so that times out too.
    expect((await handle.settled).kind).toBe("deny");
    const stored = await deferrals.show(id);
    expect(stored.ok && stored.value.deferred.state).toBe("timed_out");
    expect(stored.ok && stored.value.resolution?.result).toBe("TIMEOUT");
    expect(deferrals.provideFacts(id, { user_confirmed: true })).toMatchObject({
      ok: false,
      kind: "not_pending",
    });
  });
});
