/**
 * `aarm gateway` with a `telemetry` section: the built CLI exports its
 * decisions over OTLP/HTTP to a real collector on 127.0.0.1, parameters
 * only as hashes, and flushes what it buffered when it shuts down.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OtlpCollector } from "../../../src/conformance/collector.ts";
import { cliEntry, DIST } from "../../cli/run.ts";

const SECRET = "SSN 123-45-6789";

const POLICY = `policy telemetry version "1"
tool fx.send { args { to: string, body: string } effect egress target args.to }
deny external_mail on fx.send
  when domain(args.to) != "example.com"
  because "mail leaves the company"
allow mail on fx.send
default deny`;

let dir: string;
let collector: OtlpCollector;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aarm-gateway-telemetry-"));
  collector = await OtlpCollector.start();
});

afterAll(async () => {
  await collector.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("aarm gateway with telemetry", () => {
  test("exports the decision over OTLP with parameters_hash and no raw parameters, flushing at shutdown", async () => {
    writeFileSync(join(dir, "policy.aarm"), POLICY);
    writeFileSync(join(dir, "executions.jsonl"), "");
    writeFileSync(
      join(dir, "gateway.json"),
      JSON.stringify({
        policy: "policy.aarm",
        store: "aarm.sqlite",
        keys: "keys",
        identity: { human: "alice", agent: "coder" },
        upstreams: {
          fx: {
            command: process.execPath,
            args: [join(DIST, "conformance", "fixture-upstream.js")],
            env: {
              AARM_FIXTURE_NAME: "fx",
              AARM_FIXTURE_TOOLS: JSON.stringify({ send: ["to", "body"] }),
              AARM_FIXTURE_LOG: join(dir, "executions.jsonl"),
            },
          },
        },
        // A flush interval longer than the test: what arrives was flushed when the gateway shut down.
        telemetry: { otlp: { url: collector.url }, flushIntervalMs: 600_000 },
        drift: { byAgent: { coder: "coding_assistant" } },
      }),
    );
    const client = new Client({ name: "gateway-telemetry-test", version: "0.0.1" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [cliEntry("aarm"), "gateway", "--config", join(dir, "gateway.json")],
        stderr: "ignore",
        env: { PATH: process.env.PATH ?? "" },
      }),
    );
    const sent = await client.callTool({
      name: "fx.send",
      arguments: { to: "bob@example.com", body: SECRET },
    });
    expect(sent.isError).not.toBe(true);
    const denied = await client.callTool({
      name: "fx.send",
      arguments: { to: "eve@evil.example", body: SECRET },
    });
    expect(denied.isError).toBe(true);
    expect(collector.events).toEqual([]);
    await client.close();

    // Every decision is an aarm.action event carrying the parameters as a hash; a DENY is an aarm.decision too.
    const actions = collector.events.filter((e) => e.type === "aarm.action");
    const results = actions.map((e) => (e.body as { decision: { result: string } }).decision.result);
    expect(results).toEqual(expect.arrayContaining(["ALLOW", "DENY"]));
    for (const event of actions) {
      const action = (event.body as { action: { tool: string; parameters_hash?: string } }).action;
      expect(action.tool).toBe("fx.send");
      expect(action.parameters_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(action).not.toHaveProperty("parameters");
    }
    const denials = collector.events.filter((e) => e.type === "aarm.decision");
    expect(denials.map((e) => (e.body as { decision: { result: string } }).decision.result)).toEqual([
      "DENY",
    ]);
    expect((denials[0]?.body as { action: object }).action).not.toHaveProperty("parameters");
    expect(collector.raw.length).toBeGreaterThan(0);
    for (const body of collector.raw) {
      expect(body).not.toContain(SECRET);
      expect(body).not.toContain("bob@example.com");
      expect(body).not.toContain("eve@evil.example");
    }
  });
});
