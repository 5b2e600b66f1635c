/**
 * An asynchronous mutex per key (a session id): tasks for one key run one at
 * a time in the order they arrived, tasks for different keys run
 * concurrently. Appending to a chain reads its head, builds the next link and
 * writes it, with awaits in between; without this, two appends to one
 * session in the same process would read the same head and one would lose the
 * store's compare-and-append. Keys with nothing queued hold no memory.
 *
 * @module
 */

/** Serialises asynchronous tasks per key. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task for `key` has settled; resolves or rejects as `task` does. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release = (): void => {};
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The chain only ever waits on `done` promises, which never reject, so one failed task cannot block the key.
    const tail = previous.then(() => done);
    this.#tails.set(key, tail);
    try {
      await previous;
      return await task();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** How many keys have a task running or queued. */
  get activeKeys(): number {
    return this.#tails.size;
  }
}
