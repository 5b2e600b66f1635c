/** The gateway's configuration file and `--upstream` flags. */
import { describe, expect, test } from "vitest";
import { readGatewayConfig, readUpstreamFlag } from "../../../src/adapters/mcp/config.ts";
import { DRIFT_PROFILES } from "../../../src/runtime/scoring/drift.ts";

describe("readGatewayConfig", () => {
  test("reads YAML and JSON alike, resolving paths against the file's folder", () => {
    const yaml = `
policy: policy.aarm
store: /var/aarm/store.sqlite
identity: { human: alice, roles: [dev] }
listen: 127.0.0.1:8787
upstreams:
  fs: { command: npx, args: [-y, server], env: { A: b }, cwd: work }
  web: { url: "https://mcp.example/mcp", headers: { Authorization: "Bearer t" } }
limits: { maxInFlight: 4, pendingTimeoutMs: 500 }
`;
    const read = readGatewayConfig(yaml, "/etc/aarm");
    expect(read).toEqual({
      ok: true,
      value: {
        policy: "/etc/aarm/policy.aarm",
        store: "/var/aarm/store.sqlite",
        identity: { human: "alice", roles: ["dev"] },
        listen: "127.0.0.1:8787",
        upstreams: [
          { name: "fs", command: "npx", args: ["-y", "server"], env: { A: "b" }, cwd: "/etc/aarm/work" },
          { name: "web", url: "https://mcp.example/mcp", headers: { Authorization: "Bearer t" } },
        ],
        limits: { maxInFlight: 4, pendingTimeoutMs: 500 },
      },
    });
    expect(readGatewayConfig(JSON.stringify({ policy: "p.aarm" }), "/x")).toEqual({
      ok: true,
      value: { policy: "/x/p.aarm" },
    });
  });

  test("names the first problem and where it is", () => {
    const problem = (text: string) => {
      const read = readGatewayConfig(text, "/x");
      return read.ok ? null : read.error;
    };
    expect(problem("[1")).toMatch(/^not valid YAML or JSON/);
    expect(problem("- a")).toBe("/: expected an object");
    expect(problem("polcy: p")).toBe("/polcy: unknown field");
    expect(problem("upstreams: { 'a.b': { command: x } }")).toMatch(/^\/upstreams\/a\.b: expected a name/);
    expect(problem("upstreams: { fs: { url: 'file:///x' } }")).toBe(
      "/upstreams/fs/url: expected an http:// or https:// URL",
    );
    expect(problem("upstreams: { fs: { command: x, args: [1] } }")).toBe(
      "/upstreams/fs/args/0: expected a non-empty string",
    );
    expect(problem("limits: { maxInFlight: -1 }")).toBe("/limits/maxInFlight: expected a positive integer");
    expect(problem("identity: { token: t }")).toBe("/identity/token: unknown field");
    expect(problem("durability: off")).toBe("/durability: expected one of full, normal");
  });

  test("reads the store's durability", () => {
    expect(readGatewayConfig("durability: normal", "/x")).toEqual({
      ok: true,
      value: { durability: "normal" },
    });
  });
});

