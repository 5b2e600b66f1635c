// Model-based property of the human-in-the-loop path: random interleavings of calls (ALLOW, DENY, STEP_UP
// with a quorum of two, DEFER waiting for a fact), approvals and denials by valid and invalid approvers
// (unknown people, forged tokens, the requester), fact arrivals, waits past the timeouts and restarts (a new
// runtime over the same SQLite file, resuming the session). Whatever happens, an action runs only if the
// policy allowed it, or a quorum of valid approvers granted that very action, or the fact it waited for
// arrived and allowed it; and no action runs twice.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/schema/canonical.ts";
import { ApprovalDesk } from "../../src/runtime/approvals/desk.ts";
import { Keyring } from "../../src/runtime/crypto/keyring.ts";
import { nodeBackend } from "../../src/runtime/crypto/node.ts";
import { DeferralDesk } from "../../src/runtime/deferrals/desk.ts";
import type { Session } from "../../src/runtime/engine/session.ts";
import type { EnforcementHandle } from "../../src/runtime/engine/types.ts";
import { createRuntime, type Runtime } from "../../src/runtime/runtime.ts";
import { SqliteStore } from "../../src/runtime/store/sqlite.ts";
import { propertyParams } from "../support/property.ts";
import { policy, TestVerifier } from "./engine-harness.ts";

const IR = policy(`
policy model version "1"
tool ledger.read { args { n: number } effect read output internal }
tool ledger.drop { args { n: number } effect delete }
tool bank.pay { args { n: number } effect write }
tool creds.rotate { args { n: number } effect write }
fact window_open: bool
step_up pay on bank.pay approvers ["carol@example.com", "dave@example.com", "group:ops"] quorum 2 timeout 10m
deny closed on creds.rotate when not window_open because "closed"
allow rotate on creds.rotate when window_open
allow reads when effect == read
allow payments on bank.pay
default deny
`);

type Kind = "read" | "drop" | "pay" | "rotate";
const TOOLS: Record<Kind, string> = {
  read: "ledger.read",
  drop: "ledger.drop",
  pay: "bank.pay",
  rotate: "creds.rotate",
};
/** Valid approvers of `bank.pay` (carol, dave and the ops group), the requester (in the group) and outsiders. */
const PEOPLE = [
  "carol@example.com",
  "dave@example.com",
  "erin@example.com",
  "alice@example.com",
  "mallory@example.com",
];
const VALID = new Set(["carol@example.com", "dave@example.com", "erin@example.com"]);

type Step =
  | { readonly op: "call"; readonly kind: Kind }
  | {
      readonly op: "answer";
      /** Counted back from the latest action. */
      readonly target: number;
      readonly who: number;
      readonly forged: boolean;
      readonly deny: boolean;
    }
  | { readonly op: "quorum"; readonly target: number }
  | { readonly op: "fact"; readonly target: number; readonly open: boolean }
  | { readonly op: "wait"; readonly ms: number }
  | { readonly op: "restart" };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("call" as const),
      kind: fc.constantFrom<Kind>("read", "drop", "pay", "rotate"),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("answer" as const),
      target: fc.nat(3),
      who: fc.oneof(fc.nat(2), fc.nat(PEOPLE.length - 1)),
      forged: fc.nat(4).map((n) => n === 0),
      deny: fc.nat(4).map((n) => n === 0),
    }),
  },
  // Two valid approvers at once, so that quorums are reached often enough to matter.
  { weight: 2, arbitrary: fc.record({ op: fc.constant("quorum" as const), target: fc.nat(3) }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("fact" as const), target: fc.nat(3), open: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 1200 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "restart" as const }) },
);

/** What the model knows of one action. */
interface Modelled {
  readonly kind: Kind;
  readonly actionId: string;
  /** Distinct valid approvers whose verified approval the desk accepted. */
  readonly approvals: Set<string>;
  denied: boolean;
  /** A fact delivery with the window open was accepted for it. */
  opened: boolean;
}

// Long enough that answers given right after a call arrive in time on a loaded CI machine; waits go past it,
// so that timeouts are exercised too.
const CEILING_MS = 1000;
const DEEP = process.env.AARM_PROPERTY_DEPTH === "deep";

/** Releases after a wait, over all runs: the property must not hold only because nothing was ever released. */
const released = { pay: 0, rotate: 0 };

export class World {
  readonly dir = mkdtempSync(join(tmpdir(), "aarm-hitl-model-"));
  readonly path = join(this.dir, "aarm.sqlite");
  readonly keyring = Keyring.generate(nodeBackend, new Date("2026-01-01T00:00:00Z"));
  readonly ran = new Map<string, number>();
  readonly actions: Modelled[] = [];
  readonly settling: Promise<unknown>[] = [];
  store!: SqliteStore;
  runtime!: Runtime;
  approvals!: ApprovalDesk;
  deferrals!: DeferralDesk;
  session!: Session;
  calls = 0;

