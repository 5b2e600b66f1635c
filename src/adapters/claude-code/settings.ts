/**
 * Installing the hook: the `.claude/settings.json` entries that make Claude
 * Code run `aarm hook claude-code` for every tool call, tool result and user
 * prompt, merged into the settings already there.
 *
 * The merge keeps every other key and every other hook; it replaces only the
 * handlers it wrote before (recognised by their command running
 * `hook claude-code`), so installing twice gives the same file. The
 * `permissions.deny` backstop rules are added to the ones present, never
 * removing any: they hold even if the hook is bypassed or removed.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import { isPlainObject } from "../../schema/canonical.ts";

/** The events the hook is installed for. */
export const HOOK_EVENTS = ["PreToolUse", "PostToolUse", "PostToolUseFailure", "UserPromptSubmit"] as const;

/** What marks a hook handler as this hook's. */
const MARKER = "hook claude-code";

/** What to install. */
export interface InstallOptions {
  /** The shell command Claude Code runs. */
  readonly command: string;
  /** Claude Code's timeout for the hook, in seconds. */
  readonly timeoutSeconds: number;
  /** Rules to ensure in `permissions.deny`. */
  readonly permissionsDeny: readonly string[];
}

/** A settings file, or a part of one: a JSON object. */
export type SettingsObject = { [key: string]: Json };

/** The merged settings, or why the existing ones cannot be merged into. */
export type MergedSettings =
  { readonly ok: true; readonly settings: SettingsObject } | { readonly ok: false; readonly problem: string };

/** Quotes one word for a POSIX shell (`'…'`), leaving plain words as they are. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function isObject(value: Json | undefined): value is SettingsObject {
  return isPlainObject(value);
}

function isOurs(handler: Json): boolean {
  return isObject(handler) && typeof handler.command === "string" && handler.command.includes(MARKER);
}

/** The event's matcher groups with this hook's handlers taken out (and groups left empty dropped). */
function withoutOurs(groups: Json | undefined): Json[] | null {
  if (groups === undefined) return [];
  if (!Array.isArray(groups)) return null;
  const kept: Json[] = [];
  for (const group of groups) {
    if (!isObject(group) || !Array.isArray(group.hooks)) {
      kept.push(group);
      continue;
    }
    const handlers = group.hooks.filter((handler) => !isOurs(handler));
    if (handlers.length === group.hooks.length) kept.push(group);
    else if (handlers.length > 0) kept.push({ ...group, hooks: handlers });
  }
  return kept;
}

/** Merges the hook and the backstop into `existing` settings (null: none yet). */
export function mergeSettings(existing: Json | null, options: InstallOptions): MergedSettings {
  const settings: SettingsObject = existing === null ? {} : (existing as SettingsObject);
  if (!isPlainObject(settings)) return { ok: false, problem: "the settings are not a JSON object" };
  const hooks = settings.hooks ?? {};
  if (!isPlainObject(hooks)) return { ok: false, problem: "hooks: expected an object" };
  const handler: SettingsObject = {
    type: "command",
    command: options.command,
    timeout: options.timeoutSeconds,
  };
  const merged: SettingsObject = { ...(hooks as SettingsObject) };
  for (const event of HOOK_EVENTS) {
    const kept = withoutOurs(merged[event]);
    if (kept === null) return { ok: false, problem: `hooks.${event}: expected an array` };
    // Tool events match every tool: a tool the policy does not declare is denied, not skipped.
    const group: SettingsObject =
      event === "UserPromptSubmit" ? { hooks: [handler] } : { matcher: "*", hooks: [handler] };
    merged[event] = [...kept, group];
  }
  const permissions = settings.permissions ?? {};
  if (!isPlainObject(permissions)) return { ok: false, problem: "permissions: expected an object" };
  const deny = permissions.deny ?? [];
  if (!Array.isArray(deny)) return { ok: false, problem: "permissions.deny: expected an array" };
  const rules = [...deny];
  for (const rule of options.permissionsDeny) if (!rules.includes(rule)) rules.push(rule);
  return {
    ok: true,
    settings: {
      ...settings,
      hooks: merged,
      permissions: { ...(permissions as SettingsObject), deny: rules },
    },
  };
}
