/**
 * `aarm gateway` end to end: the built CLI in front of the real filesystem
 * and everything MCP servers, driven by the official MCP client over stdio
 * and over Streamable HTTP. Decisions are checked by their effects (files
 * written or not, results compared with direct calls) and by the signed
 * receipts in the SQLite store.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadKeyDirectory } from "../../../src/runtime/crypto/keydir.ts";
import { nodeBackend } from "../../../src/runtime/crypto/node.ts";
import { SqliteStore } from "../../../src/runtime/store/sqlite.ts";
import { verifySqliteFile } from "../../../src/runtime/verify.ts";
import { cliEntry, ROOT, run } from "../../cli/run.ts";
import { decisionReceipts, receiptsBySession } from "./receipts.ts";

const FS_SERVER = join(ROOT, "node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
const EV_SERVER = join(ROOT, "node_modules/@modelcontextprotocol/server-everything/dist/index.js");
const EXAMPLE = join(ROOT, "examples/mcp-gateway");

type CallResult = Awaited<ReturnType<Client["callTool"]>>;

let dir: string;
let sandbox: string;
let fsDirect: Client;
let evDirect: Client;
let gwStdio: Client;
let httpGateway: ChildProcess;
let httpUrl: URL;
let withIntent: Client;
let withoutIntent: Client;
const calls = { stdio: 0, withIntent: 0, withoutIntent: 0 };

function stdioClient(args: readonly string[]): Promise<Client> {
  const client = new Client({ name: "gateway-test", version: "0.0.1" });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...args],
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "" },
  });
  return client.connect(transport).then(() => client);
}

async function httpClient(headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: "gateway-test-http", version: "0.0.1" });
  await client.connect(new StreamableHTTPClientTransport(httpUrl, { requestInit: { headers } }));
  return client;
}

/** Writes a gateway configuration with its own store and keys. */
function config(name: string): string {
  const file = join(dir, `${name}.yaml`);
  const upstreams = {
    fs: { command: process.execPath, args: [FS_SERVER, sandbox] },
    ev: { command: process.execPath, args: [EV_SERVER, "stdio"] },
  };
  writeFileSync(
    file,
    JSON.stringify({
      policy: "policy.aarm",
      store: `${name}.sqlite`,
      keys: `${name}-keys`,
      identity: { human: "alice", agent: "notes-assistant" },
      upstreams,
      limits: { pendingTimeoutMs: 300, maxMessageBytes: 1_000_000 },
    }),
  );
  return file;
}

/** Starts the HTTP gateway and resolves with its URL from its stderr. */
function startHttpGateway(configFile: string): Promise<URL> {
  httpGateway = spawn(
    process.execPath,
    [cliEntry("aarm"), "gateway", "--config", configFile, "--listen", "127.0.0.1:0"],
    {
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`no URL from the gateway: ${seen}`)), 30_000);
    httpGateway.stderr?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(new URL(match[1]));
      }
    });
    httpGateway.once("exit", (code) => reject(new Error(`gateway exited ${code}: ${seen}`)));
  });
}

function text(result: CallResult): string {
  const content = result.content as { type: string; text?: string }[];
  return content.map((part) => part.text ?? "").join("\n");
}

function decisionOf(result: CallResult): string | undefined {
  const meta = result._meta as { "aarm/decision"?: { decision: string } } | undefined;
  return meta?.["aarm/decision"]?.decision;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aarm-gateway-"));
  mkdirSync(join(dir, "sandbox"));
  sandbox = realpathSync(join(dir, "sandbox"));
  writeFileSync(join(sandbox, "notes.md"), Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n"));
  [fsDirect, evDirect] = await Promise.all([
    stdioClient([FS_SERVER, sandbox]),
    stdioClient([EV_SERVER, "stdio"]),
  ]);
  // The example's policy, with the everything server's tools imported from its own tools/list.
  const evTools = await evDirect.listTools();
  writeFileSync(join(dir, "ev.tools.json"), JSON.stringify(evTools));
  writeFileSync(join(dir, "fs.tools.json"), readFileSync(join(EXAMPLE, "fs.tools.json")));
  const policy = readFileSync(join(EXAMPLE, "policy.aarm"), "utf8").replace(
    'import mcp "./fs.tools.json" as fs',
    'import mcp "./fs.tools.json" as fs\nimport mcp "./ev.tools.json" as ev',
  );
  writeFileSync(
    join(dir, "policy.aarm"),
    `${policy}\ntool ev.echo { effect read output public }\nallow sums when tool == "ev.get-sum"\n`,
  );
  const stdioConfig = config("stdio");
  const [stdio, url] = await Promise.all([
    stdioClient([
      cliEntry("aarm"),
      "gateway",
      "--config",
      stdioConfig,
      "--intent",
      `save a summary to ${sandbox}/summary.md`,
    ]),
    startHttpGateway(config("http")),
  ]);
  gwStdio = stdio;
  httpUrl = url;
  withIntent = await httpClient({ "X-AARM-Intent": encodeURIComponent(`write ${sandbox}/http.md for me`) });
  withoutIntent = await httpClient({});
}, 60_000);

