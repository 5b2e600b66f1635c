/**
 * The TypeScript SDK: tool calls of an in-process agent decided by an aarm
 * session before they run. `guard` wraps plain async tool functions;
 * `guardVercelAiTools` and `guardOpenAiAgentsTools` wrap the tools of the
 * Vercel AI SDK and the OpenAI Agents SDK; `enforce` is the one enforcement
 * point beneath them, for other frameworks. `assertGuarded` finds tools that
 * would bypass the policy and `backstop` makes a tool refuse to run outside
 * a released call. See `docs/sdk.md`.
 *
 * @module
 */
export { backstop } from "./backstop.ts";
export { assertGuarded, unguardedTools } from "./coverage.ts";
export {
  enforce,
  type GuardedCall,
  type GuardEvent,
  type GuardOptions,
  type ReleasedCall,
  type ReleasedTool,
} from "./enforce.ts";
export { AarmDeniedError, AarmOutcomeError, AarmReplayError, AarmUnguardedError } from "./errors.ts";
export {
  type CallOptions,
  guard,
  type GuardedTool,
  type GuardedTools,
  type ToolFunction,
  type ToolFunctions,
} from "./guard.ts";
export {
  guardOpenAiAgentsTools,
  type OpenAiAgentsCallDetails,
  type OpenAiAgentsGuardOptions,
  type OpenAiAgentsTool,
} from "./openai-agents.ts";
export {
  guardVercelAiTools,
  type VercelAiExecuteOptions,
  type VercelAiTool,
  type VercelAiToolSet,
} from "./vercel-ai.ts";
