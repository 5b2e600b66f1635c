/**
 * Runs `aarm serve` from the build as a subprocess on 127.0.0.1 and an
 * ephemeral port, with a temporary policy, store, key directory, JWT issuer
 * and configuration, and signs identity tokens for it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsMod from "ajv-formats";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { openApiDocument } from "../../../src/adapters/http/openapi.ts";
import { cliEntry } from "../../cli/run.ts";

const addFormats = addFormatsMod.default;

export const ISSUER = "https://idp.test.example";
export const AUDIENCE = "aarm-http-test";

/** A policy with a rule for each of the five decisions. */
export const POLICY = `policy http_service version "1"

tool files.read { args { path: string } effect read }
tool db.query { args { sql: string, limit?: number } effect read }
tool bank.send_money { args { recipient: string, amount: number } effect egress target args.recipient }
tool credentials.rotate { args { system: string } effect write target args.system }

fact change_window_approved: bool

forbid no_shadow on files.read
  when args.path == "/etc/shadow"
  because "the shadow file is never read"

modify cap_rows on db.query
  when has(args.limit) and args.limit > 100
  clamp args.limit to 1..100

step_up large_payment on bank.send_money
  when args.amount > 1000
  approvers ["group:finance"] quorum 1 timeout 15m
  because "payments above 1000 need a finance approver"

defer rotation_needs_window on credentials.rotate
  unless change_window_approved
  needs change_window_approved timeout 5m

allow reads when effect == read
allow payments on bank.send_money
allow rotation on credentials.rotate when change_window_approved

default deny
`;

/** Bearer tokens of the configured clients. */
export const TOKENS = {
  agent: "agent-token-0123456789abcdef0123456789abcdef",
  other: "other-token-0123456789abcdef0123456789abcdef",
  auditor: "audit-token-0123456789abcdef0123456789abcdef",
  flood: "flood-token-0123456789abcdef0123456789abcdef",
  approver: "approver-token-0123456789abcdef0123456789abcdef",
} as const;

/** The one member of the policy's `group:finance`. */
export const FINANCE_APPROVER = "carol@example.com";

export interface Service {
  readonly url: string;
  readonly dir: string;
  readonly store: string;
  readonly keys: string;
  /** The entry file of the `aarm` binary the service runs. */
  readonly entry: string;
  /** Everything the service wrote to stderr so far. */
  stderr(): string;
  /** A signed identity token for `sub`. */
  identityToken(sub?: string, roles?: readonly string[]): Promise<string>;
  /** Stops the service (SIGTERM) and waits for it to exit; returns its exit code. */
  stop(): Promise<number | null>;
  /** Removes the temporary folder. */
  cleanup(): void;
}

/** Extra configuration limits, merged into the defaults below. */
export type Limits = Record<string, number>;

/** How to start the service. */
export interface StartOptions {
  /** Limits merged over the test defaults. */
  readonly limits?: Limits;
  /** The folder of an earlier service, to start again on its store and keys. */
  readonly reuse?: string;
  /** The policy; {@link POLICY} by default. */
  readonly policy?: string;
}

/** Starts `aarm serve` with a fresh configuration (or again in the folder of an earlier service). */
export async function startService(options: StartOptions = {}): Promise<Service> {
  const limits = options.limits ?? {};
  const dir = options.reuse ?? mkdtempSync(join(tmpdir(), "aarm-serve-"));
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "idp-1", alg: "EdDSA" };
  writeFileSync(join(dir, "jwks.json"), JSON.stringify({ keys: [jwk] }));
  writeFileSync(join(dir, "policy.aarm"), options.policy ?? POLICY);
  const config = {
    policy: "policy.aarm",
    store: "aarm.sqlite",
    keys: "keys",
    clients: [
      { name: "agent-app", token_env: "AARM_TEST_AGENT_TOKEN", scopes: ["agent"] },
      { name: "other-app", token_env: "AARM_TEST_OTHER_TOKEN", scopes: ["agent"] },
      { name: "auditor", token: TOKENS.auditor, scopes: ["audit"] },
      { name: "approvals-console", token: TOKENS.approver, scopes: ["approver"] },
      {
        name: "flood-app",
        token_sha256: await sha256Hex(TOKENS.flood),
        scopes: ["agent"],
      },
    ],
    identity: {
      jwt: { audience: AUDIENCE, issuers: [{ issuer: ISSUER, algorithms: ["EdDSA"], keys: "jwks.json" }] },
    },
    approvers: { groups: { "group:finance": [FINANCE_APPROVER] } },
    limits: {
      max_body_bytes: 65_536,
      rate_burst: 200,
      rate_per_second: 100,
      pending_ceiling_ms: 4000,
      headers_timeout_ms: 1000,
      body_timeout_ms: 1000,
      max_wait_ms: 5000,
      ...limits,
    },
  };
  const configPath = join(dir, "serve.json");
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [cliEntry("aarm"), "serve", "--config", configPath, "--port", "0"], {
    env: {
      PATH: process.env.PATH,
      NO_COLOR: "1",
      AARM_TEST_AGENT_TOKEN: TOKENS.agent,
      AARM_TEST_OTHER_TOKEN: TOKENS.other,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const url = await listening(child, () => stderr);
  return {
    url,
    dir,
    entry: cliEntry("aarm"),
    store: join(dir, "aarm.sqlite"),
    keys: join(dir, "keys"),
    stderr: () => stderr,
    identityToken: (sub = "alice@example.com", roles = ["analyst"]) =>
      new SignJWT({ roles, scope: "payments" })
        .setProtectedHeader({ alg: "EdDSA", kid: "idp-1" })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(privateKey),
    stop: () => stop(child),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Buffer.from(digest).toString("hex");
}

/** The address the service prints once it listens. */
function listening(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`aarm serve did not start: ${stderr()}`)), 20_000);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => fail(new Error(`aarm serve exited with ${code}: ${stderr()}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill("SIGTERM");
  });
}

/** An answer: its status, its JSON body (or text, when it is not JSON) and headers. */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
  readonly headers: Headers;
}

/** A JSON request to the service, with the agent's token unless another (or null for none) is given. */
export async function api(
  service: Service,
  method: string,
  path: string,
  options: {
    readonly token?: string | null;
    readonly body?: unknown;
    readonly headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const token = options.token === undefined ? TOKENS.agent : options.token;
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
      ...(options.body === undefined ? {} : { "Content-Type": "application/json" }),
      ...options.headers,
    },
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON (an export): read `text`.
  }
  return { status: response.status, body, text, headers: response.headers };
}

const documented = (openApiDocument() as { components: { schemas: Record<string, { $id: string }> } })
  .components.schemas;
let validators: Ajv2020 | null = null;

/**
 * How `body` fails the named schema of the OpenAPI document's
 * `components.schemas` (nothing when it matches): the answers the service
 * gives are the answers it documents.
 */
export function offSchema(name: string, body: unknown): readonly unknown[] {
  if (validators === null) {
    validators = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, discriminator: true });
    addFormats(validators);
    for (const schema of Object.values(documented)) validators.addSchema(schema);
  }
  const validate = validators.getSchema(documented[name]?.$id ?? "");
  if (validate === undefined) return [`no schema ${name}`];
  return validate(body) ? [] : (validate.errors ?? []);
}
