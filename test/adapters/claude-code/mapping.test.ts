/**
 * The pieces of the Claude Code hook a policy author and an installer depend on, in process: how
 * Claude Code's tool names become policy names, which hook inputs are refused, and how install merges
 * into an existing settings file.
 */
import { describe, expect, it } from "vitest";
import { parseHookInput } from "../../../src/adapters/claude-code/payload.ts";
import { mergeSettings, shellQuote } from "../../../src/adapters/claude-code/settings.ts";
import { claudeCodeResolvers, policyToolName } from "../../../src/adapters/claude-code/tools.ts";
import { resolveMetaTool } from "../../../src/runtime/mediation/meta-tools.ts";

describe("tool names", () => {
  it.each([
    ["Bash", "Bash"],
    ["WebFetch", "WebFetch"],
    ["mcp__github__create_issue", "github.create_issue"],
    ["mcp__plugin_tools_fs__read_file", "plugin_tools_fs.read_file"],
    ["mcp__db__run__raw", "db.run__raw"],
    ["mcp__", "mcp__"],
    ["mcp____x", "mcp____x"],
    ["mcp__server__", "mcp__server__"],
  ])("%s is %s in a policy", (claude, policy) => {
    expect(policyToolName(claude)).toBe(policy);
  });

  it("resolves MCP and Skill calls as meta-tools, keeping Claude Code's name as the original", () => {
    const mcp = resolveMetaTool(claudeCodeResolvers("mcp__docs__search"), "mcp__docs__search", {
      query: "x",
    });
    expect(mcp).toEqual({
      ok: true,
      tool: "docs.search",
      args: { query: "x" },
      original: "mcp__docs__search",
    });
    const skill = resolveMetaTool(claudeCodeResolvers("Skill"), "Skill", { skill: "pdf:fill", page: 2 });
    expect(skill).toEqual({ ok: true, tool: "pdf.fill", args: { page: 2 }, original: "Skill" });
    expect(resolveMetaTool(claudeCodeResolvers("Skill"), "Skill", {}).ok).toBe(false);
  });
});

describe("hook input", () => {
  const pre = {
    session_id: "s",
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: "ls" },
  };

  it("reads the documented events", () => {
    expect(parseHookInput(JSON.stringify({ ...pre, tool_use_id: "toolu_1", cwd: "/p" }))).toEqual({
      ok: true,
      event: {
        event: "PreToolUse",
        sessionId: "s",
        toolName: "Bash",
        toolInput: { command: "ls" },
        toolUseId: "toolu_1",
      },
    });
    const post = parseHookInput(
      JSON.stringify({
        ...pre,
        hook_event_name: "PostToolUse",
        tool_use_id: "t",
        tool_response: { stdout: "a" },
      }),
    );
    expect(post.ok && post.event).toMatchObject({
      event: "PostToolUse",
      response: { stdout: "a" },
      error: null,
    });
    const prompt = parseHookInput(
      JSON.stringify({ session_id: "s", hook_event_name: "UserPromptSubmit", prompt: "hi" }),
    );
    expect(prompt).toEqual({ ok: true, event: { event: "UserPromptSubmit", sessionId: "s", prompt: "hi" } });
  });

  it.each([
    ["not JSON", "{", /not JSON/],
    ["not an object", "[]", /not a JSON object/],
    ["no session", JSON.stringify({ ...pre, session_id: "" }), /session_id/],
    ["a control character in the session", JSON.stringify({ ...pre, session_id: "a\nb" }), /session_id/],
    ["input that is not an object", JSON.stringify({ ...pre, tool_input: ["ls"] }), /tool_input/],
    ["no tool name", JSON.stringify({ ...pre, tool_name: 3 }), /tool_name/],
    [
      "a PostToolUse without its call id",
      JSON.stringify({ ...pre, hook_event_name: "PostToolUse" }),
      /tool_use_id/,
    ],
    [
      "an event aarm does not handle",
      JSON.stringify({ ...pre, hook_event_name: "Stop" }),
      /"Stop" is not an event/,
    ],
    [
      "a prompt that is not text",
      JSON.stringify({ session_id: "s", hook_event_name: "UserPromptSubmit" }),
      /prompt/,
    ],
  ])("refuses %s", (_, text, problem) => {
    const parsed = parseHookInput(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "" : parsed.problem).toMatch(problem);
  });
});

describe("settings merge", () => {
  const options = {
    command: "aarm hook claude-code --config /p/.aarm/hook.json",
    timeoutSeconds: 30,
    permissionsDeny: ["Read(./.env)"],
  };

  it("replaces only its own handlers, leaving others in the same matcher group", () => {
    const existing = {
      hooks: {
        PreToolUse: [
          {
            matcher: "*",
            hooks: [
              { type: "command", command: "old/aarm hook claude-code --config x", timeout: 5 },
              { type: "command", command: "./audit.sh" },
            ],
          },
        ],
      },
      permissions: { deny: ["Read(./.env)"] },
    };
    const merged = mergeSettings(existing, options);
    expect(merged.ok).toBe(true);
    const settings = merged.ok ? merged.settings : {};
    expect(settings.hooks).toMatchObject({
      PreToolUse: [
        { matcher: "*", hooks: [{ type: "command", command: "./audit.sh" }] },
        { matcher: "*", hooks: [{ type: "command", command: options.command, timeout: 30 }] },
      ],
    });
    expect(settings.permissions).toEqual({ deny: ["Read(./.env)"] });
    expect(mergeSettings(settings, options)).toEqual(merged);
  });

  it("refuses settings it cannot merge into", () => {
    expect(mergeSettings({ hooks: [] }, options)).toEqual({
      ok: false,
      problem: "hooks: expected an object",
    });
    expect(mergeSettings({ hooks: { PreToolUse: {} } }, options).ok).toBe(false);
    expect(mergeSettings({ permissions: { deny: "Bash" } }, options).ok).toBe(false);
  });

  it("quotes command words for the shell", () => {
    expect(shellQuote("/usr/bin/node")).toBe("/usr/bin/node");
    expect(shellQuote("/home/a b/it's")).toBe(`'/home/a b/it'\\''s'`);
  });
});
