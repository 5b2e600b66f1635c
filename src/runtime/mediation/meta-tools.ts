/**
 * Meta-tool resolution (AARM §3.1, a MUST): wrapper tools that dispatch to
 * another tool by a parameter are resolved to the tool that will really run
 * *before* the policy sees the action, or a wrapper would be a way around
 * every rule written for the real tool. The wrapper's name is kept as
 * `original_tool` for audit.
 *
 * A resolver recognises one wrapper by name and pulls the real tool and its
 * arguments out of the wrapper's arguments. A wrapper call it cannot resolve
 * (the naming parameters missing or malformed) is refused, never passed on
 * under the wrapper's name.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";

/** Tool arguments: a JSON object. */
export type ToolArguments = { readonly [name: string]: Json };

/** The tool a wrapper call dispatches to, or why it names none. */
export type Resolution =
  | { readonly ok: true; readonly tool: string; readonly args: ToolArguments }
  | { readonly ok: false; readonly problem: string };

/** Resolves calls of one wrapper tool. */
export interface MetaToolResolver {
  /** The wrapper's tool name, as the agent calls it. */
  readonly wrapper: string;
  /** The real tool and its arguments, from the wrapper's arguments. */
  resolve(args: ToolArguments): Resolution;
}

function isArgs(value: Json | undefined): value is ToolArguments {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: Json | undefined): value is string {
  return typeof value === "string" && value.length > 0;
}

/** The wrapper's arguments without `names`. */
function without(args: ToolArguments, names: readonly string[]): ToolArguments {
  return Object.fromEntries(Object.entries(args).filter(([key]) => !names.includes(key)));
}

/**
 * A generic MCP wrapper: `mcp_tool` with `mcp_server_name` and
 * `mcp_tool_name` resolves to `<server>.<tool>` (e.g. `db.drop_table`). The
 * real tool's arguments are the object in `arguments` when there is one,
 * otherwise the wrapper's other arguments.
 */
export function mcpToolResolver(wrapper = "mcp_tool"): MetaToolResolver {
  return {
    wrapper,
    resolve(args) {
      const server = args.mcp_server_name;
      const tool = args.mcp_tool_name;
      if (!nonEmptyString(server) || !nonEmptyString(tool)) {
        return { ok: false, problem: `${wrapper} needs string arguments mcp_server_name and mcp_tool_name` };
      }
      const inner = args.arguments;
      if (inner !== undefined && !isArgs(inner)) {
        return { ok: false, problem: `${wrapper}: arguments must be an object` };
      }
      return {
        ok: true,
        tool: `${server}.${tool}`,
        args: inner ?? without(args, ["mcp_server_name", "mcp_tool_name"]),
      };
    },
  };
}

/**
 * A skill wrapper: `Skill` with `{"skill": "superpowers:brainstorming"}`
 * resolves to the skill's name as a policy names tools, with `:` read as
 * `.` (`superpowers.brainstorming`), since tool names in policies are dotted
 * identifiers. The wrapper's other arguments are the skill's.
 */
export function skillResolver(wrapper = "Skill"): MetaToolResolver {
  return {
    wrapper,
    resolve(args) {
      const skill = args.skill;
      if (!nonEmptyString(skill)) return { ok: false, problem: `${wrapper} needs a string argument skill` };
      return { ok: true, tool: skill.replaceAll(":", "."), args: without(args, ["skill"]) };
    },
  };
}

/** How many wrappers may be nested (a wrapper resolving to a wrapper) before the call is refused. */
export const MAX_WRAPPER_DEPTH = 4;

/**
 * Resolves `tool` through `resolvers` until it names no wrapper. The result
 * keeps the outermost wrapper as `original`, or null when `tool` was no
 * wrapper.
 */
export function resolveMetaTool(
  resolvers: readonly MetaToolResolver[],
  tool: string,
  args: ToolArguments,
):
  | {
      readonly ok: true;
      readonly tool: string;
      readonly args: ToolArguments;
      readonly original: string | null;
    }
  | { readonly ok: false; readonly problem: string } {
  let current = { tool, args };
  for (let depth = 0; depth <= MAX_WRAPPER_DEPTH; depth++) {
    const resolver = resolvers.find((r) => r.wrapper === current.tool);
    if (resolver === undefined) return { ok: true, ...current, original: depth === 0 ? null : tool };
    const resolved = resolver.resolve(current.args);
    if (!resolved.ok) return resolved;
    current = { tool: resolved.tool, args: resolved.args };
  }
  return { ok: false, problem: `${tool}: more than ${MAX_WRAPPER_DEPTH} nested wrapper tools` };
}
