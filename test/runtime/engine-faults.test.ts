// Fault injection: every failure on the decision path ends in DENY, the tool never runs, and the
// failure is reported; a receipt is written whenever the store and signer still work.
import { afterEach, describe, expect, it } from "vitest";
import type { Ir } from "../../src/ir/types.ts";
import type { FactProvider } from "../../src/runtime/engine/types.ts";
import type { Scorer } from "../../src/runtime/scoring/types.ts";
import {
  expectVerifiedReceipts,
  FaultyStore,
  type Harness,
  harness,
  policy,
  receipt,
  type StoreMethod,
} from "./engine-harness.ts";

const POLICY = `
policy faults version "1"

tool db.query { args { sql: string } effect read output internal }
tool email.send { args { to: string, body: string } effect egress target args.to }

fact ticket_open: bool

deny off_intent on email.send when intent.alignment < 0.1 because "far from the request"
allow reads when effect == read
allow mail on email.send when ticket_open or not ticket_open

default deny
`;

const IR = policy(POLICY);

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function deniedCall(tool = "db.query", args: Record<string, string> = { sql: "select 1" }) {
  const s = await h.session({ intent: "query the orders and email the summary" });
  const handle = await h.call(s, tool, args);
  expect(handle.kind).toBe("deny");
  expect(h.tools.calls).toEqual([]);
  return handle as Extract<typeof handle, { kind: "deny" }>;
}

