/**
 * The hook's configuration: a small JSON file (`.aarm/hook.json` in the
 * project by default), which command-line flags may override.
 *
 * ```json
 * {
 *   "policy": "policy.aarm",
 *   "store": "aarm.sqlite",
 *   "keys": "keys",
 *   "principal": "alice@example.com",
 *   "roles": ["developer"],
 *   "deadline_ms": 10000,
 *   "step_up": "ask"
 * }
 * ```
 *
 * Relative paths in the file are relative to the file's folder; relative
 * paths given as flags, to the working directory. Every field but `policy`
 * has a default (see {@link HOOK_DEFAULTS}); an unknown field or a value of
 * the wrong type is an error, so a typo never silently weakens the setup.
 *
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { isPlainObject } from "../../schema/canonical.ts";

/** What a STEP_UP becomes in Claude Code. */
export type StepUpMode = "ask" | "approvals";

/** The hook's settings, resolved: paths absolute, defaults filled. */
export interface HookConfig {
  /** The policy: a `.aarm` source file, or a compiled IR `.json` (faster to start). */
  readonly policy: string;
  /** The SQLite store holding sessions, context logs and receipts. */
  readonly store: string;
  /** The key directory signing receipts; created with a new key when missing. */
  readonly keys: string;
  /** The human principal the agent acts for (the trusted-local identity). */
  readonly principal: string;
  readonly roles: readonly string[];
  readonly scope: readonly string[];
  /** The agent's name in identities and receipts. */
  readonly agent: string;
  /** The hook's own deadline, from process start; at it the call is denied. Below the hook timeout. */
  readonly deadlineMs: number;
  /** `ask`: Claude Code's permission prompt; `approvals`: aarm's approval service. */
  readonly stepUp: StepUpMode;
  /** Largest hook input read from stdin; larger input is denied. */
  readonly maxInputBytes: number;
  /** The timeout Claude Code is told to give the hook, in seconds (install only). */
  readonly hookTimeoutSeconds: number;
  /** Permission rules written to `permissions.deny` by install: the backstop if the hook is bypassed. */
  readonly permissionsDeny: readonly string[];
}

/** The configuration file's name in the project (`$CLAUDE_PROJECT_DIR/.aarm/hook.json`). */
export const CONFIG_PATH = join(".aarm", "hook.json");

/**
 * The default `permissions.deny` backstop: the agent may not change the
 * hook's configuration, policy, store or keys, nor Claude Code's settings
 * that install it, nor read the signing keys or `.env` files.
 */
export const DEFAULT_PERMISSIONS_DENY: readonly string[] = [
  "Edit(./.aarm/**)",
  "Write(./.aarm/**)",
  "Read(./.aarm/keys/**)",
  "Edit(./.claude/settings.json)",
  "Write(./.claude/settings.json)",
  "Edit(./.claude/settings.local.json)",
  "Write(./.claude/settings.local.json)",
  "Read(./.env)",
  "Read(./.env.*)",
];

/** Defaults of the optional settings. */
export const HOOK_DEFAULTS = {
  store: "aarm.sqlite",
  keys: "keys",
  agent: "claude-code",
  /** Well below the 30 s hook timeout install sets, and far below Claude Code's default of 600 s. */
  deadlineMs: 10_000,
  stepUp: "ask",
  maxInputBytes: 4 * 1024 * 1024,
  hookTimeoutSeconds: 30,
} as const;

/** Settings given on the command line; they override the file. */
export interface HookOverrides {
  readonly config?: string;
  readonly policy?: string;
  readonly store?: string;
  readonly keys?: string;
  readonly principal?: string;
  readonly deadlineMs?: number;
  readonly stepUp?: StepUpMode;
}

/** The configuration, or why there is none usable. */
export type HookConfigResult =
  { readonly ok: true; readonly config: HookConfig } | { readonly ok: false; readonly problem: string };

const FIELDS = new Set([
  "policy",
  "store",
  "keys",
  "principal",
  "roles",
  "scope",
  "agent",
  "deadline_ms",
  "step_up",
  "max_input_bytes",
  "hook_timeout_s",
  "permissions_deny",
]);

/** Largest configuration file read. */
const MAX_CONFIG_BYTES = 64 * 1024;

type Fields = Readonly<Record<string, unknown>>;

