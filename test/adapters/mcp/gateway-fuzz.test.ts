/**
 * The gateway under hostile traffic: 10,000 generated JSON-RPC messages
 * (malformed JSON, wrong types, unknown methods and tools, batches, oversized
 * payloads, duplicate ids, notifications, wrapper tools) sent over stdio
 * streams and over HTTP to an in-process gateway in front of a fixture MCP
 * server that journals every call it receives. The gateway must stay up and
 * every call the upstream received must have been released by a decision
 * with a receipt.
 */
import { PassThrough } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { z } from "zod";
import { createGateway, type Gateway } from "../../../src/adapters/mcp/gateway.ts";
import { type HttpGateway, serveHttp } from "../../../src/adapters/mcp/http.ts";
import { serveStdio } from "../../../src/adapters/mcp/stdio.ts";
import type { Upstream } from "../../../src/adapters/mcp/upstream.ts";
import { compileText } from "../../../src/compiler.ts";
import { Keyring } from "../../../src/runtime/crypto/keyring.ts";
import { nodeBackend } from "../../../src/runtime/crypto/node.ts";
import { trustedLocalVerifier } from "../../../src/runtime/identity/local.ts";
import { createRuntime, type Runtime } from "../../../src/runtime/runtime.ts";
import { MemoryStore } from "../../../src/runtime/store/memory.ts";
import { canonicalize } from "../../../src/schema/canonical.ts";
import { CI_SEED } from "../../support/property.ts";
import { decisionReceipts, receiptsBySession } from "./receipts.ts";

const POLICY = `
policy fuzz version "1"
tool fx.echo { args { text: string } effect read }
tool fx.write { args { key: string, value: string } effect write target args.key }
forbid no_admin on fx.write when args.key == "admin" because "never the admin key"
modify short on fx.echo when len(args.text) > 40 set args.text = "(cut)"
allow writes on fx.write when starts_with(args.key, "k")
allow reads when effect == read
default deny
`;

const MAX_BYTES = 64 * 1024;
const STDIO_SESSIONS = 8;
const STDIO_MESSAGES = 1100;
const HTTP_SESSIONS = 2;
const HTTP_MESSAGES = 600;

interface Journaled {
  readonly tool: string;
  readonly args: unknown;
}

const journal: Journaled[] = [];
let store: MemoryStore;
let runtime: Runtime;
let upstreamClient: Client;
let gateway: Gateway;
let http: HttpGateway;

