// Least-privilege credentials: issued per released action, scoped by the tool's effect, short-lived,
// bound to the action and its session, checked at the tool.
import { afterEach, describe, expect, it } from "vitest";
import {
  memoryCredentialAudit,
  signedCredentialBroker,
  signedCredentialVerifier,
} from "../../src/runtime/credentials/signed.ts";
import type { AllowHandle } from "../../src/runtime/engine/types.ts";
import { type Harness, harness, policy } from "./engine-harness.ts";
import { TicketStore, TICKETS } from "./ticket-store.ts";

const IR = policy(TICKETS);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A runtime, a broker and a verifier sharing a clock, and the ticket store behind them. */
async function setup() {
  h = harness(IR);
  let now = Date.parse("2026-11-22T09:00:00.000Z");
  const clock = { now: () => new Date(now), advance: (ms: number) => (now += ms) };
  const audit = memoryCredentialAudit();
  const broker = signedCredentialBroker({ signer: h.keyring.signer, audit, ttlMs: 30_000, clock: clock.now });
  const verifier = signedCredentialVerifier({ keys: h.keyring, audit, clock: clock.now });
  const store = new TicketStore(verifier);
  const session = await h.session({ intent: "look at ticket T-1" });
  const allowed = async (tool: string, args: { readonly [k: string]: string }): Promise<AllowHandle> => {
    const handle = await session.evaluate({ tool, args });
    expect(handle.kind).toBe("allow");
    return handle as AllowHandle;
  };
  return { h, clock, audit, broker, store, session, allowed };
}

describe("least-privilege credentials", () => {
  it("the credential issued for a read reads, and cannot write", async () => {
    const { broker, store, session, allowed, h } = await setup();
    const handle = await allowed("tickets.get", { id: "T-1" });
    const issued = broker.issueFor(handle, session, h.runtime);
    if (!issued.ok) throw new Error(issued.message);
    expect(issued.value.grant).toMatchObject({
      scope: "read",
      tool: "tickets.get",
      action_id: handle.actionId,
    });
    // A write with it fails at the target, and nothing is written.
    const write = store.update(issued.value.token, session.id, { id: "T-1", text: "closed" });
    expect(write).toEqual({ ok: false, failure: "wrong_scope" });
    expect(store.writes).toEqual([]);
    expect(store.tickets.get("T-1")).toBe("printer on fire");
    // The read it was issued for goes through, once.
    expect(store.get(issued.value.token, session.id, { id: "T-1" })).toEqual({
      ok: true,
      text: "printer on fire",
    });
    expect(store.get(issued.value.token, session.id, { id: "T-1" })).toEqual({
      ok: false,
      failure: "reused",
    });
  });

  it("a write credential covers exactly the released arguments", async () => {
    const { broker, store, session, allowed, h } = await setup();
    const handle = await allowed("tickets.update", { id: "T-1", text: "closed" });
    const issued = broker.issueFor(handle, session, h.runtime);
    if (!issued.ok) throw new Error(issued.message);
    expect(issued.value.grant.scope).toBe("write");
    expect(store.update(issued.value.token, session.id, { id: "T-2", text: "closed" })).toEqual({
      ok: false,
      failure: "wrong_arguments",
    });
    expect(store.update(issued.value.token, session.id, { id: "T-1", text: "closed" }).ok).toBe(true);
  });

  it("an expired credential and a credential from another session are refused", async () => {
    const { broker, store, session, allowed, h, clock } = await setup();
    const first = broker.issueFor(await allowed("tickets.get", { id: "T-1" }), session, h.runtime);
    const second = broker.issueFor(await allowed("tickets.get", { id: "T-1" }), session, h.runtime);
    if (!first.ok || !second.ok) throw new Error("not issued");
    expect(store.get(first.value.token, "another-session", { id: "T-1" })).toEqual({
      ok: false,
      failure: "wrong_session",
    });
    clock.advance(30_000);
    expect(store.get(second.value.token, session.id, { id: "T-1" })).toEqual({
      ok: false,
      failure: "expired",
    });
  });

  it("forged, tampered and replayed handles get nothing", async () => {
    const { broker, store, session, allowed, h } = await setup();
    const handle = await allowed("tickets.get", { id: "T-1" });
    expect(broker.issueFor({ ...handle, replay: true }, session, h.runtime)).toMatchObject({
      ok: false,
      failure: "not_released",
    });
    const issued = broker.issueFor(handle, session, h.runtime);
    if (!issued.ok) throw new Error(issued.message);
    const [prefix, body, sig] = issued.value.token.split(".");
    const widened = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body ?? "", "base64url").toString()), scope: "write" }),
    ).toString("base64url");
    expect(store.get(`${prefix}.${widened}.${sig}`, session.id, { id: "T-1" }).ok).toBe(false);
    expect(store.get("garbage", session.id, { id: "T-1" })).toEqual({ ok: false, failure: "malformed" });
  });

  it("a credential whose issue cannot be logged is not issued", async () => {
    const { h, session, allowed } = await setup();
    const broker = signedCredentialBroker({
      signer: h.keyring.signer,
      audit: {
        record: () => {
          throw new Error("disk full");
        },
      },
    });
    expect(broker.issueFor(await allowed("tickets.get", { id: "T-1" }), session, h.runtime)).toMatchObject({
      ok: false,
      failure: "audit_failed",
    });
  });
});
