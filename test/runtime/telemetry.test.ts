// The telemetry exporter against a real OTLP/HTTP receiver: outages cost decisions nothing beyond the
// buffer, events survive them in the fallback files and are delivered once the receiver is back.
import { appendFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { RuntimeEvent } from "../../src/runtime/engine/types.ts";
import type { TelemetryDestination } from "../../src/runtime/telemetry/destination.ts";
import { createTelemetry, type Telemetry } from "../../src/runtime/telemetry/exporter.ts";
import { toOcsf } from "../../src/runtime/telemetry/ocsf.ts";
import { otlpDestination } from "../../src/runtime/telemetry/otlp.ts";
import { listPartitions } from "../../src/runtime/telemetry/partition.ts";
import type { TelemetryEvent } from "../../src/schema/generated/types.ts";
import { type Harness, harness, policy, tempDir } from "./engine-harness.ts";
import { CALLS, FIVE_DECISIONS, OtlpReceiver } from "./telemetry-harness.ts";

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

/** Wraps a sink, recording how long each call took. */
function timed(sink: (e: RuntimeEvent) => void): { sink: (e: RuntimeEvent) => void; durations: number[] } {
  const durations: number[] = [];
  return {
    durations,
    sink: (event) => {
      const started = performance.now();
      sink(event);
      durations.push(performance.now() - started);
    },
  };
}

describe("telemetry exporter", () => {
  it("with the receiver hanging, decisions are not slowed, events land in the fallback and arrive once it is back", async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
    receiver.hang = true; // connections are accepted and never answered: every attempt takes its timeout
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const degraded: unknown[] = [];
    telemetry = createTelemetry({
      destination: otlpDestination({ url: receiver.url, timeoutMs: 300 }),
      fallback: { dir },
      batchSize: 4,
      flushIntervalMs: 50,
      maxAttempts: 2,
      initialBackoffMs: 20,
      attemptTimeoutMs: 300,
      probeIntervalMs: 60_000,
      onDegraded: (alert) => degraded.push(alert),
    });
    const probe = timed(telemetry.sink);
    h = harness(IR, { telemetry: probe.sink });
    const s = await h.session({ intent: "housekeeping" });
    for (let round = 0; round < 4; round++) {
      for (const call of CALLS.slice(0, 3)) {
        const handle = await h.call(s, call.tool, call.args);
        expect(handle.decision).toBe(call.expect);
      }
    }
    // The sink only appends to the buffer: no call waits for the network.
    expect(probe.durations.length).toBeGreaterThan(12);
    // A single attempt takes its 300 ms timeout.
    expect(Math.max(...probe.durations)).toBeLessThan(100);

    await telemetry.flush();
    expect(degraded).toHaveLength(1);
    const down = telemetry.stats();
    expect(down.degraded).toBe(true);
    expect(down.exported).toBe(0);
    expect(down.fallbackWritten).toBeGreaterThan(12);
    const partition = { dir, prefix: "aarm-fallback", windowMs: 3_600_000 };
    const files = await listPartitions(partition);
    expect(files).toHaveLength(1);
    // A line that is not an event (a torn write, an edit) is not sent.
    appendFileSync(files[0] ?? "", '{"event_type":"aarm.action","forged":true}\nnot json\n');

    receiver.hang = false; // back up
    const resent = await telemetry.resend();
    expect(resent).toBe(down.fallbackWritten);
    expect(await listPartitions(partition)).toEqual([]);
    const ids = new Set(receiver.logs.map((l) => l.attributes["aarm.event_id"]));
    expect(ids.size).toBe(down.fallbackWritten);
    expect(receiver.events("aarm.export_degraded")).toHaveLength(1);
    // Twelve decisions and the outcomes of the eight released actions.
    expect(receiver.events("aarm.action").length).toBe(20);
    expect(telemetry.stats()).toMatchObject({ degraded: false, invalid: 2 });

    // New events flow straight through again.
    await h.call(s, "files.read", { path: "/tmp/x" });
    await telemetry.flush();
    expect(receiver.events("aarm.action").length).toBe(22);
  });

  it("a full buffer drops and counts instead of blocking", async () => {
    const stuck: TelemetryDestination = { name: "stuck", send: () => new Promise<void>(() => undefined) };
    telemetry = createTelemetry({
      destination: stuck,
      bufferSize: 5,
      batchSize: 1,
      maxAttempts: 1,
      attemptTimeoutMs: 50,
      flushIntervalMs: 10_000,
    });
    h = harness(IR, { telemetry: telemetry.sink });
    const s = await h.session({ intent: "housekeeping" });
    for (let i = 0; i < 10; i++) await h.call(s, "files.read", { path: `/f${i}` });
    const stats = telemetry.stats();
    expect(stats.buffered).toBeLessThanOrEqual(5);
    expect(stats.dropped).toBeGreaterThan(0);
  });

  it("filters by decision and identity", async () => {
    const got: TelemetryEvent[] = [];
    const memory: TelemetryDestination = { name: "memory", send: async (events) => void got.push(...events) };
    telemetry = createTelemetry({
      destination: memory,
      filter: { decisions: ["DENY", "DEFER"], identities: { human: ["alice@example.com"] } },
    });
    h = harness(IR, { telemetry: telemetry.sink });
    const alice = await h.session({ intent: "housekeeping" });
    const bob = await h.session({ intent: "housekeeping", human: "bob@example.com" });
    for (const s of [alice, bob])
      for (const call of CALLS) await s.evaluate({ tool: call.tool, args: call.args });
    await h.runtime.close();
    await telemetry.flush();
    expect(got.length).toBeGreaterThan(0);
    for (const e of got) {
      if (e.event_type === "aarm.action") {
        expect(["DENY", "DEFER"]).toContain(e.decision.result);
        expect(e.identity.human).toBe("alice@example.com");
      } else {
        expect(["aarm.decision", "aarm.deferral"]).toContain(e.event_type);
      }
    }
  });

  it("maps every event type to OCSF 1.1 classes with the decision in the security-control fields", () => {
    const base = { event_id: "evt_1", timestamp: "2026-11-22T09:00:00.000Z", session_id: "s1" };
    const denied = toOcsf({
      ...base,
      event_type: "aarm.action",
      severity: "high",
      action: {
        action_id: "a1",
        tool: "email.send",
        operation: "call",
        effect: "egress",
        parameters_hash: `sha256:${"a".repeat(64)}`,
      },
      identity: { human: "alice@example.com", agent: "bot" },
      decision: {
        result: "DENY",
        classification: null,
        policy_id: "p",
        policy_version: "1",
        rule_ids: ["r"],
        context_signals: {},
      },
      execution: null,
    });
    expect(denied).toMatchObject({
      class_uid: 6003,
      activity_id: 99,
      type_uid: 600399,
      action_id: 2,
      disposition_id: 2,
      severity_id: 4,
    });
    const drift = toOcsf({
      ...base,
      event_type: "aarm.drift",
      severity: "high",
      action_id: "a1",
      level: "exceeded",
      profile: { name: "default", warning: 0.5, threshold: 0.7 },
      original_intent_hash: null,
      drift_signals: { semantic_distance: 1, drift: 0.76, peak_drift: 0.76, action_count: 4 },
      action_chain_summary: ["a", "b"],
    });
    expect(drift).toMatchObject({ class_uid: 2004, category_uid: 2, risk_score: 76, is_alert: true });
  });
});