/** A small seeded generator (mulberry32): the same messages on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function messages(seed: number, count: number): string[] {
  const rnd = random(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const str = (): string =>
    pick([
      "",
      "k1",
      "kx",
      "admin",
      "a b",
      "\u0000",
      "\ud800",
      "é",
      "x".repeat(60),
      `k${int(1000)}`,
      "🙂".repeat(5),
    ]);
  let next = 0;
  const id = (): unknown => (rnd() < 0.2 ? int(20) : rnd() < 0.5 ? `id-${next++}` : next++);
  const call = (name: unknown, args: unknown, withId = true): Record<string, unknown> => ({
    jsonrpc: "2.0",
    ...(withId ? { id: id() } : {}),
    method: "tools/call",
    params: { name, arguments: args },
  });
  const validCall = (): Record<string, unknown> =>
    rnd() < 0.5 ? call("fx.echo", { text: str() }) : call("fx.write", { key: str(), value: str() });
  const generators: (() => unknown)[] = [
    validCall,
    validCall,
    validCall,
    () =>
      call(
        pick(["fx.echo", "fx.write"]),
        pick([
          { text: 5 },
          { key: "k1" },
          { text: "a", extra: 1 },
          [],
          "x",
          null,
          { key: { deep: [1] }, value: "v" },
        ]),
      ),
    () =>
      call(
        pick(["fx.nope", "nope", "", "fx.", ".echo", "x".repeat(300), "fx.echo\n", 42, null, ["fx.echo"]]),
        { text: "t" },
      ),
    () =>
      call("mcp_tool", {
        mcp_server_name: "fx",
        mcp_tool_name: pick(["echo", "write", "nope"]),
        arguments: { text: "w", key: "k9", value: "v" },
      }),
    () => call("mcp_tool", { mcp_server_name: 5 }),
    () =>
      pick([
        "{",
        "}",
        "[",
        "null",
        "1",
        '"x"',
        "true",
        '{"jsonrpc":"2.0"',
        "\u0000",
        "{}",
        "[]",
        "[[]]",
        '{"a":' + "[".repeat(500),
      ]),
    () => JSON.stringify(validCall()).slice(0, 1 + int(40)),
    () => ({
      jsonrpc: pick(["1.0", 2, null, undefined]),
      id: id(),
      method: "tools/call",
      params: { name: "fx.echo", arguments: { text: "j" } },
    }),
    () => ({
      jsonrpc: "2.0",
      id: pick([{}, [], true, 1.5, null, "x".repeat(200), -0, 1e300]),
      method: "tools/call",
      params: { name: "fx.echo", arguments: { text: "i" } },
    }),
    () => ({ jsonrpc: "2.0", id: id(), method: pick([5, null, "", {}]), params: {} }),
    () => ({ jsonrpc: "2.0", id: id(), method: "tools/call", params: pick([[], "x", 5, null]) }),
    () => Array.from({ length: 1 + int(3) }, validCall),
    () => call("fx.echo", { text: "h".repeat(MAX_BYTES + int(1000)) }),
    () => call("fx.echo", { text: "below the bound".repeat(int(2000)) }),
    () => call(pick(["fx.echo", "fx.write"]), { text: str(), key: "k2", value: "v" }, false),
    () => ({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id() } }),
    () => ({ jsonrpc: "2.0", method: pick(["notifications/initialized", "notifications/progress", "x/y"]) }),
    () => ({
      jsonrpc: "2.0",
      id: id(),
      method: pick([
        "resources/read",
        "resources/list",
        "prompts/get",
        "completion/complete",
        "logging/setLevel",
        "sampling/createMessage",
        "tasks/get",
        "tools/list",
        "ping",
        "initialize",
        "x",
      ]),
      params: { uri: "file:///etc/passwd", name: "p" },
    }),
    () => ({ jsonrpc: "2.0", id: id(), result: { ok: true } }),
    () => ({ jsonrpc: "2.0", id: id(), error: { code: 1, message: "m" } }),
    () => "   ",
  ];
  return Array.from({ length: count }, () => {
    const value = pick(generators)();
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}

function fixtureServer(): McpServer {
  const server = new McpServer({ name: "fixture", version: "0.0.1" });
  server.registerTool(
    "echo",
    { description: "echo", inputSchema: { text: z.string() } },
    async ({ text }) => {
      journal.push({ tool: "fx.echo", args: { text } });
      return { content: [{ type: "text", text }] };
    },
  );
  server.registerTool(
    "write",
    { description: "write", inputSchema: { key: z.string(), value: z.string() } },
    async ({ key, value }) => {
      journal.push({ tool: "fx.write", args: { key, value } });
      return { content: [{ type: "text", text: "written" }] };
    },
  );
  return server;
}

beforeAll(async () => {
  const compiled = compileText(POLICY);
  if (compiled.ir === null) throw new Error(compiled.diagnostics[0]?.message);
  const verifier = trustedLocalVerifier();
  if (!verifier.ok) throw new Error(verifier.error);
  store = new MemoryStore();
  runtime = createRuntime({
    policy: { ir: compiled.ir },
    store,
    keyring: Keyring.generate(nodeBackend, new Date()),
    identity: verifier.value,
    scorer: null,
  });
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await fixtureServer().connect(serverSide);
  upstreamClient = new Client({ name: "gateway", version: "0.0.1" });
  await upstreamClient.connect(clientSide);
  const upstream: Upstream = {
    name: "fx",
    client: upstreamClient,
    tools: (await upstreamClient.listTools()).tools,
    close: () => upstreamClient.close(),
  };
  gateway = createGateway({
    runtime,
    upstreams: [upstream],
    identity: { human: "fuzz" },
    limits: { maxInFlight: 256 },
  });
  http = await serveHttp(gateway, { maxMessageBytes: MAX_BYTES });
});

afterAll(async () => {
  await http?.close();
  await gateway?.close();
  await runtime?.close();
  await upstreamClient?.close();
});

/** Drives one stdio session; every line the gateway writes must be a JSON-RPC response. */
async function stdioSession(lines: readonly string[]): Promise<void> {
  const input = new PassThrough();
  const output = new PassThrough();
  const served = serveStdio(gateway, input, output, { maxMessageBytes: MAX_BYTES });
  let buffered = "";
  const waiting = new Map<string, () => void>();
  output.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const answer = JSON.parse(line) as { jsonrpc: string; id: unknown };
      if (answer.jsonrpc !== "2.0" || !Object.hasOwn(answer, "id"))
        throw new Error(`not a response: ${line.slice(0, 80)}`);
      waiting.get(String(answer.id))?.();
    }
  });
  const request = (id: string, method: string, params: object): Promise<void> =>
    new Promise((resolve) => {
      waiting.set(id, resolve);
      input.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  await request("init", "initialize", {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "f", version: "0" },
  });
  for (let i = 0; i < lines.length; i += 40) {
    input.write(`${lines.slice(i, i + 40).join("\n")}\n`);
    // A barrier: the session's calls are decided in order, so this keeps the calls in flight bounded.
    await request(`barrier-${i}`, "tools/call", { name: "fx.echo", arguments: { text: "barrier" } });
  }
  await request("alive", "ping", {});
  input.end();
  await served;
}