  async open(): Promise<void> {
    const opened = SqliteStore.open(this.path);
    if (!opened.ok) throw new Error(opened.error.message);
    this.store = opened.value;
    this.approvals = new ApprovalDesk({
      store: this.store,
      verifier: new TestVerifier(PEOPLE),
      directory: { groups: { "group:ops": ["erin@example.com", "alice@example.com"] } },
      pollMs: 10,
    });
    this.deferrals = new DeferralDesk({ store: this.store });
    this.runtime = createRuntime({
      policy: { ir: IR },
      store: this.store,
      keyring: this.keyring,
      identity: new TestVerifier(),
      approvals: this.approvals,
      deferrals: this.deferrals,
      scorer: null,
      timeouts: { pendingCeilingMs: CEILING_MS },
    });
    this.session = await this.runtime.openSession({
      identity: { human: "alice@example.com", service: "agent-svc", session: "model-session" },
    });
  }

  /** One of the four latest actions: answers and facts go mostly to actions still waiting. */
  recent(back: number): Modelled | undefined {
    return this.actions[this.actions.length - 1 - (back % Math.min(4, Math.max(1, this.actions.length)))];
  }

  /** The enforcement point: runs the tool for a non-replayed allow, and records it. */
  async enforce(session: Session, handle: EnforcementHandle): Promise<void> {
    const final = handle.kind === "pending" ? await handle.settled : handle;
    if (final.kind !== "allow" || final.replay) return;
    this.ran.set(final.actionId, (this.ran.get(final.actionId) ?? 0) + 1);
    await session.recordOutcome(final.actionId, { success: true, output: "ok" });
  }

  async apply(s: Step): Promise<void> {
    switch (s.op) {
      case "call": {
        const n = this.calls++;
        const session = this.session;
        const handle = await session.evaluate({ tool: TOOLS[s.kind], args: { n }, callId: `call-${n}` });
        this.actions.push({
          kind: s.kind,
          actionId: handle.actionId,
          approvals: new Set(),
          denied: false,
          opened: false,
        });
        this.settling.push(this.enforce(session, handle));
        return;
      }
      case "answer": {
        const target = this.recent(s.target);
        if (target === undefined) return;
        const approver = PEOPLE[s.who] ?? "carol@example.com";
        const requestId = `apr_${sha256Hex(target.actionId).slice(0, 32)}`;
        const credential = { approver, token: s.forged ? "forged" : `token-${approver}` };
        const answered = s.deny
          ? await this.approvals.deny(requestId, credential, { reason: "no" })
          : await this.approvals.approve(requestId, credential);
        if (answered.ok && answered.verified) {
          if (s.deny) target.denied = true;
          else target.approvals.add(approver);
        }
        return;
      }
      case "quorum":
        await this.apply({ op: "answer", target: s.target, who: 0, forged: false, deny: false });
        await this.apply({ op: "answer", target: s.target, who: 1, forged: false, deny: false });
        return;
      case "fact": {
        const target = this.recent(s.target);
        if (target === undefined) return;
        const delivered = this.deferrals.provideFacts(`dfr_${sha256Hex(target.actionId).slice(0, 32)}`, {
          window_open: s.open,
        });
        if (delivered.ok && s.open) target.opened = true;
        return;
      }
      case "wait":
        await new Promise((r) => setTimeout(r, s.ms));
        return;
      case "restart":
        await this.runtime.close();
        await Promise.all(this.settling);
        await this.store.close();
        await this.open();
        return;
    }
  }

  /** The property, checked once everything has settled. */
  check(): void {
    for (const [actionId, count] of this.ran) {
      if (count !== 1) throw new Error(`${actionId} ran ${count} times`);
      const action = this.actions.find((a) => a.actionId === actionId);
      if (action === undefined) throw new Error(`${actionId} ran but was never called`);
      const valid = [...action.approvals].filter((who) => VALID.has(who));
      const justified =
        action.kind === "read" ||
        (action.kind === "pay" && valid.length >= 2 && !action.denied) ||
        (action.kind === "rotate" && action.opened);
      if (!justified) throw new Error(`${action.kind} ${actionId} ran without justification`);
      if (action.kind === "pay" || action.kind === "rotate") released[action.kind]++;
    }
    for (const action of this.actions) {
      if (action.kind === "read" && this.ran.get(action.actionId) !== 1) {
        throw new Error(`allowed read ${action.actionId} did not run`);
      }
    }
  }

  async close(): Promise<void> {
    await this.runtime.close();
    await Promise.all(this.settling);
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe("human-in-the-loop model", () => {
  it(
    "no action runs unless allowed, approved by a quorum of valid approvers or resolved by its fact; none twice",
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 14, size: "max" }), async (steps) => {
          const world = new World();
          await world.open();
          try {
            for (const s of steps) await world.apply(s);
            await Promise.all(world.settling);
            world.check();
          } finally {
            await world.close();
          }
        }),
        {
          ...propertyParams(12, 20),
          endOnFailure: true,
          // Besides the generated runs: a payment approved by a quorum and a rotation whose fact arrives, so
          // that releases of both are always among the runs checked.
          examples: [
            [
              [
                { op: "call", kind: "pay" },
                { op: "quorum", target: 0 },
                { op: "call", kind: "rotate" },
                { op: "fact", target: 0, open: true },
              ],
            ],
          ],
        },
      );
      expect(released.pay).toBeGreaterThan(0);
      expect(released.rotate).toBeGreaterThan(0);
    },
    DEEP ? 900_000 : 120_000,
  );
});
