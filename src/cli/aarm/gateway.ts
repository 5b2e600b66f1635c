/**
 * `aarm gateway`: an MCP gateway putting the runtime in front of upstream MCP
 * servers. Clients connect over stdio (default) or Streamable HTTP
 * (`--listen`); every `tools/call` is decided by the policy and receipted
 * before it may reach its upstream. STEP_UP requests wait in the store for
 * `aarm approvals` when approvers are configured. See docs/gateway.md.
 *
 * @module
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { readGatewayConfig, readUpstreamFlag, type GatewayConfig } from "../../adapters/mcp/config.ts";
import { createGateway } from "../../adapters/mcp/gateway.ts";
import { serveHttp } from "../../adapters/mcp/http.ts";
import { serveStdio } from "../../adapters/mcp/stdio.ts";
import { connectUpstream, type Upstream, type UpstreamSpec } from "../../adapters/mcp/upstream.ts";
import { type Approvers, readApprovers } from "../../runtime/approvals/config.ts";
import { ApprovalDesk } from "../../runtime/approvals/desk.ts";
import { driftSelector } from "../../runtime/config/drift.ts";
import { degradedLine, startTelemetry } from "../../runtime/config/telemetry.ts";
import { createKeyDirectory, loadKeyDirectory, MANIFEST_FILE } from "../../runtime/crypto/keydir.ts";
import { nodeBackend } from "../../runtime/crypto/node.ts";
import { PolicyLoadError } from "../../runtime/engine/policy.ts";
import { trustedLocalVerifier } from "../../runtime/identity/local.ts";
import { createRuntime, type Runtime } from "../../runtime/runtime.ts";
import { SqliteStore } from "../../runtime/store/sqlite.ts";
import type { Telemetry } from "../../runtime/telemetry/exporter.ts";
import type { Command, ParsedValues } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { readJson, readText } from "../files.ts";
import type { Io } from "../io.ts";
import { packageVersion } from "../package-info.ts";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** `host:port`, `[v6]:port` or a port alone (on 127.0.0.1); only loopback hosts. */
function readListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const host = match?.[1] || match?.[2] || "127.0.0.1";
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port > 65535) {
    throw new CliError(`--listen "${value}": expected HOST:PORT or PORT`);
  }
  // Identities are vouched for by this host (trusted-local), so no one else may reach the gateway.
  if (!LOOPBACK.has(host))
    throw new CliError(`--listen "${value}": only loopback addresses (127.0.0.1, ::1, localhost)`);
  return { host, port };
}

function str(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** The configuration file, if any, completed by the flags (which win). */
function configure(values: ParsedValues, io: Io): GatewayConfig {
  const file = str(values, "config");
  let config: GatewayConfig = {};
  if (file !== undefined) {
    const read = readGatewayConfig(readText(file, io.cwd), dirname(resolve(io.cwd, file)));
    if (!read.ok) throw new CliError(`${file}: ${read.error}`);
    config = read.value;
  }
  const flagged = ((values.upstream as string[] | undefined) ?? []).map((flag) => {
    const read = readUpstreamFlag(flag);
    if (!read.ok) throw new CliError(read.error);
    return read.value;
  });
  const names = new Set(flagged.map((u) => u.name));
  const path = (name: string): string | undefined => {
    const value = str(values, name);
    return value === undefined ? undefined : resolve(io.cwd, value);
  };
  const human = str(values, "human");
  const agent = str(values, "agent");
  const pending = str(values, "pending-timeout");
  const pendingMs = pending === undefined ? undefined : Number(pending);
  if (pendingMs !== undefined && !(Number.isSafeInteger(pendingMs) && pendingMs > 0)) {
    throw new CliError(`--pending-timeout "${pending}": expected a positive number of milliseconds`);
  }
  const pick = <K extends keyof GatewayConfig>(key: K, value: GatewayConfig[K] | undefined) =>
    value === undefined ? (config[key] === undefined ? {} : { [key]: config[key] }) : { [key]: value };
  return {
    ...pick("policy", path("policy")),
    ...pick("store", path("store")),
    ...pick("keys", path("keys")),
    ...pick("intent", str(values, "intent")),
    ...pick("listen", str(values, "listen")),
    ...pick("approvers", path("approvers")),
    // Set in the file only.
    ...pick("durability", undefined),
    ...pick("telemetry", undefined),
    ...pick("drift", undefined),
    identity: {
      ...config.identity,
      ...(human === undefined ? {} : { human }),
      ...(agent === undefined ? {} : { agent }),
    },
    upstreams: [...(config.upstreams ?? []).filter((u) => !names.has(u.name)), ...flagged],
    limits: { ...config.limits, ...(pendingMs === undefined ? {} : { pendingTimeoutMs: pendingMs }) },
  };
}

/** The approvers configuration, read from its file (as `aarm approvals --config` reads it) when named by path. */
function loadApprovers(approvers: GatewayConfig["approvers"], io: Io): Approvers | undefined {
  if (typeof approvers !== "string") return approvers;
  const read = readApprovers(readJson(approvers, io.cwd));
  if (!read.ok) throw new CliError(`${approvers}: ${read.error}`);
  return read.value;
}

function openKeys(dir: string) {
  const keys = existsSync(join(dir, MANIFEST_FILE))
    ? loadKeyDirectory(dir, nodeBackend)
    : createKeyDirectory(dir, nodeBackend, new Date());
  if (!keys.ok) throw new CliError(keys.error.message);
  return keys.value;
}

async function connectAll(specs: readonly UpstreamSpec[], io: Io): Promise<Upstream[]> {
  const version = packageVersion();
  const settled = await Promise.allSettled(
    specs.map((spec) =>
      connectUpstream(spec, { clientInfo: { name: "aarm-gateway", version }, stderr: "inherit" }),
    ),
  );
  const connected = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as Error] : []));
  if (failed.length > 0) {
    await Promise.all(connected.map((u) => u.close().catch(() => undefined)));
    throw new CliError(failed.map((e) => e.message).join("; "));
  }
  for (const u of connected) io.stderr(`aarm gateway: upstream ${u.name}: ${u.tools.length} tools\n`);
  return connected;
}

