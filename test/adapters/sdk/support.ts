/**
 * Shared setup of the SDK tests: a policy covering every decision, a real
 * runtime on an in-memory store with a fresh keyring, and the receipts a
 * session left.
 */
import { expect } from "vitest";
import { compileText } from "../../../src/compiler.ts";
import { Keyring } from "../../../src/runtime/crypto/keyring.ts";
import { nodeBackend } from "../../../src/runtime/crypto/node.ts";
import type { Session } from "../../../src/runtime/engine/session.ts";
import { trustedLocalVerifier } from "../../../src/runtime/identity/local.ts";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../../src/runtime/runtime.ts";
import { MemoryStore } from "../../../src/runtime/store/memory.ts";
import { verifyStoreReceipts } from "../../../src/runtime/verify.ts";
import type { Receipt } from "../../../src/schema/generated/types.ts";

export const POLICY = `
policy sdk_tests version "1.0.0"

tool docs.read { args { id: string } effect read output internal, untrusted }
tool crm.lookup { args { id: string } effect read output confidential, pii }
tool mail.send { args { to: string, body: string } effect egress target args.to }
tool db.query { args { sql: string, limit?: number } effect read }
tool bank.pay { args { to: string, amount: number } effect egress target args.to }
tool creds.rotate { args { system: string } effect write target args.system }

fact window_open: bool

forbid no_drops on db.query when args.sql matches /(?i)\\bdrop\\b/ because "tables are never dropped"
deny pii_leaves on mail.send
  when session.seen(pii in labels) and domain(args.to) != "example.com"
  because "personal data was read; it may not leave the company"
modify cap_rows on db.query when has(args.limit) and args.limit > 10 clamp args.limit to 1..10
step_up big_payment on bank.pay when args.amount > 100 approvers ["finance"] timeout 10m
defer rotation_window on creds.rotate when true needs window_open timeout 5m
allow reads when effect == read
allow mail on mail.send
allow payments on bank.pay

default deny
`;

const compiled = compileText(POLICY);
if (compiled.ir === null) throw new Error(compiled.diagnostics.map((d) => d.message).join("\n"));
export const IR = compiled.ir;

/** A runtime and one session under it, for a test. */
export interface Setup {
  readonly runtime: Runtime;
  readonly session: Session;
  readonly store: MemoryStore;
  readonly keyring: Keyring;
  readonly close: () => Promise<void>;
}

/** Starts a runtime on the test policy (services and timeouts as given) and one session. */
export async function setup(options: Partial<RuntimeOptions> = {}): Promise<Setup> {
  const store = new MemoryStore();
  const keyring = Keyring.generate(nodeBackend, new Date("2026-11-22T08:00:00Z"));
  const verifier = trustedLocalVerifier();
  if (!verifier.ok) throw new Error(verifier.error);
  let now = Date.parse("2026-11-22T09:00:00Z");
  const runtime = createRuntime({
    policy: { ir: IR },
    store,
    keyring,
    identity: verifier.value,
    clock: () => new Date((now += 1000)),
    ...options,
  });
  const session = await runtime.startSession({
    identity: {
      session: `sess-${globalThis.crypto.randomUUID()}`,
      human: "alice@example.com",
      agent: "test-agent",
    },
    intent: "read the report, look up the customer and pay acme",
  });
  return {
    runtime,
    session,
    store,
    keyring,
    close: async () => {
      await runtime.close();
      await store.close();
    },
  };
}

/** Every receipt of the session, in chain order. */
export async function receiptsOf(s: Setup): Promise<Receipt[]> {
  const chain = await s.store.readReceipts(s.session.id);
  if (!chain.ok) throw new Error(chain.error.message);
  return chain.value.records.map((r) => JSON.parse(r.body) as Receipt);
}

/**
 * The session's decision receipts (those that follow up no other), checked:
 * exactly one per action, all signed and chained. Returns them in order.
 */
export async function decisionReceipts(s: Setup): Promise<Receipt[]> {
  const report = await verifyStoreReceipts(s.store, s.keyring);
  if (!report.ok) throw new Error(report.error.message);
  expect(report.value.ok, JSON.stringify(report.value.issues)).toBe(true);
  const decisions = (await receiptsOf(s)).filter((r) => r.related_receipt_id === null);
  const actions = decisions.map((r) => r.action.action_id);
  expect(new Set(actions).size).toBe(actions.length);
  return decisions;
}
