/**
 * The gateway's tool table: every upstream tool under its prefixed name
 * (`<upstream>.<tool>`, e.g. `fs.write_file`), and the route back from that
 * name to the upstream and its own name for the tool.
 *
 * `.` is one of the characters MCP allows in tool names (`[A-Za-z0-9_.-]`,
 * 1–128 characters), and it is how policies name tools, so the name an agent
 * calls is the name the policy decides on. Upstream names contain no `.`, so
 * the prefix is unambiguous. A tool whose prefixed name would break MCP's
 * rule is left out, with a warning.
 *
 * @module
 */
import type { Tool, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { Ir, IrTool } from "../../ir/types.ts";
import type { Upstream } from "./upstream.ts";

/** MCP's rule for tool names. */
export const MCP_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** Where a prefixed tool name leads. */
export interface Route {
  readonly upstream: Upstream;
  /** The tool's name at its upstream. */
  readonly name: string;
}

/** The tools the gateway offers and where each leads. */
export interface ToolTable {
  /** The upstream definitions under prefixed names (as listed, with annotations from {@link listedTools}). */
  readonly tools: readonly Tool[];
  readonly routes: ReadonlyMap<string, Route>;
}

/** Builds the table; `warn` hears of every tool left out. */
export function toolTable(upstreams: readonly Upstream[], warn: (message: string) => void): ToolTable {
  const tools: Tool[] = [];
  const routes = new Map<string, Route>();
  for (const upstream of upstreams) {
    for (const tool of upstream.tools) {
      const name = `${upstream.name}.${tool.name}`;
      if (!MCP_TOOL_NAME.test(name) || routes.has(name)) {
        warn(
          `upstream ${upstream.name}: tool "${tool.name.slice(0, 64)}" left out: "${name.slice(0, 64)}" is not a usable MCP tool name`,
        );
        continue;
      }
      tools.push({ ...tool, name });
      routes.set(name, { upstream, name: tool.name });
    }
  }
  return { tools, routes };
}

/**
 * Warnings for tools the policy does not declare: every call of such a tool
 * is denied (rule `unknown_tool`), whatever upstream annotations claim.
 */
export function undeclaredTools(table: ToolTable, ir: Ir): string[] {
  const missing = table.tools.map((tool) => tool.name).filter((name) => !Object.hasOwn(ir.tools, name));
  if (missing.length === 0) return [];
  const shown = missing.slice(0, 10).join(", ");
  const more = missing.length > 10 ? ` and ${missing.length - 10} more` : "";
  return [`the policy declares no ${shown}${more}: calls of these tools are denied (unknown_tool)`];
}

/**
 * MCP's behaviour hints as the policy sees the tool, for a tool of `effect`
 * (none when the policy does not declare it): the upstream's own hints are
 * untrusted and never passed on, and whatever the policy does not say is the
 * worst case (not read-only, destructive, not idempotent, open-world).
 */
export function policyAnnotations(effect: IrTool["effect"] | null): ToolAnnotations {
  const read = effect === "read";
  return {
    readOnlyHint: read,
    destructiveHint: !read,
    idempotentHint: false,
    openWorldHint: effect === null || effect === "egress" || effect === "execute",
  };
}

/** The tools as listed to clients under the policy in force: upstream definitions with the policy's hints. */
export function listedTools(table: ToolTable, ir: Ir): Tool[] {
  return table.tools.map((tool) => {
    const declared = Object.hasOwn(ir.tools, tool.name) ? ir.tools[tool.name] : undefined;
    const title = tool.annotations?.title;
    return {
      ...tool,
      annotations: {
        ...(title === undefined ? {} : { title }),
        ...policyAnnotations(declared?.effect ?? null),
      },
    };
  });
}
