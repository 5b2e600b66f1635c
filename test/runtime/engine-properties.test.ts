// Properties of the runtime over generated sessions: every action that reaches the runtime gets exactly
// one decision receipt, the receipt chain and the context log verify, and changing any byte of any
// stored receipt or context entry makes verification fail.
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ContextLog } from "../../src/runtime/context/log.ts";
import type { ApprovalService, EnforcementHandle } from "../../src/runtime/engine/types.ts";
import { SqliteStore } from "../../src/runtime/store/sqlite.ts";
import { verifySqliteFile } from "../../src/runtime/verify.ts";
import type { Receipt } from "../../src/schema/generated/types.ts";
import { propertyParams } from "../support/property.ts";
import { enforce, harness, policy, receiptsOf } from "./engine-harness.ts";

const IR = policy(`
policy props version "1"

tool kv.get { args { key: string } effect read output internal }
tool kv.put { args { key: string, value: number } effect write target args.key }
tool kv.drop { args { key: string } effect delete target args.key }
tool pay.send { args { to: string, amount: number } effect egress target args.to }

forbid no_drop on kv.drop when args.key == "root"
modify cap on kv.put when args.value > 100 clamp args.value to 0..100
step_up big on pay.send when args.amount > 50 approvers ["ops"] timeout 1m
deny after_drop on pay.send when session.seen(effect == delete)
allow reads when effect == read
allow puts on kv.put
allow drops on kv.drop
allow pays on pay.send

default deny
`);

/** Approves payments of even amounts, denies the others, at once. */
const approvals: ApprovalService = {
  request: (request) =>
    Promise.resolve({
      request_id: request.request_id,
      action_digest: request.action_digest,
      source: request.source,
      requirement: request.requirement,
      decision: Number(request.action.parameters.amount) % 2 === 0 ? "approved" : "denied",
      responses: [
        {
          approver: "ops@example.com",
          identity_verified: true,
          decision: "approve",
          responded_at: request.created_at,
        },
      ],
      reason: "auto",
      decided_at: request.created_at,
    }),
};

const key = fc.constantFrom("a", "b", "root");
const call = fc.oneof(
  fc.record({ tool: fc.constant("kv.get"), args: fc.record({ key }) }),
  fc.record({
    tool: fc.constant("kv.put"),
    args: fc.record({ key, value: fc.integer({ min: 0, max: 300 }) }),
  }),
  fc.record({ tool: fc.constant("kv.drop"), args: fc.record({ key }) }),
  fc.record({
    tool: fc.constant("pay.send"),
    args: fc.record({ to: key, amount: fc.integer({ min: 1, max: 99 }) }),
  }),
  fc.record({ tool: fc.constant("kv.put"), args: fc.record({ key, value: fc.constant("x") }) }),
  fc.record({ tool: fc.constant("shell.exec"), args: fc.record({ cmd: fc.string({ maxLength: 8 }) }) }),
  fc.record({
    tool: fc.constant("mcp_tool"),
    args: fc.record({ mcp_server_name: fc.constant("kv"), mcp_tool_name: fc.constant("drop"), key }),
  }),
);
/** A call, and whether to give it a call id from a small pool (so that some repeat). */
const step = fc.record({ call, callId: fc.option(fc.constantFrom("c1", "c2", "c3"), { nil: undefined }) });

interface Run {
  readonly path: string;
  readonly handles: readonly EnforcementHandle[];
  readonly receipts: readonly Receipt[];
  readonly session: string;
  readonly close: () => Promise<void>;
  readonly keyring: Parameters<typeof verifySqliteFile>[1];
}

async function runSession(
  steps: readonly { call: { tool: string; args: Record<string, unknown> }; callId: string | undefined }[],
): Promise<Run> {
  const h = harness(IR, { approvals });
  const s = await h.session({ intent: "move some values around" });
  const handles: EnforcementHandle[] = [];
  for (const { call: c, callId } of steps) {
    const handle = await s.evaluate({
      tool: c.tool,
      args: c.args,
      ...(callId === undefined ? {} : { callId }),
    });
    handles.push(await enforce(s, h.tools, handle));
  }
  return {
    path: h.path,
    handles,
    receipts: await receiptsOf(h.store, s.id),
    session: s.id,
    close: () => h.close(),
    keyring: h.keyring,
  };
}

describe("runtime properties", () => {
  it("every action that reaches the runtime gets exactly one decision receipt, and everything verifies", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        const run = await runSession(steps);
        try {
          const actions = new Set(run.handles.map((h) => h.actionId));
          const decisions = run.receipts.filter((r) => r.related_receipt_id === null);
          expect(decisions.map((r) => r.action.action_id).sort()).toEqual([...actions].sort());
          for (const r of run.receipts) {
            if (r.related_receipt_id !== null) expect(actions.has(r.action.action_id)).toBe(true);
          }
          for (const handle of run.handles) {
            if (handle.kind === "allow" && !handle.replay) {
              const executed = run.receipts.filter(
                (r) => r.action.action_id === handle.actionId && r.execution !== null,
              );
              expect(executed).toHaveLength(1);
            }
          }
          const report = await verifySqliteFile(run.path, run.keyring);
          expect(report.ok && report.value.issues).toEqual([]);
          const opened = SqliteStore.open(run.path, { readOnly: true });
          if (!opened.ok) throw new Error(opened.error.message);
          const loaded = await new ContextLog({ store: opened.value }).load(run.session);
          await opened.value.close();
          expect(loaded.ok).toBe(true);
        } finally {
          await run.close();
        }
      }),
      propertyParams(12, 10),
    );
  }, 120_000);

  it("changing any byte of any stored receipt or context entry makes verification fail", async () => {
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (steps, inReceipts, rowPick, bytePick, delta) => {
          const run = await runSession(steps);
          try {
            const db = new DatabaseSync(run.path);
            const table = inReceipts ? "receipts" : "context_entries";
            db.exec(`DROP TRIGGER ${table}_no_update`);
            const rows = db
              .prepare(`SELECT rowid AS id, body FROM ${table} WHERE session_id = ?`)
              .all(run.session) as {
              id: number;
              body: string;
            }[];
            const row = rows[rowPick % rows.length];
            if (row === undefined) throw new Error("no rows");
            const bytes = encoder.encode(row.body);
            const at = bytePick % bytes.length;
            bytes[at] = ((bytes[at] as number) + delta) % 256;
            const changed = decoder.decode(bytes);
            fc.pre(changed !== row.body);
            db.prepare(`UPDATE ${table} SET body = ? WHERE rowid = ?`).run(changed, row.id);
            db.close();
            if (inReceipts) {
              const report = await verifySqliteFile(run.path, run.keyring);
              expect(report.ok && report.value.ok).toBe(false);
            } else {
              const opened = SqliteStore.open(run.path, { readOnly: true });
              if (!opened.ok) throw new Error(opened.error.message);
              const loaded = await new ContextLog({ store: opened.value }).load(run.session);
              await opened.value.close();
              expect(loaded.ok).toBe(false);
            }
          } finally {
            await run.close();
          }
        },
      ),
      propertyParams(20, 10),
    );
  }, 120_000);
});
