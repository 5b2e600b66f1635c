/**
 * The OpenAI Agents SDK for JavaScript (`@openai/agents`): function tools
 * whose `invoke`, the one entry the runner executes a tool through, asks the
 * policy first. Typed structurally, so aarm does not depend on the SDK.
 *
 * ```ts
 * const tools = guardOpenAiAgentsTools(
 *   [tool({ name: "send_money", description, parameters, execute: sendMoney })],
 *   session,
 *   { names: { send_money: "bank.send_money" } },
 * );
 * const agent = new Agent({ name: "finance", instructions, tools });
 * ```
 *
 * The model's call id is the call id and the run's signal cancels a pending
 * STEP_UP or DEFER (and is rethrown, as the runner expects of a cancelled
 * tool). A denial is returned to the model as the tool's output, the text
 * `onDenied` makes of it (by default the error's message), so the run goes
 * on and the agent can explain; the tool did not run. Tools other than
 * function tools (hosted tools) are left as they are.
 *
 * A function tool made with `tool()` turns its own execution errors into
 * model-visible text inside `invoke`: such a failure is recorded as a
 * successful run whose output is that text.
 *
 * @module
 */
import type { Session } from "../../runtime/engine/session.ts";
import { markGuarded } from "./coverage.ts";
import { enforce, type GuardOptions, newCallId } from "./enforce.ts";
import { AarmDeniedError } from "./errors.ts";

/** The call details the runner passes to `invoke`, as far as aarm reads them. */
export interface OpenAiAgentsCallDetails {
  readonly toolCall?: { readonly callId?: string };
  readonly signal?: AbortSignal;
}

/** An OpenAI Agents tool, as far as aarm needs it: function tools have `invoke`. */
export interface OpenAiAgentsTool {
  readonly type: string;
  readonly name?: string;
  readonly invoke?: (runContext: never, input: string, details?: never) => Promise<unknown>;
}

/** Options of {@link guardOpenAiAgentsTools}. */
export interface OpenAiAgentsGuardOptions extends GuardOptions {
  /** What the model is told instead of the output when a call is denied; the error's message by default. */
  readonly onDenied?: (error: AarmDeniedError) => string;
}

type Invoke = (runContext: unknown, input: string, details?: OpenAiAgentsCallDetails) => Promise<unknown>;

/** The model's arguments: a JSON object, or the text as is (which the policy then refuses). */
function parseInput(input: string): unknown {
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}

/**
 * Returns `tools` with every function tool's `invoke` guarded by `session`
 * (see `guard` for what a guarded call does). The tool's `name`, mapped by
 * `options.names`, is the policy's tool name. The tool is invoked with the
 * arguments the policy decided on, so a MODIFY reaches its `execute`.
 */
export function guardOpenAiAgentsTools<T extends OpenAiAgentsTool>(
  tools: readonly T[],
  session: Session,
  options: OpenAiAgentsGuardOptions = {},
): T[] {
  return tools.map((definition) => {
    if (definition.type !== "function" || definition.invoke === undefined || definition.name === undefined) {
      return definition;
    }
    const original = definition.invoke as Invoke;
    const tool = options.names?.[definition.name] ?? definition.name;
    const invoke = markGuarded(
      async (runContext: unknown, input: string, details?: OpenAiAgentsCallDetails) => {
        try {
          return await enforce(
            session,
            {
              tool,
              args: parseInput(input),
              callId: details?.toolCall?.callId ?? newCallId(),
              signal: details?.signal,
            },
            (args) => original(runContext, JSON.stringify(args), details),
            options,
          );
        } catch (caught) {
          if (details?.signal?.aborted === true) throw details.signal.reason;
          if (caught instanceof AarmDeniedError) return options.onDenied?.(caught) ?? caught.message;
          throw caught;
        }
      },
    );
    return { ...definition, invoke };
  });
}
