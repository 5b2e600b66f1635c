/**
 * Exporting receipts as JSON lines: one receipt per line, exactly as stored
 * (its canonical JSON), sessions in id order and each session's receipts in
 * chain order. The export is what an auditor verifies offline with nothing
 * but the published public keys; it is written as stored, not re-checked, so
 * that tampering in the store shows up in the verification of the export.
 *
 * @module
 */
import { scanSessions } from "../store/scan.ts";
import type { Store, StoreResult } from "../store/types.ts";

/**
 * Writes every stored receipt to `write`, one line each (without the line
 * break). Returns how many were written, or the store's failure.
 */
export async function exportReceipts(
  store: Store,
  write: (line: string) => void | Promise<void>,
): Promise<StoreResult<number>> {
  let count = 0;
  const scanned = await scanSessions(store, async (session) => {
    const chain = await store.readReceipts(session.session_id);
    if (!chain.ok) return chain.error;
    for (const record of chain.value.records) {
      await write(record.body);
      count++;
    }
    return null;
  });
  return scanned.ok ? { ok: true, value: count } : scanned;
}
