/**
 * The gateway deployment's upstream: a small MCP server over stdio (the
 * official SDK's `McpServer`) offering the tools it is told to, each of
 * which appends every execution, with its arguments, to a log file before it
 * answers with its configured output or fails as told. Run as a program:
 *
 * - `AARM_FIXTURE_NAME`: the upstream's name (its tools' prefix at the gateway);
 * - `AARM_FIXTURE_TOOLS`: JSON, tool name (unprefixed) → its argument names;
 * - `AARM_FIXTURE_LOG`: the execution log (JSON lines `{tool, args}`, tool prefixed);
 * - `AARM_FIXTURE_OUTPUTS`, `AARM_FIXTURE_FAILING`: JSON, prefixed tool name → output or failure.
 *
 * @module
 */
import { appendFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

function json<T>(name: string, fallback: T): T {
  const text = process.env[name];
  return text === undefined || text === "" ? fallback : (JSON.parse(text) as T);
}

const prefix = process.env.AARM_FIXTURE_NAME ?? "fixture";
const log = process.env.AARM_FIXTURE_LOG ?? "";
const tools = json<{ [tool: string]: string[] }>("AARM_FIXTURE_TOOLS", {});
const outputs = json<{ [tool: string]: string }>("AARM_FIXTURE_OUTPUTS", {});
const failing = json<{ [tool: string]: string }>("AARM_FIXTURE_FAILING", {});

const server = new McpServer({ name: `aarm-conformance-${prefix}`, version: "1.0.0" });
for (const [name, args] of Object.entries(tools)) {
  const tool = `${prefix}.${name}`;
  const shape = Object.fromEntries(args.map((arg) => [arg, z.unknown()]));
  server.registerTool(name, { description: `records its runs (${tool})`, inputSchema: shape }, (given) => {
    appendFileSync(log, `${JSON.stringify({ tool, args: given })}\n`);
    const failure = failing[tool];
    if (failure !== undefined) return { content: [{ type: "text", text: failure }], isError: true };
    return { content: [{ type: "text", text: outputs[tool] ?? "ok" }] };
  });
}
await server.connect(new StdioServerTransport());
