/**
 * Each checker diagnostic, triggered by a minimal policy, lands on the
 * offending node: the test names the source text the span must cover.
 */
import { describe, expect, it } from "vitest";
import { checkPolicy, checkText } from "../../src/lang/check.ts";
import { CHECK_CODES } from "../../src/lang/codes-check.ts";
import type { Diagnostic } from "../../src/lang/diagnostic.ts";
import { memoryHost } from "../../src/lang/host.ts";

interface Case {
  readonly name: string;
  readonly code: string;
  /** The root policy, `policy.aarm`. */
  readonly policy: string;
  readonly files?: Record<string, string>;
  /** The text the diagnostic's span covers, and the file it is in (the root unless given). */
  readonly at: string;
  readonly file?: string;
}

const HEAD = 'policy p version "1"\n';
const PAY =
  "tool bank.pay { args { to: string, amount: number, memo?: string } effect egress target args.to }\n";
const LIMITS =
  "module limits\nparam max: number = 10\ndeny burst when session.count(effect == egress) >= max\n";
const MCP = JSON.stringify({
  tools: [{ name: "read_file", inputSchema: { type: "object", properties: { path: { type: "string" } } } }],
});

const CASES: readonly Case[] = [
  {
    name: "missing import",
    code: "AARM2001",
    policy: `${HEAD}import "./nope.aarm"\ndefault deny`,
    at: '"./nope.aarm"',
  },
  {
    name: "missing std module",
    code: "AARM2001",
    policy: `${HEAD}import std/nope\ndefault deny`,
    at: "std/nope",
  },
  {
    name: "oversized module",
    code: "AARM2002",
    policy: `${HEAD}import "./big.aarm"\ndefault deny`,
    files: { "big.aarm": `module big\n//${"x".repeat(1024 * 1024)}` },
    at: '"./big.aarm"',
  },
  {
    name: "cycle",
    code: "AARM2003",
    policy: `${HEAD}import "./a.aarm"\ndefault deny`,
    files: { "a.aarm": 'module a\nimport "./b.aarm"', "b.aarm": 'module b\nimport "./a.aarm"' },
    at: '"./a.aarm"',
    file: "b.aarm",
  },
  { name: "module as root", code: "AARM2004", policy: "module m\n", at: "module m" },
  {
    name: "policy imported",
    code: "AARM2005",
    policy: `${HEAD}import "./q.aarm"\ndefault deny`,
    files: { "q.aarm": `policy q version "1"\ndefault deny` },
    at: '"./q.aarm"',
  },
  {
    name: "invalid JSON",
    code: "AARM2006",
    policy: `${HEAD}import mcp "./t.json" as t\ndefault deny`,
    files: { "t.json": "{" },
    at: '"./t.json"',
  },
  {
    name: "too many tools",
    code: "AARM2007",
    policy: `${HEAD}import mcp "./t.json" as t\ndefault deny`,
    files: {
      "t.json": JSON.stringify({ tools: Array.from({ length: 1001 }, (_, i) => ({ name: `t${i}` })) }),
    },
    at: '"./t.json"',
  },
  {
    name: "unknown param",
    code: "AARM2008",
    policy: `${HEAD}import "./limits.aarm" with { maks = 1 }\ndefault deny`,
    files: { "limits.aarm": LIMITS },
    at: "maks",
  },
  {
    name: "params bound differently",
    code: "AARM2009",
    policy: `${HEAD}import "./limits.aarm" with { max = 1 }\nimport "./team.aarm"\ndefault deny`,
    files: { "limits.aarm": LIMITS, "team.aarm": 'module team\nimport "./limits.aarm" with { max = 2 }' },
    at: "2",
    file: "team.aarm",
  },
  {
    name: "duplicate module name",
    code: "AARM2010",
    policy: `${HEAD}import "./a.aarm"\nimport "./b.aarm"\ndefault deny`,
    files: { "a.aarm": "module same", "b.aarm": "module same" },
    at: "same",
    file: "b.aarm",
  },
  {
    name: "param bound twice",
    code: "AARM2011",
    policy: `${HEAD}import "./limits.aarm" with { max = 1, max = 1 }\ndefault deny`,
    files: { "limits.aarm": LIMITS },
    at: "max",
  },
  {
    name: "absolute import",
    code: "AARM2012",
    policy: `${HEAD}import "/etc/x.aarm"\ndefault deny`,
    at: '"/etc/x.aarm"',
  },
  { name: "unknown name", code: "AARM3001", policy: `${HEAD}allow a when windw\ndefault deny`, at: "windw" },
  {
    name: "unknown tool",
    code: "AARM3002",
    policy: `${HEAD}${PAY}allow a on bank.py\ndefault deny`,
    at: "bank.py",
  },
  {
    name: "unknown argument",
    code: "AARM3003",
    policy: `${HEAD}${PAY}deny a on bank.pay when args.amont > 1\ndefault deny`,
    at: "amont",
  },
  {
    name: "argument types differ",
    code: "AARM3004",
    policy: `${HEAD}${PAY}tool b.pay { args { amount: string } effect egress }\ndeny a on bank.pay, b.pay when args.amount == "1"\ndefault deny`,
    at: "args.amount",
  },
  {
    name: "args without on",
    code: "AARM3005",
    policy: `${HEAD}${PAY}deny a when args.amount > 1\ndefault deny`,
    at: "args.amount",
  },
  {
    name: "unguarded optional",
    code: "AARM3006",
    policy: `${HEAD}${PAY}deny a on bank.pay when args.memo == "x"\ndefault deny`,
    at: "args.memo",
  },
  {
    name: "type mismatch",
    code: "AARM3007",
    policy: `${HEAD}allow a when effect == "read"\ndefault deny`,
    at: '"read"',
  },
  {
    name: "invalid regex",
    code: "AARM3008",
    policy: `${HEAD}${PAY}deny a on bank.pay when args.to matches /(?=x)/\ndefault deny`,
    at: "/(?=x)/",
  },
  {
    name: "unknown function",
    code: "AARM3009",
    policy: `${HEAD}${PAY}deny a on bank.pay when lowr(args.to) == "x"\ndefault deny`,
    at: "lowr",
  },
  { name: "duplicate rule", code: "AARM3010", policy: `${HEAD}allow a\nallow a\ndefault deny`, at: "a" },
  { name: "reserved name", code: "AARM3011", policy: `${HEAD}const egress = 1\ndefault deny`, at: "egress" },
  { name: "const cycle", code: "AARM3012", policy: `${HEAD}const a = b\nconst b = a\ndefault deny`, at: "b" },
  {
    name: "not constant",
    code: "AARM3013",
    policy: `${HEAD}fact f: string\nconst c = f\ndefault deny`,
    at: "f",
  },
  { name: "missing default", code: "AARM3014", policy: `${HEAD}allow a`, at: "p" },
  {
    name: "forbid with context",
    code: "AARM3015",
    policy: `${HEAD}forbid a when session.tainted\ndefault deny`,
    at: "session.tainted",
  },
  {
    name: "quorum too large",
    code: "AARM3016",
    policy: `${HEAD}step_up a approvers ["x"] quorum 2\ndefault deny`,
    at: "2",
  },
  { name: "defer timeout", code: "AARM3017", policy: `${HEAD}defer a timeout 2h\ndefault deny`, at: "2h" },
  {
    name: "remove required",
    code: "AARM3018",
    policy: `${HEAD}${PAY}modify a on bank.pay remove args.amount\ndefault deny`,
    at: "args.amount",
  },
  {
    name: "modified twice",
    code: "AARM3019",
    policy: `${HEAD}${PAY}modify a on bank.pay set args.amount = 1 clamp args.amount to 0..5\ndefault deny`,
    at: "args.amount",
  },
  {
    name: "refinement of nothing",
    code: "AARM3020",
    policy: `${HEAD}tool x.y { effect read }\ndefault deny`,
    at: "x.y",
  },
  {
    name: "target not a string",
    code: "AARM3021",
    policy: `${HEAD}tool t { args { n: number } effect read target args.n }\ndefault deny`,
    at: "args.n",
  },
  {
    name: "not a label",
    code: "AARM3022",
    policy: `${HEAD}tool t { args { n: number } effect read output secrett }\ndefault deny`,
    at: "secrett",
  },
  {
    name: "two levels",
    code: "AARM3023",
    policy: `${HEAD}tool t { args { n: number } effect read output public, internal }\ndefault deny`,
    at: "internal",
  },
  {
    name: "nested query",
    code: "AARM3024",
    policy: `${HEAD}deny a when session.seen(session.count(effect == read) > 1)\ndefault deny`,
    at: "session.count(effect == read)",
  },
  {
    name: "labels outside a query",
    code: "AARM3025",
    policy: `${HEAD}deny a when pii in labels\ndefault deny`,
    at: "labels",
  },
  {
    name: "query predicate reads a fact",
    code: "AARM3027",
    policy: `${HEAD}fact f: bool\ndeny a when session.seen(effect == read and f)\ndefault deny`,
    at: "f",
  },
  {
    name: "invalid CIDR",
    code: "AARM3026",
    policy: `${HEAD}${PAY}deny a on bank.pay when in_cidr(args.to, "10.0.0/8")\ndefault deny`,
    at: '"10.0.0/8"',
  },
  { name: "unused fact", code: "AARM4001", policy: `${HEAD}fact f: bool\ndefault deny`, at: "f" },
  { name: "unused const", code: "AARM4002", policy: `${HEAD}const c = 1\ndefault deny`, at: "c" },
  { name: "unused param", code: "AARM4003", policy: `${HEAD}param c: number = 1\ndefault deny`, at: "c" },
  {
    name: "unused category",
    code: "AARM4004",
    policy: `${HEAD}category customer\ndefault deny`,
    at: "customer",
  },
  {
    name: "constant condition",
    code: "AARM4005",
    policy: `${HEAD}allow a when 1 < 2\ndefault deny`,
    at: "1 < 2",
  },
  { name: "never matches", code: "AARM4006", policy: `${HEAD}allow a unless true\ndefault deny`, at: "true" },
  {
    name: "shadowed by forbid",
    code: "AARM4007",
    policy: `${HEAD}${PAY}forbid f on bank.pay\nallow a on bank.pay\ndefault deny`,
    at: "a",
  },
  {
    name: "duplicate rule",
    code: "AARM4008",
    policy: `${HEAD}allow a when effect == read\nallow b when effect == read\ndefault deny`,
    at: "b",
  },
  {
    name: "conflicting sets",
    code: "AARM4009",
    policy: `${HEAD}${PAY}modify a on bank.pay set args.amount = 1\nmodify b on bank.pay set args.amount = 2\ndefault deny`,
    at: "set args.amount = 2",
  },
  {
    name: "unrefined MCP tool",
    code: "AARM4010",
    policy: `${HEAD}import mcp "./fs.json" as fs\ndefault deny`,
    files: { "fs.json": MCP },
    at: '"./fs.json"',
  },
  {
    name: "undeclared tool name",
    code: "AARM4011",
    policy: `${HEAD}${PAY}deny a when tool == "bank.pya"\ndefault deny`,
    at: '"bank.pya"',
  },
];

