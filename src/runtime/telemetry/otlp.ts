/**
 * OTLP over HTTP (JSON), with the OpenTelemetry JS SDK: every telemetry
 * event becomes a log record (`event.name` = its type, the event as the
 * body), and every `aarm.action` event also a span `execute_tool <tool>`.
 *
 * Attributes follow the OpenTelemetry GenAI semantic conventions where they
 * have a name for the thing (`gen_ai.operation.name` = `execute_tool`,
 * `gen_ai.tool.name`, `gen_ai.tool.call.id` = the action id,
 * `gen_ai.conversation.id` = the session, `gen_ai.agent.id`) and `aarm.*`
 * where they have none (`aarm.decision`, `aarm.policy.id`, `aarm.rule_ids`,
 * `aarm.parameters_hash`, …). A session's spans share one trace, whose id is
 * derived from the session id.
 *
 * The SDK builds and encodes the records; the exporters are called directly,
 * one batch at a time, so the telemetry exporter around this destination
 * sees every failure and does its own buffering, retries and fallback.
 *
 * @module
 */
import {
  ROOT_CONTEXT,
  type Attributes,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import {
  ATTR_GEN_AI_AGENT_ID,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
} from "@opentelemetry/semantic-conventions/incubating";
import type { Json } from "../../ir/contract.ts";
import { sha256Hex } from "../../schema/canonical.ts";
import type { ActionEvent, TelemetryEvent } from "../../schema/generated/types.ts";
import { messageOf } from "../engine/bounded.ts";
import type { TelemetryDestination } from "./destination.ts";
import type { Severity } from "./events.ts";

/** Where and how to send OTLP. */
export interface OtlpOptions {
  /** The collector's base URL, e.g. `http://127.0.0.1:4318`; `/v1/logs` and `/v1/traces` are appended. */
  readonly url: string;
  /** Extra HTTP headers, e.g. an authorization header. */
  readonly headers?: { readonly [name: string]: string };
  /** `service.name` of the resource; `aarm` by default. */
  readonly serviceName?: string;
  /** The time one export may take before it counts as failed; 2000 ms by default. */
  readonly timeoutMs?: number;
}

const SEVERITY: { readonly [S in Severity]: SeverityNumber } = {
  info: SeverityNumber.INFO,
  low: SeverityNumber.INFO2,
  medium: SeverityNumber.WARN,
  high: SeverityNumber.ERROR,
  critical: SeverityNumber.FATAL,
};

/** The attributes of `event` a collector can index. */
export function otlpAttributes(event: TelemetryEvent): Attributes {
  const attributes: Attributes = {
    "aarm.event_type": event.event_type,
    "aarm.event_id": event.event_id,
    "aarm.severity": event.severity,
  };
  if ("session_id" in event) {
    attributes[ATTR_GEN_AI_CONVERSATION_ID] = event.session_id;
    attributes["aarm.session"] = event.session_id;
  }
  if ("receipt_id" in event && event.receipt_id !== undefined)
    attributes["aarm.receipt_id"] = event.receipt_id;
  const tool = (name: string, id: string): void => {
    attributes[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL;
    attributes[ATTR_GEN_AI_TOOL_NAME] = name;
    attributes[ATTR_GEN_AI_TOOL_CALL_ID] = id;
    attributes["aarm.tool"] = name;
  };
  switch (event.event_type) {
    case "aarm.action":
      tool(event.action.tool, event.action.action_id);
      attributes["aarm.operation"] = event.action.operation;
      attributes["aarm.effect"] = event.action.effect;
      attributes["aarm.parameters_hash"] = event.action.parameters_hash;
      attributes["aarm.decision"] = event.decision.result;
      attributes["aarm.policy.id"] = event.decision.policy_id;
      attributes["aarm.policy.version"] = event.decision.policy_version;
      attributes["aarm.rule_ids"] = event.decision.rule_ids;
      if (event.identity.human !== undefined) attributes["aarm.identity.human"] = event.identity.human;
      if (event.identity.service !== undefined) attributes["aarm.identity.service"] = event.identity.service;
      if (event.identity.agent !== undefined) attributes[ATTR_GEN_AI_AGENT_ID] = event.identity.agent;
      if (event.decision.context_signals.semantic_distance !== undefined) {
        attributes["aarm.semantic_distance"] = event.decision.context_signals.semantic_distance;
      }
      if (event.execution !== null) attributes["aarm.execution.success"] = event.execution.success;
      break;
    case "aarm.decision":
      tool(event.action.tool, event.action.action_id);
      attributes["aarm.decision"] = event.decision.result;
      attributes["aarm.policy.id"] = event.decision.policy_id;
      attributes["aarm.policy.version"] = event.decision.policy_version;
      attributes["aarm.rule_ids"] = event.decision.rule_ids;
      if (event.decision.risk_level !== null) attributes["aarm.risk_level"] = event.decision.risk_level;
      break;
    case "aarm.approval":
      tool(event.request.tool, event.request.action_id);
      attributes["aarm.decision"] = "STEP_UP";
      attributes["aarm.approval.status"] = event.workflow.status;
      break;
    case "aarm.deferral":
      tool(event.deferral.tool, event.deferral.action_id);
      attributes["aarm.decision"] = "DEFER";
      attributes["aarm.deferral.state"] = event.deferral.state;
      break;
    case "aarm.drift":
      attributes["aarm.drift"] = event.drift_signals.drift;
      attributes["aarm.drift.level"] = event.level;
      attributes["aarm.drift.profile"] = event.profile.name;
      break;
    case "aarm.export_degraded":
      attributes["aarm.destination"] = event.destination;
      break;
  }
  return attributes;
}

/** Trace and parent span ids derived from the session, so its spans form one trace. */
function sessionParent(sessionId: string): ReturnType<typeof trace.setSpanContext> {
  const digest = sha256Hex(`aarm-session:${sessionId}`);
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: digest.slice(0, 32),
    spanId: digest.slice(32, 48),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

function exported<T>(
  exporter: { export(items: T, done: (result: { code: number; error?: Error }) => void): void },
  items: T,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    exporter.export(items, (result) => {
      // ExportResultCode.SUCCESS is 0.
      if (result.code === 0) resolve();
      else reject(new Error(`OTLP ${what} export failed: ${result.error?.message ?? "unknown error"}`));
    });
  });
}

/**
 * A destination sending OTLP logs and spans over HTTP (JSON). Give each
 * exporter its own: a batch's records are collected from the SDK between
 * their creation and their export, which assumes one batch at a time.
 */
export function otlpDestination(options: OtlpOptions): TelemetryDestination {
  const base = options.url.replace(/\/+$/, "");
  const timeoutMillis = options.timeoutMs ?? 2000;
  const headers = { ...options.headers };
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName ?? "aarm" });
  const logs = new InMemoryLogRecordExporter();
  const spans = new InMemorySpanExporter();
  const loggers = new LoggerProvider({
    resource,
    processors: [new SimpleLogRecordProcessor({ exporter: logs })],
  });
  const tracers = new TracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
  });
  const logger = loggers.getLogger("aarm");
  const tracer = tracers.getTracer("aarm");
  const logExporter = new OTLPLogExporter({ url: `${base}/v1/logs`, headers, timeoutMillis });
  const traceExporter = new OTLPTraceExporter({ url: `${base}/v1/traces`, headers, timeoutMillis });
  return {
    name: `otlp:${base}`,
    async send(events) {
      for (const event of events) {
        const at = new Date(event.timestamp);
        const attributes = otlpAttributes(event);
        logger.emit({
          eventName: event.event_type,
          timestamp: at,
          severityNumber: SEVERITY[event.severity],
          severityText: event.severity.toUpperCase(),
          body: event as unknown as { [key: string]: Json },
          attributes,
        });
        if (event.event_type === "aarm.action") span(event, at, attributes);
      }
      await Promise.all([loggers.forceFlush(), tracers.forceFlush()]);
      const records = logs.getFinishedLogRecords();
      const finished = spans.getFinishedSpans();
      logs.reset();
      spans.reset();
      const sends: Promise<void>[] = [];
      if (records.length > 0) sends.push(exported(logExporter, records, "log"));
      if (finished.length > 0) sends.push(exported(traceExporter, finished, "trace"));
      const results = await Promise.allSettled(sends);
      const failed = results.find((r) => r.status === "rejected");
      if (failed !== undefined) throw new Error(messageOf(failed.reason));
    },
    async close() {
      await Promise.allSettled([
        loggers.shutdown(),
        tracers.shutdown(),
        logExporter.shutdown(),
        traceExporter.shutdown(),
      ]);
    },
  };

  function span(event: ActionEvent, at: Date, attributes: Attributes): void {
    const duration = event.execution?.duration_ms ?? 0;
    const started = tracer.startSpan(
      `${GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL} ${event.action.tool}`,
      { kind: SpanKind.INTERNAL, startTime: new Date(at.getTime() - duration), attributes },
      sessionParent(event.session_id),
    );
    if (event.execution !== null && !event.execution.success)
      started.setStatus({ code: SpanStatusCode.ERROR });
    started.end(at);
  }
}
