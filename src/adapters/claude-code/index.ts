/**
 * `aarm` as a Claude Code hook: the hook input parsed as hostile JSON, the
 * mapping of Claude Code's tool names to policy names, the answers in Claude
 * Code's hook output format, the configuration file, the settings merge of
 * `aarm hook claude-code install`, and one invocation end to end. See
 * `docs/claude-code.md`.
 *
 * @module
 */
export {
  CONFIG_PATH,
  DEFAULT_PERMISSIONS_DENY,
  HOOK_DEFAULTS,
  type HookConfig,
  type HookConfigResult,
  type HookOverrides,
  loadHookConfig,
  type StepUpMode,
} from "./config.ts";
export { answerHookInput } from "./hook.ts";
export { failure, type HookAnswer, permission, type PermissionDecision, recorded } from "./output.ts";
export {
  type HookEvent,
  type ParsedHookInput,
  parseHookInput,
  type PostToolUseEvent,
  type PreToolUseEvent,
  type ToolInput,
  type UserPromptEvent,
} from "./payload.ts";
export { type HookProcess, readBounded, runClaudeCodeHook } from "./run.ts";
export {
  HOOK_EVENTS,
  type InstallOptions,
  type MergedSettings,
  mergeSettings,
  type SettingsObject,
  shellQuote,
} from "./settings.ts";
export { claudeCodeResolvers, mcpToolName, policyToolName } from "./tools.ts";
