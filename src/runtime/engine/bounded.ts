/**
 * Calling what the runtime does not control (verifiers, scorers, fact
 * providers, services) on the decision path: bounded in time, with every
 * exception and every late answer turned into a value, so the caller can
 * fail closed instead of hanging or crashing.
 *
 * @module
 */

/** The value, or why there is none. */
export type Bounded<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** The message of anything thrown. */
export function messageOf(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}

/**
 * Runs `run` and waits at most `ms` for it. A throw (synchronous or not) or
 * a timeout is a failure naming `what`. A late answer is ignored.
 */
export async function bounded<T>(what: string, ms: number, run: () => T | Promise<T>): Promise<Bounded<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Bounded<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, message: `${what} did not answer within ${ms} ms` }), ms);
  });
  const work = (async (): Promise<Bounded<T>> => ({ ok: true, value: await run() }))().catch(
    (caught: unknown): Bounded<T> => ({ ok: false, message: `${what} failed: ${messageOf(caught)}` }),
  );
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
