// AARM acceptance scenarios §9.9 (R9: least privilege), against the example ticket store.
import { afterEach, describe, expect, it } from "vitest";
import {
  memoryCredentialAudit,
  signedCredentialBroker,
  signedCredentialVerifier,
} from "../../src/runtime/credentials/signed.ts";
import type { AllowHandle } from "../../src/runtime/engine/types.ts";
import { expectVerifiedReceipts, type Harness, harness, policy, receipt } from "./engine-harness.ts";
import { TicketStore, TICKETS } from "./ticket-store.ts";

const IR = policy(TICKETS);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup() {
  h = harness(IR);
  let now = Date.parse("2026-11-22T09:00:00.000Z");
  const clock = { now: () => new Date(now), advance: (ms: number) => (now += ms) };
  const audit = memoryCredentialAudit();
  const broker = signedCredentialBroker({ signer: h.keyring.signer, audit, ttlMs: 10_000, clock: clock.now });
  const store = new TicketStore(signedCredentialVerifier({ keys: h.keyring, audit, clock: clock.now }));
  const session = await h.session({ intent: "triage ticket T-1" });
  const released = async (tool: string, args: { readonly [k: string]: string }): Promise<AllowHandle> => {
    const handle = await session.evaluate({ tool, args });
    if (handle.kind !== "allow") throw new Error(`expected allow, got ${handle.kind}`);
    return handle;
  };
  const issue = (handle: AllowHandle) => {
    const issued = broker.issueFor(handle, session, (h as Harness).runtime);
    if (!issued.ok) throw new Error(issued.message);
    return issued.value;
  };
  return { h, clock, audit, store, session, released, issue };
}

describe("§9.9 R9: least privilege", () => {
  it("83: a read gets a read-only credential; a write attempted with it fails at the target", async () => {
    const { store, session, released, issue, h } = await setup();
    const credential = issue(await released("tickets.get", { id: "T-1" }));
    expect(credential.grant.scope).toBe("read");
    expect(store.update(credential.token, session.id, { id: "T-1", text: "wiped" })).toEqual({
      ok: false,
      failure: "wrong_scope",
    });
    expect(store.writes).toEqual([]);
    expect(store.get(credential.token, session.id, { id: "T-1" }).ok).toBe(true);
    await expectVerifiedReceipts(h, IR);
  });

  it("84: the credential expires after its validity and cannot be reused in another session", async () => {
    const { store, session, released, issue, clock, h } = await setup();
    const credential = issue(await released("tickets.get", { id: "T-1" }));
    const other = await h.session({ intent: "something else" });
    expect(store.get(credential.token, other.id, { id: "T-1" })).toEqual({
      ok: false,
      failure: "wrong_session",
    });
    expect(Date.parse(credential.expires_at) - Date.parse(credential.issued_at)).toBe(10_000);
    clock.advance(10_000);
    expect(store.get(credential.token, session.id, { id: "T-1" })).toEqual({ ok: false, failure: "expired" });
  });

  it("85: every issue and use is logged and linked to the action id", async () => {
    const { store, session, released, issue, audit, h } = await setup();
    const read = await released("tickets.get", { id: "T-1" });
    const write = await released("tickets.update", { id: "T-1", text: "assigned to ops" });
    const r = issue(read);
    const w = issue(write);
    expect(store.get(r.token, session.id, { id: "T-1" }).ok).toBe(true);
    expect(store.update(w.token, session.id, { id: "T-1", text: "assigned to ops" }).ok).toBe(true);
    expect(store.update(r.token, session.id, { id: "T-1", text: "x" }).ok).toBe(false);
    expect(audit.entries.map((e) => [e.event, e.action_id, e.credential_id])).toEqual([
      ["issued", read.actionId, r.id],
      ["issued", write.actionId, w.id],
      ["used", read.actionId, r.id],
      ["used", write.actionId, w.id],
      ["refused", read.actionId, r.id],
    ]);
    // The action ids lead to the receipts that released them.
    expect((await receipt(h.store, read.receiptId)).action.action_id).toBe(read.actionId);
    expect((await receipt(h.store, write.receiptId)).action.action_id).toBe(write.actionId);
  });

  it("86: a routine email.send under an admin-scope identity is escalated (privilege/task mismatch)", async () => {
    h = harness(IR);
    const admin = await h.session({
      intent: "send the weekly update",
      claims: { scope: ["admin", "mail:send"] },
    });
    const routine = await h.call(admin, "email.send", { to: "team@example.com", body: "weekly update" });
    expect(routine.decision).toBe("STEP_UP");
    expect(h.tools.ran("email.send")).toBe(0);
    const user = await h.session({ intent: "send the weekly update", claims: { scope: ["mail:send"] } });
    expect(
      (await h.call(user, "email.send", { to: "team@example.com", body: "weekly update" })).decision,
    ).toBe("ALLOW");
    await expectVerifiedReceipts(h, IR);
  });
});
