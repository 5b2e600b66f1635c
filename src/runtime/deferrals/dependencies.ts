/**
 * Which earlier, still unsettled deferrals a call depends on (AARM R4: a
 * dependent action is deferred too, independent ones proceed, order is
 * preserved, and the chain is capped).
 *
 * A call depends on a blocking action (a deferred one, or one already
 * waiting behind a deferral) when its arguments name that action's id or
 * call id, or when it touches one of its targets. A call making exactly the
 * same request as a blocking action that still waits is a repeat of it, not
 * a new action.
 * The check runs before the call is decided and mediates it only to learn
 * its targets; the decision mediates it again.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import type { Ir } from "../../ir/types.ts";
import { canonicalize, sha256Hex } from "../../schema/canonical.ts";
import type { Identity } from "../../schema/generated/types.ts";
import type { ArgumentLimits } from "../mediation/conform.ts";
import { mediate, type ToolCall } from "../mediation/mediate.ts";
import type { MetaToolResolver } from "../mediation/meta-tools.ts";
import type { EnforcementHandle } from "../engine/types.ts";

/** What identifies a call for the dependency check. */
export interface Probe {
  readonly callId: string | null;
  /** Digest of the request (tool, arguments, operation); null when it has no canonical form. */
  readonly request: string | null;
  readonly targets: readonly string[];
}

/** An action later calls may have to wait behind. */
export interface Blocking {
  readonly actionId: string;
  readonly probe: Probe;
  /** How many deferrals it waits behind itself (0 for a deferred action that waits behind none). */
  readonly depth: number;
  readonly handle: Promise<EnforcementHandle>;
  /** Whether it still waits (is not yet allowed or denied): only then does a repeat attach to it. */
  readonly waiting: () => boolean;
  /** Once it has settled: true if it was released, false if it was denied. */
  readonly done: Promise<boolean>;
}

/** The blocking actions a call waits behind, and the depth it would have. */
export interface Dependency {
  readonly depth: number;
  readonly on: readonly Blocking[];
}

/** What the check found. */
export type Found =
  | { readonly kind: "repeat"; readonly of: Blocking }
  | { readonly kind: "depends"; readonly dependency: Dependency; readonly probe: Probe }
  | { readonly kind: "independent"; readonly probe: Probe };

/** What mediating a call for the check needs. */
export interface ProbeContext {
  readonly ir: Ir;
  readonly resolvers: readonly MetaToolResolver[];
  readonly limits: ArgumentLimits;
  readonly identity: Identity;
}

/** Depth bound of the argument walk; mediation bounds arguments far below it anyway. */
const MAX_WALK_DEPTH = 64;

function strings(value: unknown, out: string[], depth: number): void {
  if (depth > MAX_WALK_DEPTH) return;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out, depth + 1);
  else if (typeof value === "object" && value !== null) {
    for (const item of Object.values(value)) strings(item, out, depth + 1);
  }
}

function probeOf(call: ToolCall, context: ProbeContext): { readonly probe: Probe; readonly texts: string[] } {
  const texts: string[] = [];
  strings(call.args, texts, 0);
  const request = canonicalize({
    tool: call.tool ?? null,
    args: (call.args ?? null) as Json,
    operation: call.operation ?? null,
  });
  let targets: readonly string[] = [];
  try {
    const mediated = mediate(call, {
      ...context,
      actionId: "act_probe",
      timestamp: new Date(0).toISOString(),
    });
    if (mediated.ok) targets = mediated.action.targets;
  } catch {
    // A call that cannot be mediated is refused when it is decided; it touches no known target.
  }
  return {
    probe: {
      callId: typeof call.callId === "string" ? call.callId : null,
      request: request.ok ? sha256Hex(request.value) : null,
      targets,
    },
    texts,
  };
}

/** Classifies `call` against the session's blocking actions. */
export function dependencies(call: ToolCall, blocking: readonly Blocking[], context: ProbeContext): Found {
  let probed: ReturnType<typeof probeOf>;
  try {
    probed = probeOf(call, context);
  } catch {
    // Arguments that cannot even be read (a throwing getter) are refused when the call is decided.
    probed = { probe: { callId: null, request: null, targets: [] }, texts: [] };
  }
  const { probe, texts } = probed;
  if (blocking.length === 0) return { kind: "independent", probe };
  const repeat = blocking.find(
    (b) => probe.request !== null && b.probe.request === probe.request && b.waiting(),
  );
  if (repeat !== undefined) return { kind: "repeat", of: repeat };
  const on = blocking.filter(
    (b) =>
      texts.some((t) => t.includes(b.actionId) || (b.probe.callId !== null && t === b.probe.callId)) ||
      b.probe.targets.some((target) => probe.targets.includes(target)),
  );
  if (on.length === 0) return { kind: "independent", probe };
  return { kind: "depends", dependency: { depth: 1 + Math.max(...on.map((b) => b.depth)), on }, probe };
}
