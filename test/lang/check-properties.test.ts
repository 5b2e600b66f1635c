/**
 * Properties of the checker over generated policies:
 *
 * - well-typed conditions (generated type-directed, optional arguments only
 *   under presence tests) check without errors, and the checked policy's maps
 *   are complete: every reference has a resolution and every expression a type;
 * - whatever the input, the checker returns (never throws), never reports an
 *   internal error, puts every span inside its file, and returns a policy
 *   exactly when there is no error.
 */
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type * as ast from "../../src/lang/ast.ts";
import { checkPolicy, checkText } from "../../src/lang/check.ts";
import type { CheckedPolicy } from "../../src/lang/checked.ts";
import { memoryHost, stdlibHost } from "../../src/lang/host.ts";
import { propertyParams } from "../support/property.ts";

const PRELUDE = `policy gen version "1"
tool t { args { s: string, n: number, b: bool, d: duration, tags: set<string>, o?: number, os?: string } effect egress target args.s }
fact ff: bool
fact fs: string
const cn = 10
const cs = {"a", "b"}
`;

type Ty = "bool" | "number" | "string" | "duration" | "level" | "effect";

/** Expressions of type `ty`, as source text; `query` inside a session-query predicate (no nested queries). */
function expr(ty: Ty, depth: number, query: boolean): fc.Arbitrary<string> {
  // Query predicates read only the prior action and constants (AARM3027).
  const leaves: Record<Ty, string[]> = query
    ? {
        bool: ["true", '"a" in cs', "pii in labels", "has(target)"],
        number: ["1", "2.5", "cn"],
        string: ['"x"', "tool", "target"],
        duration: ["1h", "30m"],
        level: ["public", "confidential"],
        effect: ["effect", "read", "egress"],
      }
    : {
        bool: ["true", "args.b", "ff", "session.tainted", "has(args.o)", "has(fs)", '"a" in cs'],
        number: ["1", "2.5", "args.n", "cn", "identity.delegation_depth", "intent.alignment"],
        string: ['"x"', "args.s", "fs", "target", "identity.human", "intent.text"],
        duration: ["1h", "30m", "args.d"],
        level: ["session.sensitivity", "public", "confidential"],
        effect: ["effect", "read", "egress"],
      };
  const leaf = fc.constantFrom(...leaves[ty]);
  if (depth <= 0) return leaf;
  const sub = (t: Ty) => expr(t, depth - 1, query);
  const composite: Record<Ty, fc.Arbitrary<string>[]> = {
    bool: [
      fc.tuple(sub("bool"), sub("bool")).map(([a, b]) => `(${a} and ${b})`),
      fc.tuple(sub("bool"), sub("bool")).map(([a, b]) => `(${a} or ${b})`),
      sub("bool").map((a) => `not (${a})`),
      fc
        .tuple(sub("number"), fc.constantFrom("<", "<=", ">", ">=", "==", "!="), sub("number"))
        .map(([a, op, b]) => `(${a} ${op} ${b})`),
      fc.tuple(sub("string"), sub("string")).map(([a, b]) => `(${a} == ${b})`),
      fc.tuple(sub("duration"), sub("duration")).map(([a, b]) => `(${a} < ${b})`),
      fc.tuple(sub("level"), sub("level")).map(([a, b]) => `(${a} >= ${b})`),
      sub("effect").map((a) => `(${a} in {read, write})`),
      sub("string").map((a) => `(${a} not in cs)`),
      sub("string").map((a) => `(${a} matches /^[a-z]+$/i)`),
      ...(query
        ? [
            fc.constantFrom(
              'tool == "t"',
              "effect == egress",
              "pii in labels",
              'target == "x"',
              "has(target)",
            ),
          ]
        : [
            sub("string").map((a) => `(${a} in args.tags)`),
            sub("string").map((a) => `intent.mentions(${a})`),
            sub("number").map((a) => `(has(args.o) and args.o > ${a})`),
            sub("string").map((a) => `(not has(args.os) or starts_with(args.os, ${a}))`),
            fc.constant('in_cidr(args.s, "10.0.0.0/8")'),
            expr("bool", depth - 1, true).map((p) => `session.seen(${p})`),
            fc
              .tuple(expr("bool", depth - 1, true), expr("bool", depth - 1, true))
              .map(([p, q]) => `session.seen(${p} then ${q}, within 1h)`),
            fc
              .tuple(expr("bool", depth - 1, true), sub("number"))
              .map(([p, n]) => `(session.count(${p}) > ${n})`),
          ]),
    ],
    number: [
      fc
        .tuple(sub("number"), fc.constantFrom("+", "-", "*"), sub("number"))
        .map(([a, op, b]) => `(${a} ${op} ${b})`),
      sub("number").map((a) => `-(${a})`),
      sub("string").map((a) => `len(${a})`),
      ...(query ? [] : [fc.constant("len(args.tags)"), fc.constant('session.sum("t", n, within 24h)')]),
    ],
    string: [
      fc.tuple(sub("string"), sub("string")).map(([a, b]) => `(${a} + ${b})`),
      fc
        .tuple(fc.constantFrom("lower", "upper", "trim", "host", "domain"), sub("string"))
        .map(([f, a]) => `${f}(${a})`),
    ],
    duration: [fc.tuple(sub("duration"), sub("duration")).map(([a, b]) => `(${a} + ${b})`)],
    level: [],
    effect: [],
  };
  return fc.oneof({ depthSize: "small" }, leaf, ...composite[ty]);
}