function spanText(d: Diagnostic, files: Record<string, string>): string {
  if (d.span === null) return "";
  return (files[d.span.file] ?? "").slice(d.span.start, d.span.end);
}

describe("each diagnostic code at its span", () => {
  for (const c of CASES) {
    it(`${c.code}: ${c.name}`, () => {
      const files = { ...c.files, "policy.aarm": c.policy };
      const result = checkPolicy("policy.aarm", memoryHost(files));
      const found = result.diagnostics.map((d) => ({
        code: d.code,
        file: d.span?.file,
        text: spanText(d, files),
      }));
      expect(found).toEqual([{ code: c.code, file: c.file ?? "policy.aarm", text: c.at }]);
      const severity = CHECK_CODES.find((x) => x.code === c.code)?.severity;
      expect(result.diagnostics[0]?.severity).toBe(severity);
      expect(result.policy === null).toBe(severity === "error");
    });
  }

  it("covers every code but the internal error", () => {
    const covered = new Set(CASES.map((c) => c.code));
    const missing = CHECK_CODES.map((c) => c.code).filter(
      (code) => !covered.has(code) && code !== "AARM3999",
    );
    expect(missing).toEqual([]);
  });
});

describe("messages help", () => {
  it("suggests a close name, and only a close one", () => {
    const near = checkText(
      `${HEAD}fact maintenance_window: bool\nallow a when maintenance_widow\ndefault deny`,
    );
    expect(near.diagnostics[0]?.suggestion).toBe("maintenance_window");
    expect(near.diagnostics[0]?.message).toContain("did you mean `maintenance_window`?");
    const far = checkText(`${HEAD}fact maintenance_window: bool\nallow a when zzz\ndefault deny`);
    expect(far.diagnostics[0]?.suggestion).toBeNull();
  });

  it("writes types as users write them and points at the declaration", () => {
    const result = checkText(
      `${HEAD}tool t { args { tags: set<string> } effect read }\nmodify a on t set args.tags = 5\ndefault deny`,
    );
    const [d] = result.diagnostics;
    expect(d?.message).toContain("`set<string>`");
    expect(d?.notes[0]?.message).toBe("the tool declares `tags` as `set<string>` here");
    expect(d?.notes[0]?.span?.line).toBe(2);
  });

  it("names the cycle of imports", () => {
    const result = checkPolicy(
      "policy.aarm",
      memoryHost({
        "policy.aarm": `${HEAD}import "./a.aarm"\ndefault deny`,
        "a.aarm": 'module a\nimport "./b.aarm"',
        "b.aarm": 'module b\nimport "./a.aarm"',
      }),
    );
    expect(result.diagnostics[0]?.message).toBe("import cycle: a.aarm → b.aarm → a.aarm");
  });

  it("suggests the guard for an optional argument", () => {
    const result = checkText(`${HEAD}${PAY}deny a on bank.pay when args.memo == "x"\ndefault deny`);
    expect(result.diagnostics[0]?.suggestion).toBe("has(args.memo) and");
    expect(result.diagnostics[0]?.notes[0]?.message).toBe("declared optional here");
  });

  it("reports a second duplicate against the first", () => {
    const result = checkText(`${HEAD}allow a\nallow a\ndefault deny`);
    expect(result.diagnostics[0]?.notes[0]).toMatchObject({
      message: "first declared here",
      span: { line: 2 },
    });
  });
});
