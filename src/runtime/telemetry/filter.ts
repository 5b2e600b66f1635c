/**
 * Which telemetry events are exported (AARM R8, §3.7): by event type,
 * minimum severity, decision and identity. Every criterion given must hold;
 * an absent criterion lets everything through. Export-degraded alerts are
 * operational and always pass.
 *
 * @module
 */
import type { DecisionKind } from "../../ir/contract.ts";
import type { TelemetryEvent } from "../../schema/generated/types.ts";
import { type Envelope, SEVERITIES, type Severity } from "./events.ts";

/** A telemetry event type. */
export type TelemetryEventType = TelemetryEvent["event_type"];

/** What to export. */
export interface TelemetryFilter {
  /** Only these event types, e.g. `["aarm.decision", "aarm.approval"]`. */
  readonly eventTypes?: readonly TelemetryEventType[];
  /** Only events at least this severe. */
  readonly minSeverity?: Severity;
  /**
   * Only events about these decisions (approvals count as STEP_UP, deferrals
   * as DEFER); events about no decision (drift) are then left out.
   */
  readonly decisions?: readonly DecisionKind[];
  /** Only events of these principals: an event passes when any listed field matches; events of unknown identity are then left out. */
  readonly identities?: {
    readonly human?: readonly string[];
    readonly service?: readonly string[];
    readonly agent?: readonly string[];
  };
}

/** Whether `envelope` passes `filter`. */
export function passes(filter: TelemetryFilter, envelope: Envelope): boolean {
  const event = envelope.event;
  if (event.event_type === "aarm.export_degraded") return true;
  if (filter.eventTypes !== undefined && !filter.eventTypes.includes(event.event_type)) return false;
  if (
    filter.minSeverity !== undefined &&
    SEVERITIES.indexOf(event.severity) < SEVERITIES.indexOf(filter.minSeverity)
  ) {
    return false;
  }
  if (
    filter.decisions !== undefined &&
    (envelope.decision === null || !filter.decisions.includes(envelope.decision))
  ) {
    return false;
  }
  const wanted = filter.identities;
  if (wanted !== undefined) {
    const who = envelope.identity;
    if (who === null) return false;
    const hit =
      (who.human !== undefined && (wanted.human?.includes(who.human) ?? false)) ||
      (who.service !== undefined && (wanted.service?.includes(who.service) ?? false)) ||
      (who.agent !== undefined && (wanted.agent?.includes(who.agent) ?? false));
    if (!hit) return false;
  }
  return true;
}
