// The approval desk beyond the §9.4 scenarios: the signed webhook notifier against a real HTTP server,
// answers refused for an expired request or another action, and what a restart does to a waiting request.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ApprovalDesk } from "../../src/runtime/approvals/desk.ts";
import {
  type ApprovalNotification,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
  webhookNotifier,
} from "../../src/runtime/approvals/notify.ts";
import type { ApprovalService, PendingHandle } from "../../src/runtime/engine/types.ts";
import { createRuntime } from "../../src/runtime/runtime.ts";
import { SqliteStore } from "../../src/runtime/store/sqlite.ts";
import type { Store } from "../../src/runtime/store/types.ts";
import type { ApprovalRequest } from "../../src/schema/generated/types.ts";
import { type Harness, harness, policy, TestVerifier } from "./engine-harness.ts";

const IR = policy(`
policy approvals version "1"
tool bank.pay { args { to: string, amount: number } effect write target args.to }
step_up big on bank.pay when args.amount > 1000 approvers ["carol@example.com"] timeout 10m because "large"
allow pay on bank.pay
default deny
`);

const SECRET = "0123456789abcdef-webhook";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/**
 * A harness whose runtime asks `desk(store, clock)` for approvals. The desk reads the harness's clock,
 * which the runtime's requests are dated by, so that expiry is judged on one time line.
 */
function withDesk(
  desk: (store: Store, clock: () => Date) => ApprovalDesk,
  ceilingMs = 3000,
): { desk: () => ApprovalDesk } {
  let built: ApprovalDesk | null = null;
  const get = (): ApprovalDesk => {
    if (built === null) throw new Error("no desk");
    return built;
  };
  h = harness(IR, {
    wrap: (store, clock) => {
      built = desk(store, clock.current);
      return store;
    },
    approvals: { request: (request, signal) => get().request(request, signal) },
    timeouts: { pendingCeilingMs: ceilingMs, identityMs: 200, scorerMs: 200, factsMs: 200 },
  });
  return { desk: get };
}

