/**
 * The `telemetry` section of a deployment's configuration file (AARM R8):
 * where the runtime's events are exported (OTLP/HTTP to a collector, or
 * batch files), the local fallback folder, which events, and the exporter's
 * tuning. {@link readTelemetryConfig} checks the section field by field;
 * {@link startTelemetry} starts the exporter whose `sink` is the runtime's
 * `telemetry` option. Any surface reading a configuration file can embed it
 * (the gateway does):
 *
 * ```yaml
 * telemetry:
 *   otlp: { url: "http://127.0.0.1:4318", timeoutMs: 2000 }   # or files: { dir: telemetry }
 *   fallback: { dir: telemetry-fallback }
 *   filter: { minSeverity: medium }
 *   flushIntervalMs: 1000
 * ```
 *
 * @module
 */
import type { DecisionKind } from "../../ir/contract.ts";
import type { TelemetryEvent } from "../../schema/generated/types.ts";
import { fileDestination } from "../telemetry/destination.ts";
import { SEVERITIES } from "../telemetry/events.ts";
import { createTelemetry, type Telemetry, type TelemetryOptions } from "../telemetry/exporter.ts";
import type { TelemetryEventType, TelemetryFilter } from "../telemetry/filter.ts";
import { otlpDestination } from "../telemetry/otlp.ts";
import { count, fail, object, oneOf, only, str, stringMap, strings, under } from "./fields.ts";

/** OTLP over HTTP (JSON) to a collector. */
export interface OtlpConfig {
  /** The collector's base URL (`/v1/logs` and `/v1/traces` are appended). */
  readonly url: string;
  /** HTTP headers sent with every export, e.g. an authorization header. */
  readonly headers?: { readonly [name: string]: string };
  /** The time one export may take; the exporter's default (2000 ms) when absent. */
  readonly timeoutMs?: number;
}

/** Batch files, one JSON-lines file per hour. */
export interface BatchFilesConfig {
  /** The folder of the files. */
  readonly dir: string;
  /** `ocsf` (OCSF 1.1, the default) or `aarm` (the telemetry event schema). */
  readonly format?: "ocsf" | "aarm";
}

/** The exporter's tuning; each field is the option of `createTelemetry` of the same name. */
export type TelemetryTuning = Pick<
  TelemetryOptions,
  "flushIntervalMs" | "batchSize" | "maxAttempts" | "attemptTimeoutMs" | "probeIntervalMs"
>;

/** A `telemetry` section: exactly one destination, `otlp` or `files`, and the rest optional. */
export type TelemetryConfig = (
  | { readonly otlp: OtlpConfig; readonly files?: undefined }
  | { readonly files: BatchFilesConfig; readonly otlp?: undefined }
) &
  TelemetryTuning & {
    /** Where batches that could not be delivered wait until the destination answers again. */
    readonly fallback?: { readonly dir: string };
    /** Which events are exported; all by default. */
    readonly filter?: TelemetryFilter;
  };

const TUNING = [
  "flushIntervalMs",
  "batchSize",
  "maxAttempts",
  "attemptTimeoutMs",
  "probeIntervalMs",
] as const satisfies readonly (keyof TelemetryTuning)[];

// Records rather than lists, so that the compiler notices a new event type or decision.
const EVENT_TYPES: { readonly [T in TelemetryEventType]: true } = {
  "aarm.action": true,
  "aarm.decision": true,
  "aarm.approval": true,
  "aarm.deferral": true,
  "aarm.drift": true,
  "aarm.export_degraded": true,
};
const DECISIONS: { readonly [D in DecisionKind]: true } = {
  ALLOW: true,
  DENY: true,
  MODIFY: true,
  STEP_UP: true,
  DEFER: true,
};

function otlp(value: unknown, at: string): OtlpConfig {
  const o = object(value, at, "{url, headers?, timeoutMs?}");
  only(o, at, ["url", "headers", "timeoutMs"]);
  const url = str(o.url, `${at}/url`);
  if (!/^https?:\/\/[^/@]+(\/.*)?$/.test(url))
    fail(`${at}/url`, "an http:// or https:// URL without credentials (use headers)");
  return {
    url,
    ...(o.headers === undefined ? {} : { headers: stringMap(o.headers, `${at}/headers`) }),
    ...(o.timeoutMs === undefined ? {} : { timeoutMs: count(o.timeoutMs, `${at}/timeoutMs`) }),
  };
}

function files(value: unknown, at: string, base: string): BatchFilesConfig {
  const o = object(value, at, "{dir, format?}");
  only(o, at, ["dir", "format"]);
  return {
    dir: under(base, str(o.dir, `${at}/dir`)),
    ...(o.format === undefined ? {} : { format: oneOf(o.format, `${at}/format`, ["ocsf", "aarm"] as const) }),
  };
}

