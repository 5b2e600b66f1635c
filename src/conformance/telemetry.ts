/**
 * Telemetry for an in-process deployment, as `Setup.telemetry` asks: the
 * runtime's exporter (`createTelemetry`) sending to a real OTLP collector on
 * 127.0.0.1 or to hourly OCSF batch files, with a local fallback folder, and
 * what the destination received read back for the scenarios.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Json } from "../ir/contract.ts";
import type { RuntimeEvent } from "../runtime/engine/types.ts";
import { fileDestination } from "../runtime/telemetry/destination.ts";
import { createTelemetry } from "../runtime/telemetry/exporter.ts";
import { otlpDestination } from "../runtime/telemetry/otlp.ts";
import { listPartitions, readPartition } from "../runtime/telemetry/partition.ts";
import { OtlpCollector } from "./collector.ts";
import type { ExportedEvent, TelemetryCapture, TelemetrySetup } from "./types.ts";

const HOUR = 3_600_000;

/** A deployment's exporter and what it exported. */
export interface CapturedTelemetry {
  /** The runtime's `telemetry` option. */
  readonly sink: (event: RuntimeEvent) => void;
  /** Flushes, then reads back what the destination (and the fallback) received. */
  capture(): Promise<TelemetryCapture>;
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

/** A clock from `from` that steps one second per reading. */
function steppingClock(from: string): () => Date {
  let t = Date.parse(from);
  if (Number.isNaN(t)) throw new RangeError(`telemetry.clockFrom is not a time: ${from}`);
  return () => new Date((t += 1000));
}

/** Starts the exporter and its destination for `setup`. */
export async function captureTelemetry(setup: TelemetrySetup): Promise<CapturedTelemetry> {
  const dir = mkdtempSync(join(tmpdir(), "aarm-conformance-telemetry-"));
  const fallbackDir = join(dir, "fallback");
  const batchDir = join(dir, "batches");
  let collector: OtlpCollector | null = null;
  let url = "";
  if (setup.destination === "otlp") {
    collector = await OtlpCollector.start();
    url = collector.url;
    if (setup.collectorDown === true) await collector.stop();
  }
  let alerts = 0;
  const telemetry = createTelemetry({
    destination:
      setup.destination === "otlp"
        ? otlpDestination({ url, timeoutMs: 500 })
        : fileDestination({ dir: batchDir, format: "ocsf" }),
    fallback: { dir: fallbackDir },
    flushIntervalMs: 100,
    // A collector that is down must show quickly: one attempt per batch, small batches.
    ...(setup.collectorDown === true
      ? { maxAttempts: 1, batchSize: 2, attemptTimeoutMs: 300, probeIntervalMs: 60_000 }
      : {}),
    ...(setup.filter === undefined ? {} : { filter: setup.filter }),
    ...(setup.clockFrom === undefined ? {} : { clock: steppingClock(setup.clockFrom) }),
    onDegraded: () => {
      alerts++;
    },
  });
  const destination =
    setup.destination === "otlp"
      ? `OTLP/HTTP collector at ${url}${setup.collectorDown === true ? " (refusing connections)" : ""}`
      : "hourly OCSF batch files";
  return {
    sink: telemetry.sink,
    async capture() {
      await telemetry.flush();
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
      await telemetry.close();
      if (collector !== null && setup.collectorDown !== true) await collector.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