describe("fault injection", () => {
  for (const [method, receipted] of [
    ["readContext", true],
    ["appendContext", true],
    ["appendReceipt", false],
    ["getSession", false],
  ] as [StoreMethod, boolean][]) {
    for (const mode of ["failing", "throwing"] as const) {
      it(`a store whose ${method} is ${mode} denies${receipted ? ", with a receipt" : ""}`, async () => {
        const faulty: FaultyStore[] = [];
        h = harness(IR, { wrap: (store) => faulty[faulty.push(new FaultyStore(store)) - 1] as FaultyStore });
        const s = await h.session({ intent: "query the orders" });
        (faulty[0] as FaultyStore)[mode].add(method);
        const handle = await h.call(s, "db.query", { sql: "select 1" });
        expect(handle.kind).toBe("deny");
        expect(h.tools.calls).toEqual([]);
        expect(h.faults.length).toBeGreaterThan(0);
        expect(handle.receiptId !== null).toBe(receipted);
        (faulty[0] as FaultyStore)[mode].clear();
        await expectVerifiedReceipts(h, IR);
      });
    }
  }

  it("a decision the log cannot take is not released: DENY, with a follow-up to its receipt", async () => {
    const faulty: FaultyStore[] = [];
    h = harness(IR, { wrap: (store) => faulty[faulty.push(new FaultyStore(store)) - 1] as FaultyStore });
    const s = await h.session({ intent: "query the orders" });
    const store = faulty[0] as FaultyStore;
    store.failing.add("appendContext");
    store.grace.set("appendContext", 1);
    const handle = await h.call(s, "db.query", { sql: "select 1" });
    expect(handle).toMatchObject({ kind: "deny", rules: ["runtime:context"] });
    expect(h.tools.calls).toEqual([]);
    const followUp = await receipt(h.store, handle.receiptId);
    expect(followUp.decision.result).toBe("DENY");
    const original = await receipt(h.store, followUp.related_receipt_id);
    expect(original.decision.result).toBe("ALLOW");
    store.failing.clear();
    await expectVerifiedReceipts(h, IR);
  });

  it("a signer that throws denies, without a receipt", async () => {
    let broken = false;
    h = harness(IR, {
      keyring: () =>
        broken
          ? {
              signer: {
                algorithm: "Ed25519",
                keyId: h.keyring.activeKeyId,
                publicKey: h.keyring.signer.publicKey,
                sign: () => {
                  throw new Error("key unavailable");
                },
              },
            }
          : h.keyring,
    });
    broken = true;
    const handle = await deniedCall();
    expect(handle).toMatchObject({ rules: ["runtime:receipt"], receiptId: null });
    expect(h.faults.map((f) => f.stage)).toEqual(["receipt"]);
  });

  it("an evaluator exception denies", async () => {
    const tool = IR.tools["db.query"];
    if (tool === undefined) throw new Error("no tool");
    const corrupt: Ir = {
      ...IR,
      tools: { ...IR.tools, "db.query": { ...tool, candidates: [{ rule: 99, cond: 0 }] } },
    };
    h = harness(corrupt);
    const handle = await deniedCall();
    expect(handle.rules).toEqual(["runtime:evaluator"]);
    expect(h.faults.map((f) => f.stage)).toEqual(["evaluator"]);
    await expectVerifiedReceipts(h, corrupt);
  });

  const scorers: [string, Scorer, RegExp][] = [
    [
      "throws",
      {
        id: "bad",
        version: "1",
        score: () => {
          throw new Error("model crashed");
        },
      },
      /model crashed/,
    ],
    ["rejects", { id: "bad", version: "1", score: () => Promise.reject(new Error("gpu gone")) }, /gpu gone/],
    [
      "times out",
      { id: "slow", version: "1", score: () => new Promise(() => {}) },
      /did not answer within 200 ms/,
    ],
    [
      "answers out of range",
      { id: "odd", version: "1", score: () => ({ alignment: 1.5, drift: 0 }) },
      /outside \[0, 1\]/,
    ],
    [
      "answers NaN",
      { id: "odd", version: "1", score: () => ({ alignment: Number.NaN, drift: 0 }) },
      /outside \[0, 1\]/,
    ],
  ];
  for (const [name, scorer, reason] of scorers) {
    it(`a scorer that ${name} denies, with a receipt`, async () => {
      h = harness(IR, { scorer });
      const handle = await deniedCall();
      expect(handle.rules).toEqual(["runtime:scorer"]);
      expect(handle.reason).toMatch(reason);
      expect(h.faults.map((f) => f.stage)).toEqual(["scorer"]);
      await expectVerifiedReceipts(h, IR);
    });
  }

  const providers: [string, FactProvider][] = [
    [
      "throws",
      {
        facts: () => {
          throw new Error("ticket system down");
        },
      },
    ],
    ["times out", { facts: () => new Promise(() => {}) }],
    ["returns a fact of the wrong type", { facts: () => ({ ticket_open: "yes" }) }],
  ];
  for (const [name, facts] of providers) {
    it(`a fact provider that ${name} denies, with a receipt`, async () => {
      h = harness(IR, { facts });
      const handle = await deniedCall();
      expect(handle.rules).toEqual(["runtime:facts"]);
      await expectVerifiedReceipts(h, IR);
    });
  }

  it("a clock going backwards denies: an action may not be earlier than the session's last entry", async () => {
    h = harness(IR);
    const s = await h.session({ intent: "query the orders" });
    expect((await h.call(s, "db.query", { sql: "select 1" })).kind).toBe("allow");
    h.clock.set("2026-11-22T08:00:00.000Z");
    const handle = await h.call(s, "db.query", { sql: "select 2" });
    expect(handle).toMatchObject({ kind: "deny", rules: ["runtime:clock"] });
    expect(h.tools.calls).toHaveLength(1);
    expect(h.faults.map((f) => f.stage)).toEqual(["clock"]);
    expect((await receipt(h.store, handle.receiptId)).decision.reasons[0]).toMatch(/clock went backwards/);
    await expectVerifiedReceipts(h, IR);
  });

  it("a clock that gives no time denies, and reporting hooks that throw change nothing", async () => {
    let valid = true;
    h = harness(IR, {
      clock: () => (valid ? new Date("2026-11-22T09:00:00Z") : new Date(Number.NaN)),
      telemetry: () => {
        throw new Error("sink down");
      },
      onFault: () => {
        throw new Error("pager down");
      },
    });
    const s = await h.session();
    valid = false;
    const handle = await h.call(s, "db.query", { sql: "x" });
    expect(handle).toMatchObject({ kind: "deny", rules: ["runtime:clock"], receiptId: null });
  });

  it("facts and scores reach the policy: a matching provider and scorer let the action through", async () => {
    const facts: FactProvider = { facts: () => ({ ticket_open: true, undeclared: 1 }) };
    h = harness(IR, { facts });
    const s = await h.session({ intent: "email the orders summary to finance" });
    const handle = await h.call(s, "email.send", { to: "finance@example.com", body: "orders summary" });
    expect(handle.kind).toBe("allow");
    const r = await receipt(h.store, handle.receiptId);
    expect(r.decision.alignment).toBeGreaterThan(0.1);
    expect(r.decision.semantic_distance).toBeCloseTo(1 - (r.decision.alignment ?? 0), 6);
  });
});