afterAll(async () => {
  await Promise.all([fsDirect, evDirect, gwStdio, withIntent, withoutIntent].map((c) => c?.close()));
  if (httpGateway !== undefined && httpGateway.exitCode === null) {
    const exited = new Promise((resolve) => httpGateway.once("exit", resolve));
    httpGateway.kill("SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("aarm gateway", () => {
  test("offers every upstream tool under its upstream's prefix", async () => {
    const [listed, fsTools, evTools] = await Promise.all([
      gwStdio.listTools(),
      fsDirect.listTools(),
      evDirect.listTools(),
    ]);
    const expected = [
      ...fsTools.tools.map((t) => `fs.${t.name}`),
      ...evTools.tools.map((t) => `ev.${t.name}`),
    ];
    expect(listed.tools.map((t) => t.name).sort()).toEqual(expected.sort());
    const write = listed.tools.find((t) => t.name === "fs.write_file");
    expect(write?.inputSchema).toEqual(fsTools.tools.find((t) => t.name === "write_file")?.inputSchema);
    // Annotations are the policy's view, never the server's: what the policy does not declare is the worst case.
    const hints = (name: string) => listed.tools.find((t) => t.name === name)?.annotations;
    expect(hints("fs.read_text_file")).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
      openWorldHint: false,
    });
    expect(hints("fs.write_file")).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      openWorldHint: false,
    });
    expect(evTools.tools.find((t) => t.name === "get-env")?.annotations?.readOnlyHint).toBe(true);
    expect(hints("ev.get-env")).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      openWorldHint: true,
    });
  });

  test("allowed calls return the upstream's result unchanged", async () => {
    const path = join(sandbox, "notes.md");
    calls.stdio += 3;
    expect(await gwStdio.callTool({ name: "fs.read_text_file", arguments: { path } })).toEqual(
      await fsDirect.callTool({ name: "read_text_file", arguments: { path } }),
    );
    expect(await gwStdio.callTool({ name: "ev.echo", arguments: { message: "hello" } })).toEqual(
      await evDirect.callTool({ name: "echo", arguments: { message: "hello" } }),
    );
    expect(await gwStdio.callTool({ name: "ev.get-sum", arguments: { a: 2, b: 40 } })).toEqual(
      await evDirect.callTool({ name: "get-sum", arguments: { a: 2, b: 40 } }),
    );
  });

  test("MODIFY forwards the modified arguments", async () => {
    const path = join(sandbox, "notes.md");
    calls.stdio += 1;
    const through = await gwStdio.callTool({ name: "fs.read_text_file", arguments: { path, head: 25 } });
    expect(through).toEqual(
      await fsDirect.callTool({ name: "read_text_file", arguments: { path, head: 20 } }),
    );
    expect(through).not.toEqual(
      await fsDirect.callTool({ name: "read_text_file", arguments: { path, head: 25 } }),
    );
  });

  test("denied calls are answered with isError and the reason, and never reach the upstream", async () => {
    calls.stdio += 3;
    const offRequest = await gwStdio.callTool({
      name: "fs.write_file",
      arguments: { path: join(sandbox, "other.md"), content: "x" },
    });
    expect(offRequest.isError).toBe(true);
    expect(decisionOf(offRequest)).toBe("DENY");
    expect(text(offRequest)).toContain("default deny");
    const secret = await gwStdio.callTool({
      name: "fs.write_file",
      arguments: { path: join(sandbox, ".env"), content: "x" },
    });
    expect(text(secret)).toContain("secrets and credentials are never written");
    const unknown = await gwStdio.callTool({ name: "fs.no_such_tool", arguments: {} });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toContain("not declared");
    expect(existsSync(join(sandbox, "other.md"))).toBe(false);
    expect(existsSync(join(sandbox, ".env"))).toBe(false);
  });

  test("the intent given at initialisation enables a context-dependent allow; without it the write is deferred and denied (scenario 99)", async () => {
    calls.stdio += 1;
    const stdioWrite = await gwStdio.callTool({
      name: "fs.write_file",
      arguments: { path: join(sandbox, "summary.md"), content: "summary" },
    });
    expect(stdioWrite.isError).toBeFalsy();
    expect(readFileSync(join(sandbox, "summary.md"), "utf8")).toBe("summary");

    calls.withIntent += 2;
    const allowed = await withIntent.callTool({
      name: "fs.write_file",
      arguments: { path: join(sandbox, "http.md"), content: "via http" },
    });
    expect(allowed.isError).toBeFalsy();
    expect(readFileSync(join(sandbox, "http.md"), "utf8")).toBe("via http");
    const unnamed = await withIntent.callTool({
      name: "fs.write_file",
      arguments: { path: join(sandbox, "unnamed.md"), content: "x" },
    });
    expect(decisionOf(unnamed)).toBe("DENY");

    calls.withoutIntent += 1;
    const deferred = await withoutIntent.callTool({
      name: "fs.write_file",
      arguments: { path: join(sandbox, "http.md"), content: "overwritten" },
    });
    expect(deferred.isError).toBe(true);
    expect(decisionOf(deferred)).toBe("DEFER");
    expect(readFileSync(join(sandbox, "http.md"), "utf8")).toBe("via http");
  });

  test("every call has exactly one decision receipt, and every receipt verifies", async () => {
    const httpSessions = {
      [String((withIntent.transport as StreamableHTTPClientTransport).sessionId)]: calls.withIntent,
      [String((withoutIntent.transport as StreamableHTTPClientTransport).sessionId)]: calls.withoutIntent,
    };
    for (const [name, expected] of [
      ["stdio", { "*": calls.stdio }],
      ["http", httpSessions],
    ] as const) {
      const file = join(dir, `${name}.sqlite`);
      const keys = loadKeyDirectory(join(dir, `${name}-keys`), nodeBackend);
      if (!keys.ok) throw new Error(keys.error.message);
      const report = await verifySqliteFile(file, keys.value);
      expect(report.ok && report.value.ok).toBe(true);
      const opened = SqliteStore.open(file, { readOnly: true });
      if (!opened.ok) throw new Error(opened.error.message);
      const sessions = await receiptsBySession(opened.value);
      await opened.value.close();
      const counts = Object.fromEntries(
        [...sessions].map(([id, receipts]) => [
          name === "stdio" ? "*" : id,
          decisionReceipts(receipts).length,
        ]),
      );
      expect(counts).toEqual(expected);
    }
  });
});