function readFile(path: string): { ok: true; fields: Fields | null } | { ok: false; problem: string } {
  let text: string;
  try {
    if (statSync(path).size > MAX_CONFIG_BYTES) {
      return { ok: false, problem: `${path}: larger than ${MAX_CONFIG_BYTES} bytes` };
    }
    text = readFileSync(path, "utf8");
  } catch (caught) {
    if ((caught as NodeJS.ErrnoException).code === "ENOENT") return { ok: true, fields: null };
    return { ok: false, problem: `${path}: cannot read: ${(caught as Error).message}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (caught) {
    return { ok: false, problem: `${path}: malformed JSON: ${(caught as Error).message}` };
  }
  if (!isPlainObject(raw)) return { ok: false, problem: `${path}: expected a JSON object` };
  for (const key of Object.keys(raw)) {
    if (!FIELDS.has(key)) return { ok: false, problem: `${path}: unknown field "${key}"` };
  }
  return { ok: true, fields: raw };
}

function localUser(): string | null {
  try {
    const name = userInfo().username;
    return name.length > 0 ? name : null;
  } catch {
    return null;
  }
}

/**
 * Loads the configuration: the file `overrides.config` names, or else
 * `.aarm/hook.json` under `projectDir` (Claude Code's `CLAUDE_PROJECT_DIR`,
 * or the working directory), with `overrides` applied. A missing default
 * file is fine when the flags name a policy.
 */
export function loadHookConfig(overrides: HookOverrides, cwd: string, projectDir: string): HookConfigResult {
  const path =
    overrides.config === undefined ? join(projectDir, CONFIG_PATH) : resolve(cwd, overrides.config);
  const read = readFile(path);
  if (!read.ok) return read;
  if (read.fields === null && overrides.config !== undefined) {
    return { ok: false, problem: `${path}: no such file` };
  }
  const fields = read.fields ?? {};
  const base = read.fields === null ? join(projectDir, ".aarm") : dirname(path);
  const problem = (field: string, expected: string): HookConfigResult => ({
    ok: false,
    problem: `${path}: ${field}: expected ${expected}`,
  });
  const text = (field: string): string | undefined | null => {
    const value = fields[field];
    if (value === undefined) return undefined;
    return typeof value === "string" && value.length > 0 && value.length <= 4096 ? value : null;
  };
  const strings = (field: string): readonly string[] | null => {
    const value = fields[field] ?? [];
    return Array.isArray(value) &&
      value.every((x) => typeof x === "string" && x.length > 0 && x.length <= 256)
      ? (value as string[])
      : null;
  };
  const integer = (field: string, fallback: number, min: number, max: number): number | null => {
    const value = fields[field] ?? fallback;
    return typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max
      ? value
      : null;
  };

  const paths: Record<"policy" | "store" | "keys", string | undefined> = {
    policy: undefined,
    store: undefined,
    keys: undefined,
  };
  for (const field of ["policy", "store", "keys"] as const) {
    const value = text(field);
    if (value === null) return problem(field, "a path");
    const given = overrides[field];
    const fallback = field === "policy" ? undefined : HOOK_DEFAULTS[field];
    if (given !== undefined) paths[field] = resolve(cwd, given);
    else if (value !== undefined || fallback !== undefined) paths[field] = resolve(base, value ?? fallback!);
  }
  if (paths.policy === undefined) {
    return {
      ok: false,
      problem: `no policy configured: ${read.fields === null ? `${path} does not exist; ` : ""}set "policy" in ${path} or pass --policy`,
    };
  }
  const principal = overrides.principal ?? text("principal");
  if (principal === null) return problem("principal", "a non-empty string");
  const user = principal ?? localUser();
  if (user === null)
    return { ok: false, problem: `${path}: principal: not set and the local user is unknown` };
  const agent = text("agent");
  if (agent === null) return problem("agent", "a non-empty string");
  const roles = strings("roles");
  if (roles === null) return problem("roles", "an array of strings");
  const scope = strings("scope");
  if (scope === null) return problem("scope", "an array of strings");
  const deny = fields.permissions_deny === undefined ? DEFAULT_PERMISSIONS_DENY : strings("permissions_deny");
  if (deny === null) return problem("permissions_deny", "an array of permission rules");
  const deadline = overrides.deadlineMs ?? integer("deadline_ms", HOOK_DEFAULTS.deadlineMs, 1, 600_000);
  if (deadline === null) return problem("deadline_ms", "an integer from 1 to 600000");
  const maxInput = integer("max_input_bytes", HOOK_DEFAULTS.maxInputBytes, 1024, 64 * 1024 * 1024);
  if (maxInput === null) return problem("max_input_bytes", "an integer from 1024 to 67108864");
  const timeout = integer("hook_timeout_s", HOOK_DEFAULTS.hookTimeoutSeconds, 1, 3600);
  if (timeout === null) return problem("hook_timeout_s", "an integer from 1 to 3600");
  const stepUp = overrides.stepUp ?? fields.step_up ?? HOOK_DEFAULTS.stepUp;
  if (stepUp !== "ask" && stepUp !== "approvals") return problem("step_up", `"ask" or "approvals"`);
  return {
    ok: true,
    config: {
      policy: paths.policy,
      store: paths.store!,
      keys: paths.keys!,
      principal: user,
      roles,
      scope,
      agent: agent ?? HOOK_DEFAULTS.agent,
      deadlineMs: deadline,
      stepUp,
      maxInputBytes: maxInput,
      hookTimeoutSeconds: timeout,
      permissionsDeny: deny,
    },
  };
}
