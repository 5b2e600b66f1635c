/**
 * The telemetry exporter (AARM R8, §3.7): a sink for the runtime's events
 * that maps, filters, buffers and delivers them, and is never in the
 * enforcement path.
 *
 * ```ts
 * const telemetry = createTelemetry({
 *   destination: otlpDestination({ url: "http://collector:4318" }),
 *   fallback: { dir: "/var/lib/aarm/telemetry" },
 *   onDegraded: (alert) => page(alert),
 * });
 * const runtime = createRuntime({ ..., telemetry: telemetry.sink });
 * ```
 *
 * - **Non-blocking.** `sink` only appends the event to a bounded buffer and
 *   returns; mapping, hashing and delivery happen later, off the decision
 *   path. When the buffer is full the event is dropped and counted: a
 *   receiver that is down costs a decision nothing beyond that append.
 * - **Batches.** The buffer is flushed every `flushIntervalMs`, when a batch
 *   is full, and at once for high-severity events (denials with high risk,
 *   drift above the threshold).
 * - **Retries.** A batch is tried `maxAttempts` times with exponential
 *   backoff (`initialBackoffMs`, doubled each time, at most `maxBackoffMs`).
 * - **Fallback.** A batch that still fails is appended to local JSON-lines
 *   files partitioned by time window; they are sent, oldest first, once the
 *   destination answers again, and removed when delivered.
 * - **Degraded.** After `degradedAfter` (3) consecutive failed batches the
 *   exporter raises an `aarm.export_degraded` event (exported like any other,
 *   so it reaches the SIEM once it is back) and calls `onDegraded`. While
 *   degraded, batches go straight to the fallback and the destination is
 *   probed every `probeIntervalMs`.
 *
 * @module
 */
import type { TelemetryEvent } from "../../schema/generated/types.ts";
import { validateTelemetryEvent } from "../../schema/validate.ts";
import type { RuntimeEvent } from "../engine/types.ts";
import type { TelemetryDestination } from "./destination.ts";
import { type Envelope, EventMapper } from "./events.ts";
import { passes, type TelemetryFilter } from "./filter.ts";
import {
  appendPartitioned,
  checkPartitionOptions,
  listPartitions,
  type PartitionOptions,
  readPartition,
  rewritePartition,
} from "./partition.ts";

/** How the exporter buffers, retries and falls back. */
export interface TelemetryOptions {
  /** Where events go. */
  readonly destination: TelemetryDestination;
  /** Which events to export; all by default. */
  readonly filter?: TelemetryFilter;
  /** Buffered events at most (1000); more are dropped and counted. */
  readonly bufferSize?: number;
  /** Events per batch (100). */
  readonly batchSize?: number;
  /** Flush interval (5000 ms). */
  readonly flushIntervalMs?: number;
  /** Attempts per batch (3). */
  readonly maxAttempts?: number;
  /** First backoff (200 ms), doubled per attempt. */
  readonly initialBackoffMs?: number;
  /** Longest backoff (5000 ms). */
  readonly maxBackoffMs?: number;
  /** Time one attempt may take (2000 ms). */
  readonly attemptTimeoutMs?: number;
  /** Consecutive failed batches that make export degraded (3). */
  readonly degradedAfter?: number;
  /** While degraded, how often the destination is tried again (5000 ms). */
  readonly probeIntervalMs?: number;
  /** The local fallback: a folder, and the window each file covers (hourly by default). */
  readonly fallback?: { readonly dir: string; readonly windowMs?: number };
  /** Export targets in clear rather than hashed. */
  readonly clearTargets?: boolean;
  /** Called once each time export becomes degraded. Must not throw (it is contained if it does). */
  readonly onDegraded?: (alert: TelemetryEvent & { readonly event_type: "aarm.export_degraded" }) => void;
  /** The time; the system clock by default. */
  readonly clock?: () => Date;
}

/** The exporter's self-metrics (AARM §3.7). */
export interface TelemetryStats {
  /** Events accepted into the buffer. */
  readonly emitted: number;
  /** Telemetry events delivered to the destination (from the buffer or the fallback). */
  readonly exported: number;
  /** Events dropped because the buffer was full. */
  readonly dropped: number;
  /** Events waiting in the buffer. */
  readonly buffered: number;
  /** Failed delivery attempts. */
  readonly failures: number;
  /** Failed batches in a row. */
  readonly consecutiveFailures: number;
  /** Telemetry events written to the fallback. */
  readonly fallbackWritten: number;
  /** Telemetry events delivered from the fallback. */
  readonly fallbackResent: number;
  /** Events not exported because they did not fit the schema (or fallback lines that did not parse). */
  readonly invalid: number;
  /** Whether export is degraded. */
  readonly degraded: boolean;
  /** Duration of the last successful delivery, in milliseconds. */
  readonly lastExportLatencyMs: number | null;
}

