/**
 * Cumulative drift per session, judged against a drift profile (AARM R7).
 *
 * **Aggregation.** The scorer's `drift` is the session's cumulative drift:
 * for the built-in scorer an exponential moving average of the per-action
 * distance 1 − alignment (α = 0.3), a function of the context log that
 * replays exactly. On top of it each session keeps the **running maximum**
 * of that average (`peak`), so a session that drifted and came back still
 * shows how far it went.
 *
 * **Profiles.** How much drift is normal depends on the agent: a coding
 * agent reads, tests and edits files whose names share few words with "fix
 * the null pointer on line 42", a customer-service agent should stay close
 * to the ticket. A {@link DriftProfile} names two levels: `warning` and
 * `threshold`. A profile is chosen per action from the verified identity
 * (usually its `agent`), see {@link profilesByAgent}; the defaults follow
 * the ranges AARM suggests per domain, and are a starting point to
 * calibrate, not a finding.
 *
 * Crossing a level upwards reports a `drift` event, once; the level is
 * armed again when the drift falls back below it. The threshold also sets
 * the receipts' `drift_detected` risk signal. Policies act on drift through
 * `session.drift` (e.g. `step_up drifting when session.drift > 0.9`).
 *
 * @module
 */
import type { Action, Identity, SnapshotSummary } from "../../schema/generated/types.ts";
import type { DriftEvent } from "../engine/types.ts";

/** Two drift levels in (0, 1], `warning` ≤ `threshold`. */
export interface DriftProfile {
  /** Names the profile in events and receipts' documentation. */
  readonly name: string;
  /** Drift at or above which a `warning` is reported. */
  readonly warning: number;
  /** Drift above which the session counts as drifted: an `exceeded` event and `drift_detected`. */
  readonly threshold: number;
}

/** Built-in profiles: AARM's per-domain threshold ranges, with a warning level 0.1–0.2 below. */
export const DRIFT_PROFILES = {
  /** AARM §3.2's default threshold. */
  default: { name: "default", warning: 0.5, threshold: 0.7 },
  customer_service: { name: "customer_service", warning: 0.45, threshold: 0.65 },
  coding_assistant: { name: "coding_assistant", warning: 0.8, threshold: 0.9 },
  data_analyst: { name: "data_analyst", warning: 0.55, threshold: 0.75 },
  research_agent: { name: "research_agent", warning: 0.65, threshold: 0.85 },
} as const satisfies { readonly [name: string]: DriftProfile };

/** One profile for every action, or a choice per verified identity. */
export type DriftProfileSelector = DriftProfile | ((identity: Identity) => DriftProfile);

/** Throws a `RangeError` unless `profile` has levels 0 < warning ≤ threshold ≤ 1. */
export function checkProfile(profile: DriftProfile): DriftProfile {
  const { warning, threshold } = profile;
  if (!(warning > 0 && warning <= threshold && threshold <= 1)) {
    throw new RangeError(`drift profile ${profile.name}: need 0 < warning <= threshold <= 1`);
  }
  return profile;
}

/** A selector choosing the profile by the identity's `agent`, `fallback` for any other. */
export function profilesByAgent(
  byAgent: { readonly [agent: string]: DriftProfile },
  fallback: DriftProfile = DRIFT_PROFILES.default,
): (identity: Identity) => DriftProfile {
  for (const profile of [...Object.values(byAgent), fallback]) checkProfile(profile);
  return (identity) =>
    identity.agent !== undefined && Object.hasOwn(byAgent, identity.agent)
      ? (byAgent[identity.agent] ?? fallback)
      : fallback;
}

/** The profile `selector` gives for `identity`; the default profile when it throws or answers nonsense. */
export function profileFor(selector: DriftProfileSelector, identity: Identity): DriftProfile {
  try {
    const profile = typeof selector === "function" ? selector(identity) : selector;
    return checkProfile(profile);
  } catch {
    // A broken selector must not take reporting down; the default is the stricter common case.
    return DRIFT_PROFILES.default;
  }
}

/** Most recent tools listed in a drift event. */
const CHAIN = 20;

/** What one decided action tells the tracker. */
export interface DriftObservation {
  readonly session_id: string;
  readonly action: Action;
  /** The frozen scores of the decision. */
  readonly alignment: number;
  readonly drift: number;
  /** The receipt's summary of the context (prior actions, risk signals, intent hash). */
  readonly summary: SnapshotSummary;
  readonly receipt_id: string | null;
}

/** The drift state of one session: running maximum, actions seen, which levels are armed. */
export class SessionDrift {
  readonly #selector: DriftProfileSelector;
  #peak = 0;
  #count = 0;
  #above: "none" | "warning" | "exceeded" = "none";

  constructor(selector: DriftProfileSelector) {
    this.#selector = selector;
  }

  /** The highest drift seen so far. */
  get peak(): number {
    return this.#peak;
  }

  /** The profile for the identity an action is bound to. */
  profile(identity: Identity): DriftProfile {
    return profileFor(this.#selector, identity);
  }

  /** Records a decided action's scores; returns the event to report when a level was crossed upwards. */
  observe(o: DriftObservation): DriftEvent | null {
    const profile = this.profile(o.action.identity);
    this.#count++;
    this.#peak = Math.max(this.#peak, o.drift);
    const level = o.drift > profile.threshold ? "exceeded" : o.drift >= profile.warning ? "warning" : "none";
    const rank = { none: 0, warning: 1, exceeded: 2 } as const;
    const crossed = rank[level] > rank[this.#above];
    this.#above = level;
    if (!crossed || level === "none") return null;
    const hash = o.summary.intent_hash;
    return {
      type: "drift",
      session_id: o.session_id,
      action_id: o.action.action_id,
      tool: o.action.tool,
      level,
      profile: { name: profile.name, warning: profile.warning, threshold: profile.threshold },
      drift: o.drift,
      peak: this.#peak,
      semantic_distance: Math.round((1 - o.alignment) * 1e6) / 1e6,
      action_count: this.#count,
      intent_hash: hash,
      signals: o.summary.risk_signals,
      chain: [...o.summary.prior_actions.map((p) => p.tool), o.action.tool].slice(-CHAIN),
      receipt_id: o.receipt_id,
    };
  }
}
