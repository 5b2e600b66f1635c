/**
 * Where telemetry goes: a destination takes a batch of events and resolves
 * once it holds them, or rejects. The exporter around it buffers, retries,
 * falls back to local files and raises the degraded alert; a destination
 * only delivers. Two ship with aarm: OTLP over HTTP (`otlpDestination`) and
 * partitioned JSON-lines files for batch export (`fileDestination`, in the
 * aarm schema or as OCSF).
 *
 * @module
 */
import type { TelemetryEvent } from "../../schema/generated/types.ts";
import { toOcsf } from "./ocsf.ts";
import { appendPartitioned, checkPartitionOptions } from "./partition.ts";

/** Delivers batches of telemetry events. */
export interface TelemetryDestination {
  /** Names the destination in degraded alerts. */
  readonly name: string;
  /** Delivers `events`, giving up (rejecting) after about `timeoutMs`. */
  send(events: readonly TelemetryEvent[], timeoutMs: number): Promise<void>;
  /** Releases what the destination holds. */
  close?(): Promise<void>;
}

/** How batch files are written. */
export interface FileDestinationOptions {
  /** The folder of the files. */
  readonly dir: string;
  /** The window each file covers, in milliseconds; hourly by default. */
  readonly windowMs?: number;
  /** `aarm` (the telemetry event schema, by default) or `ocsf` (OCSF 1.1, see `toOcsf`). */
  readonly format?: "aarm" | "ocsf";
  /** File name prefix; `aarm-events` or `aarm-ocsf` by default. */
  readonly prefix?: string;
}

/**
 * Batch export for historical analysis: every event is appended, as one
 * JSON line, to the file of the time window its timestamp falls in
 * (`<prefix>-YYYYMMDDTHHMMZ.jsonl`).
 */
export function fileDestination(options: FileDestinationOptions): TelemetryDestination {
  const format = options.format ?? "aarm";
  const partition = checkPartitionOptions({
    dir: options.dir,
    prefix: options.prefix ?? (format === "ocsf" ? "aarm-ocsf" : "aarm-events"),
    windowMs: options.windowMs ?? 3_600_000,
  });
  return {
    name: `file:${options.dir}`,
    async send(events) {
      await appendPartitioned(
        partition,
        events.map((event) => ({
          at: new Date(event.timestamp),
          text: JSON.stringify(format === "ocsf" ? toOcsf(event) : event),
        })),
      );
    },
  };
}
