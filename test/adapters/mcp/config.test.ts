/** The gateway's configuration file and `--upstream` flags. */
import { describe, expect, test } from "vitest";
import { readGatewayConfig, readUpstreamFlag } from "../../../src/adapters/mcp/config.ts";

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