/** Every node of a file that is an expression, with whether it is the callee of a call. */
function expressions(file: ast.SourceFile): { expr: ast.Expr; callee: boolean }[] {
  const out: { expr: ast.Expr; callee: boolean }[] = [];
  const seen = new Set<object>();
  const walk = (value: unknown, callee: boolean): void => {
    if (value === null || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const v of value) walk(v, false);
      return;
    }
    const node = value as { kind?: unknown };
    if (typeof node.kind === "string" && EXPR_KINDS.has(node.kind))
      out.push({ expr: value as ast.Expr, callee });
    for (const [key, child] of Object.entries(value)) {
      if (key !== "span") walk(child, node.kind === "Call" && key === "callee");
    }
  };
  walk(file, false);
  return out;
}

const EXPR_KINDS = new Set([
  "StringLiteral",
  "NumberLiteral",
  "BoolLiteral",
  "DurationLiteral",
  "RegexLiteral",
  "SetLiteral",
  "ListLiteral",
  "Ref",
  "ArgPath",
  "Unary",
  "Binary",
  "Call",
  "SeenQuery",
  "CountQuery",
  "SumQuery",
  "Paren",
]);

function assertComplete(policy: CheckedPolicy): void {
  for (const file of policy.files) {
    for (const { expr, callee } of expressions(file)) {
      if (expr.kind === "Ref")
        expect(policy.resolutions.has(expr), `resolution of ${JSON.stringify(expr.span)}`).toBe(true);
      if (!callee)
        expect(policy.types.has(expr), `type of ${expr.kind} at ${JSON.stringify(expr.span)}`).toBe(true);
    }
  }
}

/** The policies of the repository: spec cases (root first), the language reference and the examples. */
function repositoryPolicies(): { name: string; root: string; files: Record<string, string> }[] {
  const root = new URL("../../", import.meta.url);
  const cases = readdirSync(new URL("spec-tests/language/", root), { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".case"))
    .map((path) => {
      const sections = readFileSync(new URL(`spec-tests/language/${path}`, root), "utf8").split(
        /^--- (\S+)\n/m,
      );
      const files: Record<string, string> = {};
      for (let i = 1; i < sections.length; i += 2) {
        const name = sections[i] ?? "";
        if (!["input", "classify", "expect"].includes(name)) files[name] = sections[i + 1] ?? "";
      }
      return { name: path, root: Object.keys(files)[0] ?? "", files };
    });
  const language = readFileSync(new URL("docs/language.md", root), "utf8");
  const docs = [...language.matchAll(/```aarm\n(policy[\s\S]*?)```/g)].map((m, i) => ({
    name: `docs/language.md#${i + 1}`,
    root: "policy.aarm",
    files: { "policy.aarm": m[1] ?? "" },
  }));
  const example = readFileSync(new URL("examples/finance-assistant/policy.aarm", root), "utf8");
  return [
    ...cases,
    ...docs,
    { name: "finance-assistant", root: "policy.aarm", files: { "policy.aarm": example } },
  ];
}

