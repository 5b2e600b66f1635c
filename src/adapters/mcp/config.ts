/**
 * The gateway's configuration file (JSON or YAML; YAML is a superset, so
 * one parser reads both), checked field by field into a
 * {@link GatewayConfig}. Relative paths are resolved against the file's
 * folder. The format is documented in docs/gateway.md.
 *
 * @module
 */
import { resolve } from "node:path";
import { parse } from "yaml";
import { type Approvers, readApprovers } from "../../runtime/approvals/config.ts";
import { type DriftConfig, readDriftConfig } from "../../runtime/config/drift.ts";
import {
  ConfigProblem,
  count,
  fail,
  oneOf,
  only,
  str,
  stringMap,
  strings,
  under,
} from "../../runtime/config/fields.ts";
import { readTelemetryConfig, type TelemetryConfig } from "../../runtime/config/telemetry.ts";
import type { IdentityClaims } from "../../runtime/identity/types.ts";
import type { SqliteDurability } from "../../runtime/store/sqlite.ts";
import { isObject } from "./jsonrpc.ts";
import { UPSTREAM_NAME, type UpstreamSpec } from "./upstream.ts";

/** Bounds and waits, all optional. */
export interface GatewayConfigLimits {
  readonly maxMessageBytes?: number;
  readonly maxInFlight?: number;
  readonly maxSessions?: number;
  readonly callTimeoutMs?: number;
  /** The longest a STEP_UP or DEFER waits before it is denied (the runtime's pending ceiling). */
  readonly pendingTimeoutMs?: number;
}

/** A gateway configuration: every field optional in the file, completed by flags. */
export interface GatewayConfig {
  readonly policy?: string;
  readonly store?: string;
  /**
   * What a commit of the store survives (`SqliteStore`'s option): `full`, the
   * default, syncs before a call is answered; `normal` survives the process
   * being killed but not the machine losing power, and answers sooner.
   */
  readonly durability?: SqliteDurability;
  readonly keys?: string;
  readonly identity?: Omit<IdentityClaims, "session" | "token" | "delegation">;
  /** The intent of sessions whose `initialize` names none. */
  readonly intent?: string;
  /** `host:port` to serve Streamable HTTP on; stdio when absent. */
  readonly listen?: string;
  readonly upstreams?: readonly UpstreamSpec[];
  readonly limits?: GatewayConfigLimits;
  /**
   * Who may answer STEP_UP requests (`aarm approvals approve`): the approvers
   * configuration inline, or the path of its JSON file (the file `aarm
   * approvals --config` takes). Absent, nobody can, and every STEP_UP is denied
   * at the pending timeout.
   */
  readonly approvers?: string | Approvers;
  /** Telemetry export (AARM R8): the destination, fallback folder, filter and tuning. None by default. */
  readonly telemetry?: TelemetryConfig;
  /** Drift profiles (AARM R7), by agent; `DRIFT_PROFILES.default` for everyone by default. */
  readonly drift?: DriftConfig;
}

/** The configuration, or the first problem found, with its location. */
export type ConfigResult =
  { readonly ok: true; readonly value: GatewayConfig } | { readonly ok: false; readonly error: string };

