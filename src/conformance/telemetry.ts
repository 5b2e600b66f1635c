/**
 * Telemetry for the deployments, as `Setup.telemetry` asks: a real
 * destination started in the conformance process (an OTLP collector on
 * 127.0.0.1, or a folder of hourly OCSF batch files, with a local fallback
 * folder), the exporter configuration that sends there (the `telemetry`
 * section of a configuration file), and what the destination received read
 * back for the scenarios. An in-process deployment starts its exporter from
 * that configuration ({@link captureTelemetry}); a deployment in other
 * processes writes it into their configuration files.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Json } from "../ir/contract.ts";
import { startTelemetry, type TelemetryConfig } from "../runtime/config/telemetry.ts";
import type { RuntimeEvent } from "../runtime/engine/types.ts";
import { listPartitions, readPartition } from "../runtime/telemetry/partition.ts";
import { OtlpCollector } from "./collector.ts";
import type { ExportedEvent, TelemetryCapture, TelemetrySetup } from "./types.ts";

const HOUR = 3_600_000;

/** How often exporters flush: short, so that what a scenario did is received soon after. */
export const FLUSH_INTERVAL_MS = 50;

/** A started destination, and how to export to it. */
export interface TelemetryTarget {
  /** The exporter configuration sending to this destination, with a fallback folder of its own. */
  readonly config: TelemetryConfig;
  /** What the destination and the fallback hold now; `alerts` is the degraded alerts the deployment saw. */
  read(alerts: number): Promise<TelemetryCapture>;
  /** Stops the destination and removes its folders. */
  close(): Promise<void>;
}

/** What an OCSF batch line says about the event it carries. */
function ocsfEvent(line: string): ExportedEvent {
  const body = JSON.parse(line) as Json;
  const record = body as {
    readonly metadata?: { readonly log_name?: string };
    readonly unmapped?: { readonly aarm?: { readonly severity?: string } };
  } | null;
  return {
    type: record?.metadata?.log_name ?? "",
    severity: record?.unmapped?.aarm?.severity ?? "",
    body,
  };
}

async function lines(dir: string, prefix: string): Promise<{ files: string[]; lines: string[] }> {
  const files = await listPartitions({ dir, prefix, windowMs: HOUR });
  const read: string[] = [];
  for (const file of files) read.push(...(await readPartition(file)));
  return { files: files.map((f) => basename(f)), lines: read.filter((l) => l.trim() !== "") };
}

/** Starts the destination `setup` asks for (a collector that is down refuses connections). */
export async function startTelemetryTarget(setup: TelemetrySetup): Promise<TelemetryTarget> {
  const dir = mkdtempSync(join(tmpdir(), "aarm-conformance-telemetry-"));
  const fallbackDir = join(dir, "fallback");
  const batchDir = join(dir, "batches");
  const collector = setup.destination === "otlp" ? await OtlpCollector.start() : null;
  const url = collector?.url ?? "";
  if (collector !== null && setup.collectorDown === true) await collector.stop();
  const config: TelemetryConfig = {
    ...(collector === null
      ? { files: { dir: batchDir, format: "ocsf" as const } }
      : { otlp: { url, timeoutMs: 500 } }),
    fallback: { dir: fallbackDir },
    flushIntervalMs: FLUSH_INTERVAL_MS,
    // A collector that is down must show quickly: one attempt per batch, small batches.
    ...(setup.collectorDown === true
      ? { maxAttempts: 1, batchSize: 2, attemptTimeoutMs: 300, probeIntervalMs: 60_000 }
      : {}),
    ...(setup.filter === undefined ? {} : { filter: setup.filter }),
  };
  const destination =
    collector === null
      ? "hourly OCSF batch files"
      : `OTLP/HTTP collector at ${url}${setup.collectorDown === true ? " (refusing connections)" : ""}`;
  return {
    config,
    async read(alerts) {
      const fallback = await lines(fallbackDir, "aarm-fallback");
      if (collector !== null)
        return {
          destination,
          events: [...collector.events],
          raw: [...collector.raw],
          files: [],
          fallback: fallback.lines,
          alerts,
        };
      const batches = await lines(batchDir, "aarm-ocsf");
      return {
        destination,
        events: batches.lines.map(ocsfEvent),
        raw: batches.lines,
        files: batches.files,
        fallback: fallback.lines,
        alerts,
      };
    },
    async close() {
      if (collector !== null && setup.collectorDown !== true) await collector.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An in-process deployment's exporter and what it exported. */
export interface CapturedTelemetry {
  /** The runtime's `telemetry` option. */
  readonly sink: (event: RuntimeEvent) => void;
  /** Flushes, then reads back what the destination (and the fallback) received. */
  capture(): Promise<TelemetryCapture>;
  close(): Promise<void>;
}

/** A clock from `from` that steps one second per reading. */
function steppingClock(from: string): () => Date {
  let t = Date.parse(from);
  if (Number.isNaN(t)) throw new RangeError(`telemetry.clockFrom is not a time: ${from}`);
  return () => new Date((t += 1000));
}

/** Starts the destination for `setup`, and an exporter in this process sending to it. */
export async function captureTelemetry(setup: TelemetrySetup): Promise<CapturedTelemetry> {
  const target = await startTelemetryTarget(setup);
  let alerts = 0;
  const telemetry = startTelemetry(target.config, {
    ...(setup.clockFrom === undefined ? {} : { clock: steppingClock(setup.clockFrom) }),
    onDegraded: () => {
      alerts++;
    },
  });
  return {
    sink: telemetry.sink,
    async capture() {
      await telemetry.flush();
      return target.read(alerts);
    },
    async close() {
      await telemetry.close();
      await target.close();
    },
  };
}
