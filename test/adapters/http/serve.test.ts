/**
 * `aarm serve` over real HTTP: the built binary on 127.0.0.1 and an
 * ephemeral port, with a temporary policy, SQLite store, key directory and
 * JWT issuer. Authentication, limits, the five decisions, concurrent
 * sessions whose receipt chains verify afterwards, and resuming a session
 * after a restart.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../../src/adapters/http/openapi.ts";
import { loadKeyDirectory } from "../../../src/runtime/crypto/keydir.ts";
import { nodeBackend } from "../../../src/runtime/crypto/node.ts";
import { verifyReceiptLines, verifySqliteFile } from "../../../src/runtime/verify.ts";
import {
  type Answer,
  api,
  FINANCE_APPROVER,
  offSchema,
  type Service,
  startService,
  TOKENS,
} from "./harness.ts";

let service: Service;

beforeAll(async () => {
  service = await startService({ limits: { rate_burst: 60, rate_per_second: 30 } });
}, 30_000);

afterAll(async () => {
  await service.stop();
  service.cleanup();
});

/** Starts a session for `human` in the service, as the agent application unless told otherwise. */
async function start(
  sessionId: string,
  human = "alice@example.com",
  token: string = TOKENS.agent,
): Promise<Answer> {
  const identity = { token: await service.identityToken(human), agent: "billing-agent", session: sessionId };
  return api(service, "POST", "/v1/sessions", {
    token,
    body: { identity, intent: "pay the March invoice to bob" },
  });
}

function evaluate(
  sessionId: string,
  call: Record<string, unknown>,
  token: string = TOKENS.agent,
): Promise<Answer> {
  return api(service, "POST", `/v1/sessions/${sessionId}/evaluate`, { token, body: call });
}

/**
 * Lists `path` until `pick` finds the record: the request or deferral of a
 * pending action is stored as the action is suspended, so a console can
 * list it a moment after the 202 at the latest.
 */