/** Resolves on SIGINT or SIGTERM. */
function interrupted(): Promise<void> {
  return new Promise((done) => {
    process.once("SIGINT", () => done());
    process.once("SIGTERM", () => done());
  });
}

export const gateway: Command = {
  name: "gateway",
  summary: "an MCP gateway: decide every tool call of upstream MCP servers by the policy",
  usage: "[--config FILE] [--policy FILE] [--upstream NAME=COMMAND|URL ...] [--listen HOST:PORT]",
  description:
    "Serves MCP clients over stdio (default) or Streamable HTTP (--listen, loopback only) and forwards to\n" +
    "upstream MCP servers, each spawned over stdio or reached at a URL. Tools are offered as\n" +
    "<upstream>.<tool>; every tools/call is decided by the policy, receipted in the SQLite store, and\n" +
    "forwarded only when released. Denials come back as tool results with isError and the reason.\n" +
    'The session\'s intent comes from initialize _meta["aarm/intent"], the X-AARM-Intent header (HTTP)\n' +
    "or --intent. A STEP_UP waits for an answer given with `aarm approvals` on the store when approvers\n" +
    "are configured (--approvers), and is denied at the pending timeout otherwise; a DEFER ends at its\n" +
    "timeout. The store's durability, telemetry export (OTLP or OCSF batch files) and drift profiles are set\n" +
    "in the configuration file. Flags override the configuration file (JSON or YAML; see docs/gateway.md).",
  options: {
    config: { type: "string", value: "FILE", description: "configuration file (JSON or YAML)" },
    policy: { type: "string", value: "FILE", description: "the .aarm policy (hot-reloaded)" },
    store: { type: "string", value: "FILE", description: "SQLite store (default: aarm.sqlite)" },
    keys: {
      type: "string",
      value: "DIR",
      description: "receipt signing key directory, created if missing (default: keys)",
    },
    upstream: {
      type: "string",
      multiple: true,
      value: "NAME=COMMAND|URL",
      description: "an upstream server: NAME=URL or NAME=COMMAND ARGS (split on spaces); repeatable",
    },
    listen: {
      type: "string",
      value: "HOST:PORT",
      description: "serve Streamable HTTP at http://HOST:PORT/mcp instead of stdio",
    },
    intent: {
      type: "string",
      value: "TEXT",
      description: "the user's request, for sessions whose initialize carries none",
    },
    human: {
      type: "string",
      value: "NAME",
      description: "the human every session acts for (default: the OS user)",
    },
    agent: { type: "string", value: "NAME", description: "the agent's name in identities" },
    approvers: {
      type: "string",
      value: "FILE",
      description:
        "approvers configuration (JSON, as for `aarm approvals --config`): STEP_UPs can be approved",
    },
    "pending-timeout": {
      type: "string",
      value: "MS",
      description: "longest wait of a STEP_UP or DEFER before it is denied (default: 30000)",
    },
    "export-tools": {
      type: "string",
      value: "DIR",
      description: "write each upstream's tools/list as DIR/<name>.tools.json (for `import mcp`) and exit",
    },
  },
  examples: [
    "aarm gateway --config examples/mcp-gateway/gateway.yaml",
    "aarm gateway --policy policy.aarm --upstream 'fs=npx -y @modelcontextprotocol/server-filesystem /srv/notes'",
    "aarm gateway --config gateway.yaml --listen 127.0.0.1:8787",
    "aarm gateway --config gateway.yaml --export-tools .",
  ],
  async run(positionals, values, io) {
    if (positionals.length > 0) throw new CliError(`gateway: unexpected argument "${positionals[0]}"`);
    const config = configure(values, io);
    const upstreamSpecs = config.upstreams ?? [];
    if (upstreamSpecs.length === 0)
      throw new CliError("gateway: no upstream: give --upstream or a configuration file");
    const exportDir = str(values, "export-tools");
    if (exportDir !== undefined) {
      const upstreams = await connectAll(upstreamSpecs, io);
      const dir = resolve(io.cwd, exportDir);
      mkdirSync(dir, { recursive: true });
      for (const u of upstreams) {
        writeFileSync(join(dir, `${u.name}.tools.json`), `${JSON.stringify({ tools: u.tools }, null, 2)}\n`);
        io.stderr(`wrote ${join(dir, `${u.name}.tools.json`)}\n`);
      }
      await Promise.all(upstreams.map((u) => u.close()));
      return EXIT.ok;
    }
    if (config.policy === undefined)
      throw new CliError("gateway: no policy: give --policy or a configuration file");
    const listen = config.listen === undefined ? null : readListen(config.listen);
    const storePath = config.store ?? resolve(io.cwd, "aarm.sqlite");
    const approvers = loadApprovers(config.approvers, io);
    const keyring = openKeys(config.keys ?? resolve(io.cwd, "keys"));
    const verifier = trustedLocalVerifier();
    if (!verifier.ok) throw new CliError(verifier.error);
    const opened = SqliteStore.open(storePath, { durability: config.durability ?? "full" });
    if (!opened.ok) throw new CliError(`${storePath}: ${opened.error.message}`);
    const store = opened.value;
    let runtime: Runtime | null = null;
    let telemetry: Telemetry | null = null;
    let upstreams: Upstream[] = [];
    try {
      if (config.telemetry !== undefined)
        telemetry = startTelemetry(config.telemetry, {
          // Next to the store by default, so a restarted gateway resends what it left (docs/gateway.md: give
          // gateways running side by side their own folder).
          fallbackDir: join(dirname(storePath), "aarm-telemetry-fallback"),
          onDegraded: (alert) => io.stderr(`aarm gateway: ${degradedLine(alert)}\n`),
        });
      try {
        runtime = createRuntime({
          policy: { path: config.policy },
          store,
          keyring,
          identity: verifier.value,
          // Requests wait in the store, where `aarm approvals` answers them from another process.
          ...(approvers === undefined
            ? {}
            : {
                approvals: new ApprovalDesk({
                  store,
                  ...approvers,
                  onError: (message) => io.stderr(`aarm gateway: approvals: ${message}\n`),
                }),
              }),
          timeouts: { pendingCeilingMs: config.limits?.pendingTimeoutMs ?? 30_000 },
          ...(config.drift === undefined ? {} : { drift: driftSelector(config.drift) }),
          ...(telemetry === null ? {} : { telemetry: telemetry.sink }),
          onFault: (fault) => io.stderr(`aarm gateway: fault (${fault.stage}): ${fault.message}\n`),
        });
      } catch (caught) {
        if (caught instanceof PolicyLoadError) throw new CliError(caught.message);
        throw caught;
      }
      upstreams = await connectAll(upstreamSpecs, io);
      if (approvers !== undefined)
        io.stderr(`aarm gateway: STEP_UP requests wait for \`aarm approvals --store ${storePath}\`\n`);
      const identity = config.identity ?? {};
      const gw = createGateway({
        runtime,
        upstreams,
        identity:
          identity.human === undefined && identity.service === undefined
            ? { ...identity, human: userInfo().username || "local-user" }
            : identity,
        limits: {
          ...(config.limits?.maxInFlight === undefined ? {} : { maxInFlight: config.limits.maxInFlight }),
          ...(config.limits?.callTimeoutMs === undefined
            ? {}
            : { callTimeoutMs: config.limits.callTimeoutMs }),
        },
        serverInfo: { name: "aarm-gateway", version: packageVersion() },
        onWarning: (message) => io.stderr(`aarm gateway: warning: ${message}\n`),
      });
      const maxMessageBytes = config.limits?.maxMessageBytes;
      const bytes = maxMessageBytes === undefined ? {} : { maxMessageBytes };
      const intent = config.intent === undefined ? {} : { intent: config.intent };
      if (listen === null) {
        await Promise.race([
          serveStdio(gw, process.stdin, process.stdout, {
            ...bytes,
            ...intent,
          }),
          interrupted(),
        ]);
        // On a signal stdin is still open; stop reading it so that the process can exit.
        process.stdin.destroy();
      } else {
        const server = await serveHttp(gw, {
          ...listen,
          ...bytes,
          ...intent,
          ...(config.limits?.maxSessions === undefined ? {} : { maxSessions: config.limits.maxSessions }),
        });
        io.stderr(`aarm gateway: listening on ${server.url}\n`);
        await interrupted();
        await server.close();
      }
      await gw.close();
      return EXIT.ok;
    } finally {
      await runtime?.close();
      // After the runtime, whose closing may still report events; before exiting, so none is lost.
      await telemetry?.close();
      await Promise.all(upstreams.map((u) => u.close().catch(() => undefined)));
      await store.close();
    }
  },
};
