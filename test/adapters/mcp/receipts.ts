/** Reading what the gateway's runtime recorded, for the gateway tests. */
import type { Store } from "../../../src/runtime/store/types.ts";
import type { Receipt } from "../../../src/schema/generated/types.ts";

/** Every receipt in `store`, per session, in chain order. */
export async function receiptsBySession(store: Store): Promise<Map<string, Receipt[]>> {
  const sessions = await store.listSessions({ limit: 10_000 });
  if (!sessions.ok) throw new Error(sessions.error.message);
  const out = new Map<string, Receipt[]>();
  for (const session of sessions.value) {
    const read = await store.readReceipts(session.session_id);
    if (!read.ok) throw new Error(read.error.message);
    out.set(
      session.session_id,
      read.value.records.map((record) => JSON.parse(record.body) as Receipt),
    );
  }
  return out;
}

/** The decision receipts: one per call decided (follow-ups of settlements and executions excluded). */
export function decisionReceipts(receipts: readonly Receipt[]): Receipt[] {
  return receipts.filter((receipt) => receipt.related_receipt_id === null);
}
