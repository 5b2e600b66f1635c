/**
 * `aarm serve`: the runtime as an HTTP decision service, for agents written
 * in any language. The configuration file says where the policy, the SQLite
 * store and the signing keys are, which client applications may call it
 * (bearer tokens, given by environment variable or digest), how identity
 * tokens are verified, and the limits. It listens on 127.0.0.1 by default,
 * prints the address it bound (`--port 0` picks a free port), and shuts down
 * cleanly on SIGINT or SIGTERM: pending actions are denied, the store is
 * closed. See `docs/http.md`.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { type Client, MIN_TOKEN_LENGTH, tokenDigest } from "../../adapters/http/auth.ts";
import { type ClientConfig, parseServeConfig, type ServeConfig } from "../../adapters/http/config.ts";
import { bindRefusal, createHttpServer, isLoopback } from "../../adapters/http/server.ts";
import { createDecisionService, runtimeWatch } from "../../adapters/http/service.ts";
import { ApprovalDesk } from "../../runtime/approvals/desk.ts";
import { DeferralDesk } from "../../runtime/deferrals/desk.ts";
import { createKeyDirectory, loadKeyDirectory, MANIFEST_FILE } from "../../runtime/crypto/keydir.ts";
import { nodeBackend } from "../../runtime/crypto/node.ts";
import { PolicyLoadError } from "../../runtime/engine/policy.ts";
import { loadKeySetFile } from "../../runtime/identity/jwks.ts";
import { jwtVerifier } from "../../runtime/identity/jwt.ts";
import { trustedLocalVerifier } from "../../runtime/identity/local.ts";
import { revocationFile } from "../../runtime/identity/revocation-file.ts";
import type { IdentityVerifier } from "../../runtime/identity/types.ts";
import { createRuntime } from "../../runtime/runtime.ts";
import { SqliteStore } from "../../runtime/store/sqlite.ts";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { readJson } from "../files.ts";
import type { Io } from "../io.ts";

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 8787;

/** A client's token digest; the token itself is dropped here and never printed. */
function clientOf(config: ClientConfig, env: NodeJS.ProcessEnv): Client {
  const scopes = config.scopes ?? ["agent"];
  if (config.token_sha256 !== undefined) {
    return { name: config.name, scopes, digest: Buffer.from(config.token_sha256, "hex") };
  }
  const token = config.token ?? env[config.token_env ?? ""];
  if (token === undefined || token === "") {
    throw new CliError(
      `client ${config.name}: the environment variable ${config.token_env ?? ""} is not set`,
    );
  }
  if (token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7E]+$/.test(token)) {
    throw new CliError(
      `client ${config.name}: its token must be at least ${MIN_TOKEN_LENGTH} printable ASCII characters`,
    );
  }
  return { name: config.name, scopes, digest: tokenDigest(token) };
}

