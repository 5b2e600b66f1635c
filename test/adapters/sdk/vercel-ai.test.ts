// The Vercel AI SDK adapter, driven by the real `ai` package: generateText with a scripted model.
import { generateText, isStepCount, tool } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  AarmDeniedError,
  AarmReplayError,
  assertGuarded,
  guardVercelAiTools,
  unguardedTools,
} from "../../../src/adapters/sdk/index.ts";
import type { ApprovalService } from "../../../src/runtime/engine/types.ts";
import { decisionReceipts, type Setup, setup } from "./support.ts";

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const USAGE = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};

/** A model that makes the given tool calls, then answers "done". */
function scripted(calls: readonly { readonly id: string; readonly tool: string; readonly input: object }[]) {
  return new MockLanguageModelV4({
    doGenerate: [
      {
        content: calls.map((c) => ({
          type: "tool-call" as const,
          toolCallId: c.id,
          toolName: c.tool,
          input: JSON.stringify(c.input),
        })),
        finishReason: { unified: "tool-calls", raw: undefined },
        usage: USAGE,
        warnings: [],
      },
      {
        content: [{ type: "text", text: "done" }],
        finishReason: { unified: "stop", raw: undefined },
        usage: USAGE,
        warnings: [],
      },
    ],
  });
}

/** The finance tools as a Vercel AI ToolSet; `ran` records every execution. */
function toolSet() {
  const ran: { readonly tool: string; readonly input: unknown }[] = [];
  const tools = {
    read_doc: tool({
      description: "read a document",
      inputSchema: z.object({ id: z.string() }),
      execute: async (input) => {
        ran.push({ tool: "read_doc", input });
        return `document ${input.id}`;
      },
    }),
    query: tool({
      description: "query the database",
      inputSchema: z.object({ sql: z.string(), limit: z.number().optional() }),
      execute: async (input) => {
        ran.push({ tool: "query", input });
        return { rows: input.limit ?? 0 };
      },
    }),
    pay: tool({
      description: "pay someone",
      inputSchema: z.object({ to: z.string(), amount: z.number() }),
      execute: async (input) => {
        ran.push({ tool: "pay", input });
        return `paid ${input.amount} to ${input.to}`;
      },
    }),
  };
  return { ran, tools };
}

const NAMES = { read_doc: "docs.read", query: "db.query", pay: "bank.pay" };

const approve: ApprovalService = {
  request: (request) =>
    Promise.resolve({
      request_id: request.request_id,
      action_digest: request.action_digest,
      source: request.source,
      requirement: request.requirement,
      decision: "approved",
      responses: [
        {
          approver: "carol@example.com",
          identity_verified: true,
          decision: "approve",
          responded_at: request.created_at,
        },
      ],
      reason: "ok",
      decided_at: request.created_at,
    }),
};

describe("guardVercelAiTools with generateText", () => {
  it("allows, modifies, denies and steps up the model's tool calls", async () => {
    s = await setup({ approvals: approve });
    const { ran, tools } = toolSet();
    const guarded = guardVercelAiTools(tools, s.session, { names: NAMES });
    const result = await generateText({
      model: scripted([
        { id: "call-1", tool: "read_doc", input: { id: "R-7" } },
        { id: "call-2", tool: "query", input: { sql: "select * from t", limit: 900 } },
        { id: "call-3", tool: "query", input: { sql: "DROP TABLE t" } },
        { id: "call-4", tool: "pay", input: { to: "acme", amount: 250 } },
      ]),
      tools: guarded,
      prompt: "do the work",
      stopWhen: isStepCount(2),
    });
    expect(result.text).toBe("done");
    // Only what the policy released ran, the MODIFY with the capped limit.
    expect(ran).toEqual([
      { tool: "read_doc", input: { id: "R-7" } },
      { tool: "query", input: { sql: "select * from t", limit: 10 } },
      { tool: "pay", input: { to: "acme", amount: 250 } },
    ]);
    const first = result.steps[0];
    expect(first?.toolResults.map((r) => [r.toolCallId, r.output])).toEqual([
      ["call-1", "document R-7"],
      ["call-2", { rows: 10 }],
      ["call-4", "paid 250 to acme"],
    ]);
    // The denial reaches the model as the tool's error, with the policy's reason.
    const errors = first?.content.filter((part) => part.type === "tool-error") ?? [];
    expect(errors).toHaveLength(1);
    const error = errors[0]?.type === "tool-error" ? errors[0].error : null;
    expect(error).toBeInstanceOf(AarmDeniedError);
    expect(error).toMatchObject({ rules: ["no_drops"], reason: "tables are never dropped" });
    // One decision receipt per tool call, under the policy's names.
    const decisions = await decisionReceipts(s);
    expect(decisions.map((r) => [r.action.tool, r.decision.result])).toEqual([
      ["docs.read", "ALLOW"],
      ["db.query", "MODIFY"],
      ["db.query", "DENY"],
      ["bank.pay", "STEP_UP"],
    ]);
  });

  it("uses the SDK's toolCallId: a call executed again does not run twice", async () => {
    s = await setup();
    const { ran, tools } = toolSet();
    const guarded = guardVercelAiTools(tools, s.session, { names: NAMES });
    const options = { toolCallId: "call-9", messages: [], context: {} };
    await expect(guarded.pay.execute({ to: "acme", amount: 5 }, options)).resolves.toBe("paid 5 to acme");
    await expect(guarded.pay.execute({ to: "acme", amount: 5 }, options)).rejects.toBeInstanceOf(
      AarmReplayError,
    );
    expect(ran).toHaveLength(1);
    expect(await decisionReceipts(s)).toHaveLength(1);
  });

  it("cancels a pending STEP_UP when the SDK's abortSignal aborts", async () => {
    s = await setup({ approvals: { request: () => new Promise(() => undefined) } });
    const { ran, tools } = toolSet();
    const guarded = guardVercelAiTools(tools, s.session, { names: NAMES });
    const controller = new AbortController();
    const call = guarded.pay.execute(
      { to: "acme", amount: 5000 },
      { toolCallId: "call-10", messages: [], context: {}, abortSignal: controller.signal },
    );
    setTimeout(() => controller.abort(), 20);
    await expect(call).rejects.toMatchObject({
      name: "AarmDeniedError",
      decision: "STEP_UP",
      reason: "cancelled",
    });
    expect(ran).toEqual([]);
  });

  it("is found by the coverage check, and a tool left unguarded is named", async () => {
    s = await setup();
    const { tools } = toolSet();
    const guarded = guardVercelAiTools(tools, s.session, { names: NAMES });
    expect(unguardedTools(guarded)).toEqual([]);
    const mixed = { ...guarded, raw_pay: tools.pay };
    expect(unguardedTools(mixed)).toEqual(["raw_pay"]);
    expect(() => assertGuarded(mixed)).toThrow(/raw_pay/);
  });

  it("refuses a streaming tool, whose output could not be recorded first", async () => {
    s = await setup();
    let started = false;
    const guarded = guardVercelAiTools(
      {
        read_doc: tool({
          description: "read a document in parts",
          inputSchema: z.object({ id: z.string() }),
          async *execute() {
            started = true;
            yield "part 1";
          },
        }),
      },
      s.session,
      { names: NAMES },
    );
    const call = guarded.read_doc.execute?.(
      { id: "R-1" },
      { toolCallId: "call-11", messages: [], context: {} },
    );
    await expect(Promise.resolve(call)).rejects.toThrow(/streaming tool results are not supported/);
    expect(started).toBe(false);
  });
});
