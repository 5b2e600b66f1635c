/**
 * `aarm serve` refuses unsafe or unusable configurations before it listens
 * (run in-process: nothing is bound):
 * plain HTTP on a non-loopback address, trusted-local identities off
 * loopback, a client whose token is missing, a configuration off its schema.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { serve } from "../../../src/cli/aarm/serve.ts";
import { runProgram } from "../../../src/cli/command.ts";
import { workspace as makeWorkspace } from "../../cli/run.ts";
import { POLICY } from "./harness.ts";

/** Runs `aarm serve` in this process (it refuses before it listens), with `env` set meanwhile. */
async function serveCli(
  argv: readonly string[],
  options: { readonly cwd: string; readonly env?: Record<string, string> },
): Promise<{ readonly status: number; readonly stderr: string }> {
  Object.assign(process.env, options.env);
  let stderr = "";
  const io = { stdout: () => {}, stderr: (text: string) => (stderr += text), cwd: options.cwd, color: false };
  const status = await runProgram("aarm", "", "0", [serve], argv, io);
  return { status, stderr };
}

const made: string[] = [];

function workspace(files: Record<string, string>): string {
  const dir = makeWorkspace(files);
  made.push(dir);
  return dir;
}

afterEach(() => {
  delete process.env.AARM_TEST_TOKEN;
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function config(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    policy: "policy.aarm",
    store: "aarm.sqlite",
    keys: "keys",
    clients: [{ name: "agent", token_env: "AARM_TEST_TOKEN" }],
    identity: { trusted_local: true },
    ...overrides,
  });
}

const TOKEN = { AARM_TEST_TOKEN: "t".repeat(40) };

describe("aarm serve", async () => {
  it("refuses plain HTTP on a non-loopback address without TLS or --allow-plaintext-remote", async () => {
    const dir = workspace({
      "policy.aarm": POLICY,
      "serve.json": config({
        identity: {
          jwt: { audience: "a", issuers: [{ issuer: "i", algorithms: ["EdDSA"], keys: "jwks.json" }] },
        },
      }),
    });
    const result = await serveCli(["serve", "--config", "serve.json", "--host", "0.0.0.0", "--port", "0"], {
      cwd: dir,
      env: TOKEN,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /refusing to serve plain HTTP on 0\.0\.0\.0, which is not a loopback address/,
    );
  });

  it("refuses trusted-local identities anywhere but loopback", async () => {
    const dir = workspace({ "policy.aarm": POLICY, "serve.json": config() });
    const result = await serveCli(
      ["serve", "--config", "serve.json", "--host", "10.1.2.3", "--port", "0", "--allow-plaintext-remote"],
      { cwd: dir, env: TOKEN },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/trusted_local is only allowed on a loopback address/);
  });

  it("refuses a client whose token variable is not set, without printing any token", async () => {
    const dir = workspace({ "policy.aarm": POLICY, "serve.json": config() });
    const result = await serveCli(["serve", "--config", "serve.json", "--port", "0"], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/client agent: the environment variable AARM_TEST_TOKEN is not set/);
  });

  it("refuses a configuration that does not match its schema, saying where", async () => {
    const dir = workspace({
      "policy.aarm": POLICY,
      "serve.json": config({ clients: [{ name: "agent", token: "short" }], listen: { port: "80" } }),
    });
    const result = await serveCli(["serve", "--config", "serve.json"], { cwd: dir, env: TOKEN });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/\/clients\/0\/token/);
    expect(result.stderr).toMatch(/\/listen\/port/);
    expect(result.stderr).not.toContain("short");
  });
});