describe("aarm gateway over raw stdio", () => {
  test("answers malformed, batched, oversized and premature messages with errors and keeps serving", async () => {
    const child = spawn(
      process.execPath,
      [
        cliEntry("aarm"),
        "gateway",
        "--policy",
        join(dir, "policy.aarm"),
        "--store",
        join(dir, "raw.sqlite"),
        "--keys",
        join(dir, "raw-keys"),
        "--upstream",
        `ev=${process.execPath} ${EV_SERVER} stdio`,
        "--config",
        writeRawConfig(),
      ],
      { env: { PATH: process.env.PATH ?? "" }, stdio: ["pipe", "pipe", "ignore"] },
    );
    const answers: { id: unknown; error?: { code: number }; result?: unknown }[] = [];
    let buffered = "";
    const done = new Promise<void>((resolve) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
          answers.push(JSON.parse(buffered.slice(0, nl)) as (typeof answers)[number]);
          buffered = buffered.slice(nl + 1);
          if (answers.at(-1)?.id === "last") resolve();
        }
      });
    });
    const send = (line: string) => child.stdin?.write(`${line}\n`);
    send("{not json");
    send(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "ev.echo", arguments: { message: "early" } },
      }),
    );
    send(JSON.stringify([{ jsonrpc: "2.0", id: 2, method: "ping" }]));
    send(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping", params: { pad: "x".repeat(20_000) } }));
    send(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 4,
        method: "initialize",
        params: {
          protocolVersion: "2025-11-25",
          capabilities: {},
          clientInfo: { name: "raw", version: "0" },
        },
      }),
    );
    send(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 5,
        method: "resources/read",
        params: { uri: "file:///etc/passwd" },
      }),
    );
    send(JSON.stringify({ jsonrpc: "2.0", id: "last", method: "ping" }));
    await done;
    child.stdin?.end();
    await new Promise((resolve) => child.once("exit", resolve));
    const byId = new Map(answers.map((a) => [a.id, a]));
    expect(byId.get(1)?.error?.code).toBe(-32002);
    // The oversized line is refused as it arrives, before the others are answered: compare without order.
    const anonymous = answers.filter((a) => a.id === null).map((a) => a.error?.code);
    expect(anonymous.sort()).toEqual([-32700, -32700, -32600].sort());
    expect(byId.get(4)?.result).toMatchObject({ serverInfo: { name: "aarm-gateway" } });
    expect(byId.get(5)?.error?.code).toBe(-32601);
    expect(byId.get("last")?.result).toEqual({});
    expect(child.exitCode).toBe(0);
  });

  test("refuses unusable configurations with exit code 2", () => {
    const noUpstream = run("aarm", ["gateway", "--policy", join(dir, "policy.aarm")]);
    expect(noUpstream.status).toBe(2);
    expect(noUpstream.stderr).toContain("no upstream");
    const remote = run("aarm", [
      "gateway",
      "--policy",
      "p.aarm",
      "--upstream",
      "a=x",
      "--listen",
      "0.0.0.0:8787",
    ]);
    expect(remote.status).toBe(2);
    expect(remote.stderr).toContain("only loopback");
  });
});

/** A configuration that bounds messages at 10,000 bytes. */
function writeRawConfig(): string {
  const file = join(dir, "raw.yaml");
  writeFileSync(file, "limits: { maxMessageBytes: 10000 }\n");
  return file;
}
