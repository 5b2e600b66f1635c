/**
 * From the runtime's events to telemetry events (`telemetry-event.schema.json`,
 * AARM §5.7), the documents that leave the engine.
 *
 * | Runtime event | Telemetry events |
 * |---|---|
 * | `decision` | `aarm.action` (execution null); `aarm.decision` unless a plain ALLOW; `aarm.approval` `requested` for STEP_UP; `aarm.deferral` `created` for DEFER |
 * | `settlement` | `aarm.approval` `approved` / `denied` for a STEP_UP; `aarm.deferral` `resolved` (ALLOW / DENY) for a DEFER |
 * | `outcome` | `aarm.action` with `execution` (success, milliseconds since the decision) |
 * | `drift` | `aarm.drift` |
 *
 * Faults and policy loads are operational, not security events, and are not
 * exported. Nothing raw leaves: parameters only as `parameters_hash` (the
 * SHA-256 of their canonical JSON), targets (recipients, URLs, paths, which
 * are derived from parameters) as hashes unless configured otherwise, and
 * the original request only as its hash. Reasons are the policy author's
 * text.
 *
 * @module
 */
import type { DecisionKind } from "../../ir/contract.ts";
import { canonicalHash, sha256Hex } from "../../schema/canonical.ts";
import type {
  Action,
  ActionEvent,
  ApprovalEvent,
  Decision,
  DeferralEvent,
  DecisionEvent,
  DriftEvent as DriftTelemetryEvent,
  Identity,
  TelemetryEvent,
} from "../../schema/generated/types.ts";
import { documentId } from "../engine/pending.ts";
import type { DriftEvent, RuntimeEvent } from "../engine/types.ts";

/** Event severity, in increasing order. */
export type Severity = "info" | "low" | "medium" | "high" | "critical";

/** Severities from lowest to highest. */
export const SEVERITIES: readonly Severity[] = ["info", "low", "medium", "high", "critical"];

/** The identity fields telemetry carries. */
export interface EventIdentity {
  readonly human?: string;
  readonly service?: string;
  readonly agent?: string;
}

/** A telemetry event with what filters look at. */
export interface Envelope {
  readonly event: TelemetryEvent;
  /** The decision the event is about: its own, STEP_UP for approvals, DEFER for deferrals; null for drift. */
  readonly decision: DecisionKind | null;
  /** Who acted, when known. */
  readonly identity: EventIdentity | null;
}

/** How events are mapped. */
export interface MappingOptions {
  /** Export targets in clear rather than as hashes (they are derived from parameters). Default false. */
  readonly clearTargets?: boolean;
}

/** What is remembered of a decided action, for its settlement and outcome. */
interface Known {
  readonly action: Action;
  readonly result: DecisionKind;
  readonly decidedAt: number;
  readonly recorded: Decision | null;
}

/** Actions remembered at most; the oldest are forgotten first. */
const REMEMBERED = 10_000;

function eventId(): string {
  return `evt_${globalThis.crypto.randomUUID().replaceAll("-", "")}`;
}

function identityOf(identity: Identity): EventIdentity {
  return {
    ...(identity.human === undefined ? {} : { human: identity.human }),
    ...(identity.service === undefined ? {} : { service: identity.service }),
    ...(identity.agent === undefined ? {} : { agent: identity.agent }),
  };
}

/** The severity of a decision: by its risk level for denials, by how much attention the others need. */
export function decisionSeverity(result: DecisionKind, recorded: Decision | null): Severity {
  switch (result) {
    case "ALLOW":
      return "info";
    case "MODIFY":
      return "low";
    case "STEP_UP":
    case "DEFER":
      return "medium";
    case "DENY":
      if (recorded?.risk_level === "critical") return "critical";
      if (recorded?.risk_level === "high" || recorded?.classification === "forbidden") return "high";
      return "medium";
  }
}

function parametersHash(action: Action): string {
  const hash = canonicalHash(action.parameters);
  // Parameters were canonical JSON when the action was logged; a failure here would be a bug, never raw data.
  return hash.ok ? hash.value : `sha256:${"0".repeat(64)}`;
}

/** Turns runtime events into telemetry events, remembering decided actions (bounded) for their follow-ups. */
export class EventMapper {
  readonly #known = new Map<string, Known>();
  readonly #clearTargets: boolean;