async function post(body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(http.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body,
  });
}

async function httpSession(lines: readonly string[]): Promise<void> {
  const init = await post(
    JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "f", version: "0" } },
    }),
    {},
  );
  const session = init.headers.get("mcp-session-id") ?? "";
  expect(session).not.toBe("");
  const rnd = random(lines.length);
  for (let i = 0; i < lines.length; i += 4) {
    await Promise.all(
      lines.slice(i, i + 4).map(async (line) => {
        const roll = rnd();
        const headers =
          roll < 0.03 ? {} : roll < 0.05 ? { "mcp-session-id": "unknown" } : { "mcp-session-id": session };
        const res = await post(line, headers);
        expect([200, 202, 400, 404, 413]).toContain(res.status);
        const text = await res.text();
        if (text !== "") expect((JSON.parse(text) as { jsonrpc: string }).jsonrpc).toBe("2.0");
      }),
    );
  }
}

function key(tool: string, args: unknown): string {
  const text = canonicalize(args);
  if (!text.ok) throw new Error(text.error.message);
  return `${tool} ${text.value}`;
}

test("10,000 hostile messages: the gateway stays up and the upstream runs only released calls", async () => {
  await Promise.all(
    Array.from({ length: STDIO_SESSIONS }, (_, s) => stdioSession(messages(CI_SEED + s, STDIO_MESSAGES))),
  );
  for (let s = 0; s < HTTP_SESSIONS; s++) await httpSession(messages(CI_SEED + 100 + s, HTTP_MESSAGES));

  // Still up: the official client initialises, lists and pings.
  const client = new Client({ name: "after-fuzz", version: "0.0.1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
  expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["fx.echo", "fx.write"]);
  await client.ping();
  await client.close();

  // Every call the upstream received was released (ALLOW or MODIFY) by a decision receipt with exactly those arguments.
  const released = new Map<string, number>();
  let decisions = 0;
  for (const receipts of (await receiptsBySession(store)).values()) {
    for (const receipt of decisionReceipts(receipts)) {
      decisions++;
      if (receipt.decision.result !== "ALLOW" && receipt.decision.result !== "MODIFY") continue;
      const k = key(receipt.action.tool, receipt.action.modified_parameters ?? receipt.action.parameters);
      released.set(k, (released.get(k) ?? 0) + 1);
    }
  }
  for (const call of journal) {
    const k = key(call.tool, call.args);
    const left = released.get(k) ?? 0;
    expect(left, `upstream ran ${k.slice(0, 80)} without a release`).toBeGreaterThan(0);
    released.set(k, left - 1);
  }
  expect(
    journal.filter((call) => call.tool === "fx.write" && (call.args as { key: string }).key === "admin"),
  ).toEqual([]);
  expect(journal.length).toBeGreaterThan(500);
  expect(decisions).toBeGreaterThan(journal.length);
}, 90_000);

test("HTTP misuse is answered with a status and reaches no session", async () => {
  const before = journal.length;
  const call = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "fx.echo", arguments: { text: "t" } },
  });
  const init = JSON.stringify({
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "f", version: "0" } },
  });
  const url = new URL(http.url);
  const status = async (init: RequestInit, target: URL | string = url): Promise<number> =>
    (await fetch(target, init)).status;
  const json = { "content-type": "application/json" };
  expect(await status({ method: "GET" })).toBe(405);
  expect(await status({ method: "POST", headers: json, body: call }, new URL("/other", url))).toBe(404);
  expect(await status({ method: "POST", headers: { "content-type": "text/plain" }, body: call })).toBe(415);
  expect(
    await status({ method: "POST", headers: { ...json, origin: "https://evil.example" }, body: init }),
  ).toBe(403);
  expect(await status({ method: "POST", headers: json, body: call })).toBe(400);
  expect(
    await status({ method: "POST", headers: { ...json, "mcp-protocol-version": "1999-01-01" }, body: init }),
  ).toBe(400);
  expect(
    await status({ method: "POST", headers: { ...json, "x-aarm-intent": "%E0%A4%A" }, body: init }),
  ).toBe(400);
  const started = await fetch(url, { method: "POST", headers: json, body: init });
  const session = started.headers.get("mcp-session-id") ?? "";
  expect(await status({ method: "DELETE", headers: { "mcp-session-id": session } })).toBe(200);
  expect(await status({ method: "POST", headers: { ...json, "mcp-session-id": session }, body: call })).toBe(
    404,
  );
  expect(journal.length).toBe(before);
});
