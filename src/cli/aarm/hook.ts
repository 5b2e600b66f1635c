/**
 * `aarm hook claude-code`: aarm as a Claude Code command hook, and
 * `aarm hook claude-code install`, which adds it to `.claude/settings.json`.
 * See `docs/claude-code.md`.
 *
 * @module
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { CONFIG_PATH, type HookOverrides, loadHookConfig } from "../../adapters/claude-code/config.ts";
import type { HookAnswer } from "../../adapters/claude-code/output.ts";
import { runClaudeCodeHook } from "../../adapters/claude-code/run.ts";
import { mergeSettings, shellQuote } from "../../adapters/claude-code/settings.ts";
import type { Json } from "../../ir/contract.ts";
import { createKeyDirectory, MANIFEST_FILE } from "../../runtime/crypto/keydir.ts";
import { nodeBackend } from "../../runtime/crypto/node.ts";
import type { Command, ParsedValues } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { parseJson, readText } from "../files.ts";
import type { Io } from "../io.ts";

function text(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

function overrides(values: ParsedValues): HookOverrides {
  const deadline = text(values, "deadline");
  const deadlineMs = deadline === undefined ? undefined : Number(deadline);
  if (
    deadlineMs !== undefined &&
    !(Number.isSafeInteger(deadlineMs) && deadlineMs >= 1 && deadlineMs <= 600_000)
  ) {
    throw new CliError(`hook: --deadline must be an integer from 1 to 600000 (ms), not "${deadline}"`);
  }
  const stepUp = text(values, "step-up") as HookOverrides["stepUp"];
  const entries = {
    config: text(values, "config"),
    policy: text(values, "policy"),
    store: text(values, "store"),
    keys: text(values, "keys"),
    principal: text(values, "principal"),
    deadlineMs,
    stepUp,
  };
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as HookOverrides;
}

/** The project folder: Claude Code's `CLAUDE_PROJECT_DIR`, else the working directory. */
function projectDir(io: Io): string {
  const dir = process.env.CLAUDE_PROJECT_DIR;
  return dir !== undefined && dir !== "" ? resolve(io.cwd, dir) : io.cwd;
}

/** Writes the answer and ends the process once stdout is flushed: work still running past a deadline must not keep it alive. */
function finish(io: Io, answer: HookAnswer): number {
  if (answer.stdout !== null) io.stdout(`${JSON.stringify(answer.stdout)}\n`);
  if (answer.stderr !== "") io.stderr(answer.stderr);
  process.stdout.write("", () => process.exit(answer.exitCode));
  return answer.exitCode;
}

/** Writes a file atomically: a temporary file beside it, then a rename. */
function writeAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${process.pid}.aarm-tmp`);
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

function install(values: ParsedValues, io: Io): number {
  const project = projectDir(io);
  const given = overrides(values);
  const configPath = resolve(io.cwd, given.config ?? join(project, CONFIG_PATH));
  const loaded = loadHookConfig({ ...given, config: configPath }, io.cwd, project);
  if (!loaded.ok) throw new CliError(`hook claude-code install: ${loaded.problem}`);
  const config = loaded.config;
  const timeout =
    text(values, "timeout") === undefined ? config.hookTimeoutSeconds : Number(text(values, "timeout"));
  if (!Number.isSafeInteger(timeout) || timeout < 1 || timeout > 3600) {
    throw new CliError(`hook claude-code install: --timeout must be an integer from 1 to 3600 (seconds)`);
  }
  // Past Claude Code's timeout the call goes through: the hook must have answered well before.
  if (config.deadlineMs + 1000 > timeout * 1000) {
    throw new CliError(
      `hook claude-code install: the hook's deadline (${config.deadlineMs} ms) must end at least 1 s before its timeout (${timeout} s)`,
    );
  }
  const command =
    text(values, "command") ??
    [process.execPath, resolve(process.argv[1] ?? "aarm"), "hook", "claude-code", "--config", configPath]
      .map(shellQuote)
      .join(" ");
  const deny = [...config.permissionsDeny, ...((values.deny as string[] | undefined) ?? [])];
  const options = { command, timeoutSeconds: timeout, permissionsDeny: deny };
  if (values.print === true) {
    const snippet = mergeSettings(null, options);
    if (!snippet.ok) throw new CliError(`hook claude-code install: ${snippet.problem}`);
    io.stdout(`${JSON.stringify(snippet.settings, null, 2)}\n`);
    return EXIT.ok;
  }
  const settingsPath = resolve(io.cwd, text(values, "settings") ?? join(project, ".claude", "settings.json"));
  const existing = existsSync(settingsPath)
    ? (parseJson(readText(settingsPath, io.cwd), settingsPath) as Json)
    : null;
  const merged = mergeSettings(existing, options);
  if (!merged.ok) throw new CliError(`${settingsPath}: ${merged.problem}`);
  if (!existsSync(join(config.keys, MANIFEST_FILE))) {
    const keys = createKeyDirectory(config.keys, nodeBackend, new Date());
    if (!keys.ok) throw new CliError(`${keys.error.message}`);
    io.stdout(`created signing keys in ${config.keys}\n`);
  }
  mkdirSync(dirname(config.store), { recursive: true });
  try {
    writeAtomic(settingsPath, `${JSON.stringify(merged.settings, null, 2)}\n`);
  } catch (caught) {
    throw new CliError(`${settingsPath}: cannot write: ${(caught as Error).message}`);
  }
  io.stdout(
    `installed the aarm hook in ${settingsPath}: PreToolUse, PostToolUse, PostToolUseFailure, UserPromptSubmit ` +
      `(timeout ${timeout} s, deadline ${config.deadlineMs} ms), ${deny.length} permissions.deny rules\n`,
  );
  return EXIT.ok;
}

