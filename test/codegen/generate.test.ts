/**
 * `generateModule`: the module's shape (no imports, three exports, ASCII),
 * determinism, the evaluator's own modules inside it, IR text that is hostile
 * to the code it is written into, malformed IR, and the IR forms no policy
 * compiles to today (sets of values, nested argument paths), each compared
 * with the IR evaluator.
 */
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { linkRuntime } from "../../src/codegen/link.ts";
import { readEvalModule } from "../../src/codegen/source.ts";
import { CodegenError, compileText, generateModule } from "../../src/compiler.ts";
import { evaluate, labelOutput } from "../../src/eval/index.ts";
import type { EvalInput, Json } from "../../src/ir/contract.ts";
import type { Ir } from "../../src/ir/types.ts";
import { loadModule, removeModules } from "./load.ts";

afterAll(removeModules);

function compile(source: string): Ir {
  const { ir, diagnostics } = compileText(source);
  if (ir === null) throw new Error(diagnostics.map((d) => d.message).join("; "));
  return ir;
}

function input(
  tool: string,
  args: { readonly [name: string]: Json },
  facts: { [name: string]: Json } = {},
): EvalInput {
  return {
    action: { tool, args, time: 0, identity: { roles: [], scope: [], delegation: [] } },
    snapshot: { scores: {}, facts, history: [] },
  };
}

/** The IR evaluator and the generated module agree on every input (compared as JSON sees them). */
function expectAgreement(ir: Ir, inputs: readonly EvalInput[]): void {
  const generated = loadModule(generateModule(ir));
  for (const i of inputs) {
    const expected = JSON.stringify(evaluate(ir, i));
    expect(JSON.stringify(generated.evaluate(i))).toBe(expected);
  }
}

const POLICY = `policy p version "1"

tool t.tool1 { args { arg1: string, arg2?: number } effect write target args.arg1 }

fact fact1: bool
category cat1

classify cls1 on t.tool1 when output matches /secret/ label cat1, confidential

deny rule1 on t.tool1 when fact1 and args.arg1 == "x" because "reason1"
modify rule2 on t.tool1 when has(args.arg2) set args.arg2 = 3
allow rule3 on t.tool1

default deny
`;