async function identityOf(config: ServeConfig, base: string, host: string): Promise<IdentityVerifier> {
  const identity = config.identity;
  if ("trusted_local" in identity) {
    // The host vouches for the claims: only a client on this machine may be trusted that far.
    if (!isLoopback(host)) throw new CliError("identity.trusted_local is only allowed on a loopback address");
    const verifier = trustedLocalVerifier();
    if (!verifier.ok) throw new CliError(verifier.error);
    return verifier.value;
  }
  const jwt = identity.jwt;
  const issuers = [];
  for (const issuer of jwt.issuers) {
    const keys = await loadKeySetFile(resolve(base, issuer.keys), issuer.algorithms);
    if (!keys.ok) throw new CliError(`identity issuer ${issuer.issuer}: ${keys.error}`);
    issuers.push({
      issuer: issuer.issuer,
      algorithms: issuer.algorithms,
      keys: keys.value,
      ...(issuer.subject_kind === undefined ? {} : { subjectKind: issuer.subject_kind }),
      ...(issuer.subject_claim === undefined ? {} : { subjectClaim: issuer.subject_claim }),
      ...(issuer.service_claim === undefined ? {} : { serviceClaim: issuer.service_claim }),
      ...(issuer.roles_claim === undefined ? {} : { rolesClaim: issuer.roles_claim }),
      ...(issuer.scope_claim === undefined ? {} : { scopeClaim: issuer.scope_claim }),
    });
  }
  let revocation;
  if (jwt.revocation !== undefined) {
    const list = revocationFile(resolve(base, jwt.revocation));
    if (!list.ok) throw new CliError(`identity revocation: ${list.error}`);
    revocation = list.value;
  }
  const verifier = jwtVerifier({
    issuers,
    audience: jwt.audience,
    ...(revocation === undefined ? {} : { revocation }),
    ...(jwt.max_token_age_seconds === undefined ? {} : { maxTokenAgeSeconds: jwt.max_token_age_seconds }),
    ...(jwt.clock_tolerance_seconds === undefined
      ? {}
      : { clockToleranceSeconds: jwt.clock_tolerance_seconds }),
  });
  if (!verifier.ok) throw new CliError(`identity: ${verifier.error}`);
  return verifier.value;
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new CliError(`${path}: cannot read`);
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function shutdownSignal(): Promise<string> {
  return new Promise((resolveSignal) => {
    const on = (signal: string) => () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolveSignal(signal);
    };
    const onInt = on("SIGINT");
    const onTerm = on("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
}

function port(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65535)
    throw new CliError(`serve: --port must be 0 to 65535, not "${value}"`);
  return n;
}

async function runService(configPath: string, values: Record<string, unknown>, io: Io): Promise<number> {
  const parsed = parseServeConfig(readJson(configPath, io.cwd));
  if (!parsed.ok) throw new CliError(`${configPath}: ${parsed.errors.join("; ")}`);
  const config = parsed.value;
  const base = dirname(resolve(io.cwd, configPath));
  const host = typeof values.host === "string" ? values.host : (config.listen?.host ?? DEFAULT_HOST);
  const listenPort = port(
    typeof values.port === "string" ? values.port : undefined,
    config.listen?.port ?? DEFAULT_PORT,
  );
  const allowRemote =
    values["allow-plaintext-remote"] === true || config.listen?.allow_plaintext_remote === true;
  const refusal = bindRefusal(host, config.tls !== undefined, allowRemote);
  if (refusal !== null) throw new CliError(refusal);
  const names = new Set<string>();
  const clients = config.clients.map((client) => {
    if (names.has(client.name)) throw new CliError(`${configPath}: client ${client.name} is listed twice`);
    names.add(client.name);
    return clientOf(client, process.env);
  });
  const identity = await identityOf(config, base, host);
  const tls =
    config.tls === undefined
      ? undefined
      : { cert: readFile(resolve(base, config.tls.cert)), key: readFile(resolve(base, config.tls.key)) };

  const keyDir = resolve(base, config.keys);
  const keys = existsSync(join(keyDir, MANIFEST_FILE))
    ? loadKeyDirectory(keyDir, nodeBackend)
    : createKeyDirectory(keyDir, nodeBackend, new Date());
  if (!keys.ok) throw new CliError(keys.error.message);
  const storePath = resolve(base, config.store);
  const opened = SqliteStore.open(storePath);
  if (!opened.ok) throw new CliError(`${storePath}: ${opened.error.message}`);
  const store = opened.value;
  const limits = config.limits ?? {};
  const watch = runtimeWatch();
  const approvals = new ApprovalDesk({
    store,
    verifier: identity,
    directory: { groups: config.approvers?.groups ?? {} },
    onError: (message) => io.stderr(`aarm serve: approvals: ${message}\n`),
  });
  const deferrals = new DeferralDesk({ store });
  let runtime;
  try {
    runtime = createRuntime({
      policy: { path: resolve(base, config.policy) },
      store,
      keyring: keys.value,
      identity,
      approvals,
      deferrals,
      telemetry: (event) => {
        watch.observe(event);
        if (event.type === "policy_rejected")
          io.stderr(`aarm serve: policy rejected: ${event.problems[0] ?? ""}\n`);
      },
      onFault: (fault) => io.stderr(`aarm serve: contained fault at ${fault.stage}: ${fault.message}\n`),
      ...(limits.pending_ceiling_ms === undefined
        ? {}
        : { timeouts: { pendingCeilingMs: limits.pending_ceiling_ms } }),
    });
  } catch (caught) {
    await store.close();
    if (caught instanceof PolicyLoadError) throw new CliError(caught.message);
    throw caught;
  }
  const service = createDecisionService(
    {
      runtime,
      store,
      identity,
      desks: { approvals, deferrals },
      limits: {
        ...(limits.max_wait_ms === undefined ? {} : { maxWaitMs: limits.max_wait_ms }),
        ...(limits.max_sessions === undefined ? {} : { maxSessions: limits.max_sessions }),
      },
    },
    watch,
  );
  const server = createHttpServer({
    service,
    clients,
    ...(tls === undefined ? {} : { tls }),
    limits: {
      ...(limits.max_body_bytes === undefined ? {} : { maxBodyBytes: limits.max_body_bytes }),
      ...(limits.headers_timeout_ms === undefined ? {} : { headersTimeoutMs: limits.headers_timeout_ms }),
      ...(limits.body_timeout_ms === undefined ? {} : { bodyTimeoutMs: limits.body_timeout_ms }),
      ...(limits.keep_alive_timeout_ms === undefined
        ? {}
        : { keepAliveTimeoutMs: limits.keep_alive_timeout_ms }),
      ...(limits.max_connections === undefined ? {} : { maxConnections: limits.max_connections }),
      ...(limits.rate_burst === undefined && limits.rate_per_second === undefined
        ? {}
        : { rate: { burst: limits.rate_burst ?? 100, perSecond: limits.rate_per_second ?? 50 } }),
    },
    log: (line) => io.stderr(`aarm serve: ${line}\n`),
  });
  const stopped = shutdownSignal();
  try {
    const address = await new Promise<AddressInfo>((resolveAddress, reject) => {
      server.once("error", reject);
      server.listen(listenPort, host, () => {
        server.off("error", reject);
        resolveAddress(server.address() as AddressInfo);
      });
    });
    const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
    io.stdout(
      `aarm serve: listening on ${tls === undefined ? "http" : "https"}://${shown}:${address.port}\n`,
    );
    const signal = await stopped;
    io.stderr(`aarm serve: ${signal}: shutting down\n`);
  } catch (caught) {
    throw new CliError(
      `cannot listen on ${host}:${listenPort}: ${caught instanceof Error ? caught.message : String(caught)}`,
    );
  } finally {
    server.close();
    server.closeAllConnections();
    await runtime.close();
    await store.close();
  }
  return EXIT.ok;
}

export const serve: Command = {
  name: "serve",
  summary: "serve the runtime as an HTTP decision service for agents in any language",
  usage: "--config FILE [--host HOST] [--port PORT] [--allow-plaintext-remote]",
  description:
    "Serves the JSON API described by GET /openapi.json (see docs/http.md): sessions, evaluate,\n" +
    "outcomes, approvals, deferrals, receipts and /healthz. Client applications authenticate with bearer tokens named in the\n" +
    "configuration file (by environment variable or SHA-256 digest); the acting principal is verified\n" +
    "from the identity token each session starts with. Listens on 127.0.0.1 by default and prints the\n" +
    "address it bound; plain HTTP on any other address needs TLS in the configuration or\n" +
    "--allow-plaintext-remote. Stops on SIGINT or SIGTERM, denying whatever is still pending.",
  options: {
    config: { type: "string", value: "FILE", description: "the configuration file (JSON)" },
    host: { type: "string", value: "HOST", description: "the address to listen on (default: 127.0.0.1)" },
    port: { type: "string", value: "PORT", description: "the port (default: 8787; 0 picks a free one)" },
    "allow-plaintext-remote": {
      type: "boolean",
      description: "allow plain HTTP on a non-loopback address (tokens then cross the network in clear)",
    },
  },
  examples: ["aarm serve --config aarm-serve.json", "aarm serve --config aarm-serve.json --port 0"],
  async run(positionals, values, io) {
    if (positionals.length > 0) throw new CliError(`serve: unexpected argument "${positionals[0]}"`);
    if (typeof values.config !== "string") throw new CliError("serve: --config FILE is required");
    return runService(values.config, values, io);
  },
};