/** A running exporter. */
export interface Telemetry {
  /** The runtime's `telemetry` option: appends and returns at once; never throws. */
  readonly sink: (event: RuntimeEvent) => void;
  /** Delivers (or falls back) everything buffered now, and resolves when done. */
  flush(): Promise<void>;
  /** Tries to deliver the fallback files now; resolves with the events delivered. */
  resend(): Promise<number>;
  /** The self-metrics. */
  stats(): TelemetryStats;
  /** Flushes, stops the timer and closes the destination. Later events are dropped. */
  close(): Promise<void>;
}

interface Item {
  readonly event: RuntimeEvent;
  readonly at: Date;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${what} must be a positive number`);
  return v;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Whether an event should be sent without waiting for the interval. */
function urgent(event: RuntimeEvent): boolean {
  if (event.type === "drift") return event.level === "exceeded";
  if (event.type !== "decision" || event.decision !== "DENY") return false;
  const risk = event.recorded?.risk_level;
  return risk === "high" || risk === "critical" || event.recorded?.classification === "forbidden";
}

/** Starts an exporter; see the module documentation. */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const destination = options.destination;
  const clock = options.clock ?? (() => new Date());
  const bufferSize = positive(options.bufferSize, 1000, "bufferSize");
  const batchSize = positive(options.batchSize, 100, "batchSize");
  const maxAttempts = positive(options.maxAttempts, 3, "maxAttempts");
  const initialBackoff = positive(options.initialBackoffMs, 200, "initialBackoffMs");
  const maxBackoff = positive(options.maxBackoffMs, 5000, "maxBackoffMs");
  const attemptTimeout = positive(options.attemptTimeoutMs, 2000, "attemptTimeoutMs");
  const degradedAfter = positive(options.degradedAfter, 3, "degradedAfter");
  const probeInterval = positive(options.probeIntervalMs, 5000, "probeIntervalMs");
  const flushInterval = positive(options.flushIntervalMs, 5000, "flushIntervalMs");
  const fallback: PartitionOptions | null =
    options.fallback === undefined
      ? null
      : checkPartitionOptions({
          dir: options.fallback.dir,
          prefix: "aarm-fallback",
          windowMs: options.fallback.windowMs ?? 3_600_000,
        });
  const filter = options.filter ?? {};
  const mapper = new EventMapper({ clearTargets: options.clearTargets ?? false });

  const queue: Item[] = [];
  let closed = false;
  let running: Promise<void> | null = null;
  let degraded = false;
  let lastProbe = 0;
  let pendingFallback = fallback !== null; // files may be left from an earlier run
  const stats = {
    emitted: 0,
    exported: 0,
    dropped: 0,
    failures: 0,
    consecutiveFailures: 0,
    fallbackWritten: 0,
    fallbackResent: 0,
    invalid: 0,
    lastExportLatencyMs: null as number | null,
  };

  const now = (): Date => {
    try {
      const at = clock();
      return Number.isNaN(at.getTime()) ? new Date() : at;
    } catch {
      return new Date();
    }
  };

  /** One delivery attempt, bounded by the attempt timeout. */
  async function attempt(events: readonly TelemetryEvent[]): Promise<boolean> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        destination.send(events, attemptTimeout),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("the export timed out")), attemptTimeout + 100);
          timer.unref();
        }),
      ]);
      stats.exported += events.length;
      stats.lastExportLatencyMs = Math.round(performance.now() - started);
      return true;
    } catch {
      stats.failures++;
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async function toFallback(events: readonly TelemetryEvent[]): Promise<void> {
    if (fallback === null || events.length === 0) return;
    try {
      await appendPartitioned(
        fallback,
        events.map((event) => ({ at: new Date(event.timestamp), text: JSON.stringify(event) })),
      );
      stats.fallbackWritten += events.length;
      pendingFallback = true;
    } catch {
      // The disk failed too: the events are lost, as a full buffer would lose them.
      stats.dropped += events.length;
    }
  }

  function failed(error: string): TelemetryEvent | null {
    stats.consecutiveFailures++;
    if (degraded || stats.consecutiveFailures < degradedAfter) return null;
    degraded = true;
    lastProbe = Date.now();
    const alert = {
      event_type: "aarm.export_degraded" as const,
      event_id: `evt_${globalThis.crypto.randomUUID().replaceAll("-", "")}`,
      timestamp: now().toISOString(),
      severity: "high" as const,
      destination: destination.name.slice(0, 256),
      consecutive_failures: stats.consecutiveFailures,
      error: error.slice(0, 4096),
    };
    try {
      options.onDegraded?.(alert);
    } catch {
      // The callback's failure is its own.
    }
    return alert;
  }

  function succeeded(): void {
    stats.consecutiveFailures = 0;
    degraded = false;
  }

  /** Delivers a batch with retries, or falls back. */
  async function deliver(events: readonly TelemetryEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (degraded && Date.now() - lastProbe < probeInterval) {
      await toFallback(events);
      return;
    }
    const tries = degraded ? 1 : maxAttempts;
    lastProbe = Date.now();
    for (let n = 1; n <= tries; n++) {
      if (await attempt(events)) {
        succeeded();
        return;
      }
      if (n < tries) await sleep(Math.min(maxBackoff, initialBackoff * 2 ** (n - 1)));
    }
    const alert = failed(`${tries} attempts to deliver ${events.length} events failed`);
    await toFallback(alert === null ? events : [...events, alert]);
  }

  /** Sends the fallback files, oldest first; stops at the first failure. */
  async function resendFallback(): Promise<void> {
    if (fallback === null) return;
    for (const file of await listPartitions(fallback)) {
      let lines: string[];
      try {
        lines = await readPartition(file);
      } catch {
        continue;
      }
      const events: TelemetryEvent[] = [];
      for (const line of lines) {
        try {
          const valid = validateTelemetryEvent(JSON.parse(line));
          // A line that is not one of our events (truncated by a crash, edited) is dropped, not sent.
          if (valid.ok) events.push(valid.value);
          else stats.invalid++;
        } catch {
          stats.invalid++;
        }
      }
      for (let i = 0; i < events.length; i += batchSize) {
        const batch = events.slice(i, i + batchSize);
        if (!(await attempt(batch))) {
          const alert = failed("resending the fallback failed");
          await rewritePartition(
            file,
            events.slice(i).map((e) => JSON.stringify(e)),
          ).catch(() => undefined);
          if (alert !== null) await toFallback([alert]);
          return;
        }
        succeeded();
        stats.fallbackResent += batch.length;
      }
      await rewritePartition(file, []).catch(() => undefined);
    }
    pendingFallback = false;
  }

  function take(): TelemetryEvent[] {
    const items = queue.splice(0, batchSize);
    const out: TelemetryEvent[] = [];
    for (const item of items) {
      let mapped: Envelope[];
      try {
        mapped = mapper.map(item.event, item.at);
      } catch {
        stats.dropped++;
        continue;
      }
      for (const envelope of mapped) {
        if (!passes(filter, envelope)) continue;
        // Only schema-conforming events leave (a refused call can carry a malformed action); the rest are counted.
        if (validateTelemetryEvent(envelope.event).ok) out.push(envelope.event);
        else stats.invalid++;
      }
    }
    return out;
  }

  async function pump(): Promise<void> {
    try {
      while (queue.length > 0) await deliver(take());
      const probeDue = !degraded || Date.now() - lastProbe >= probeInterval;
      if (pendingFallback && probeDue) {
        lastProbe = Date.now();
        await resendFallback();
      }
    } catch {
      // Delivery problems are counted where they happen; nothing here may escape into the runtime.
    }
  }

  function kick(): Promise<void> {
    if (running === null) {
      running = pump().finally(() => {
        running = null;
      });
    }
    return running;
  }

  const timer = setInterval(() => void kick(), flushInterval);
  timer.unref();

  return {
    sink(event) {
      try {
        if (closed) return;
        if (queue.length >= bufferSize) {
          stats.dropped++;
          return;
        }
        queue.push({ event, at: now() });
        stats.emitted++;
        if (queue.length >= batchSize || urgent(event)) setImmediate(() => void kick());
      } catch {
        // Never into the runtime.
      }
    },
    async flush() {
      while (running !== null || queue.length > 0) {
        await (running ?? kick());
      }
    },
    async resend() {
      await this.flush();
      if (fallback === null) return 0;
      // Through the single delivery loop, with the probe due now, so nothing is sent twice.
      lastProbe = 0;
      pendingFallback = true;
      const before = stats.fallbackResent;
      await kick();
      return stats.fallbackResent - before;
    },
    stats() {
      return { ...stats, buffered: queue.length, degraded };
    },
    async close() {
      await this.flush();
      closed = true;
      clearInterval(timer);
      await destination.close?.().catch(() => undefined);
    },
  };
}
