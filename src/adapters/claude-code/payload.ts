/**
 * The Claude Code hook input: the JSON document Claude Code writes to a
 * command hook's stdin, read as hostile input. Only the fields aarm acts on
 * are read, each checked for type and bounded in size; anything else about
 * the document is ignored, and a document that lacks what its event needs is
 * refused (the hook then denies).
 *
 * Events handled: `PreToolUse` (decide), `PostToolUse` and
 * `PostToolUseFailure` (record what ran), `UserPromptSubmit` (the user's
 * request, the session's intent).
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import { isPlainObject } from "../../schema/canonical.ts";

/** A tool's input as Claude Code sends it: a JSON object. */
export type ToolInput = { readonly [name: string]: Json };

/** Fields every handled event carries. */
interface EventBase {
  /** Claude Code's session id. */
  readonly sessionId: string;
}

/** `PreToolUse`: a tool call about to run. */
export interface PreToolUseEvent extends EventBase {
  readonly event: "PreToolUse";
  readonly toolName: string;
  readonly toolInput: ToolInput;
  /** Claude Code's id of the call, when it sent one. */
  readonly toolUseId: string | null;
}

/** `PostToolUse` (the tool succeeded) or `PostToolUseFailure` (it failed). */
export interface PostToolUseEvent extends EventBase {
  readonly event: "PostToolUse" | "PostToolUseFailure";
  readonly toolName: string;
  readonly toolInput: ToolInput;
  readonly toolUseId: string;
  /** `tool_response` for a success; absent when Claude Code sent none. */
  readonly response: Json | undefined;
  /** `error` for a failure. */
  readonly error: string | null;
}

/** `UserPromptSubmit`: the user's request. */
export interface UserPromptEvent extends EventBase {
  readonly event: "UserPromptSubmit";
  readonly prompt: string;
}

/** A hook input aarm handles. */
export type HookEvent = PreToolUseEvent | PostToolUseEvent | UserPromptEvent;

/** The parsed event, or why the input is refused. */
export type ParsedHookInput =
  { readonly ok: true; readonly event: HookEvent } | { readonly ok: false; readonly problem: string };

const IDENTIFIER = /^[^\u0000-\u001F\u007F]{1,256}$/u;
const LONE_SURROGATE = /\p{Cs}/u;

/** Longest error message of a failed tool kept for the record. */
const MAX_ERROR_CHARS = 4096;

function identifier(value: unknown): value is string {
  return typeof value === "string" && IDENTIFIER.test(value) && !LONE_SURROGATE.test(value);
}

/** Parses the hook input text (already bounded in size by the reader). */
export function parseHookInput(text: string): ParsedHookInput {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (caught) {
    return { ok: false, problem: `the hook input is not JSON: ${(caught as Error).message}` };
  }
  if (!isPlainObject(raw)) return { ok: false, problem: "the hook input is not a JSON object" };
  const name = raw.hook_event_name;
  if (!identifier(raw.session_id)) {
    return { ok: false, problem: "session_id: expected a string of 1 to 256 characters without controls" };
  }
  const sessionId = raw.session_id;
  switch (name) {
    case "PreToolUse":
    case "PostToolUse":
    case "PostToolUseFailure": {
      if (!identifier(raw.tool_name)) return { ok: false, problem: "tool_name: expected a tool name" };
      if (!isPlainObject(raw.tool_input)) return { ok: false, problem: "tool_input: expected an object" };
      const toolInput = raw.tool_input as ToolInput;
      const toolUseId = raw.tool_use_id;
      if (toolUseId !== undefined && !identifier(toolUseId)) {
        return { ok: false, problem: "tool_use_id: expected a string of 1 to 256 characters" };
      }
      if (name === "PreToolUse") {
        return {
          ok: true,
          event: { event: name, sessionId, toolName: raw.tool_name, toolInput, toolUseId: toolUseId ?? null },
        };
      }
      if (toolUseId === undefined) {
        return { ok: false, problem: "tool_use_id: required to match the call with its decision" };
      }
      const error = raw.error;
      return {
        ok: true,
        event: {
          event: name,
          sessionId,
          toolName: raw.tool_name,
          toolInput,
          toolUseId,
          response: raw.tool_response as Json | undefined,
          error:
            name === "PostToolUseFailure"
              ? (typeof error === "string" ? error : "the tool failed").slice(0, MAX_ERROR_CHARS)
              : null,
        },
      };
    }
    case "UserPromptSubmit":
      if (typeof raw.prompt !== "string") return { ok: false, problem: "prompt: expected a string" };
      return { ok: true, event: { event: name, sessionId, prompt: raw.prompt } };
    default:
      return {
        ok: false,
        problem: `hook_event_name: ${typeof name === "string" ? JSON.stringify(name.slice(0, 64)) : "missing"} is not an event aarm handles`,
      };
  }
}
