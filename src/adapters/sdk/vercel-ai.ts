/**
 * The Vercel AI SDK (`ai`): a `ToolSet` whose tools' `execute` goes through
 * the policy. The set is typed structurally, so aarm does not depend on `ai`.
 *
 * ```ts
 * const tools = guardVercelAiTools(
 *   { send_money: tool({ description, inputSchema, execute: sendMoney }) },
 *   session,
 *   { names: { send_money: "bank.send_money" } },
 * );
 * await generateText({ model, tools, prompt });
 * ```
 *
 * The SDK's `toolCallId` is the call id and its `abortSignal` cancels a
 * pending STEP_UP or DEFER. A denial is thrown as `AarmDeniedError`, which
 * the SDK reports to the model as the tool's error, with the reason.
 * Tools without `execute` are left as they are: nothing runs them here.
 *
 * @module
 */
import type { Session } from "../../runtime/engine/session.ts";
import { markGuarded } from "./coverage.ts";
import { enforce, type GuardOptions, newCallId } from "./enforce.ts";

/** The options the AI SDK passes to `execute`, as far as aarm reads them. */
export interface VercelAiExecuteOptions {
  readonly toolCallId?: string;
  readonly abortSignal?: AbortSignal;
}

/** A Vercel AI SDK tool, as far as aarm needs it. */
export interface VercelAiTool {
  /** The schema of the tool's input; every AI SDK tool has one. */
  readonly inputSchema?: unknown;
  readonly execute?: ((input: never, options: never) => unknown) | undefined;
}

/** A Vercel AI SDK `ToolSet`: tools by the name the model calls them by. */
export type VercelAiToolSet = { readonly [name: string]: VercelAiTool };

function isAsyncIterable(value: unknown): boolean {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/**
 * Returns `tools` with every `execute` guarded by `session` (see `guard` for
 * what a guarded call does). The tool's name, mapped by `options.names`, is
 * the policy's tool name. Streaming tools (an `execute` returning an async
 * iterable) are refused when called: their output could not be recorded
 * before the model sees it.
 */
export function guardVercelAiTools<T extends VercelAiToolSet>(
  tools: T,
  session: Session,
  options: GuardOptions = {},
): T {
  const out: { [name: string]: VercelAiTool } = {};
  for (const [name, definition] of Object.entries(tools)) {
    const execute = definition.execute;
    if (execute === undefined) {
      out[name] = definition;
      continue;
    }
    const policyName = options.names?.[name] ?? name;
    const guarded = markGuarded((input: unknown, sdk: VercelAiExecuteOptions = {}) =>
      enforce(
        session,
        { tool: policyName, args: input, callId: sdk.toolCallId ?? newCallId(), signal: sdk.abortSignal },
        async (args) => {
          const result: unknown = await (execute as (input: unknown, options: unknown) => unknown)(args, sdk);
          if (isAsyncIterable(result))
            throw new TypeError("streaming tool results are not supported under aarm");
          return result;
        },
        options,
      ),
    );
    out[name] = { ...definition, execute: guarded };
  }
  return out as T;
}