describe("the generated module", () => {
  const ir = compile(POLICY);
  const source = generateModule(ir);

  it("imports nothing, exports evaluate, labelOutput and ir, and is ASCII", () => {
    expect(source).not.toMatch(/^\s*import\b|\bimport\s*\(|\brequire\s*\(/m);
    expect(source).toMatch(
      /^export \{ \$evaluate as evaluate, \$labelOutput as labelOutput, \$meta as ir \};$/m,
    );
    expect(/^[\x00-\x7f]*$/.test(source)).toBe(true);
    const generated = loadModule(source);
    expect(Object.keys(generated).sort()).toEqual(["evaluate", "ir", "labelOutput"]);
    expect(generated.ir).toEqual({
      format: "aarm-ir",
      irVersion: 1,
      policy: { name: "p", version: "1" },
      hash: ir.hash,
    });
    expect(Object.isFrozen(generated.ir)).toBe(true);
  });

  it("is the same text for the same IR, whatever its key order", () => {
    const reordered = JSON.parse(
      JSON.stringify(ir, (_, v: unknown) =>
        typeof v === "object" && v !== null && !Array.isArray(v)
          ? Object.fromEntries(Object.entries(v).reverse())
          : v,
      ),
    ) as Ir;
    expect(generateModule(ir)).toBe(source);
    expect(generateModule(reordered)).toBe(source);
  });

  it("holds the evaluator's own modules, as the sources say, compiling expressions in place of the interpreter", () => {
    const names = [
      "combine",
      "evaluate",
      "features",
      "json",
      "label",
      "modify",
      "net",
      "prepare",
      "regex",
      "values",
    ];
    for (const name of names) {
      const body = readEvalModule(name)
        .split("\n")
        .filter((line) => !/^import\b|^\/\/# sourceMappingURL/.test(line))
        .map((line) => line.replace(/^export /, ""))
        .join("\n")
        .trim()
        .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
      expect(source.includes(body), `eval/${name} is embedded as it is`).toBe(true);
    }
    expect(
      readEvalModule("expr")
        .split("\n")
        .filter((l) => l.length > 40 && source.includes(l)),
    ).toEqual([]);
  });

  it("escapes the evaluator's non-ASCII characters only where a \\u escape means the same", () => {
    // Comments, string and regex literals, identifiers; not templates, whose raw text a tag could read,
    // and never a line separator, which ends a line comment.
    const allowed = new Set([
      ts.SyntaxKind.SingleLineCommentTrivia,
      ts.SyntaxKind.MultiLineCommentTrivia,
      ts.SyntaxKind.StringLiteral,
      ts.SyntaxKind.RegularExpressionLiteral,
      ts.SyntaxKind.Identifier,
    ]);
    for (const name of [
      "combine",
      "evaluate",
      "features",
      "json",
      "label",
      "modify",
      "net",
      "prepare",
      "regex",
      "values",
    ]) {
      const text = readEvalModule(name);
      expect(text).not.toMatch(/[\u2028\u2029]/);
      const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
      for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
        if (kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken)
          kind = scanner.reScanSlashToken();
        if (/[^\x00-\x7f]/.test(scanner.getTokenText()))
          expect(allowed.has(kind), `eval/${name}: ${scanner.getTokenText()}`).toBe(true);
      }
    }
  });

  it("follows a change to the evaluator's sources", () => {
    const request = { uses: { json: ["jsonEqual"] }, replaced: { module: "expr", provides: [] } };
    const linked = linkRuntime((name) => `${readEvalModule(name)}\nconst changedForTheTest = 1;`, request);
    expect(linked.code).toContain("const changedForTheTest = 1;");
  });
});

const HOSTILE = {
  tool: "*/</script><!--\u2028${x}`'\"\\",
  arg: "__proto__",
  fact: "constructor",
  rule: "*/ throw 1; /*",
  reason: "</script>\u2029${1+1}`\\u0041",
  category: "</SCRIPT \u0000",
};

/** The IR of POLICY with every name replaced by a hostile one (names the language itself would refuse). */
function hostileIr(): Ir {
  const ir = compile(POLICY);
  let text = JSON.stringify({
    ...ir,
    policy: { name: HOSTILE.tool, version: HOSTILE.reason },
    hash: HOSTILE.rule,
  });
  const names: [string, string][] = [
    ["t.tool1", HOSTILE.tool],
    ["arg1", HOSTILE.arg],
    ["fact1", HOSTILE.fact],
    ["rule1", HOSTILE.rule],
    ["reason1", HOSTILE.reason],
    ["cat1", HOSTILE.category],
  ];
  for (const [from, to] of names) text = text.replaceAll(JSON.stringify(from), JSON.stringify(to));
  return JSON.parse(text) as Ir;
}

describe("hostile IR text", () => {
  const ir = hostileIr();
  const source = generateModule(ir);

  it("stays data: ASCII, nothing that ends a script element, agreement with the IR evaluator", () => {
    expect(/^[\x00-\x7f]*$/.test(source)).toBe(true);
    expect(source).not.toMatch(/<\/script|<!--/i);
    const args = (json: string) => JSON.parse(json) as { [name: string]: Json };
    expectAgreement(ir, [
      input(HOSTILE.tool, args('{"__proto__": "x"}'), { constructor: true }),
      input(HOSTILE.tool, args('{"__proto__": "x", "arg2": 7}'), { constructor: false }),
      input(HOSTILE.tool, args('{"__proto__": "x"}')),
      input("t.tool1", args('{"arg1": "x"}')),
    ]);
    const generated = loadModule(source);
    const decision = generated.evaluate(
      input(HOSTILE.tool, args('{"__proto__": "x"}'), { constructor: true }),
    );
    expect(decision).toMatchObject({ decision: "DENY", rules: [HOSTILE.rule], reasons: [HOSTILE.reason] });
    expect(generated.ir.policy).toEqual({ name: HOSTILE.tool, version: HOSTILE.reason });
    expect(generated.labelOutput(HOSTILE.tool, args('{"__proto__": "x"}'), "secret")).toEqual(
      labelOutput(ir, HOSTILE.tool, args('{"__proto__": "x"}'), "secret"),
    );
  });
});

describe("malformed IR", () => {
  const ir = compile(POLICY);
  const tool = ir.tools["t.tool1"] as Ir["tools"][string];
  const withTool = (change: Partial<Ir["tools"][string]>): Ir => ({
    ...ir,
    tools: { "t.tool1": { ...tool, ...change } },
  });
  const withExprs = (exprs: readonly unknown[]): Ir => ({ ...ir, exprs: exprs as Ir["exprs"] });

  it("is refused with a CodegenError, never written into the code", () => {
    const cases: [Ir, RegExp][] = [
      [
        withTool({ candidates: [{ rule: 0, cond: "0); throw 1; (0" as unknown as number }] }),
        /no expression/,
      ],
      [withTool({ candidates: [{ rule: 0, cond: 1.5 }] }), /no expression 1.5/],
      [withTool({ candidates: [{ rule: 0, cond: ir.exprs.length }] }), /no expression/],
      [
        withExprs([...ir.exprs.slice(0, -1), { op: "not", arg: ir.exprs.length - 1 }]),
        /is not an earlier expression/,
      ],
      [
        withExprs(ir.exprs.map((n, i) => (i === 0 ? { op: "call", fn: "alert", args: [], fault: [] } : n))),
        /unknown "alert"/,
      ],
      [
        withExprs(ir.exprs.map((n, i) => (i === 0 ? { op: "identity", field: "constructor" } : n))),
        /unknown "constructor"/,
      ],
      [withExprs(ir.exprs.map((n, i) => (i === 0 ? { op: "launch" } : n))), /unknown operator "launch"/],
      [{ ...ir, policy: { name: 1, version: "1" } } as unknown as Ir, /policy.name must be a string/],
    ];
    for (const [bad, message] of cases) {
      expect(() => generateModule(bad)).toThrow(CodegenError);
      expect(() => generateModule(bad)).toThrow(message);
    }
  });
});

describe("IR forms no policy compiles to", () => {
  it("evaluates sets of values and nested argument paths as the IR evaluator does", () => {
    const ir: Ir = {
      ...compile(POLICY),
      defaultPosture: "allow",
      exprs: [
        { op: "arg", path: ["meta", "owner"] },
        { op: "arg", path: ["meta", "team"] },
        { op: "const", value: "root" },
        { op: "set", items: [1, 2, 0] },
        { op: "arg", path: ["user"] },
        { op: "in", item: 4, set: 3 },
        { op: "has", of: 0 },
        { op: "and", args: [6, 5] },
      ],
      tools: {
        "t.tool1": {
          effect: "write",
          args: { user: { type: "string", optional: false }, meta: { type: "json", optional: true } },
          target: null,
          output: [],
          candidates: [{ rule: 0, cond: 7 }],
          classifiers: [],
        },
      },
    };
    const args = (json: string) => JSON.parse(json) as { [name: string]: Json };
    const inputs = [
      '{"user": "ann", "meta": {"owner": "ann", "team": "x"}}',
      '{"user": "root", "meta": {"owner": "bob", "team": "x"}}',
      '{"user": "cy", "meta": {"owner": "bob", "team": "x"}}',
      '{"user": "cy", "meta": {"owner": "bob"}}',
      '{"user": "cy", "meta": {"team": "x"}}',
      '{"user": "cy", "meta": ["owner"]}',
      '{"user": "cy"}',
    ].map((json) => input("t.tool1", args(json)));
    expectAgreement(ir, inputs);
    expect(inputs.map((i) => evaluate(ir, i).decision)).toEqual([
      "DENY",
      "DENY",
      "ALLOW",
      "DEFER",
      "ALLOW",
      "ALLOW",
      "ALLOW",
    ]);
  });
});
