/**
 * What the hook answers Claude Code: the JSON on stdout, the text on stderr
 * and the exit code, for each way a call can end.
 *
 * | aarm | Claude Code PreToolUse |
 * |---|---|
 * | ALLOW | `permissionDecision: "allow"` |
 * | MODIFY | `"allow"` with `updatedInput`: the whole input, as modified |
 * | STEP_UP (mode `ask`) | `"ask"`: delegated to Claude Code's permission prompt, with the reason |
 * | STEP_UP (mode `approvals`), DEFER, DENY | `"deny"` with the reason |
 * | any failure | `"deny"`, exit code 2, the reason on stderr |
 *
 * Exit code 2 is the one answer Claude Code treats as blocking whatever
 * else happens; every other failure of a command hook (a crash, a timeout,
 * output it cannot parse) lets the call through. So every failure of the
 * hook is answered with exit code 2, and the reason on stderr.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import type { ToolInput } from "./payload.ts";

/** What the hook process writes and how it exits. */
export interface HookAnswer {
  /** JSON for stdout, or null to write nothing. */
  readonly stdout: { readonly [key: string]: Json } | null;
  /** Text for stderr ("" for none). */
  readonly stderr: string;
  readonly exitCode: 0 | 2;
}

/** Claude Code's PreToolUse permission decisions aarm uses. */
export type PermissionDecision = "allow" | "deny" | "ask";

/** Longest reason handed to Claude Code (it caps what it shows anyway). */
const MAX_REASON_CHARS = 2000;

function bounded(reason: string): string {
  return reason.length <= MAX_REASON_CHARS ? reason : `${reason.slice(0, MAX_REASON_CHARS - 1)}…`;
}

/** A PreToolUse answer. */
export function permission(
  decision: PermissionDecision,
  reason: string,
  updatedInput?: ToolInput,
): HookAnswer {
  return {
    stdout: {
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: decision,
        permissionDecisionReason: bounded(reason),
        ...(updatedInput === undefined ? {} : { updatedInput }),
      },
    },
    stderr: "",
    exitCode: 0,
  };
}

/** An answer to an event that needs no decision (a recorded outcome, a recorded prompt). */
export function recorded(): HookAnswer {
  return { stdout: null, stderr: "", exitCode: 0 };
}

/**
 * The answer to any failure: blocking (exit 2) with the reason on stderr;
 * for a PreToolUse also a `deny` on stdout, so the reason reaches Claude in
 * the documented form.
 */
export function failure(reason: string, preToolUse: boolean): HookAnswer {
  const text = bounded(`aarm: ${reason}`);
  return {
    stdout: preToolUse
      ? {
          hookSpecificOutput: {
            hookEventName: "PreToolUse",
            permissionDecision: "deny",
            permissionDecisionReason: text,
          },
        }
      : null,
    stderr: `${text}\n`,
    exitCode: 2,
  };
}
