/**
 * Finding tools that bypass the policy (AARM scenario 100). The SDK's
 * weakness is the tool an application forgets to wrap: it runs with no
 * decision, no context and no receipt. Every function `guard` and the
 * adapters produce is registered here, so a tool set can be checked at
 * start-up or in a test: plain tool functions, Vercel AI tool sets and
 * OpenAI Agents function tools alike.
 *
 * @module
 */
import { AarmUnguardedError } from "./errors.ts";

const guarded = new WeakSet<object>();

/** Registers a function made by `guard` or an adapter. */
export function markGuarded<F extends object>(fn: F): F {
  guarded.add(fn);
  return fn;
}

function isRecord(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === "object" && value !== null;
}

/**
 * Whether a tool runs only through the policy: a guarded function, a tool
 * whose `execute` (Vercel AI) or `invoke` (OpenAI Agents function tool) is
 * guarded, or a tool definition with nothing to run here (a provider-executed
 * or hosted tool). Anything else, including shapes not recognised, is not.
 */
function isCovered(tool: unknown): boolean {
  if (typeof tool === "function") return guarded.has(tool);
  if (!isRecord(tool)) return false;
  if (tool.type === "function") return typeof tool.invoke === "function" && guarded.has(tool.invoke);
  if ("execute" in tool && tool.execute !== undefined) {
    return typeof tool.execute === "function" && guarded.has(tool.execute);
  }
  if ("invoke" in tool && tool.invoke !== undefined) {
    return typeof tool.invoke === "function" && guarded.has(tool.invoke);
  }
  // Hosted tools (OpenAI Agents) and tools without `execute` (Vercel AI) run elsewhere or not at all.
  return typeof tool.type === "string" || "inputSchema" in tool;
}

function nameOf(tool: unknown, index: number): string {
  return isRecord(tool) && typeof tool.name === "string" ? tool.name : `#${index}`;
}

/**
 * The names of the tools in `tools` that can run without a policy decision:
 * a record of tools (plain functions or Vercel AI tools) by name, or an
 * array of OpenAI Agents tools (named by `name`, else by position).
 */
export function unguardedTools(tools: { readonly [name: string]: unknown } | readonly unknown[]): string[] {
  if (Array.isArray(tools)) {
    return tools.flatMap((tool: unknown, i) => (isCovered(tool) ? [] : [nameOf(tool, i)]));
  }
  return Object.entries(tools).flatMap(([name, tool]) => (isCovered(tool) ? [] : [name]));
}

/** Throws {@link AarmUnguardedError} naming every tool of `tools` that {@link unguardedTools} finds. */
export function assertGuarded(tools: { readonly [name: string]: unknown } | readonly unknown[]): void {
  const missing = unguardedTools(tools);
  if (missing.length > 0) throw new AarmUnguardedError(missing);
}
