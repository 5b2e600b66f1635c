/**
 * The `drift` section of a deployment's configuration file (AARM R7): the
 * drift profile of every agent, and profiles by agent name. A profile is
 * the name of a built-in one (`DRIFT_PROFILES`: `default`,
 * `coding_assistant`, …) or its levels written out:
 *
 * ```yaml
 * drift:
 *   profile: default
 *   byAgent:
 *     coder: coding_assistant
 *     triage: { name: triage, warning: 0.4, threshold: 0.6 }
 * ```
 *
 * @module
 */
import {
  checkProfile,
  DRIFT_PROFILES,
  type DriftProfile,
  type DriftProfileSelector,
  profilesByAgent,
} from "../scoring/drift.ts";
import { fail, isConfigObject, object, only, str } from "./fields.ts";

/** A `drift` section, its profiles resolved. */
export interface DriftConfig {
  /** The profile of agents not listed in `byAgent`; `DRIFT_PROFILES.default` when absent. */
  readonly profile?: DriftProfile;
  /** Profiles by the verified identity's `agent`. */
  readonly byAgent?: { readonly [agent: string]: DriftProfile };
}

const NAMES = Object.keys(DRIFT_PROFILES) as (keyof typeof DRIFT_PROFILES)[];

function level(value: unknown, at: string): number {
  return typeof value === "number" && value > 0 && value <= 1 ? value : fail(at, "a number in (0, 1]");
}

function profile(value: unknown, at: string): DriftProfile {
  if (typeof value === "string") {
    const name = NAMES.find((n) => n === value);
    return name === undefined
      ? fail(at, `a built-in profile (${NAMES.join(", ")}) or an object`)
      : DRIFT_PROFILES[name];
  }
  if (!isConfigObject(value)) fail(at, `a built-in profile name or {name, warning, threshold}`);
  only(value, at, ["name", "warning", "threshold"]);
  const read = {
    name: str(value.name, `${at}/name`),
    warning: level(value.warning, `${at}/warning`),
    threshold: level(value.threshold, `${at}/threshold`),
  };
  return read.warning <= read.threshold ? checkProfile(read) : fail(`${at}/warning`, "at most the threshold");
}

/** Reads a `drift` section at `at` (e.g. `/drift`); throws a `ConfigProblem` naming the first wrong field. */
export function readDriftConfig(value: unknown, at: string): DriftConfig {
  const o = object(value, at, "{profile?, byAgent?}");
  only(o, at, ["profile", "byAgent"]);
  const byAgent =
    o.byAgent === undefined
      ? undefined
      : object(o.byAgent, `${at}/byAgent`, "a map from agent names to profiles");
  return {
    ...(o.profile === undefined ? {} : { profile: profile(o.profile, `${at}/profile`) }),
    ...(byAgent === undefined
      ? {}
      : {
          byAgent: Object.fromEntries(
            Object.entries(byAgent).map(([agent, p]) => [agent, profile(p, `${at}/byAgent/${agent}`)]),
          ),
        }),
  };
}

/** The runtime's `drift` option for `config`: profiles chosen by the identity's agent. */
export function driftSelector(config: DriftConfig): DriftProfileSelector {
  return profilesByAgent(config.byAgent ?? {}, config.profile);
}
