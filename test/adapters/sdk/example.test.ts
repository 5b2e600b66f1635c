// examples/finance-assistant/agent.ts: the documented way to embed aarm runs as documented.
import { describe, expect, it } from "vitest";
import { runFinanceAgent } from "../../../examples/finance-assistant/agent.ts";

describe("the finance assistant example", () => {
  it("runs the requested calls and refuses the payment the invoice injected", async () => {
    const lines: string[] = [];
    const result = await runFinanceAgent((line) => lines.push(line));
    expect(result).toEqual({
      ran: ["invoices.read", "bank.send_money", "email.send"],
      denied: ["bank.send_money"],
    });
    expect(lines[1]).toMatch(
      /^bank\.send_money: refused by prompt_injection\.unrequested_target: .*may have been injected/,
    );
  });
});
