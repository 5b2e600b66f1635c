/**
 * Telemetry events as OCSF 1.1 events, for SIEMs that ingest OCSF.
 *
 * OCSF has no agent-action class, so actions, decisions on them and
 * approvals are **API Activity** [6003] (an agent calling a tool is an API
 * call) with the `security_control` profile's `action_id` and
 * `disposition_id` carrying the decision; what needs an analyst's attention
 * (non-ALLOW decisions, deferrals, drift, export degradation) is a
 * **Detection Finding** [2004]. The telemetry event itself travels whole in
 * `unmapped.aarm`, so nothing is lost. The table is in docs/telemetry.md.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import type { DecisionKind, Effect, TelemetryEvent } from "../../schema/generated/types.ts";
import { SEVERITIES } from "./events.ts";

/** An OCSF event as JSON. */
export type OcsfEvent = { readonly [field: string]: Json };

/** The OCSF version mapped to. */
export const OCSF_VERSION = "1.1.0";

const API_ACTIVITY = { class_uid: 6003, class_name: "API Activity", category_uid: 6 } as const;
const DETECTION_FINDING = { class_uid: 2004, class_name: "Detection Finding", category_uid: 2 } as const;

/** `security_control` profile: action_id (1 Allowed, 2 Denied, 0 Unknown) and disposition_id per decision. */
const CONTROL: {
  readonly [K in DecisionKind]: { readonly action_id: number; readonly disposition_id: number };
} = {
  ALLOW: { action_id: 1, disposition_id: 1 }, // Allowed
  DENY: { action_id: 2, disposition_id: 2 }, // Blocked
  MODIFY: { action_id: 1, disposition_id: 11 }, // Corrected
  STEP_UP: { action_id: 0, disposition_id: 14 }, // Delayed, pending approval
  DEFER: { action_id: 0, disposition_id: 14 }, // Delayed, pending context
};

/** API Activity activity_id by effect: 2 Read, 3 Update, 4 Delete, 99 Other. */
const ACTIVITY: { readonly [K in Effect]: number } = {
  read: 2,
  write: 3,
  delete: 4,
  egress: 99,
  execute: 99,
};

function severityId(severity: (typeof SEVERITIES)[number]): { severity_id: number; severity: string } {
  const id = SEVERITIES.indexOf(severity) + 1; // 1 Informational … 5 Critical
  const names = ["Informational", "Low", "Medium", "High", "Critical"];
  return { severity_id: id, severity: names[id - 1] ?? "Unknown" };
}

function actor(identity: {
  readonly human?: string;
  readonly service?: string;
  readonly agent?: string;
}): Json {
  return {
    user: { name: identity.human ?? identity.service ?? "unknown", type_id: identity.human ? 1 : 3 },
    ...(identity.agent === undefined ? {} : { app_name: identity.agent }),
  };
}

/** The OCSF event for `event`. */
export function toOcsf(event: TelemetryEvent): OcsfEvent {
  const common = {
    time: Date.parse(event.timestamp),
    ...severityId(event.severity),
    metadata: {
      version: OCSF_VERSION,
      uid: event.event_id,
      product: { name: "aarm", vendor_name: "aarm" },
      log_name: event.event_type,
      ...("session_id" in event ? { correlation_uid: event.session_id } : {}),
      profiles: ["security_control"],
    },
    unmapped: { aarm: event as unknown as Json },
  };
  const finding = (activity: number, uid: string, title: string, desc: string): OcsfEvent => ({
    ...DETECTION_FINDING,
    activity_id: activity,
    type_uid: DETECTION_FINDING.class_uid * 100 + activity,
    ...common,
    finding_info: { uid, title, desc },
    is_alert: event.severity === "high" || event.severity === "critical",
  });
  switch (event.event_type) {
    case "aarm.action": {
      const activity = ACTIVITY[event.action.effect];
      const execution = event.execution;
      return {
        ...API_ACTIVITY,
        activity_id: activity,
        type_uid: API_ACTIVITY.class_uid * 100 + activity,
        ...common,
        ...CONTROL[event.decision.result],
        actor: actor(event.identity),
        api: { operation: event.action.operation, service: { name: event.action.tool } },
        src_endpoint: { svc_name: event.identity.service ?? event.identity.agent ?? "agent" },
        status_id: execution === null ? 0 : execution.success ? 1 : 2,
        ...(execution === null ? {} : { duration: execution.duration_ms }),
        policy: {
          name: event.decision.policy_id,
          version: event.decision.policy_version,
          uid: event.decision.rule_ids.join(","),
        },
      };
    }
    case "aarm.decision": {
      const d = event.decision;
      return {
        ...finding(1, event.action.action_id, `${d.result} ${event.action.tool}`, d.reasons.join("; ")),
        ...CONTROL[d.result],
        policy: { name: d.policy_id, version: d.policy_version, uid: d.rule_ids.join(",") },
        resources: [{ name: event.action.tool, type: "tool" }],
      };
    }
    case "aarm.approval": {
      const status = event.workflow.status;
      const disposition =
        status === "approved" ? 8 : status === "requested" || status === "escalated" ? 14 : 2;
      return {
        ...API_ACTIVITY,
        activity_id: 99,
        type_uid: API_ACTIVITY.class_uid * 100 + 99,
        ...common,
        action_id: status === "approved" ? 1 : disposition === 14 ? 0 : 2,
        disposition_id: disposition, // 8 Approved, 14 Delayed, 2 Blocked
        actor: { user: { name: event.workflow.approver ?? "approval-service", type_id: 1 } },
        api: { operation: event.request.operation, service: { name: event.request.tool } },
        src_endpoint: { svc_name: "aarm" },
        status_id: status === "approved" ? 1 : status === "denied" || status === "timeout" ? 2 : 0,
      };
    }
    case "aarm.deferral": {
      const d = event.deferral;
      const activity = d.state === "created" ? 1 : d.state === "resolved" || d.state === "timeout" ? 3 : 2;
      return {
        ...finding(activity, d.deferral_id, `DEFER ${d.tool}: ${d.state}`, d.reason ?? d.trigger),
        ...CONTROL[d.result === "ALLOW" ? "ALLOW" : d.result === undefined ? "DEFER" : "DENY"],
      };
    }
    case "aarm.drift":
      return {
        ...finding(
          1,
          event.action_id,
          `drift ${event.level} (${event.profile.name})`,
          `cumulative drift ${event.drift_signals.drift} against threshold ${event.profile.threshold}`,
        ),
        risk_score: Math.round(event.drift_signals.drift * 100),
      };
    case "aarm.export_degraded":
      return finding(1, event.event_id, `telemetry export to ${event.destination} degraded`, event.error);
  }
}
