/**
 * Rate limiting: one token bucket per key (a client, or the address of an
 * unauthenticated caller). A bucket holds up to `burst` requests and refills
 * at `perSecond`; a request that finds it empty is refused with the time
 * until the next token. The table of buckets is bounded: when it is full the
 * least recently used bucket is dropped (it would have been refilled anyway).
 *
 * @module
 */

/** A bucket's size and refill rate. */
export interface RateLimit {
  /** Most requests in a burst. */
  readonly burst: number;
  /** Sustained requests per second. */
  readonly perSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets by key. */
export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #buckets = new Map<string, Bucket>();
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(limit: RateLimit, maxKeys = 10_000, now: () => number = () => performance.now()) {
    this.#limit = limit;
    this.#maxKeys = maxKeys;
    this.#now = now;
  }

  /** Takes one token for `key`: null if allowed, else the seconds until one is available. */
  take(key: string): number | null {
    const now = this.#now();
    const { burst, perSecond } = this.#limit;
    const bucket = this.#buckets.get(key) ?? { tokens: burst, at: now };
    this.#buckets.delete(key);
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    // Re-inserted last: the map's order is least recently used first.
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done !== true) this.#buckets.delete(oldest.value);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }
}
