/**
 * MCP tools nobody refined: their effect stays `execute`, the most
 * dangerous, because MCP annotations are untrusted. One warning per import,
 * naming the tools.
 *
 * @module
 */
import type { Ctx } from "../context.ts";

const LISTED = 5;

export function unrefinedMcpTools(ctx: Ctx): void {
  for (const link of ctx.model.mcp) {
    const names = link.tools
      .map((t) => `${link.node.prefix.text}.${t.name}`)
      .filter((name) => {
        const tool = ctx.model.tools.get(name);
        return tool !== undefined && tool.mcp === link && tool.refinedBy === null;
      });
    if (names.length === 0) continue;
    const shown = names
      .slice(0, LISTED)
      .map((n) => `\`${n}\``)
      .join(", ");
    const more = names.length > LISTED ? ` and ${names.length - LISTED} more` : "";
    const count =
      names.length === 1
        ? "1 imported tool is never refined, so its"
        : `${names.length} imported tools are never refined, so their`;
    ctx.sink.report(
      "AARM4010",
      `${count} effect stays \`execute\`: ${shown}${more}; refine each with \`tool <name> { effect … }\``,
      link.node.path.span,
    );
  }
}