async function listedEventually<T>(
  path: string,
  pick: (body: Record<string, unknown>) => T | undefined,
): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = pick((await api(service, "GET", path, { token: TOKENS.approver })).body);
    if (found !== undefined) return found;
    if (Date.now() > deadline)
      throw new Error(`not listed by ${path} within 5 s\n${service.stderr().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The id of the approval request for an action, as the approvals console lists it: at once, since the
 * request is stored as the action is suspended, before the 202.
 */
function approvalFor(actionId: string): Promise<string> {
  return listedEventually("/v1/approvals?pending=true&session_id=five", (body) => {
    const records = body.approvals as { request: { request_id: string; action: { action_id: string } } }[];
    return records.find((record) => record.request.action.action_id === actionId)?.request.request_id;
  });
}

/** The id of the deferral of an action. */
function deferralFor(actionId: string): Promise<string> {
  return listedEventually("/v1/deferrals?session_id=five", (body) => {
    const records = body.deferrals as { deferred: { deferral_id: string; action: { action_id: string } } }[];
    return records.find((record) => record.deferred.action.action_id === actionId)?.deferred.deferral_id;
  });
}

/** An approver's answer, given through the approvals console with the approver's own identity token. */
async function answer(requestId: string, decision: "approve" | "deny", approver: string): Promise<Answer> {
  return api(service, "POST", `/v1/approvals/${requestId}/${decision}`, {
    token: TOKENS.approver,
    body: { approver, token: await service.identityToken(approver) },
  });
}

/** Sends raw bytes and resolves with everything the server answered once it closes the connection. */
function raw(
  bytes: string,
  keepOpenMs: number,
): Promise<{ readonly text: string; readonly closedAfterMs: number }> {
  const url = new URL(service.url);
  return new Promise((resolve, reject) => {
    const begun = Date.now();
    let text = "";
    const socket = connect(Number(url.port), url.hostname, () => socket.write(bytes));
    socket.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("the server kept a slow connection open"));
    }, keepOpenMs);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - begun });
    });
    socket.on("error", () => {});
  });
}

describe("aarm serve: health and authentication", () => {
  it("answers /healthz without a token, reporting the store and the policy in force", async () => {
    const health = await api(service, "GET", "/healthz", { token: null });
    expect(health.status).toBe(200);
    expect(offSchema("Health", health.body)).toEqual([]);
    expect(health.body).toMatchObject({
      status: "ok",
      store: { ok: true },
      policy: { name: "http_service", version: "1", last_reload: "ok" },
    });
  });

  it("serves its OpenAPI document without a token", async () => {
    const served = await api(service, "GET", "/openapi.json", { token: null });
    expect(served.status).toBe(200);
    expect(served.body).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it("refuses a missing, wrong or malformed bearer token with the same 401, and never logs a token", async () => {
    const answers = [
      await api(service, "POST", "/v1/sessions", { token: null, body: {} }),
      await api(service, "POST", "/v1/sessions", { token: `${TOKENS.agent}x`, body: {} }),
      await api(service, "GET", "/v1/receipts", { token: null, headers: { Authorization: "Basic YTpi" } }),
      await api(service, "GET", "/v1/sessions/s", { token: TOKENS.agent.slice(0, -1) }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(offSchema("Problem", answer.body)).toEqual([]);
      expect(answer.headers.get("www-authenticate")).toBe('Bearer realm="aarm"');
      expect(answer.headers.get("content-type")).toBe("application/problem+json");
      expect(answer.body).toEqual({
        type: "https://aarm.dev/problems/unauthorized",
        title: "Authentication required",
        status: 401,
        code: "unauthorized",
      });
    }
    const log = service.stderr();
    for (const token of Object.values(TOKENS)) expect(log).not.toContain(token.slice(0, 12));
  });

  it("refuses an operation outside the client's scopes with 403", async () => {
    const answer = await api(service, "POST", "/v1/sessions", { token: TOKENS.auditor, body: {} });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe("forbidden");
    const exported = await api(service, "GET", "/v1/receipts", { token: TOKENS.agent });
    expect(exported.status).toBe(403);
  });

  it("refuses an identity token that does not verify with 403 identity_rejected", async () => {
    const identity = { token: `${await service.identityToken()}x`, session: "forged" };
    const answer = await api(service, "POST", "/v1/sessions", { body: { identity } });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe("identity_rejected");
    expect(answer.body.failure).toEqual(expect.any(String));
  });
});

describe("aarm serve: request limits", () => {
  it("refuses a body over the size limit with 413", async () => {
    const big = JSON.stringify({ tool: "files.read", args: { path: "x".repeat(100_000) } });
    const answer = await api(service, "POST", "/v1/sessions/none/evaluate", { body: big });
    expect(answer.status).toBe(413);
    expect(answer.body.code).toBe("payload_too_large");
  });

  it("refuses malformed JSON with 400, another content type with 415 and a body off its schema with 422", async () => {
    const malformed = await api(service, "POST", "/v1/sessions", { body: '{"identity": {' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe("malformed_json");
    const text = await api(service, "POST", "/v1/sessions", {
      body: "{}",
      headers: { "Content-Type": "text/plain" },
    });
    expect(text.status).toBe(415);
    expect(text.body.code).toBe("unsupported_media_type");
    const offSchema = await api(service, "POST", "/v1/sessions", {
      body: { identity: { session: 7 }, extra: 1 },
    });
    expect(offSchema.status).toBe(422);
    expect(offSchema.body.code).toBe("invalid_request");
    expect(offSchema.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ pointer: "/extra" })]),
    );
  });

  it("answers 404 for unknown paths and 405 with Allow for a known path's other methods", async () => {
    const unknown = await api(service, "GET", "/v1/nothing");
    expect(unknown.status).toBe(404);
    const method = await api(service, "DELETE", "/v1/sessions");
    expect(method.status).toBe(405);
    expect(method.headers.get("allow")).toBe("POST");
  });

  it("rate-limits each client with 429 and Retry-After, without slowing other clients", async () => {
    // Batches until the bucket runs dry (60 at once, 30 a second): however slow the machine, it does.
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let batch = 0; batch < 50 && retryAfter === null; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => api(service, "GET", "/v1/sessions/none", { token: TOKENS.flood })),
      );
      for (const answer of answers) {
        statuses.push(answer.status);
        if (answer.status === 429) retryAfter = answer.headers.get("retry-after");
      }
    }
    expect(statuses).toContain(404);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const other = await api(service, "GET", "/v1/sessions/none", { token: TOKENS.other });
    expect(other.status).toBe(404);
  });

  it("cuts off a client that sends its headers too slowly, and one that sends its body too slowly", async () => {
    const headers = await raw("POST /v1/sessions HTTP/1.1\r\nHost: x\r\nX-Slow: ", 8000);
    expect(headers.text).toMatch(/^HTTP\/1\.1 408/);
    const body = await raw(
      `POST /v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKENS.other}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
      8000,
    );
    expect(body.text).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe("aarm serve: decisions", () => {
  it("returns the five decisions as enforcement handles, settles STEP_UP and DEFER through the approvals API", async () => {
    expect((await start("five")).status).toBe(201);

    const allowed = await evaluate("five", {
      tool: "files.read",
      args: { path: "/tmp/report.txt" },
      call_id: "c1",
    });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({
      kind: "allow",
      decision: "ALLOW",
      tool: "files.read",
      replay: false,
    });
    const again = await evaluate("five", {
      tool: "files.read",
      args: { path: "/tmp/report.txt" },
      call_id: "c1",
    });
    expect(again.body).toMatchObject({ kind: "allow", action_id: allowed.body.action_id, replay: true });
    const outcome = await api(
      service,
      "POST",
      `/v1/sessions/five/actions/${String(allowed.body.action_id)}/outcome`,
      {
        body: { success: true, output: "quarterly numbers" },
      },
    );
    expect(outcome.status).toBe(200);
    expect(offSchema("OutcomeResult", outcome.body)).toEqual([]);
    expect(outcome.body.receipt_id).toMatch(/^rct_/);
    const twice = await api(
      service,
      "POST",
      `/v1/sessions/five/actions/${String(allowed.body.action_id)}/outcome`,
      {
        body: { success: true },
      },
    );
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe("outcome_rejected");

    const denied = await evaluate("five", { tool: "files.read", args: { path: "/etc/shadow" } });
    expect(denied.body).toMatchObject({
      kind: "deny",
      decision: "DENY",
      rules: ["no_shadow"],
      reason: "the shadow file is never read",
    });

    const modified = await evaluate("five", { tool: "db.query", args: { sql: "select 1", limit: 500 } });
    expect(modified.body).toMatchObject({
      kind: "allow",
      decision: "MODIFY",
      args: { sql: "select 1", limit: 100 },
    });

    // Nobody answers this one: it waits for its ceiling (4 s), then settles to DENY. Meanwhile, others are answered.
    const unanswered = evaluate("five", {
      tool: "bank.send_money",
      args: { recipient: "bob", amount: 2000 },
      wait_ms: 5000,
    });

    const stepUp = await evaluate("five", {
      tool: "bank.send_money",
      args: { recipient: "bob", amount: 5000 },
    });
    expect(stepUp.status).toBe(202);
    expect(stepUp.body).toMatchObject({ kind: "pending", decision: "STEP_UP" });
    expect(stepUp.headers.get("location")).toBe(stepUp.body.poll);
    expect((await api(service, "GET", `${String(stepUp.body.poll)}?wait_ms=0`)).status).toBe(202);
    const request = await approvalFor(String(stepUp.body.action_id));
    const outsider = await answer(request, "approve", "mallory@example.com");
    expect(outsider.status).toBe(403);
    expect(outsider.body).toMatchObject({ code: "approval_refused", reason: "not_an_approver" });
    const byAgent = await api(service, "POST", `/v1/approvals/${request}/approve`, {
      body: { approver: FINANCE_APPROVER, token: await service.identityToken(FINANCE_APPROVER) },
    });
    expect(byAgent.status).toBe(403);
    const approved = await answer(request, "approve", FINANCE_APPROVER);
    expect(approved.status).toBe(200);
    expect(offSchema("ApprovalRecord", approved.body)).toEqual([]);
    expect(approved.body).toMatchObject({ result: { decision: "approved" } });
    const released = await api(service, "GET", `${String(stepUp.body.poll)}?wait_ms=5000`);
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ kind: "allow", decision: "STEP_UP", args: { amount: 5000 } });

    const refusedPayment = await evaluate("five", {
      tool: "bank.send_money",
      args: { recipient: "eve", amount: 3000 },
    });
    expect(
      (await answer(await approvalFor(String(refusedPayment.body.action_id)), "deny", FINANCE_APPROVER))
        .status,
    ).toBe(200);
    const refusedAnswer = await api(service, "GET", `${String(refusedPayment.body.poll)}?wait_ms=5000`);
    expect(refusedAnswer.body).toMatchObject({ kind: "deny", decision: "STEP_UP", rules: ["large_payment"] });

    const deferred = await evaluate("five", { tool: "credentials.rotate", args: { system: "db" } });
    expect(deferred.status).toBe(202);
    expect(deferred.body).toMatchObject({ kind: "pending", decision: "DEFER" });
    const deferral = await deferralFor(String(deferred.body.action_id));
    const facts = await api(service, "POST", `/v1/deferrals/${deferral}/facts`, {
      token: TOKENS.approver,
      body: { facts: { change_window_approved: true } },
    });
    expect(facts.status).toBe(202);
    expect(offSchema("Delivered", facts.body)).toEqual([]);
    const deferralRecord = await api(service, "GET", `/v1/deferrals/${deferral}`, { token: TOKENS.auditor });
    expect(offSchema("DeferralRecord", deferralRecord.body)).toEqual([]);
    const resolved = await api(service, "GET", `${String(deferred.body.poll)}?wait_ms=5000`);
    expect(resolved.body).toMatchObject({ kind: "allow", decision: "DEFER", args: { system: "db" } });

    const cancelled = await evaluate("five", { tool: "credentials.rotate", args: { system: "dns" } });
    const cancel = await api(service, "POST", `${String(cancelled.body.poll)}/cancel`);
    expect(cancel.body).toMatchObject({ kind: "deny", decision: "DEFER" });

    const waited = await unanswered;
    expect(waited.status).toBe(200);
    expect(waited.body).toMatchObject({ kind: "deny", decision: "STEP_UP", rules: ["large_payment"] });

    const info = await api(service, "GET", "/v1/sessions/five");
    expect(info.body).toMatchObject({ session_id: "five", state: "active", live: true });
    expect(offSchema("SessionInfo", info.body)).toEqual([]);
    const ended = await api(service, "POST", "/v1/sessions/five/end");
    expect(ended.body).toMatchObject({ state: "ended", live: false });
    const late = await evaluate("five", { tool: "files.read", args: { path: "/tmp/a" } });
    expect(late.status).toBe(404);
  });

  it("keeps each client's sessions to itself", async () => {
    expect((await start("mine")).status).toBe(201);
    expect((await start("mine", "alice@example.com", TOKENS.other)).status).toBe(409);
    const foreign = await evaluate("mine", { tool: "files.read", args: { path: "/tmp/a" } }, TOKENS.other);
    expect(foreign.status).toBe(404);
    expect((await api(service, "GET", "/v1/sessions/mine", { token: TOKENS.other })).status).toBe(404);
    expect((await api(service, "GET", "/v1/sessions/mine", { token: TOKENS.auditor })).status).toBe(200);
  });

  it("evaluates several sessions in parallel, and every receipt chain verifies", async () => {
    const ids = ["par-1", "par-2", "par-3", "par-4"];
    await Promise.all(
      ids.map(async (id) => {
        expect((await start(id, `${id}@example.com`)).status).toBe(201);
        const answers = await Promise.all([
          evaluate(id, { tool: "files.read", args: { path: `/tmp/${id}` } }),
          evaluate(id, { tool: "files.read", args: { path: "/etc/shadow" } }),
          evaluate(id, { tool: "db.query", args: { sql: "select 2", limit: 1000 } }),
          evaluate(id, { tool: "db.query", args: { sql: "select 3" } }),
          evaluate(id, { tool: "unknown.tool", args: {} }),
        ]);
        expect(answers.map((a) => a.body.decision)).toEqual(["ALLOW", "DENY", "MODIFY", "ALLOW", "DENY"]);
      }),
    );
    for (const id of ids) {
      const chain = await api(service, "GET", `/v1/sessions/${id}/receipts`, { token: TOKENS.auditor });
      expect(chain.status).toBe(200);
      expect(chain.body.receipts).toHaveLength(5);
      expect(offSchema("SessionReceipts", chain.body)).toEqual([]);
      const first = (chain.body.receipts as { receipt_id: string }[])[0]!;
      const one = await api(service, "GET", `/v1/receipts/${first.receipt_id}`, { token: TOKENS.auditor });
      expect(one.body).toEqual(first);
    }
    const keys = loadKeyDirectory(service.keys, nodeBackend);
    if (!keys.ok) throw new Error(keys.error.message);
    const exported = await api(service, "GET", "/v1/receipts", { token: TOKENS.auditor });
    expect(exported.headers.get("content-type")).toBe("application/x-ndjson");
    const fromExport = await verifyReceiptLines(Buffer.from(exported.text), keys.value);
    expect(fromExport.issues).toEqual([]);
    expect(fromExport.verified).toBe(fromExport.checked);
    const report = await verifySqliteFile(service.store, keys.value);
    if (!report.ok) throw new Error(report.error.message);
    expect(report.value.issues).toEqual([]);
    for (const id of ids) expect(report.value.sessions.map((s) => s.session_id)).toContain(id);
  });
});

