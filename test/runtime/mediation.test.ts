// Action mediation on its own: argument conformance against the IR, meta-tool resolution, and the
// canonical action it produces.
import { describe, expect, it } from "vitest";
import { actionTarget } from "../../src/eval/target.ts";
import { argumentProblems, readArguments, valueProblem } from "../../src/runtime/mediation/conform.ts";
import { INVALID_TOOL, mediate } from "../../src/runtime/mediation/mediate.ts";
import {
  MAX_WRAPPER_DEPTH,
  type MetaToolResolver,
  mcpToolResolver,
  resolveMetaTool,
  skillResolver,
} from "../../src/runtime/mediation/meta-tools.ts";
import { validateAction } from "../../src/schema/validate.ts";
import { policy } from "./engine-harness.ts";

const IR = policy(`
policy m version "1"
tool mail.send { args { to: string, cc?: set<string>, size: number, wait: duration, urgent?: bool } effect egress target lower(args.to) }
tool note.read { args { id: string } effect read }
default deny
`);

const identity = { human: "alice@example.com", session: "s1", roles: [], scope: [], delegation_chain: [] };
const context = {
  ir: IR,
  resolvers: [mcpToolResolver(), skillResolver()],
  limits: {},
  actionId: "act_1",
  timestamp: "2026-11-22T09:00:00.000Z",
  identity,
};

describe("argument conformance", () => {
  const tool = IR.tools["mail.send"];
  if (tool === undefined) throw new Error("no tool");
  it("accepts arguments of the declared types and names every problem otherwise", () => {
    expect(argumentProblems("mail.send", tool, { to: "a@b.c", size: 1, wait: 1000, cc: ["x"] })).toEqual([]);
    expect(
      argumentProblems("mail.send", tool, { to: 1, cc: [1], size: "big", urgent: "yes", extra: 1 }).sort(),
    ).toEqual(
      [
        "args.to: expected a string",
        "args.cc: expected an array of strings",
        "args.size: expected a finite number",
        "args.wait: required argument missing",
        "args.urgent: expected a boolean",
        "args.extra: mail.send declares no such argument",
      ].sort(),
    );
    expect(valueProblem({ any: [1] }, "json")).toBeNull();
    expect(valueProblem(null, "json")).toBe("expected a JSON value other than null");
    expect(valueProblem([], "set")).toBeNull();
    expect(valueProblem([1], "set")).toBe("expected an empty array");
    expect(valueProblem([1, Number.POSITIVE_INFINITY], "set<number>")).toBe(
      "expected an array of finite numbers",
    );
  });

  it("reads arguments as bounded JSON, sharing nothing with the caller", () => {
    const args = { a: { b: [1, 2] } };
    const read = readArguments(args);
    expect(read).toEqual({ ok: true, value: args });
    if (read.ok) expect(read.value.a).not.toBe(args.a);
    expect(readArguments(null)).toMatchObject({ ok: false, problem: "arguments are not a JSON object" });
    expect(readArguments([1])).toMatchObject({ ok: false });
    expect(readArguments(new Map())).toMatchObject({ ok: false });
    expect(readArguments({ f: () => 1 })).toMatchObject({ ok: false });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(readArguments(cycle)).toMatchObject({ ok: false });
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(readArguments({ deep })).toMatchObject({ ok: false });
    expect(readArguments({ a: 1, b: 2 }, { maxArguments: 1 })).toMatchObject({ ok: false });
    expect(readArguments({ s: "\uD800" })).toMatchObject({ ok: false });
  });
});

describe("meta-tool resolution", () => {
  it("resolves MCP and skill wrappers, keeping the outermost wrapper", () => {
    const resolvers = [mcpToolResolver(), skillResolver()];
    expect(
      resolveMetaTool(resolvers, "mcp_tool", { mcp_server_name: "db", mcp_tool_name: "drop_table", x: 1 }),
    ).toEqual({
      ok: true,
      tool: "db.drop_table",
      args: { x: 1 },
      original: "mcp_tool",
    });
    expect(
      resolveMetaTool(resolvers, "mcp_tool", {
        mcp_server_name: "skills",
        mcp_tool_name: "run",
        arguments: { y: 2 },
      }),
    ).toMatchObject({ ok: true, tool: "skills.run", args: { y: 2 } });
    expect(resolveMetaTool(resolvers, "Skill", { skill: "a:b", z: 3 })).toEqual({
      ok: true,
      tool: "a.b",
      args: { z: 3 },
      original: "Skill",
    });
    expect(resolveMetaTool(resolvers, "note.read", { id: "1" })).toEqual({
      ok: true,
      tool: "note.read",
      args: { id: "1" },
      original: null,
    });
    expect(resolveMetaTool(resolvers, "mcp_tool", { mcp_server_name: "db" })).toMatchObject({ ok: false });
    expect(
      resolveMetaTool(resolvers, "mcp_tool", { mcp_server_name: "db", mcp_tool_name: "t", arguments: [1] }),
    ).toMatchObject({
      ok: false,
    });
    expect(resolveMetaTool(resolvers, "Skill", {})).toMatchObject({ ok: false });
  });

  it("follows nested wrappers to a limit", () => {
    const loop: MetaToolResolver = { wrapper: "loop", resolve: (args) => ({ ok: true, tool: "loop", args }) };
    expect(resolveMetaTool([loop], "loop", {})).toMatchObject({
      ok: false,
      problem: expect.stringContaining(`${MAX_WRAPPER_DEPTH}`),
    });
    const outer: MetaToolResolver = {
      wrapper: "outer",
      resolve: (args) => ({ ok: true, tool: "Skill", args }),
    };
    expect(resolveMetaTool([outer, skillResolver()], "outer", { skill: "note:read" })).toMatchObject({
      ok: true,
      tool: "note.read",
      original: "outer",
    });
  });
});

describe("mediate", () => {
  it("produces a schema-valid canonical action with effect and target from the declaration", () => {
    const mediated = mediate(
      { tool: "mail.send", args: { to: "Bob@Example.com", size: 1, wait: 5 } },
      context,
    );
    expect(mediated.ok).toBe(true);
    expect(mediated.action).toMatchObject({
      tool: "mail.send",
      effect: "egress",
      targets: ["bob@example.com"],
      operation: "call",
    });
    expect(validateAction(mediated.action).ok).toBe(true);
    expect(actionTarget(IR, "mail.send", { to: "X" })).toBe("x");
    expect(actionTarget(IR, "note.read", { id: "1" })).toBeNull();
    expect(actionTarget(IR, "nope", {})).toBeNull();
  });

  it("records a refused call as faithfully as the schema allows", () => {
    const badName = mediate({ tool: "bad\u0000name", args: {} }, context);
    expect(badName).toMatchObject({ ok: false, action: { tool: INVALID_TOOL } });
    expect(validateAction(badName.action).ok).toBe(true);
    const longTarget = mediate(
      { tool: "mail.send", args: { to: "x".repeat(3000), size: 1, wait: 1 } },
      context,
    );
    expect(longTarget).toMatchObject({ ok: false, problem: expect.stringContaining("target") });
    const undeclared = mediate({ tool: "shell.exec", args: { cmd: "ls" } }, context);
    expect(undeclared).toMatchObject({ ok: true, action: { effect: "execute", targets: [] } });
    const operation = mediate({ tool: "note.read", args: { id: "1" }, operation: "get" }, context);
    expect(operation.action.operation).toBe("get");
  });
});