describe("the repository's policies", () => {
  it("that check have complete resolution and type maps", () => {
    let checked = 0;
    for (const { name, root, files } of repositoryPolicies()) {
      const result = checkPolicy(root, memoryHost(files, stdlibHost()));
      if (result.policy === null) continue;
      checked++;
      try {
        assertComplete(result.policy);
      } catch (error) {
        throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
    }
    // Guards against a vacuous pass (a moved folder, a broken extractor).
    expect(checked).toBeGreaterThanOrEqual(100);
  });
});

describe("well-typed policies", () => {
  it("check without errors, with complete resolution and type maps", () => {
    fc.assert(
      fc.property(expr("bool", 4, false), expr("bool", 3, false), (when, unless) => {
        const text = `${PRELUDE}deny r on t when ${when} unless ${unless}
modify m on t when has(args.o) set args.n = args.o clamp args.o to 0..cn
step_up s on t when ${unless} approvers ["a"]
classify c on t when output matches /x/ and ${unless} label pii
default deny`;
        const result = checkText(text);
        expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
        if (result.policy === null) throw new Error("no policy");
        assertComplete(result.policy);
        expect(result.policy.types.get(result.policy.rules[0]?.rule.when ?? ({} as ast.Expr))).toEqual({
          kind: "bool",
        });
      }),
      propertyParams(150),
    );
  });

  it("include every example policy, with complete maps", () => {
    const modules = {
      "m.aarm":
        "module m\nparam limit: number = 5\nconst kinds = {write, delete}\ndeny w when effect in kinds and session.count(effect in kinds, within 1h) > limit",
      "tools.json": JSON.stringify({
        tools: [{ name: "get", inputSchema: { properties: { id: { type: "string" } }, required: ["id"] } }],
      }),
    };
    const text = `${PRELUDE}import "./m.aarm" with { limit = cn }
import mcp "./tools.json" as x
tool x.get { effect read target lower(args.id) output internal }
allow reads when effect == read and session.seen(tool == "x.get" then effect == egress)
default deny`;
    const result = checkText(text, modules);
    if (result.policy === null) throw new Error(JSON.stringify(result.diagnostics));
    assertComplete(result.policy);
  });
});

const FRAGMENTS = [
  "tool a.b { args { x: string, y?: number } effect read target args.x }",
  "tool a.b { args { x: number } effect write }",
  "tool m.x { effect read }",
  "fact f: bool",
  "fact f: string",
  "const c = 1 + 2",
  "const c = c",
  "const d = {read, pii}",
  'param p: number = "x"',
  "category cat, pii",
  'import "./m.aarm" with { q = 1 }',
  'import "./m.aarm"',
  "import std/missing",
  'import mcp "./t.json" as m',
  "allow a when f",
  "allow a",
  "deny b on a.b when args.y > 1 and args.x matches /(a)\\1/",
  "deny b on a.b when has(args.y) and args.y > c",
  "forbid z when session.tainted or f",
  'step_up s on a.b approvers ["x"] quorum 3 timeout 25h escalate after 30h to []',
  "defer d needs f, g timeout 2h",
  'modify m on a.b set args.x = "v" set args.x = f remove args.x clamp args.y to 5..1',
  "classify k on a.b when output matches /x/ label cat, restricted, public",
  'deny q when session.seen(labels == {} then tool == "a.c") and session.sum("a.b", y) > 1',
  'deny w when in_cidr(target, "300.0.0.0/8") and lower(1) == 2 and nope(1)',
  "default deny",
  "default allow",
  "deny broken when (",
];

describe("any input", () => {
  it("is checked without throwing, internal errors or spans outside the file", () => {
    const files = {
      "m.aarm": 'module m\nparam q: number = 1\nimport "./policy.aarm"',
      "t.json": '{"tools": [{"name": "x", "inputSchema": {"properties": {"v": {"type": "array"}}}}]}',
    };
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 12 }), (lines) => {
        const text = `policy p version "1"\n${lines.join("\n")}\n`;
        const result = checkText(text, files);
        const sources: Record<string, string> = { ...files, "policy.aarm": text };
        for (const d of result.diagnostics) {
          expect(d.code).not.toBe("AARM3999");
          if (d.span === null) continue;
          expect(d.span.end).toBeLessThanOrEqual((sources[d.span.file] ?? "").length);
          expect(d.span.start).toBeLessThanOrEqual(d.span.end);
        }
        expect(result.policy === null).toBe(result.diagnostics.some((d) => d.severity === "error"));
      }),
      propertyParams(200),
    );
  });
});
