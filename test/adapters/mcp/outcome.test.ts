/** How an upstream's tool result becomes the outcome recorded in the context and the execution receipt. */
import { describe, expect, test } from "vitest";
import { outcomeOf } from "../../../src/adapters/mcp/gateway.ts";

describe("outcomeOf", () => {
  test("a successful result is its text parts, other parts as JSON", () => {
    const outcome = outcomeOf({
      content: [
        { type: "text", text: "line one" },
        { type: "image", data: "AAAA", mimeType: "image/png" },
      ],
    });
    expect(outcome).toEqual({
      success: true,
      output: 'line one\n{"type":"image","data":"AAAA","mimeType":"image/png"}',
    });
  });

  test("structured content stands in for empty content", () => {
    expect(outcomeOf({ content: [], structuredContent: { rows: 3 } })).toEqual({
      success: true,
      output: '{"rows":3}',
    });
  });

  test("a failed call carries its text as the error, so the execution receipt says why", () => {
    const outcome = outcomeOf({ content: [{ type: "text", text: "disk on fire" }], isError: true });
    expect(outcome).toEqual({ success: false, output: "disk on fire", error: { message: "disk on fire" } });
  });

  test("the error message is bounded, whatever the upstream sends", () => {
    const outcome = outcomeOf({ content: [{ type: "text", text: "x".repeat(100_000) }], isError: true });
    expect(outcome.error?.message.length).toBe(4096);
  });
});