function upstream(name: string, value: unknown, base: string): UpstreamSpec {
  const at = `/upstreams/${name}`;
  if (!UPSTREAM_NAME.test(name)) fail(at, "a name of a letter then up to 31 letters, digits, _ or -");
  if (!isObject(value)) fail(at, "{command, args?, env?, cwd?} or {url, headers?}");
  if (value.url !== undefined) {
    only(value, at, ["url", "headers"]);
    const url = str(value.url, `${at}/url`);
    if (!/^https?:\/\//.test(url)) fail(`${at}/url`, "an http:// or https:// URL");
    return {
      name,
      url,
      ...(value.headers === undefined ? {} : { headers: stringMap(value.headers, `${at}/headers`) }),
    };
  }
  only(value, at, ["command", "args", "env", "cwd"]);
  return {
    name,
    command: str(value.command, `${at}/command`),
    ...(value.args === undefined ? {} : { args: strings(value.args, `${at}/args`) }),
    ...(value.env === undefined ? {} : { env: stringMap(value.env, `${at}/env`) }),
    ...(value.cwd === undefined ? {} : { cwd: resolve(base, str(value.cwd, `${at}/cwd`)) }),
  };
}

function identity(value: unknown): NonNullable<GatewayConfig["identity"]> {
  if (!isObject(value)) fail("/identity", "an object");
  only(value, "/identity", ["human", "service", "agent", "roles", "scope"]);
  return {
    ...(value.human === undefined ? {} : { human: str(value.human, "/identity/human") }),
    ...(value.service === undefined ? {} : { service: str(value.service, "/identity/service") }),
    ...(value.agent === undefined ? {} : { agent: str(value.agent, "/identity/agent") }),
    ...(value.roles === undefined ? {} : { roles: strings(value.roles, "/identity/roles") }),
    ...(value.scope === undefined ? {} : { scope: strings(value.scope, "/identity/scope") }),
  };
}

const LIMITS = [
  "maxMessageBytes",
  "maxInFlight",
  "maxSessions",
  "callTimeoutMs",
  "pendingTimeoutMs",
] as const;

function limits(value: unknown): GatewayConfigLimits {
  if (!isObject(value)) fail("/limits", "an object");
  only(value, "/limits", LIMITS);
  return Object.fromEntries(
    LIMITS.filter((key) => value[key] !== undefined).map((key) => [key, count(value[key], `/limits/${key}`)]),
  );
}

function approvers(value: unknown): Pick<GatewayConfig, "approvers"> {
  if (value === undefined) return {};
  if (!isObject(value)) fail("/approvers", "a file name or an object {groups?, jwt}");
  const read = readApprovers(value);
  if (!read.ok) throw new ConfigProblem(`/approvers: ${read.error}`);
  return { approvers: read.value };
}

/** Reads a configuration file's text; `base` is the folder relative paths are resolved against. */
export function readGatewayConfig(text: string, base: string): ConfigResult {
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 100 });
  } catch (caught) {
    return {
      ok: false,
      error: `not valid YAML or JSON: ${caught instanceof Error ? caught.message.split("\n")[0] : String(caught)}`,
    };
  }
  try {
    if (!isObject(raw)) fail("/", "an object");
    only(raw, "", [
      "policy",
      "store",
      "durability",
      "keys",
      "identity",
      "intent",
      "listen",
      "upstreams",
      "limits",
      "approvers",
      "telemetry",
      "drift",
    ]);
    const path = (key: "policy" | "store" | "keys" | "approvers") =>
      raw[key] === undefined ? {} : { [key]: under(base, str(raw[key], `/${key}`)) };
    const ups = raw.upstreams;
    if (ups !== undefined && !isObject(ups)) fail("/upstreams", "a map from names to upstreams");
    return {
      ok: true,
      value: {
        ...path("policy"),
        ...path("store"),
        ...(raw.durability === undefined
          ? {}
          : { durability: oneOf(raw.durability, "/durability", ["full", "normal"] as const) }),
        ...path("keys"),
        ...(raw.identity === undefined ? {} : { identity: identity(raw.identity) }),
        ...(raw.intent === undefined ? {} : { intent: str(raw.intent, "/intent") }),
        ...(raw.listen === undefined ? {} : { listen: str(raw.listen, "/listen") }),
        ...(ups === undefined
          ? {}
          : { upstreams: Object.entries(ups).map(([n, v]) => upstream(n, v, base)) }),
        ...(raw.limits === undefined ? {} : { limits: limits(raw.limits) }),
        ...(typeof raw.approvers === "string" ? path("approvers") : approvers(raw.approvers)),
        ...(raw.telemetry === undefined
          ? {}
          : { telemetry: readTelemetryConfig(raw.telemetry, "/telemetry", base) }),
        ...(raw.drift === undefined ? {} : { drift: readDriftConfig(raw.drift, "/drift") }),
      },
    };
  } catch (caught) {
    if (caught instanceof ConfigProblem) return { ok: false, error: caught.message };
    throw caught;
  }
}

/**
 * Reads an `--upstream` flag: `NAME=URL` (http or https) or `NAME=COMMAND
 * ARG…`, the command split on spaces (use a configuration file for
 * arguments that contain spaces).
 */
export function readUpstreamFlag(
  flag: string,
): { ok: true; value: UpstreamSpec } | { ok: false; error: string } {
  const eq = flag.indexOf("=");
  const name = eq < 0 ? "" : flag.slice(0, eq);
  const rest = flag.slice(eq + 1).trim();
  if (!UPSTREAM_NAME.test(name) || rest === "") {
    return { ok: false, error: `--upstream "${flag}": expected NAME=URL or NAME=COMMAND [ARGS...]` };
  }
  if (/^https?:\/\//.test(rest)) return { ok: true, value: { name, url: rest } };
  const [command = "", ...args] = rest.split(/ +/);
  return { ok: true, value: { name, command, args } };
}
