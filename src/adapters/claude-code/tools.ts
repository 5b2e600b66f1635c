/**
 * How Claude Code's tools are named in a policy.
 *
 * - Built-in tools keep their names: `Bash`, `Write`, `Edit`, `Read`,
 *   `WebFetch`, `Glob`, `Grep`, … (`tool Bash { … }` in a policy).
 * - MCP tools, which Claude Code names `mcp__<server>__<tool>`, are
 *   `<server>.<tool>`, the name `import mcp "<tools/list>.json" as <server>`
 *   gives them and the one the `mcp_tool` wrapper resolves to:
 *   `mcp__github__create_issue` is `github.create_issue`. Plugin servers
 *   (`mcp__plugin_<plugin>_<server>__<tool>`) are `plugin_<plugin>_<server>.<tool>`.
 * - `Skill` calls resolve to the skill they run (`{"skill": "pdf:fill"}` is
 *   `pdf.fill`), as the runtime's skill resolver does everywhere.
 *
 * The renaming is a meta-tool resolution, so every receipt keeps Claude
 * Code's own name as `original_tool`. A name a policy cannot declare is not
 * refused here: the policy denies it as an unknown tool.
 *
 * @module
 */
import { type MetaToolResolver, skillResolver } from "../../runtime/mediation/meta-tools.ts";

const MCP_PREFIX = "mcp__";

/** The policy's name for a Claude Code MCP tool name, or null when `name` is not one. */
export function mcpToolName(name: string): string | null {
  if (!name.startsWith(MCP_PREFIX)) return null;
  const rest = name.slice(MCP_PREFIX.length);
  const split = rest.indexOf("__");
  if (split <= 0 || split + 2 >= rest.length) return null;
  return `${rest.slice(0, split)}.${rest.slice(split + 2)}`;
}

/** The policy's name for a tool as Claude Code names it (before `Skill` resolution). */
export function policyToolName(name: string): string {
  return mcpToolName(name) ?? name;
}

/**
 * The wrapper resolvers for one call of `toolName`: the `Skill` resolver,
 * and for an MCP tool one that renames it (arguments unchanged).
 */
export function claudeCodeResolvers(toolName: string): MetaToolResolver[] {
  const resolvers = [skillResolver()];
  const renamed = mcpToolName(toolName);
  if (renamed !== null) {
    resolvers.push({ wrapper: toolName, resolve: (args) => ({ ok: true, tool: renamed, args }) });
  }
  return resolvers;
}
