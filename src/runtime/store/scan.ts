/**
 * Visiting every session of a store, a page at a time, so that exporting or
 * verifying a large store never holds its whole session list in memory.
 *
 * @module
 */
import type { SessionRecord, Store, StoreError, StoreResult } from "./types.ts";

const SESSIONS_PER_PAGE = 1000;

/**
 * Calls `visit` for each session in id order, one at a time. Stops at the
 * first store failure or the first error `visit` returns, and reports it;
 * otherwise returns how many sessions were visited.
 */
export async function scanSessions(
  store: Store,
  visit: (session: SessionRecord) => Promise<StoreError | null>,
): Promise<StoreResult<number>> {
  let count = 0;
  let after: string | undefined;
  for (;;) {
    const page = await store.listSessions({
      limit: SESSIONS_PER_PAGE,
      ...(after === undefined ? {} : { after }),
    });
    if (!page.ok) return page;
    for (const session of page.value) {
      const problem = await visit(session);
      if (problem !== null) return { ok: false, error: problem };
      count++;
    }
    const last = page.value.at(-1);
    if (page.value.length < SESSIONS_PER_PAGE || last === undefined) return { ok: true, value: count };
    after = last.session_id;
  }
}
