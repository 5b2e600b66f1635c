/**
 * Reading an MCP `tools/list` result into tool declarations. Accepts the
 * result (`{"tools": […]}`) or the whole JSON-RPC response
 * (`{"result": {"tools": […]}}`). Argument types come from each tool's
 * `inputSchema` as docs/language.md §3 says; anything the language cannot
 * type becomes `json`, which can only be presence-tested. Annotations are
 * ignored: they are untrusted, and the effect stays `execute`.
 *
 * @module
 */
import type { Type } from "../checked.ts";
import type { McpTool } from "./model.ts";
import { T } from "./types.ts";

/** Most tools one document may declare. */
export const MAX_MCP_TOOLS = 1000;
/** Most arguments one tool may declare. */
export const MAX_MCP_ARGS = 256;

/** MCP's own rule for tool names. */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export type McpResult =
  | { readonly ok: true; readonly tools: readonly McpTool[] }
  | { readonly ok: false; readonly tooLarge: boolean; readonly message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(message: string, tooLarge = false): McpResult {
  return { ok: false, tooLarge, message };
}

/** The language type of one property schema. */
function argType(schema: unknown): Type {
  if (!isObject(schema)) return T.json;
  switch (schema.type) {
    case "string":
      return T.string;
    case "number":
    case "integer":
      return T.number;
    case "boolean":
      return T.bool;
    case "array":
      return isObject(schema.items) && schema.items.type === "string" ? T.set(T.string) : T.json;
    default:
      return T.json;
  }
}

type ToolProblem = { readonly message: string; readonly tooLarge: boolean };

function problem(message: string, tooLarge = false): ToolProblem {
  return { message, tooLarge };
}

function readTool(value: unknown, index: number): McpTool | ToolProblem {
  if (!isObject(value)) return problem(`tools[${index}] is not an object`);
  const name = value.name;
  if (typeof name !== "string" || !TOOL_NAME.test(name)) {
    return problem(`tools[${index}] needs a \`name\` of 1 to 128 letters, digits, \`_\`, \`-\` or \`.\``);
  }
  const schema = value.inputSchema ?? {};
  if (!isObject(schema)) return problem(`the \`inputSchema\` of tool \`${name}\` is not an object`);
  const properties = schema.properties ?? {};
  if (!isObject(properties))
    return problem(`the \`inputSchema.properties\` of tool \`${name}\` is not an object`);
  const required = schema.required ?? [];
  if (!Array.isArray(required) || !required.every((r) => typeof r === "string")) {
    return problem(`the \`inputSchema.required\` of tool \`${name}\` is not a list of names`);
  }
  const names = Object.keys(properties);
  if (names.length > MAX_MCP_ARGS)
    return problem(`tool \`${name}\` has ${names.length} arguments; at most ${MAX_MCP_ARGS}`, true);
  const args = names.map((arg) => ({
    name: arg,
    type: argType(properties[arg]),
    optional: !required.includes(arg),
  }));
  return { name, args };
}

/** Parses and validates an MCP tool list. */
export function readMcpTools(text: string): McpResult {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const holder = isObject(document) && isObject(document.result) ? document.result : document;
  if (!isObject(holder) || !Array.isArray(holder.tools)) {
    return fail(
      'expected a `tools/list` result `{"tools": [...]}` or a JSON-RPC response with one as `result`',
    );
  }
  const list: unknown[] = holder.tools;
  if (list.length > MAX_MCP_TOOLS)
    return fail(`${list.length} tools; at most ${MAX_MCP_TOOLS} per document`, true);
  const tools: McpTool[] = [];
  const seen = new Set<string>();
  for (const [index, value] of list.entries()) {
    const tool = readTool(value, index);
    if ("message" in tool) return fail(tool.message, tool.tooLarge);
    if (seen.has(tool.name)) return fail(`tool \`${tool.name}\` is listed twice`);
    seen.add(tool.name);
    tools.push(tool);
  }
  return { ok: true, tools };
}
