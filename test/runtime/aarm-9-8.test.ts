// AARM acceptance scenarios §9.8 (R8: telemetry), with a real OTLP/HTTP receiver on 127.0.0.1.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PendingHandle } from "../../src/runtime/engine/types.ts";
import { fileDestination } from "../../src/runtime/telemetry/destination.ts";
import {
  createTelemetry,
  type Telemetry,
  type TelemetryOptions,
} from "../../src/runtime/telemetry/exporter.ts";
import { otlpDestination } from "../../src/runtime/telemetry/otlp.ts";
import { listPartitions } from "../../src/runtime/telemetry/partition.ts";
import { validateTelemetryEvent } from "../../src/schema/validate.ts";
import { expectVerifiedReceipts, type Harness, harness, policy, tempDir } from "./engine-harness.ts";
import { CALLS, FIVE_DECISIONS, OtlpReceiver, SECRET } from "./telemetry-harness.ts";

const IR = policy(FIVE_DECISIONS);

let h: Harness | undefined;
let telemetry: Telemetry | undefined;
let receiver: OtlpReceiver | undefined;
const cleanups: (() => void)[] = [];

afterEach(async () => {
  await telemetry?.close();
  await h?.close();
  await receiver?.stop();
  for (const c of cleanups.splice(0)) c();
  h = telemetry = receiver = undefined;
});

/** A runtime whose telemetry goes through `createTelemetry(options)`, with the five calls made. */
async function run(options: Omit<TelemetryOptions, "destination"> & Partial<TelemetryOptions>, url?: string) {
  telemetry = createTelemetry({
    destination: options.destination ?? otlpDestination({ url: url ?? receiver?.url ?? "", timeoutMs: 500 }),
    flushIntervalMs: 100,
    ...options,
  });
  const sink = telemetry.sink;
  h = harness(IR, { telemetry: sink });
  const s = await h.session({ intent: "housekeeping" });
  const handles = [];
  for (const call of CALLS) {
    const handle = await h.call(s, call.tool, call.args);
    handles.push(handle);
  }
  for (const handle of handles) if (handle.kind === "pending") await (handle as PendingHandle).settled;
  return { handles, session: s };
}