  constructor(options: MappingOptions = {}) {
    this.#clearTargets = options.clearTargets ?? false;
  }

  /** The telemetry events for `event`, which happened at `at`. */
  map(event: RuntimeEvent, at: Date): Envelope[] {
    switch (event.type) {
      case "decision":
        return event.action === undefined ? [] : this.#decision(event, event.action, at);
      case "settlement":
        return this.#settlement(event.action_id, event.released, event.reason, event.receipt_id, at);
      case "outcome":
        return this.#outcome(event.action_id, event.success, event.receipt_id, at);
      case "drift":
        return [this.#drift(event, at)];
      case "fault":
      case "policy_loaded":
      case "policy_rejected":
        return [];
    }
  }

  #remember(actionId: string, known: Known): void {
    this.#known.delete(actionId);
    this.#known.set(actionId, known);
    if (this.#known.size > REMEMBERED) {
      const oldest = this.#known.keys().next();
      if (!oldest.done) this.#known.delete(oldest.value);
    }
  }

  #actionEvent(
    action: Action,
    result: DecisionKind,
    recorded: Decision | null,
    receiptId: string | null,
    execution: ActionEvent["execution"],
    at: Date,
  ): ActionEvent {
    const distance = recorded?.semantic_distance;
    return {
      event_type: "aarm.action",
      event_id: eventId(),
      timestamp: at.toISOString(),
      severity:
        execution !== null ? (execution.success ? "info" : "low") : decisionSeverity(result, recorded),
      session_id: action.identity.session,
      ...(receiptId === null ? {} : { receipt_id: receiptId }),
      action: {
        action_id: action.action_id,
        tool: action.tool,
        ...(action.original_tool === undefined ? {} : { original_tool: action.original_tool }),
        operation: action.operation,
        effect: action.effect,
        parameters_hash: parametersHash(action),
      },
      identity: identityOf(action.identity),
      decision: {
        result,
        classification: recorded?.classification ?? null,
        policy_id: recorded?.policy.name ?? "unknown",
        policy_version: recorded?.policy.version ?? "unknown",
        rule_ids: [...new Set(recorded?.rules ?? [])],
        context_signals: distance === undefined ? {} : { semantic_distance: distance },
      },
      execution,
    };
  }

  #decision(event: RuntimeEvent & { readonly type: "decision" }, action: Action, at: Date): Envelope[] {
    const recorded = event.recorded ?? null;
    const result = event.decision;
    this.#remember(action.action_id, { action, result, decidedAt: at.getTime(), recorded });
    const identity = identityOf(action.identity);
    const out: Envelope[] = [
      {
        event: this.#actionEvent(action, result, recorded, event.receipt_id, null, at),
        decision: result,
        identity,
      },
    ];
    const receipt = event.receipt_id === null ? {} : { receipt_id: event.receipt_id };
    const base = {
      timestamp: at.toISOString(),
      session_id: event.session_id,
      ...receipt,
    };
    if (result !== "ALLOW") {
      const summary = event.summary;
      const decision: DecisionEvent = {
        event_type: "aarm.decision",
        event_id: eventId(),
        severity: decisionSeverity(result, recorded),
        ...base,
        action: {
          action_id: action.action_id,
          tool: action.tool,
          operation: action.operation,
          effect: action.effect,
          targets: action.targets.map((t) => (this.#clearTargets ? t : `sha256:${sha256Hex(t)}`)),
        },
        decision: {
          result,
          classification: recorded?.classification ?? null,
          reasons: (recorded?.reasons ?? []).map((r) => r.slice(0, 4096)),
          policy_id: event.policy.name,
          policy_version: event.policy.version,
          rule_ids: [...new Set(event.rules)],
          risk_level: recorded?.risk_level ?? null,
          context_needed: recorded?.context_needed ?? [],
        },
        context: {
          prior_actions: (summary?.prior_actions ?? []).map((p) => p.tool).slice(-100),
          data_classifications_accessed: summary?.data_classifications ?? [],
          ...(recorded?.semantic_distance === undefined
            ? {}
            : { semantic_distance: recorded.semantic_distance }),
        },
      };
      out.push({ event: decision, decision: result, identity });
    }
    if (result === "STEP_UP") {
      const approval: ApprovalEvent = {
        event_type: "aarm.approval",
        event_id: eventId(),
        severity: "medium",
        ...base,
        request: {
          request_id: documentId("apr", action.action_id),
          action_id: action.action_id,
          tool: action.tool,
          operation: action.operation,
          source: "step_up",
        },
        workflow: { status: "requested", response_time_ms: 0 },
      };
      out.push({ event: approval, decision: "STEP_UP", identity });
    }
    if (result === "DEFER") {
      const deferral: DeferralEvent = {
        event_type: "aarm.deferral",
        event_id: eventId(),
        severity: "medium",
        ...base,
        deferral: {
          deferral_id: documentId("dfr", action.action_id),
          action_id: action.action_id,
          tool: action.tool,
          operation: action.operation,
          state: "created",
          trigger: recorded?.deferral?.trigger ?? "rule",
          context_needed: recorded?.context_needed ?? [],
          attempts: 0,
        },
      };
      out.push({ event: deferral, decision: "DEFER", identity });
    }
    return out;
  }

  #settlement(
    actionId: string,
    released: boolean,
    reason: string,
    receiptId: string | null,
    at: Date,
  ): Envelope[] {
    const known = this.#known.get(actionId);
    if (known === undefined) return [];
    const { action } = known;
    const base = {
      event_id: eventId(),
      timestamp: at.toISOString(),
      session_id: action.identity.session,
      ...(receiptId === null ? {} : { receipt_id: receiptId }),
    };
    const identity = identityOf(action.identity);
    const why = reason.slice(0, 4096);
    if (known.result === "STEP_UP") {
      const approval: ApprovalEvent = {
        event_type: "aarm.approval",
        severity: released ? "low" : "medium",
        ...base,
        request: {
          request_id: documentId("apr", actionId),
          action_id: actionId,
          tool: action.tool,
          operation: action.operation,
          source: "step_up",
        },
        workflow: {
          status: released ? "approved" : "denied",
          response_time_ms: Math.max(0, at.getTime() - known.decidedAt),
          reason: why,
        },
      };
      return [{ event: approval, decision: "STEP_UP", identity }];
    }
    if (known.result === "DEFER") {
      const deferral: DeferralEvent = {
        event_type: "aarm.deferral",
        severity: released ? "low" : "medium",
        ...base,
        deferral: {
          deferral_id: documentId("dfr", actionId),
          action_id: actionId,
          tool: action.tool,
          operation: action.operation,
          state: "resolved",
          trigger: known.recorded?.deferral?.trigger ?? "rule",
          context_needed: known.recorded?.context_needed ?? [],
          attempts: 0,
          result: released ? "ALLOW" : "DENY",
          reason: why,
        },
      };
      return [{ event: deferral, decision: "DEFER", identity }];
    }
    return [];
  }

  #outcome(actionId: string, success: boolean, receiptId: string | null, at: Date): Envelope[] {
    const known = this.#known.get(actionId);
    if (known === undefined) return [];
    const execution = { success, duration_ms: Math.max(0, at.getTime() - known.decidedAt) };
    return [
      {
        event: this.#actionEvent(known.action, known.result, known.recorded, receiptId, execution, at),
        decision: known.result,
        identity: identityOf(known.action.identity),
      },
    ];
  }

  #drift(event: DriftEvent, at: Date): Envelope {
    const known = this.#known.get(event.action_id);
    const drift: DriftTelemetryEvent = {
      event_type: "aarm.drift",
      event_id: eventId(),
      timestamp: at.toISOString(),
      severity: event.level === "exceeded" ? "high" : "medium",
      session_id: event.session_id,
      ...(event.receipt_id === null ? {} : { receipt_id: event.receipt_id }),
      action_id: event.action_id,
      level: event.level,
      profile: { ...event.profile },
      original_intent_hash: event.intent_hash,
      drift_signals: {
        semantic_distance: event.semantic_distance,
        drift: event.drift,
        peak_drift: event.peak,
        action_count: event.action_count,
        ...(event.signals.scope_expansion === undefined
          ? {}
          : { scope_expansion: event.signals.scope_expansion }),
        ...(event.signals.classification_escalation === undefined
          ? {}
          : { classification_escalation: event.signals.classification_escalation }),
      },
      action_chain_summary: event.chain.slice(-100),
    };
    return {
      event: drift,
      decision: null,
      identity: known === undefined ? null : identityOf(known.action.identity),
    };
  }
}
