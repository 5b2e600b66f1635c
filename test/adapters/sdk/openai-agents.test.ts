// The OpenAI Agents SDK adapter, driven by the real `@openai/agents` runner with a scripted model.
import {
  Agent,
  type Model,
  type ModelRequest,
  type ModelResponse,
  RunContext,
  Runner,
  tool,
  Usage,
} from "@openai/agents";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  AarmReplayError,
  assertGuarded,
  guardOpenAiAgentsTools,
  unguardedTools,
} from "../../../src/adapters/sdk/index.ts";
import { decisionReceipts, type Setup, setup } from "./support.ts";

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

/** A model that makes the given function calls, then answers "done". */
class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];
  #turn = 0;
  readonly #calls: readonly { readonly id: string; readonly name: string; readonly args: object }[];
  constructor(calls: readonly { readonly id: string; readonly name: string; readonly args: object }[]) {
    this.#calls = calls;
  }

  getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const turn = this.#turn++;
    const output: ModelResponse["output"] =
      turn === 0
        ? this.#calls.map((c) => ({
            type: "function_call" as const,
            callId: c.id,
            name: c.name,
            arguments: JSON.stringify(c.args),
            status: "completed" as const,
          }))
        : [
            {
              type: "message" as const,
              role: "assistant" as const,
              status: "completed" as const,
              content: [{ type: "output_text" as const, text: "done" }],
            },
          ];
    return Promise.resolve({ usage: new Usage(), output });
  }

  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error("not streamed in these tests");
  }
}

function agentTools() {
  const ran: { readonly tool: string; readonly input: unknown }[] = [];
  const tools = [
    tool({
      name: "read_doc",
      description: "read a document",
      parameters: z.object({ id: z.string() }),
      execute: async (input) => {
        ran.push({ tool: "read_doc", input });
        return `document ${input.id}`;
      },
    }),
    tool({
      name: "query",
      description: "query the database",
      parameters: z.object({ sql: z.string(), limit: z.number().nullable() }),
      execute: async (input) => {
        ran.push({ tool: "query", input });
        return `rows ${input.limit ?? "all"}`;
      },
    }),
    tool({
      name: "pay",
      description: "pay someone",
      parameters: z.object({ to: z.string(), amount: z.number() }),
      execute: async (input) => {
        ran.push({ tool: "pay", input });
        return `paid ${input.amount}`;
      },
    }),
  ];
  return { ran, tools };
}

const NAMES = { read_doc: "docs.read", query: "db.query", pay: "bank.pay" };

/** The tool outputs the run recorded, by call id. */
function outputs(items: readonly unknown[]): { [callId: string]: unknown } {
  const found: { [callId: string]: unknown } = {};
  for (const item of items) {
    const raw = (item as { type?: string; rawItem?: { callId?: string } }).rawItem;
    if ((item as { type?: string }).type === "tool_call_output_item" && raw?.callId !== undefined) {
      found[raw.callId] = (item as { output: unknown }).output;
    }
  }
  return found;
}

describe("guardOpenAiAgentsTools with the Agents runner", () => {
  it("decides each function call before it runs; a denial is the tool's output to the model", async () => {
    s = await setup({ timeouts: { pendingCeilingMs: 30 } });
    const { ran, tools } = agentTools();
    const model = new ScriptedModel([
      { id: "fc-1", name: "read_doc", args: { id: "R-7" } },
      { id: "fc-2", name: "query", args: { sql: "select * from t", limit: 900 } },
      { id: "fc-3", name: "query", args: { sql: "drop table t", limit: 1 } },
      { id: "fc-4", name: "pay", args: { to: "acme", amount: 5000 } },
    ]);
    const agent = new Agent({
      name: "finance",
      instructions: "do the work",
      model,
      tools: guardOpenAiAgentsTools(tools, s.session, { names: NAMES }),
    });
    const result = await new Runner({ tracingDisabled: true }).run(agent, "do the work");
    expect(result.finalOutput).toBe("done");
    // The MODIFY reached execute; the DROP and the unapproved payment never ran.
    expect(ran).toEqual([
      { tool: "read_doc", input: { id: "R-7" } },
      { tool: "query", input: { sql: "select * from t", limit: 10 } },
    ]);
    const out = outputs(result.newItems);
    expect(out["fc-1"]).toBe("document R-7");
    expect(out["fc-2"]).toBe("rows 10");
    expect(out["fc-3"]).toBe("db.query was denied by policy: tables are never dropped");
    expect(out["fc-4"]).toMatch(/^bank\.pay was denied by policy: /);
    const decisions = await decisionReceipts(s);
    expect(decisions.map((r) => [r.action.tool, r.decision.result])).toEqual([
      ["docs.read", "ALLOW"],
      ["db.query", "MODIFY"],
      ["db.query", "DENY"],
      ["bank.pay", "STEP_UP"],
    ]);
  });

  it("uses the model's call id when invoked as the runner does: no second run", async () => {
    s = await setup();
    const { ran, tools } = agentTools();
    const [, , pay] = guardOpenAiAgentsTools(tools, s.session, {
      names: NAMES,
      onDenied: (e) => `refused: ${e.rules.join(", ")}`,
    });
    if (pay === undefined || pay.type !== "function") throw new Error("no pay tool");
    const details = {
      toolCall: {
        type: "function_call" as const,
        callId: "fc-9",
        name: "pay",
        arguments: '{"to":"acme","amount":5}',
      },
    };
    const context = new RunContext({});
    await expect(pay.invoke(context, '{"to":"acme","amount":5}', details)).resolves.toBe("paid 5");
    await expect(pay.invoke(context, '{"to":"acme","amount":5}', details)).rejects.toBeInstanceOf(
      AarmReplayError,
    );
    // Input that is not JSON is refused by the policy, with a receipt, and the model is told.
    await expect(
      pay.invoke(context, "{not json", { toolCall: { ...details.toolCall, callId: "fc-10" } }),
    ).resolves.toMatch(/^refused: runtime:/);
    expect(ran).toHaveLength(1);
    expect(await decisionReceipts(s)).toHaveLength(2);
  });

  it("cancels a pending STEP_UP when the run's signal aborts", async () => {
    s = await setup({ approvals: { request: () => new Promise(() => undefined) } });
    const { ran, tools } = agentTools();
    const [, , pay] = guardOpenAiAgentsTools(tools, s.session, { names: NAMES });
    if (pay === undefined || pay.type !== "function") throw new Error("no pay tool");
    const controller = new AbortController();
    const reason = new Error("run cancelled");
    const call = pay.invoke(new RunContext({}), '{"to":"acme","amount":5000}', { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 20);
    await expect(call).rejects.toBe(reason);
    expect(ran).toEqual([]);
    const [decision] = await decisionReceipts(s);
    expect(decision?.decision.result).toBe("STEP_UP");
  });

  it("is found by the coverage check, and a tool left unguarded is named", async () => {
    s = await setup();
    const { tools } = agentTools();
    const guarded = guardOpenAiAgentsTools(tools, s.session, { names: NAMES });
    expect(unguardedTools(guarded)).toEqual([]);
    const mixed = [...guarded, ...tools.slice(2)];
    expect(unguardedTools(mixed)).toEqual(["pay"]);
    expect(() => assertGuarded(mixed)).toThrow(/pay/);
  });
});