async function requestOf(desk: ApprovalDesk): Promise<ApprovalRequest> {
  for (let i = 0; i < 200; i++) {
    const listed = await desk.list();
    const first = listed.ok ? listed.value[0] : undefined;
    if (first !== undefined) return first.request;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("no request");
}

describe("webhook notifier", () => {
  it("POSTs each notification as JSON with an HMAC-SHA256 signature over the timestamp and exact body", async () => {
    const received: { body: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const errors: string[] = [];
      const { desk } = withDesk(
        (store, clock) =>
          new ApprovalDesk({
            store,
            clock,
            verifier: new TestVerifier(["carol@example.com"]),
            notifiers: [webhookNotifier({ url, secret: SECRET, timeoutMs: 2000 })],
            onError: (m) => errors.push(m),
            pollMs: 10,
          }),
      );
      const s = await (h as Harness).session();
      const handle = (await s.evaluate({
        tool: "bank.pay",
        args: { to: "ACME", amount: 5000 },
      })) as PendingHandle;
      const request = await requestOf(desk());
      await desk().approve(request.request_id, { approver: "carol@example.com", token: "t" });
      expect((await handle.settled).kind).toBe("allow");
      for (let i = 0; i < 200 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(errors).toEqual([]);
      expect(received.map((r) => (JSON.parse(r.body) as ApprovalNotification).type)).toEqual([
        "approval_requested",
        "approval_settled",
      ]);
      const first = received[0];
      if (first === undefined) throw new Error("nothing received");
      expect(first.headers["content-type"]).toBe("application/json");
      const note = JSON.parse(first.body) as ApprovalNotification;
      expect(note).toMatchObject({ label: "[APPROVAL REQUIRED]", approvers: ["carol@example.com"] });
      expect(note.request.action.tool).toBe("bank.pay");
      const timestamp = first.headers[TIMESTAMP_HEADER] as string;
      const signature = first.headers[SIGNATURE_HEADER] as string;
      const now = new Date();
      expect(verifyWebhookSignature(SECRET, first.body, timestamp, signature, now)).toBe(true);
      expect(verifyWebhookSignature(SECRET, `${first.body} `, timestamp, signature, now)).toBe(false);
      expect(verifyWebhookSignature("another-secret-of-16+", first.body, timestamp, signature, now)).toBe(
        false,
      );
      // A replay of a captured delivery ten minutes later is refused.
      expect(
        verifyWebhookSignature(SECRET, first.body, timestamp, signature, new Date(now.getTime() + 600_000)),
      ).toBe(false);
      expect(first.body).not.toContain(SECRET);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("a failing webhook is reported and the request still waits and settles", async () => {
    const errors: string[] = [];
    const { desk } = withDesk(
      (store, clock) =>
        new ApprovalDesk({
          store,
          clock,
          verifier: new TestVerifier(["carol@example.com"]),
          notifiers: [
            webhookNotifier({ url: "http://127.0.0.1:9/unreachable", secret: SECRET, timeoutMs: 500 }),
          ],
          onError: (m) => errors.push(m),
          pollMs: 10,
        }),
    );
    const s = await (h as Harness).session();
    const handle = (await s.evaluate({
      tool: "bank.pay",
      args: { to: "ACME", amount: 5000 },
    })) as PendingHandle;
    const request = await requestOf(desk());
    await desk().approve(request.request_id, { approver: "carol@example.com", token: "t" });
    expect((await handle.settled).kind).toBe("allow");
    for (let i = 0; i < 200 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(errors[0]).toMatch(/notification failed/);
    expect(errors.join("\n")).not.toContain(SECRET);
  });

  it("refuses unusable options", () => {
    expect(() => webhookNotifier({ url: "ftp://example.com", secret: SECRET })).toThrow(/http/);
    expect(() => webhookNotifier({ url: "http://127.0.0.1/", secret: "short" })).toThrow(/16/);
  });
});

describe("answers", () => {
  it("refuses an unknown request, another action's digest and an expired request", async () => {
    const { desk } = withDesk(
      (store) =>
        new ApprovalDesk({
          store,
          verifier: new TestVerifier(["carol@example.com"]),
          clock: () => (h as Harness).clock.now(),
          pollMs: 10,
        }),
    );
    const s = await (h as Harness).session();
    const handle = (await s.evaluate({
      tool: "bank.pay",
      args: { to: "ACME", amount: 5000 },
    })) as PendingHandle;
    const request = await requestOf(desk());
    const carol = { approver: "carol@example.com", token: "t" };
    expect(await desk().approve("apr_nope", carol)).toMatchObject({ ok: false, kind: "not_found" });
    expect(
      await desk().approve(request.request_id, carol, { actionDigest: `sha256:${"1".repeat(64)}` }),
    ).toMatchObject({ ok: false, kind: "digest_mismatch" });
    (h as Harness).clock.set("2026-11-22T10:00:00.000Z");
    expect(await desk().approve(request.request_id, carol)).toMatchObject({ ok: false, kind: "expired" });
    handle.cancel();
    expect((await handle.settled).kind).toBe("deny");
  });
});

describe("restarts", () => {
  it("a restart never releases a waiting action: the resumed session denies it, and a late approval releases nothing", async () => {
    // The first process stored its request and died while waiting: its approval service never answers.
    let stored: Store | null = null;
    const dead: ApprovalService = {
      request: async (request) => {
        await stored?.createApproval(request);
        return new Promise(() => {});
      },
    };
    h = harness(IR, {
      wrap: (store) => {
        stored = store;
        return store;
      },
      approvals: dead,
      timeouts: { pendingCeilingMs: 60_000 },
    });
    const first = await h.session({ id: "sess-restart" });
    const waiting = await first.evaluate({
      tool: "bank.pay",
      args: { to: "ACME", amount: 5000 },
      callId: "pay-1",
    });
    expect(waiting.kind).toBe("pending");

    // The second process opens the same SQLite file and resumes the session.
    const opened = SqliteStore.open(h.path);
    if (!opened.ok) throw new Error(opened.error.message);
    const desk = new ApprovalDesk({
      store: opened.value,
      verifier: new TestVerifier(["carol@example.com"]),
      clock: h.clock.current,
      pollMs: 10,
    });
    const second = createRuntime({
      policy: { ir: IR },
      store: opened.value,
      keyring: h.keyring,
      identity: h.verifier,
      approvals: desk,
      clock: h.clock.now,
      timeouts: { pendingCeilingMs: 2000 },
    });
    try {
      const resumed = await second.openSession({
        identity: {
          human: "alice@example.com",
          service: "agent-svc",
          agent: "research-agent-v2",
          session: "sess-restart",
          roles: ["analyst"],
          scope: ["db:read"],
        },
      });
      const again = await resumed.evaluate({
        tool: "bank.pay",
        args: { to: "ACME", amount: 5000 },
        callId: "pay-1",
      });
      expect(again.kind).toBe("deny");
      const request = await requestOf(desk);
      await desk.approve(request.request_id, { approver: "carol@example.com", token: "t" });
      const retried = await resumed.evaluate({
        tool: "bank.pay",
        args: { to: "ACME", amount: 5000 },
        callId: "pay-1",
      });
      expect(retried.kind).toBe("deny");
    } finally {
      await second.close();
      await opened.value.close();
    }
  });
});
