/**
 * Loading and imports: standard-library and relative modules, parameter
 * bindings, namespacing, cycles, MCP tool lists, and the source hosts.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type * as ast from "../../src/lang/ast.ts";
import { checkPolicy, checkText } from "../../src/lang/check.ts";
import type { CheckedPolicy, ConstValue } from "../../src/lang/checked.ts";
import { fileHost, memoryHost, normalizePath, stdlibHost } from "../../src/lang/host.ts";

const HEAD = 'policy p version "1"\n';

const EXFILTRATION = `module exfiltration
param max_sends: number = 10
const window = 1h
deny send_burst when effect == egress and session.count(effect == egress, within 1h) >= max_sends
deny long_wait when identity.delegation_depth > 3 and window > 2h
`;

function checked(text: string, files: Record<string, string> = {}): CheckedPolicy {
  const result = checkText(text, files);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  if (result.policy === null) throw new Error("no policy");
  return result.policy;
}

/** The value every reference named `name` resolves to. */
function valuesOf(policy: CheckedPolicy, name: string): ConstValue[] {
  return [...policy.resolutions.values()].flatMap((r) =>
    r.kind === "const" && r.name === name ? [r.value] : [],
  );
}

describe("module imports", () => {
  it("imports a standard-library module by name, namespacing its rules", () => {
    const policy = checked(`${HEAD}import std/exfiltration\ndefault deny`, {
      "std/exfiltration.aarm": EXFILTRATION,
    });
    expect(policy.rules.map((r) => r.id)).toEqual(["exfiltration.send_burst", "exfiltration.long_wait"]);
    expect(policy.files.map((f) => f.span.file)).toEqual(["policy.aarm", "std/exfiltration.aarm"]);
    expect(valuesOf(policy, "exfiltration.max_sends")).toEqual([{ kind: "number", value: 10 }]);
    expect(valuesOf(policy, "exfiltration.window")).toEqual([{ kind: "duration", ms: 3_600_000 }]);
  });

  it("lets an importer set a parameter, type-checked", () => {
    const files = { "std/exfiltration.aarm": EXFILTRATION };
    const policy = checked(`${HEAD}import std/exfiltration with { max_sends = 2 + 3 }\ndefault deny`, files);
    expect(valuesOf(policy, "exfiltration.max_sends")).toEqual([{ kind: "number", value: 5 }]);
    const wrong = checkText(`${HEAD}import std/exfiltration with { max_sends = "5" }\ndefault deny`, files);
    expect(wrong.diagnostics.map((d) => d.code)).toEqual(["AARM3007"]);
    expect(wrong.diagnostics[0]?.message).toContain("is `number`; this is `string`");
  });

  it("evaluates a binding in the importer's scope", () => {
    const text = `${HEAD}const sends = 7\nimport std/exfiltration with { max_sends = sends }\ndefault deny`;
    const policy = checked(text, { "std/exfiltration.aarm": EXFILTRATION });
    expect(valuesOf(policy, "exfiltration.max_sends")).toEqual([{ kind: "number", value: 7 }]);
  });

  it("resolves relative imports against the importing file, also upwards", () => {
    const policy = checked(`${HEAD}import "./rules/money.aarm"\ndefault deny`, {
      "rules/money.aarm": 'module money\nimport "../shared/tools.aarm"\nallow pay on bank.pay',
      "shared/tools.aarm": "module tools\ntool bank.pay { args { to: string } effect egress }",
    });
    expect(policy.files.map((f) => f.span.file)).toEqual([
      "policy.aarm",
      "shared/tools.aarm",
      "rules/money.aarm",
    ]);
    expect(policy.rules.map((r) => r.id)).toEqual(["money.pay"]);
    expect([...policy.tools.keys()]).toEqual(["bank.pay"]);
  });

  it("puts imported rules first, depth first in import order, then the policy's own", () => {
    const policy = checked(`${HEAD}import "./a.aarm"\nimport "./b.aarm"\nallow own\ndefault deny`, {
      "a.aarm": 'module a\nimport "./c.aarm"\nallow first',
      "b.aarm": "module b\nallow second",
      "c.aarm": "module c\nallow deepest",
    });
    expect(policy.rules.map((r) => r.id)).toEqual(["c.deepest", "a.first", "b.second", "own"]);
  });

  it("loads a module imported on two routes once", () => {
    const policy = checked(`${HEAD}import "./a.aarm"\nimport "./shared.aarm"\ndefault deny`, {
      "a.aarm": 'module a\nimport "./shared.aarm"',
      "shared.aarm": "module shared\nallow reads when effect == read",
    });
    expect(policy.rules.map((r) => r.id)).toEqual(["shared.reads"]);
    expect(policy.files).toHaveLength(3);
  });

  it("accepts the same binding on two routes and rejects different ones", () => {
    const files = {
      "std/exfiltration.aarm": EXFILTRATION,
      "team.aarm": "module team\nimport std/exfiltration with { max_sends = 5 }",
    };
    checked(
      `${HEAD}import std/exfiltration with { max_sends = 5 }\nimport "./team.aarm"\ndefault deny`,
      files,
    );
    checked(`${HEAD}import std/exfiltration\nimport "./team.aarm"\ndefault deny`, files);
    const clash = checkText(
      `${HEAD}import std/exfiltration with { max_sends = 6 }\nimport "./team.aarm"\ndefault deny`,
      files,
    );
    expect(clash.diagnostics.map((d) => d.code)).toEqual(["AARM2009"]);
  });

  it("resolves a module's own names unqualified and other modules' qualified", () => {
    const policy = checked(
      `${HEAD}import "./m.aarm"\ndeny big when session.count(effect == egress) > m.limit\ndefault deny`,
      {
        "m.aarm": "module m\nconst limit = 3\ndeny small when session.count(effect == read) > limit",
      },
    );
    expect(valuesOf(policy, "m.limit")).toHaveLength(2);
    const unqualified = checkText(
      `${HEAD}import "./m.aarm"\ndeny big when session.count(effect == egress) > limit\ndefault deny`,
      {
        "m.aarm": "module m\nconst limit = 3\ndeny small when session.count(effect == read) > limit",
      },
    );
    expect(unqualified.diagnostics[0]).toMatchObject({ code: "AARM3001", suggestion: "m.limit" });
  });

  it("shares tools, facts and categories across files", () => {
    const policy = checked(`${HEAD}import "./m.aarm"\nfact window: bool\ndefault deny`, {
      "m.aarm":
        "module m\ncategory customer\ntool crm.get { args { id: string } effect read output customer }\nallow in_window on crm.get when window",
    });
    expect([...policy.facts.keys()]).toEqual(["window"]);
    expect(policy.categories.has("customer")).toBe(true);
    expect(policy.tools.get("crm.get")?.output).toEqual(["customer"]);
  });

  it("accepts identical tool declarations in two files and rejects different ones", () => {
    const tool = "tool t { args { a: string } effect read }";
    checked(`${HEAD}import "./m.aarm"\n${tool}\ndefault deny`, { "m.aarm": `module m\n${tool}` });
    const different = checkText(`${HEAD}import "./m.aarm"\n${tool}\ndefault deny`, {
      "m.aarm": "module m\ntool t { args { a: string } effect write }",
    });
    expect(different.diagnostics.map((d) => [d.code, d.span?.file])).toEqual([["AARM3010", "policy.aarm"]]);
  });

  it("stops after a loading error instead of reporting its consequences", () => {
    const result = checkText(`${HEAD}import "./gone.aarm"\nallow a when gone.flag\ndefault deny`);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["AARM2001"]);
  });

  it("passes parse errors of imported files through", () => {
    const result = checkText(`${HEAD}import "./m.aarm"\ndefault deny`, { "m.aarm": "module m\nallow" });
    expect(result.policy).toBeNull();
    expect(result.diagnostics[0]?.code).toMatch(/^AARM1/);
    expect(result.diagnostics[0]?.span?.file).toBe("m.aarm");
  });
});

