/**
 * The action mediation layer (AARM §3.1): a raw tool call, as an agent made
 * it, becomes the canonical `Action` the policy is evaluated on.
 *
 * In order: the arguments are read as bounded JSON; a wrapper tool is
 * resolved to the tool it dispatches to (keeping the wrapper's name); the
 * tool's effect and targets come from its declaration in the compiled
 * policy, and its arguments are checked against that declaration. The action
 * id and timestamp are given by the session, the identity by the identity
 * stage, so the same request in the same session always yields the same
 * action.
 *
 * Mediation never throws and always produces an action: when the call is
 * refused, the action is the best faithful record of it that fits the
 * schema (an unusable tool name or arguments are replaced by a placeholder),
 * for the receipt of the refusal.
 *
 * A tool the policy does not declare is not refused here: it is mediated
 * with effect `execute` and no targets, and the evaluator denies it by its
 * `unknown_tool` rule, as the policy language defines.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import type { Ir } from "../../ir/types.ts";
import { actionTarget } from "../../eval/target.ts";
import type { Action, Identity } from "../../schema/generated/types.ts";
import { type ArgumentLimits, argumentProblems, readArguments } from "./conform.ts";
import { type MetaToolResolver, resolveMetaTool } from "./meta-tools.ts";

type Args = { readonly [name: string]: Json };

/** A tool call as an agent made it. Nothing about it is trusted. */
export interface ToolCall {
  /** The tool the agent called (possibly a wrapper). */
  readonly tool: string;
  /** Its arguments: must be a plain JSON object. */
  readonly args: Readonly<Record<string, unknown>>;
  /**
   * The caller's id for this call (an MCP request id, a tool-use id). The
   * same call id with the same request in one session is the same action:
   * it gets the same decision and is never released twice. A call id reused
   * for a different request is refused.
   */
  readonly callId?: string;
  /** The operation on the tool; `call` by default. */
  readonly operation?: string;
}

/** What mediation needs besides the call. */
export interface MediationContext {
  readonly ir: Ir;
  readonly resolvers: readonly MetaToolResolver[];
  readonly limits: ArgumentLimits;
  readonly actionId: string;
  readonly timestamp: string;
  readonly identity: Identity;
}

/** The mediated action, or why the call is refused (with the action as it can be recorded). */
export type Mediation =
  | { readonly ok: true; readonly action: Action }
  | { readonly ok: false; readonly action: Action; readonly problem: string };

/** Stand-in for a tool name that is not a usable identifier, in the record of a refused call. */
export const INVALID_TOOL = "invalid-tool-name";

/** Longest target the canonical action can record. */
const MAX_TARGET_CHARS = 2048;

const IDENTIFIER = /^[^\u0000-\u001F\u007F]{1,256}$/u;
const LONE_SURROGATE = /\p{Cs}/u;

/** An identifier of the schemas, and representable in canonical JSON (no lone surrogates). */
function isIdentifier(value: unknown): value is string {
  return typeof value === "string" && IDENTIFIER.test(value) && !LONE_SURROGATE.test(value);
}

/** Mediates one call. */
export function mediate(call: ToolCall, context: MediationContext): Mediation {
  const { ir, actionId, timestamp, identity } = context;
  const operation = call.operation === undefined ? "call" : call.operation;
  const shell = (tool: unknown, parameters: Args): Action => ({
    action_id: actionId,
    timestamp,
    tool: isIdentifier(tool) ? tool : INVALID_TOOL,
    operation: isIdentifier(operation) ? operation : "call",
    parameters: { ...parameters },
    effect: "execute",
    targets: [],
    identity,
  });
  const refuse = (tool: unknown, parameters: Args, problem: string): Mediation => ({
    ok: false,
    action: shell(tool, parameters),
    problem,
  });

  if (!isIdentifier(call.tool)) return refuse(call.tool, {}, "the tool name is not a usable identifier");
  if (!isIdentifier(operation)) return refuse(call.tool, {}, "the operation is not a usable identifier");
  const read = readArguments(call.args, context.limits);
  if (!read.ok) return refuse(call.tool, {}, read.problem);

  const resolved = resolveMetaTool(context.resolvers, call.tool, read.value);
  if (!resolved.ok) return refuse(call.tool, read.value, resolved.problem);
  const original = resolved.original === null ? {} : { original_tool: resolved.original };
  if (!isIdentifier(resolved.tool)) {
    return {
      ok: false,
      action: { ...shell(resolved.tool, resolved.args), ...original },
      problem: `${call.tool} resolves to a tool name that is not a usable identifier`,
    };
  }

  const declared = Object.hasOwn(ir.tools, resolved.tool) ? ir.tools[resolved.tool] : undefined;
  if (declared === undefined)
    return { ok: true, action: { ...shell(resolved.tool, resolved.args), ...original } };
  const action: Action = {
    ...shell(resolved.tool, resolved.args),
    ...original,
    effect: declared.effect,
  };
  const problems = argumentProblems(resolved.tool, declared, resolved.args);
  if (problems.length > 0) return { ok: false, action, problem: `invalid arguments: ${problems.join("; ")}` };
  const target = actionTarget(ir, resolved.tool, resolved.args);
  // Cutting a target short would make later session queries compare a different target, so refuse.
  if (target !== null && target.length > MAX_TARGET_CHARS) {
    return { ok: false, action, problem: `the target is longer than ${MAX_TARGET_CHARS} characters` };
  }
  // An empty target cannot be recorded; in the history it then reads as unknown, never as a match.
  return { ok: true, action: { ...action, targets: target === null || target === "" ? [] : [target] } };
}