describe("§9.8 R8: telemetry", () => {
  it("78: every decision type, DEFER included, is exported within seconds as OTLP", async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
    const { handles } = await run({});
    expect(handles.map((x) => x.decision)).toEqual(CALLS.map((c) => c.expect));
    const settled = Date.now(); // every event has been emitted by now
    // High-severity events go at once; the rest within the flush interval.
    const results = (): string[] =>
      [
        ...new Set(receiver?.events("aarm.action").map((a) => (a.decision as { result: string }).result)),
      ].sort();
    await expect
      .poll(results, { timeout: 10_000, interval: 50 })
      .toEqual(["ALLOW", "DEFER", "DENY", "MODIFY", "STEP_UP"]);
    expect(Date.now() - settled).toBeLessThan(10_000);
    await telemetry?.flush();
    const decisions = receiver.events("aarm.decision").map((d) => (d.decision as { result: string }).result);
    expect(decisions).toEqual(expect.arrayContaining(["DENY", "MODIFY", "STEP_UP", "DEFER"]));
    expect(receiver.events("aarm.deferral").map((d) => (d.deferral as { state: string }).state)).toEqual(
      expect.arrayContaining(["created", "resolved"]),
    );
    expect(receiver.events("aarm.approval").map((d) => (d.workflow as { status: string }).status)).toEqual(
      expect.arrayContaining(["requested", "denied"]),
    );
    // Every exported event fits the documented schema.
    for (const log of receiver.logs)
      expect(validateTelemetryEvent(log.body).ok, JSON.stringify(log.body)).toBe(true);
    // GenAI conventions on the spans and the logs.
    const span = receiver.spans.find((s) => s.attributes["gen_ai.tool.name"] === "bank.pay");
    expect(span?.name).toBe("execute_tool bank.pay");
    expect(span?.attributes["gen_ai.operation.name"]).toBe("execute_tool");
    expect(span?.attributes["gen_ai.tool.call.id"]).toBe(handles[3]?.actionId);
    expect(span?.attributes["aarm.decision"]).toBe("STEP_UP");
    expect(receiver.logs[0]?.resource["service.name"]).toBe("aarm");
    await expectVerifiedReceipts(h as Harness, IR);
  });

  it("79: filters export only the chosen event types, or only what is at least MEDIUM", async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
    await run({ filter: { eventTypes: ["aarm.decision", "aarm.approval"] } });
    await telemetry?.flush();
    expect(new Set(receiver.logs.map((l) => l.eventName))).toEqual(
      new Set(["aarm.decision", "aarm.approval"]),
    );
    await telemetry?.close();
    await h?.close();
    await receiver.stop();

    receiver = new OtlpReceiver();
    await receiver.start();
    await run({ filter: { minSeverity: "medium" } });
    await telemetry?.flush();
    const severities = new Set(receiver.logs.map((l) => l.attributes["aarm.severity"]));
    expect(severities.size).toBeGreaterThan(0);
    for (const s of severities) expect(["medium", "high", "critical"]).toContain(s);
    // The plain ALLOW (info) and the MODIFY (low) are left out.
    expect(
      receiver.events("aarm.action").map((a) => (a.decision as { result: string }).result),
    ).not.toContain("ALLOW");
  });

  it("80: with the SIEM down, events go to the local fallback, a degraded alert fires, enforcement goes on", async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
    const url = receiver.url;
    await receiver.stop(); // the endpoint refuses connections
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const alerts: unknown[] = [];
    const { handles } = await run(
      {
        fallback: { dir },
        maxAttempts: 1,
        batchSize: 2,
        attemptTimeoutMs: 300,
        probeIntervalMs: 60_000,
        onDegraded: (alert) => alerts.push(alert),
      },
      url,
    );
    // Tool enforcement continued: the released actions ran.
    expect(handles.map((x) => x.decision)).toEqual(CALLS.map((c) => c.expect));
    expect(h?.tools.ran("files.read")).toBe(1);
    expect(h?.tools.ran("db.query")).toBe(1);
    await telemetry?.flush();
    const stats = telemetry?.stats();
    expect(stats?.degraded).toBe(true);
    expect(stats?.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ event_type: "aarm.export_degraded", severity: "high" });
    const files = await listPartitions({ dir, prefix: "aarm-fallback", windowMs: 3_600_000 });
    expect(files.length).toBeGreaterThan(0);
    const lines = files.flatMap((f) => readFileSync(f, "utf8").trim().split("\n"));
    expect(lines.some((l) => l.includes('"aarm.export_degraded"'))).toBe(true);
    expect(lines.some((l) => l.includes('"DEFER"'))).toBe(true);
  });

  it("81: batch export writes one file per time window", async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    // The clock crosses an hour boundary between the calls.
    let t = Date.parse("2026-11-22T09:59:58.000Z");
    await run({
      destination: fileDestination({ dir, windowMs: 3_600_000, format: "ocsf" }),
      clock: () => new Date((t += 1000)),
    });
    await telemetry?.flush();
    const files = await listPartitions({ dir, prefix: "aarm-ocsf", windowMs: 3_600_000 });
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      "aarm-ocsf-20261122T0900Z.jsonl",
      "aarm-ocsf-20261122T1000Z.jsonl",
    ]);
    const events = files.flatMap((f) =>
      readFileSync(join(f), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { class_uid: number; metadata: { version: string }; time: number }),
    );
    expect(new Set(events.map((e) => e.class_uid))).toEqual(new Set([6003, 2004]));
    expect(events.every((e) => e.metadata.version === "1.1.0")).toBe(true);
    for (const f of files) {
      const hour = Number(/T(\d\d)00Z\.jsonl$/.exec(f)?.[1]);
      for (const line of readFileSync(f, "utf8").trim().split("\n")) {
        expect(new Date((JSON.parse(line) as { time: number }).time).getUTCHours()).toBe(hour);
      }
    }
  });

  it("82: exported events carry parameters_hash, never the raw parameters", async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
    await run({});
    await telemetry?.flush();
    expect(receiver.raw.length).toBeGreaterThan(0);
    for (const body of receiver.raw) {
      expect(body).not.toContain(SECRET);
      expect(body).not.toContain("eve@evil.example"); // targets are derived from parameters: hashed too
    }
    for (const action of receiver.events("aarm.action")) {
      expect((action.action as { parameters_hash: string }).parameters_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(action).not.toHaveProperty("parameters");
    }
  });
});