const FS_TOOLS = {
  jsonrpc: "2.0",
  id: 1,
  result: {
    tools: [
      {
        name: "read_file",
        description: "Read a file",
        inputSchema: {
          type: "object",
          properties: {
            path: { type: "string" },
            max_bytes: { type: "integer" },
            follow: { type: "boolean" },
            encodings: { type: "array", items: { type: "string" } },
            options: { type: "object" },
          },
          required: ["path"],
        },
        annotations: { readOnlyHint: true },
      },
      { name: "list_roots", inputSchema: { type: "object" } },
    ],
  },
};

describe("MCP imports", () => {
  it("declares typed tools from a JSON-RPC response, optional unless required, effect execute", () => {
    const policy = checked(`${HEAD}import mcp "./fs.json" as fs\ndefault deny`, {
      "fs.json": JSON.stringify(FS_TOOLS),
    });
    const tool = policy.tools.get("fs.read_file");
    expect(tool?.effect).toBe("execute");
    expect(Object.fromEntries(tool?.args ?? [])).toEqual({
      path: { name: "path", type: { kind: "string" }, optional: false },
      max_bytes: { name: "max_bytes", type: { kind: "number" }, optional: true },
      follow: { name: "follow", type: { kind: "bool" }, optional: true },
      encodings: { name: "encodings", type: { kind: "set", element: { kind: "string" } }, optional: true },
      options: { name: "options", type: { kind: "json" }, optional: true },
    });
    expect(policy.tools.get("fs.list_roots")?.args.size).toBe(0);
  });

  it("accepts a bare tools/list result", () => {
    const policy = checked(`${HEAD}import mcp "./fs.json" as fs\ndefault deny`, {
      "fs.json": JSON.stringify(FS_TOOLS.result),
    });
    expect([...policy.tools.keys()]).toEqual(["fs.read_file", "fs.list_roots"]);
  });

  it("applies refinements and warns about tools left unrefined", () => {
    const text = `${HEAD}import mcp "./fs.json" as fs\ntool fs.read_file { effect read target args.path output internal, untrusted }
deny big on fs.read_file when has(args.max_bytes) and args.max_bytes > 1000000
deny json on fs.read_file when has(args.options)
default deny`;
    const result = checkText(text, { "fs.json": JSON.stringify(FS_TOOLS) });
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "AARM4010",
        "1 imported tool is never refined, so its effect stays `execute`: `fs.list_roots`; refine each with `tool <name> { effect … }`",
      ],
    ]);
    const tool = result.policy?.tools.get("fs.read_file");
    expect(tool?.effect).toBe("read");
    expect(tool?.output).toEqual(["internal", "untrusted"]);
    expect(tool?.target?.kind).toBe("ArgPath");
  });

  it("types optional and json arguments strictly", () => {
    const files = { "fs.json": JSON.stringify(FS_TOOLS) };
    const unguarded = checkText(
      `${HEAD}import mcp "./fs.json" as fs\ndeny a on fs.read_file when args.max_bytes > 1\ndefault deny`,
      files,
    );
    expect(unguarded.diagnostics.map((d) => d.code)).toContain("AARM3006");
    const json = checkText(
      `${HEAD}import mcp "./fs.json" as fs\ndeny a on fs.read_file when args.options == 1\ndefault deny`,
      files,
    );
    expect(json.diagnostics.map((d) => d.code)).toContain("AARM3007");
  });

  it("reports malformed documents at the import's path", () => {
    for (const document of [
      '{"tools": 5}',
      '{"tools": [{"name": "a"}, {"name": "a"}]}',
      '{"tools": [{"name": "a", "inputSchema": {"required": "x"}}]}',
    ]) {
      const result = checkText(`${HEAD}import mcp "./t.json" as t\ndefault deny`, { "t.json": document });
      expect(result.diagnostics.map((d) => [d.code, d.span?.column])).toEqual([["AARM2006", 12]]);
    }
  });
});

