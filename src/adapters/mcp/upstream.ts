/**
 * Upstream MCP servers: the gateway connects to each with the official SDK
 * client, over stdio (a command it spawns) or Streamable HTTP (a URL), and
 * lists its tools once at start.
 *
 * The gateway's client declares no capabilities (no sampling, elicitation or
 * roots), so an upstream cannot send requests back through it. A spawned
 * upstream gets a minimal environment: the SDK's default (HOME, LOGNAME,
 * PATH, SHELL, TERM, USER) plus only what its configuration names.
 *
 * @module
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";

/** An upstream server spawned as a child process speaking MCP over stdio. */
export interface StdioUpstreamSpec {
  readonly name: string;
  readonly command: string;
  readonly args?: readonly string[];
  /** Extra environment variables for the child, on top of the minimal default. */
  readonly env?: { readonly [name: string]: string };
  readonly cwd?: string;
}

/** An upstream server reached over Streamable HTTP. */
export interface HttpUpstreamSpec {
  readonly name: string;
  readonly url: string;
  /** Headers sent with every request (e.g. the upstream's own credentials). */
  readonly headers?: { readonly [name: string]: string };
}

/** How to reach one upstream server. */
export type UpstreamSpec = StdioUpstreamSpec | HttpUpstreamSpec;

/** A connected upstream server and the tools it offered at start. */
export interface Upstream {
  /** The name its tools are prefixed with (`fs` → `fs.write_file`). */
  readonly name: string;
  readonly client: Client;
  readonly tools: readonly Tool[];
  close(): Promise<void>;
}

/** Upstream names: a letter, then letters, digits, `_` or `-` (no `.`, which separates name and tool). */
export const UPSTREAM_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

/** Most tools taken from one upstream. */
export const MAX_UPSTREAM_TOOLS = 1000;
/** Most `tools/list` pages read from one upstream. */
const MAX_LIST_PAGES = 20;

/** Options of {@link connectUpstream}. */
export interface ConnectOptions {
  /** Client name and version announced to the upstream. */
  readonly clientInfo: { readonly name: string; readonly version: string };
  /** Bound on connecting and listing; default 30 s. */
  readonly timeoutMs?: number;
  /** What to do with a spawned child's stderr; default `inherit` (the gateway's stderr). */
  readonly stderr?: "inherit" | "ignore" | "pipe";
}

function transportFor(spec: UpstreamSpec, options: ConnectOptions): Transport {
  if ("url" in spec) {
    return new StreamableHTTPClientTransport(new URL(spec.url), {
      requestInit: { headers: { ...spec.headers } },
    });
  }
  return new StdioClientTransport({
    command: spec.command,
    args: [...(spec.args ?? [])],
    env: { ...getDefaultEnvironment(), ...spec.env },
    stderr: options.stderr ?? "inherit",
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
  });
}

/** Reads every page of the upstream's tool list, within bounds. */
async function listAllTools(client: Client, timeoutMs: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const listed = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs });
    tools.push(...listed.tools);
    if (tools.length > MAX_UPSTREAM_TOOLS) throw new Error(`more than ${MAX_UPSTREAM_TOOLS} tools`);
    cursor = listed.nextCursor;
    if (cursor === undefined) return tools;
  }
  throw new Error(`more than ${MAX_LIST_PAGES} pages of tools`);
}

/**
 * Connects to an upstream and lists its tools. Rejects with an `Error`
 * naming the upstream when it cannot be reached or listed; nothing is left
 * running then.
 */
export async function connectUpstream(spec: UpstreamSpec, options: ConnectOptions): Promise<Upstream> {
  if (!UPSTREAM_NAME.test(spec.name)) {
    throw new Error(`upstream name "${spec.name}" must be a letter then up to 31 letters, digits, _ or -`);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const client = new Client({ ...options.clientInfo }, { capabilities: {} });
  try {
    await client.connect(transportFor(spec, options), { timeout: timeoutMs });
    const tools = await listAllTools(client, timeoutMs);
    return { name: spec.name, client, tools, close: () => client.close() };
  } catch (caught) {
    await client.close().catch(() => undefined);
    throw new Error(`upstream ${spec.name}: ${caught instanceof Error ? caught.message : String(caught)}`, {
      cause: caught,
    });
  }
}