function folder(value: unknown, at: string, base: string): { readonly dir: string } {
  const o = object(value, at, "{dir}");
  only(o, at, ["dir"]);
  return { dir: under(base, str(o.dir, `${at}/dir`)) };
}

function filter(value: unknown, at: string): TelemetryFilter {
  const o = object(value, at, "{eventTypes?, minSeverity?, decisions?, identities?}");
  only(o, at, ["eventTypes", "minSeverity", "decisions", "identities"]);
  const list = <T extends string>(v: unknown, where: string, choices: readonly T[]): T[] =>
    Array.isArray(v) ? v.map((x, i) => oneOf(x, `${where}/${i}`, choices)) : fail(where, "a list");
  const who = (v: unknown, where: string): NonNullable<TelemetryFilter["identities"]> => {
    const ids = object(v, where, "{human?, service?, agent?}");
    only(ids, where, ["human", "service", "agent"]);
    return Object.fromEntries(
      (["human", "service", "agent"] as const)
        .filter((k) => ids[k] !== undefined)
        .map((k) => [k, strings(ids[k], `${where}/${k}`)]),
    );
  };
  return {
    ...(o.eventTypes === undefined
      ? {}
      : {
          eventTypes: list(
            o.eventTypes,
            `${at}/eventTypes`,
            Object.keys(EVENT_TYPES) as TelemetryEventType[],
          ),
        }),
    ...(o.minSeverity === undefined
      ? {}
      : { minSeverity: oneOf(o.minSeverity, `${at}/minSeverity`, SEVERITIES) }),
    ...(o.decisions === undefined
      ? {}
      : { decisions: list(o.decisions, `${at}/decisions`, Object.keys(DECISIONS) as DecisionKind[]) }),
    ...(o.identities === undefined ? {} : { identities: who(o.identities, `${at}/identities`) }),
  };
}

/**
 * Reads a `telemetry` section at `at` (e.g. `/telemetry`), resolving folders
 * against `base`; throws a `ConfigProblem` naming the first wrong field.
 */
export function readTelemetryConfig(value: unknown, at: string, base: string): TelemetryConfig {
  const o = object(value, at, "{otlp or files, fallback?, filter?, ...tuning}");
  only(o, at, ["otlp", "files", "fallback", "filter", ...TUNING]);
  if ((o.otlp === undefined) === (o.files === undefined))
    fail(at, "exactly one destination: otlp {url} or files {dir}");
  const rest = {
    ...(o.fallback === undefined ? {} : { fallback: folder(o.fallback, `${at}/fallback`, base) }),
    ...(o.filter === undefined ? {} : { filter: filter(o.filter, `${at}/filter`) }),
    ...Object.fromEntries(
      TUNING.filter((key) => o[key] !== undefined).map((key) => [key, count(o[key], `${at}/${key}`)]),
    ),
  };
  return o.otlp === undefined
    ? { files: files(o.files, `${at}/files`, base), ...rest }
    : { otlp: otlp(o.otlp, `${at}/otlp`), ...rest };
}

/** What the surface starting the exporter supplies besides the configuration. */
export interface StartTelemetryOptions {
  /** The fallback folder when the configuration names none (e.g. next to the store). */
  readonly fallbackDir?: string;
  /** Called once each time export becomes degraded; see `createTelemetry`. */
  readonly onDegraded?: TelemetryOptions["onDegraded"];
  /** The exporter's clock (for embedders; a configuration file cannot set it). */
  readonly clock?: () => Date;
}

/** Starts the exporter `config` describes; its `sink` is the runtime's `telemetry` option. */
export function startTelemetry(config: TelemetryConfig, options: StartTelemetryOptions = {}): Telemetry {
  const fallbackDir = config.fallback?.dir ?? options.fallbackDir;
  return createTelemetry({
    destination:
      config.otlp === undefined
        ? fileDestination({ dir: config.files.dir, format: config.files.format ?? "ocsf" })
        : otlpDestination(config.otlp),
    ...(fallbackDir === undefined ? {} : { fallback: { dir: fallbackDir } }),
    ...(config.filter === undefined ? {} : { filter: config.filter }),
    ...Object.fromEntries(TUNING.filter((key) => config[key] !== undefined).map((key) => [key, config[key]])),
    ...(options.onDegraded === undefined ? {} : { onDegraded: options.onDegraded }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

/** How {@link degradedLine} starts, for whoever watches a log for degraded alerts. */
export const DEGRADED_LINE_PREFIX = "telemetry export degraded:";

/**
 * A log line for a degraded alert: the destination and how many batches
 * failed, never the events (nor the configured headers).
 */
export function degradedLine(
  alert: TelemetryEvent & { readonly event_type: "aarm.export_degraded" },
): string {
  return `${DEGRADED_LINE_PREFIX} ${alert.destination} failed ${alert.consecutive_failures} batches in a row; events go to the local fallback until it answers`;
}
