/**
 * The gateway while decisions wait: a STEP_UP is forwarded once approved and
 * denied when nobody answers in time, a call the client cancels while it
 * waits is never run, and calls beyond the in-flight bound are refused
 * before any decision. In process, over the stdio transport on streams, in
 * front of a fixture MCP server that journals every call it receives.
 */
import { PassThrough } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createGateway, type Gateway } from "../../../src/adapters/mcp/gateway.ts";
import { serveStdio } from "../../../src/adapters/mcp/stdio.ts";
import type { Upstream } from "../../../src/adapters/mcp/upstream.ts";
import { compileText } from "../../../src/compiler.ts";
import { ApprovalDesk } from "../../../src/runtime/approvals/desk.ts";
import { Keyring } from "../../../src/runtime/crypto/keyring.ts";
import { nodeBackend } from "../../../src/runtime/crypto/node.ts";
import { trustedLocalVerifier } from "../../../src/runtime/identity/local.ts";
import { createRuntime, type Runtime } from "../../../src/runtime/runtime.ts";
import { MemoryStore } from "../../../src/runtime/store/memory.ts";
import { TestVerifier } from "../../runtime/engine-harness.ts";
import { z } from "zod";

const POLICY = `
policy pending version "1"
tool fx.write { args { key: string, value: string } effect write target args.key }
tool fx.slow { args { } effect read }
step_up big_writes on fx.write when args.key == "big"
  approvers ["carol@example.com"] quorum 1 timeout 5m
  because "big writes need carol"
allow writes when tool == "fx.write"
allow reads when effect == read
default deny
`;

const journal: { tool: string; args: unknown }[] = [];
let release: () => void = () => undefined;
let runtime: Runtime;
let desk: ApprovalDesk;
let upstream: Upstream;

interface Answer {
  readonly id: unknown;
  readonly result?: {
    isError?: boolean;
    content?: { text?: string }[];
    _meta?: Record<string, { decision: string }>;
  };
  readonly error?: { code: number };
}

/** A client speaking raw JSON-RPC to a gateway over stdio streams. */
function connect(gateway: Gateway) {
  const input = new PassThrough();
  const output = new PassThrough();
  const served = serveStdio(gateway, input, output);
  const answers = new Map<unknown, Answer>();
  const waiting = new Map<unknown, (a: Answer) => void>();
  let buffered = "";
  output.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const answer = JSON.parse(buffered.slice(0, nl)) as Answer;
      buffered = buffered.slice(nl + 1);
      answers.set(answer.id, answer);
      waiting.get(answer.id)?.(answer);
    }
  });
  const send = (message: object) => input.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
  const request = (id: number, method: string, params: object): Promise<Answer> =>
    new Promise((resolve) => {
      waiting.set(id, resolve);
      send({ id, method, params });
    });
  const call = (id: number, name: string, args: object) =>
    request(id, "tools/call", { name, arguments: args });
  const init = () =>
    request(0, "initialize", {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "t", version: "0" },
    });
  return {
    init,
    call,
    request,
    send,
    answers,
    close: async () => {
      input.end();
      await served;
    },
  };
}

async function pendingApproval(): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const listed = await desk.list();
    const first = listed.ok ? listed.value[0] : undefined;
    if (first !== undefined) return first.request.request_id;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("no approval request");
}

beforeAll(async () => {
  const compiled = compileText(POLICY);
  if (compiled.ir === null) throw new Error(compiled.diagnostics[0]?.message);
  const verifier = trustedLocalVerifier();
  if (!verifier.ok) throw new Error(verifier.error);
  const store = new MemoryStore();
  desk = new ApprovalDesk({ store, verifier: new TestVerifier(["carol@example.com"]), pollMs: 10 });
  runtime = createRuntime({
    policy: { ir: compiled.ir },
    store,
    keyring: Keyring.generate(nodeBackend, new Date()),
    identity: verifier.value,
    approvals: desk,
    timeouts: { pendingCeilingMs: 1500 },
  });
  const server = new McpServer({ name: "fixture", version: "0.0.1" });
  server.registerTool("write", { inputSchema: { key: z.string(), value: z.string() } }, async (args) => {
    journal.push({ tool: "write", args });
    return { content: [{ type: "text", text: "written" }] };
  });
  server.registerTool("slow", { inputSchema: {} }, async () => {
    journal.push({ tool: "slow", args: {} });
    await new Promise<void>((resolve) => (release = resolve));
    return { content: [{ type: "text", text: "slow done" }] };
  });
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "gateway", version: "0.0.1" });
  await client.connect(clientSide);
  upstream = { name: "fx", client, tools: (await client.listTools()).tools, close: () => client.close() };
});

afterAll(async () => {
  await runtime?.close();
  await upstream?.close();
});

describe("the gateway while decisions wait", () => {
  test("a STEP_UP waits for its approver, then the call is forwarded", async () => {
    const gateway = createGateway({ runtime, upstreams: [upstream], identity: { human: "alice" } });
    const c = connect(gateway);
    await c.init();
    const answer = c.call(1, "fx.write", { key: "big", value: "approved" });
    const id = await pendingApproval();
    expect(journal).toEqual([]);
    expect(await desk.approve(id, { approver: "carol@example.com", token: "t" })).toMatchObject({ ok: true });
    expect((await answer).result).toEqual({ content: [{ type: "text", text: "written" }] });
    expect(journal).toEqual([{ tool: "write", args: { key: "big", value: "approved" } }]);
    await c.close();
  });

  test("an unanswered STEP_UP is denied at the pending timeout and never forwarded", async () => {
    journal.length = 0;
    const gateway = createGateway({ runtime, upstreams: [upstream], identity: { human: "alice" } });
    const c = connect(gateway);
    await c.init();
    const answer = await c.call(2, "fx.write", { key: "big", value: "nobody answers" });
    expect(answer.result?.isError).toBe(true);
    expect(answer.result?._meta?.["aarm/decision"]?.decision).toBe("STEP_UP");
    expect(journal).toEqual([]);
    await c.close();
  });

  test("a call the client cancels while it waits is never run and gets no answer", async () => {
    journal.length = 0;
    const gateway = createGateway({ runtime, upstreams: [upstream], identity: { human: "alice" } });
    const c = connect(gateway);
    await c.init();
    void c.call(3, "fx.write", { key: "big", value: "cancelled" });
    const id = await pendingApproval();
    c.send({ method: "notifications/cancelled", params: { requestId: 3, reason: "user gave up" } });
    await new Promise((r) => setTimeout(r, 100));
    // Too late: the call was cancelled, and so denied, before this approval.
    await desk.approve(id, { approver: "carol@example.com", token: "t" });
    expect((await c.request(4, "ping", {})).result).toEqual({});
    await new Promise((r) => setTimeout(r, 100));
    expect(c.answers.has(3)).toBe(false);
    expect(journal).toEqual([]);
    await c.close();
  });

  test("calls beyond the in-flight bound are refused before any decision", async () => {
    journal.length = 0;
    const gateway = createGateway({
      runtime,
      upstreams: [upstream],
      identity: { human: "alice" },
      limits: { maxInFlight: 1 },
    });
    const c = connect(gateway);
    await c.init();
    const slow = c.call(5, "fx.slow", {});
    while (journal.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect((await c.call(6, "fx.write", { key: "k", value: "v" })).error?.code).toBe(-32000);
    release();
    expect((await slow).result).toEqual({ content: [{ type: "text", text: "slow done" }] });
    expect(journal).toEqual([{ tool: "slow", args: {} }]);
    await c.close();
  });
});