describe("aarm serve: restarts", () => {
  it("resumes a stored session after a restart, for the same principal only", async () => {
    const first = await startService();
    let second: Service | null = null;
    try {
      const identity = { token: await first.identityToken("carol@example.com"), session: "kept" };
      expect(
        (await api(first, "POST", "/v1/sessions", { body: { identity, intent: "read the report" } })).status,
      ).toBe(201);
      const read = await api(first, "POST", "/v1/sessions/kept/evaluate", {
        body: { tool: "files.read", args: { path: "/tmp/report" } },
      });
      expect(read.body.kind).toBe("allow");
      expect(await first.stop()).toBe(0);

      second = await startService({ reuse: first.dir });
      const fresh = { token: await second.identityToken("carol@example.com"), session: "kept" };
      expect((await api(second, "POST", "/v1/sessions", { body: { identity: fresh } })).status).toBe(409);
      const intruder = { token: await second.identityToken("mallory@example.com"), session: "kept" };
      const refused = await api(second, "POST", "/v1/sessions", {
        body: { identity: intruder, resume: true },
      });
      expect(refused.status).toBe(409);
      const resumed = await api(second, "POST", "/v1/sessions", { body: { identity: fresh, resume: true } });
      expect(resumed.status).toBe(200);
      expect(resumed.body).toMatchObject({ session_id: "kept", live: true, receipts: 1 });
      const next = await api(second, "POST", "/v1/sessions/kept/evaluate", {
        body: { tool: "db.query", args: { sql: "select 1" } },
      });
      expect(next.body.kind).toBe("allow");
    } finally {
      await second?.stop();
      await first.stop();
      first.cleanup();
    }
  });
});