describe("readGatewayConfig: telemetry and drift", () => {
  const problem = (text: string) => {
    const read = readGatewayConfig(text, "/x");
    return read.ok ? null : read.error;
  };

  test("reads an OTLP or batch-files destination, fallback, filter and tuning, and drift profiles", () => {
    const yaml = `
telemetry:
  otlp: { url: "http://127.0.0.1:4318", headers: { Authorization: "Bearer t" }, timeoutMs: 500 }
  fallback: { dir: spool }
  filter:
    eventTypes: [aarm.decision, aarm.drift]
    minSeverity: medium
    decisions: [DENY, STEP_UP]
    identities: { agent: [coder] }
  flushIntervalMs: 1000
  maxAttempts: 2
drift:
  profile: default
  byAgent:
    coder: coding_assistant
    triage: { name: triage, warning: 0.4, threshold: 0.6 }
`;
    expect(readGatewayConfig(yaml, "/etc/aarm")).toEqual({
      ok: true,
      value: {
        telemetry: {
          otlp: { url: "http://127.0.0.1:4318", headers: { Authorization: "Bearer t" }, timeoutMs: 500 },
          fallback: { dir: "/etc/aarm/spool" },
          filter: {
            eventTypes: ["aarm.decision", "aarm.drift"],
            minSeverity: "medium",
            decisions: ["DENY", "STEP_UP"],
            identities: { agent: ["coder"] },
          },
          flushIntervalMs: 1000,
          maxAttempts: 2,
        },
        drift: {
          profile: DRIFT_PROFILES.default,
          byAgent: {
            coder: DRIFT_PROFILES.coding_assistant,
            triage: { name: "triage", warning: 0.4, threshold: 0.6 },
          },
        },
      },
    });
    expect(readGatewayConfig("telemetry: { files: { dir: batches } }", "/x")).toEqual({
      ok: true,
      value: { telemetry: { files: { dir: "/x/batches" } } },
    });
  });

  test("names the first wrong telemetry field and where it is", () => {
    expect(problem("telemetry: 1")).toMatch(/^\/telemetry: expected \{otlp or files/);
    expect(problem("telemetry: {}")).toBe(
      "/telemetry: expected exactly one destination: otlp {url} or files {dir}",
    );
    expect(problem("telemetry: { otlp: { url: 'http://a' }, files: { dir: d } }")).toMatch(
      /^\/telemetry: expected exactly one destination/,
    );
    expect(problem("telemetry: { otlp: { url: 'ftp://a' } }")).toMatch(
      /^\/telemetry\/otlp\/url: expected an http/,
    );
    expect(problem("telemetry: { otlp: { url: 'http://u:p@a' } }")).toMatch(/^\/telemetry\/otlp\/url: /);
    expect(problem("telemetry: { otlp: { url: 'http://a', timeoutMs: 0 } }")).toBe(
      "/telemetry/otlp/timeoutMs: expected a positive integer",
    );
    expect(problem("telemetry: { otlp: { url: 'http://a', token: t } }")).toBe(
      "/telemetry/otlp/token: unknown field",
    );
    expect(problem("telemetry: { files: { dir: d, format: csv } }")).toBe(
      "/telemetry/files/format: expected one of ocsf, aarm",
    );
    expect(problem("telemetry: { files: { dir: d }, fallback: { dir: '' } }")).toBe(
      "/telemetry/fallback/dir: expected a non-empty string",
    );
    expect(
      problem("telemetry: { files: { dir: d }, filter: { eventTypes: [aarm.decision, aarm.nope] } }"),
    ).toMatch(/^\/telemetry\/filter\/eventTypes\/1: expected one of aarm.action/);
    expect(problem("telemetry: { files: { dir: d }, filter: { minSeverity: loud } }")).toMatch(
      /^\/telemetry\/filter\/minSeverity: expected one of info, low, medium, high, critical/,
    );
    expect(problem("telemetry: { files: { dir: d }, filter: { decisions: [allow] } }")).toMatch(
      /^\/telemetry\/filter\/decisions\/0: expected one of ALLOW/,
    );
    expect(problem("telemetry: { files: { dir: d }, filter: { identities: { agent: coder } } }")).toBe(
      "/telemetry/filter/identities/agent: expected a list of strings",
    );
    expect(problem("telemetry: { files: { dir: d }, batchSize: 1.5 }")).toBe(
      "/telemetry/batchSize: expected a positive integer",
    );
    expect(problem("telemetry: { files: { dir: d }, bufferSize: 10 }")).toBe(
      "/telemetry/bufferSize: unknown field",
    );
  });

  test("names the first wrong drift field and where it is", () => {
    expect(problem("drift: []")).toBe("/drift: expected {profile?, byAgent?}");
    expect(problem("drift: { profile: lenient }")).toMatch(/^\/drift\/profile: expected a built-in profile/);
    expect(problem("drift: { byAgent: [] }")).toBe(
      "/drift/byAgent: expected a map from agent names to profiles",
    );
    expect(problem("drift: { byAgent: { a: { name: x, warning: 0, threshold: 0.5 } } }")).toBe(
      "/drift/byAgent/a/warning: expected a number in (0, 1]",
    );
    expect(problem("drift: { byAgent: { a: { name: x, warning: 0.8, threshold: 0.5 } } }")).toBe(
      "/drift/byAgent/a/warning: expected at most the threshold",
    );
    expect(problem("drift: { profile: { name: x, warning: 0.5, threshold: 0.7, extra: 1 } }")).toBe(
      "/drift/profile/extra: unknown field",
    );
  });
});

describe("readUpstreamFlag", () => {
  test("NAME=URL or NAME=COMMAND ARGS", () => {
    expect(readUpstreamFlag("web=http://127.0.0.1:9/mcp")).toEqual({
      ok: true,
      value: { name: "web", url: "http://127.0.0.1:9/mcp" },
    });
    expect(readUpstreamFlag("fs=npx -y  server /tmp")).toEqual({
      ok: true,
      value: { name: "fs", command: "npx", args: ["-y", "server", "/tmp"] },
    });
    expect(readUpstreamFlag("npx server").ok).toBe(false);
    expect(readUpstreamFlag("f.s=npx").ok).toBe(false);
    expect(readUpstreamFlag("fs=").ok).toBe(false);
  });
});