export const hook: Command = {
  name: "hook",
  summary: "run aarm as an agent's hook (Claude Code), or install it",
  usage: "claude-code [install] [options]",
  description:
    "aarm hook claude-code reads one Claude Code hook event (JSON) on stdin and answers it: PreToolUse is\n" +
    "decided by the policy on the session's context (allow, deny, ask, or allow with updatedInput for a\n" +
    "MODIFY); PostToolUse and PostToolUseFailure record what the tool returned; UserPromptSubmit records the\n" +
    "user's request as the session's intent. Sessions persist in the SQLite store. Every failure (no\n" +
    "configuration, policy or store, bad input, the deadline passing) denies with exit code 2.\n" +
    "aarm hook claude-code install merges the hook and a permissions.deny backstop into\n" +
    ".claude/settings.json. Configuration: .aarm/hook.json in the project (see docs/claude-code.md).",
  options: {
    config: {
      type: "string",
      value: "FILE",
      description: `the configuration (default: ${CONFIG_PATH} in the project)`,
    },
    policy: { type: "string", value: "FILE", description: "the policy: .aarm source or compiled IR .json" },
    store: { type: "string", value: "FILE", description: "the SQLite store (default: .aarm/aarm.sqlite)" },
    keys: { type: "string", value: "DIR", description: "the signing key directory (default: .aarm/keys)" },
    principal: {
      type: "string",
      value: "NAME",
      description: "the human the agent acts for (default: the local user)",
    },
    deadline: {
      type: "string",
      value: "MS",
      description: "the hook's own deadline from process start (default 10000)",
    },
    "step-up": {
      type: "string",
      value: "MODE",
      description: "what a STEP_UP becomes",
      choices: ["ask", "approvals"],
    },
    settings: {
      type: "string",
      value: "FILE",
      description: "install: the settings file (default: .claude/settings.json in the project)",
    },
    print: { type: "boolean", description: "install: print the settings snippet instead of writing it" },
    command: { type: "string", value: "CMD", description: "install: the hook command (default: this aarm)" },
    timeout: {
      type: "string",
      value: "S",
      description: "install: Claude Code's timeout for the hook (default 30)",
    },
    deny: {
      type: "string",
      value: "RULE",
      multiple: true,
      description: "install: a further permissions.deny rule (repeatable)",
    },
  },
  examples: [
    "aarm hook claude-code < event.json",
    "aarm hook claude-code install",
    "aarm hook claude-code install --print --deny 'Bash(curl:*)'",
  ],
  async run(positionals, values, io) {
    const [agent, action, extra] = positionals;
    if (agent !== "claude-code") {
      throw new CliError(`hook: expected "claude-code"${agent === undefined ? "" : `, not "${agent}"`}`);
    }
    if (extra !== undefined || (action !== undefined && action !== "install")) {
      throw new CliError(`hook claude-code: unexpected argument "${extra ?? action}"`);
    }
    if (action === "install") return install(values, io);
    let given: HookOverrides;
    try {
      given = overrides(values);
    } catch (caught) {
      // Even a bad flag must block: a hook that fails any other way lets the call through.
      return finish(io, { stdout: null, stderr: `aarm: ${(caught as Error).message}\n`, exitCode: 2 });
    }
    const answer = await runClaudeCodeHook({
      stdin: process.stdin,
      overrides: given,
      cwd: io.cwd,
      projectDir: projectDir(io),
      startedAt: performance.timeOrigin,
    });
    return finish(io, answer);
  },
};