describe("source hosts", () => {
  const root = mkdtempSync(join(tmpdir(), "aarm-host-"));
  mkdirSync(join(root, "policies"));
  writeFileSync(join(root, "policies", "p.aarm"), `${HEAD}import "../shared.aarm"\ndefault deny`);
  writeFileSync(join(root, "shared.aarm"), "module shared\nallow reads when effect == read");
  writeFileSync(join(root, "big.aarm"), "x".repeat(1024 * 1024 + 1));
  const outside = mkdtempSync(join(tmpdir(), "aarm-outside-"));
  writeFileSync(join(outside, "secret.aarm"), "module secret");
  symlinkSync(join(outside, "secret.aarm"), join(root, "link.aarm"));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it("reads files below its root and checks a policy from them", () => {
    const result = checkPolicy("policies/p.aarm", fileHost(root));
    expect(result.diagnostics).toEqual([]);
    expect(result.policy?.rules.map((r) => r.id)).toEqual(["shared.reads"]);
  });

  it("refuses paths above the root, symlinks out of it, directories and oversized files", () => {
    const host = fileHost(join(root, "policies"));
    expect(host.read("../shared.aarm")).toBeUndefined();
    expect(fileHost(root).read("link.aarm")).toBeUndefined();
    expect(fileHost(root).read("policies")).toBeUndefined();
    expect(fileHost(root).read("big.aarm")).toBeUndefined();
    expect(fileHost(root).read("/etc/passwd")).toBeUndefined();
  });

  it("normalises paths", () => {
    expect(normalizePath("./a/./b/../c.aarm")).toBe("a/c.aarm");
    expect(normalizePath("../../x")).toBe("../../x");
    expect(memoryHost({ "a/b.aarm": "x" }).read("./a/c/../b.aarm")).toBe("x");
  });

  it("asks the fallback for what it does not hold, and serves only std paths from the library", () => {
    const host = memoryHost({ "a.aarm": "a" }, memoryHost({ "b.aarm": "b" }));
    expect([host.read("a.aarm"), host.read("b.aarm"), host.read("c.aarm")]).toEqual(["a", "b", undefined]);
    expect(stdlibHost().read("policy.aarm")).toBeUndefined();
    expect(stdlibHost().read("std/../package.json")).toBeUndefined();
  });
});

describe("the checked files", () => {
  it("are the parsed files, the root first", () => {
    const policy = checked(`${HEAD}import "./m.aarm"\ndefault deny`, { "m.aarm": "module m" });
    const [root, module] = policy.files as [ast.SourceFile, ast.SourceFile];
    expect([root.kind, module.kind]).toEqual(["PolicyFile", "ModuleFile"]);
  });
});
