// parseSource on valid input: every construct of docs/language.md lowers to
// the AST shape later phases rely on, with exact spans and decoded literals.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type * as ast from "../../src/lang/ast.ts";
import { parseSource } from "../../src/lang/parse.ts";

const ROOT = join(import.meta.dirname, "..", "..");

/** Parses a whole file and fails the test on any diagnostic. */
function parseFile(text: string): ast.SourceFile {
  const result = parseSource(text, "test.aarm");
  expect(result.diagnostics).toEqual([]);
  if (result.file === null) throw new Error("no AST");
  return result.file;
}

/** Parses declarations and rules inside a minimal policy, returning its items. */
function items(fragment: string): readonly ast.Item[] {
  const file = parseFile(`policy p version "1"\n${fragment}\n`);
  return file.items;
}

function first<K extends ast.Item["kind"]>(fragment: string, kind: K): Extract<ast.Item, { kind: K }> {
  const item = items(fragment)[0];
  if (item?.kind !== kind) throw new Error(`expected ${kind}, got ${item?.kind}`);
  return item as Extract<ast.Item, { kind: K }>;
}

/** The condition of `deny r when <expr>`. */
function expr(text: string): ast.Expr {
  const rule = first(`deny r when ${text}`, "Rule");
  if (rule.when === null) throw new Error("no condition");
  return rule.when;
}

/** An expression with spans removed and refs written as dotted text, for compact shape assertions. */
function shape(e: ast.Expr): unknown {
  switch (e.kind) {
    case "Ref":
      return e.path.map((p) => p.text).join(".");
    case "ArgPath":
      return `args.${e.segments.map((s) => s.text).join(".")}`;
    case "StringLiteral":
    case "NumberLiteral":
    case "BoolLiteral":
      return e.value;
    case "DurationLiteral":
      return { duration: e.ms };
    case "RegexLiteral":
      return { regex: e.source, flags: e.flags };
    case "SetLiteral":
      return { set: e.elements.map(shape) };
    case "ListLiteral":
      return { list: e.elements.map(shape) };
    case "Paren":
      return { paren: shape(e.expr) };
    case "Unary":
      return [e.op, shape(e.operand)];
    case "Binary":
      return [shape(e.left), e.op, shape(e.right)];
    case "Call":
      return { call: shape(e.callee), args: e.args.map(shape) };
    case "SeenQuery":
      return { seen: e.steps.map(shape), within: e.within?.ms ?? null };
    case "CountQuery":
      return { count: shape(e.where), within: e.within?.ms ?? null };
    case "SumQuery":
      return { sum: e.tool.value, arg: e.arg.text, within: e.within?.ms ?? null };
  }
}

/** The source text a span covers. */
function text(source: string, span: ast.Span): string {
  return source.slice(span.start, span.end);
}

describe("files", () => {
  it("reads a policy header with a dotted name and its version", () => {
    const file = parseFile('policy acme.payments version "2026.11.1"\ndefault deny\n');
    expect(file.kind).toBe("PolicyFile");
    if (file.kind !== "PolicyFile") return;
    expect(file.header.name.text).toBe("acme.payments");
    expect(file.header.name.parts.map((p) => p.text)).toEqual(["acme", "payments"]);
    expect(file.header.version.value).toBe("2026.11.1");
    expect(file.items).toEqual([{ kind: "DefaultDecl", posture: "deny", span: expect.anything() }]);
  });

  it("reads a module header; a module file has no default of its own", () => {
    const file = parseFile("module exfiltration\nfact window: bool\n");
    expect(file.kind).toBe("ModuleFile");
    expect(file.header.name.text).toBe("exfiltration");
    expect(file.items.map((i) => i.kind)).toEqual(["FactDecl"]);
  });

  it("spans the whole file and keeps every comment, in order, with its delimiters", () => {
    const source = '// leading\npolicy p version "1" /* inline */\n// trailing';
    const file = parseFile(source);
    expect(file.span).toMatchObject({ start: 0, end: source.length, line: 1, column: 1 });
    expect(file.comments.map((c) => c.text)).toEqual(["// leading", "/* inline */", "// trailing"]);
    expect(file.comments.map((c) => [c.span.line, c.span.column])).toEqual([
      [1, 1],
      [2, 22],
      [3, 1],
    ]);
  });

  it("counts lines the same way for LF, CRLF and CR line ends", () => {
    for (const eol of ["\n", "\r\n", "\r"]) {
      const file = parseFile(['policy p version "1"', "", "  allow reads", "default deny"].join(eol));
      const rule = file.items[0];
      expect(rule?.kind === "Rule" && [rule.name.span.line, rule.name.span.column]).toEqual([3, 9]);
    }
  });

  it("measures columns in UTF-16 code units, as spans do", () => {
    const source = 'policy p version "1"\nconst s = "😀" const t = 1';
    const t = parseFile(source).items[1];
    expect(t?.kind === "ConstDecl" && t.name.span.column).toBe(22);
  });
});

describe("imports", () => {
  it("reads a standard-library import with parameter bindings", () => {
    const imp = first("import std/exfiltration with { max_sends = 5, window = 1h, }", "Import");
    expect(imp.source.kind).toBe("StdSource");
    if (imp.source.kind !== "StdSource") return;
    expect(imp.source.name.text).toBe("exfiltration");
    expect(imp.source.name.span).toMatchObject({ line: 2, column: 12 });
    expect(imp.bindings.map((b) => [b.name.text, shape(b.value)])).toEqual([
      ["max_sends", 5],
      ["window", { duration: 3_600_000 }],
    ]);
  });

  it("reads a relative file import", () => {
    const imp = first('import "./shared/tools.aarm"', "Import");
    expect(imp.source).toMatchObject({ kind: "PathSource", path: { value: "./shared/tools.aarm" } });
    expect(imp.bindings).toEqual([]);
  });

  it("reads an MCP import with its prefix", () => {
    const imp = first('import mcp "./fs-tools.json" as fs', "McpImport");
    expect(imp.path.value).toBe("./fs-tools.json");
    expect(imp.prefix.text).toBe("fs");
  });
});

describe("declarations", () => {
  it("reads a tool with every clause", () => {
    const tool = first(
      `tool db.query {
        args { sql: string, limit?: number, tables: set<string>, nested: set<set<bool>> }
        effect read
        target args.sql
        output confidential, pii
      }`,
      "ToolDecl",
    );
    expect(tool.name.text).toBe("db.query");
    expect(tool.args?.map((a) => [a.name.text, a.optional, a.type.kind])).toEqual([
      ["sql", false, "PrimitiveType"],
      ["limit", true, "PrimitiveType"],
      ["tables", false, "SetType"],
      ["nested", false, "SetType"],
    ]);
    const nested = tool.args?.[3]?.type;
    expect(nested).toMatchObject({
      kind: "SetType",
      element: { kind: "SetType", element: { kind: "PrimitiveType", name: "bool" } },
    });
    expect(tool.effect?.effect).toBe("read");
    expect(tool.target && shape(tool.target.expr)).toBe("args.sql");
    expect(tool.output?.labels.map((l) => l.text)).toEqual(["confidential", "pii"]);
  });

  it("reads a tool refinement without args, clauses in any order", () => {
    const tool = first("tool fs.read_file { output internal effect read }", "ToolDecl");
    expect(tool.args).toBeNull();
    expect(tool.target).toBeNull();
    expect(tool.effect?.effect).toBe("read");
    expect(tool.output?.labels.map((l) => l.text)).toEqual(["internal"]);
  });

  it("accepts keywords as argument names and after a dot in tool names", () => {
    const tool = first("tool redis.set { args { to: string, set: number } effect write }", "ToolDecl");
    expect(tool.name.text).toBe("redis.set");
    expect(tool.args?.map((a) => a.name.text)).toEqual(["to", "set"]);
    const rule = first('allow mail on email.send when domain(args.to) == "x.com"', "Rule");
    expect(rule.when && shape(rule.when)).toEqual([{ call: "domain", args: ["args.to"] }, "==", "x.com"]);
  });

  it("reads facts, consts, params and categories", () => {
    const [fact, konst, param, category] = items(`
      fact ticket_state: string
      const trusted = {"company.com", "partner.example"}
      param max_sends: number = 10
      category customer_data, health
    `);
    expect(fact).toMatchObject({
      kind: "FactDecl",
      name: { text: "ticket_state" },
      type: { name: "string" },
    });
    expect(konst?.kind === "ConstDecl" && shape(konst.value)).toEqual({
      set: ["company.com", "partner.example"],
    });
    expect(param).toMatchObject({ kind: "ParamDecl", name: { text: "max_sends" }, type: { name: "number" } });
    expect(param?.kind === "ParamDecl" && shape(param.value)).toBe(10);
    expect(category?.kind === "CategoryDecl" && category.names.map((n) => n.text)).toEqual([
      "customer_data",
      "health",
    ]);
  });

  it("reads a classifier", () => {
    const c = first(
      "classify ssn on crm.lookup, files.read when output matches /\\b\\d{3}-\\d{2}-\\d{4}\\b/ label restricted, pii",
      "ClassifyRule",
    );
    expect(c.name.text).toBe("ssn");
    expect(c.on.map((q) => q.text)).toEqual(["crm.lookup", "files.read"]);
    expect(shape(c.when)).toEqual(["output", "matches", { regex: "\\b\\d{3}-\\d{2}-\\d{4}\\b", flags: "" }]);
    expect(c.labels.map((l) => l.text)).toEqual(["restricted", "pii"]);
  });

  it("reads both default postures", () => {
    expect(first("default allow", "DefaultDecl").posture).toBe("allow");
    expect(first("default deny", "DefaultDecl").posture).toBe("deny");
  });
});

describe("rules", () => {
  it("reads every rule kind, with on, when, unless, risk and because", () => {
    for (const kind of ["forbid", "deny", "allow"] as const) {
      const rule = first(
        `${kind} r on bank.send, bank.pay when args.amount > 1 unless args.amount < 0 risk high because "why"`,
        "Rule",
      );
      expect(rule).toMatchObject({
        ruleKind: kind,
        name: { text: "r" },
        risk: { level: "high" },
        because: { value: "why" },
        approval: null,
        deferral: null,
        modifications: [],
      });
      expect(rule.on.map((q) => q.text)).toEqual(["bank.send", "bank.pay"]);
      expect(rule.when && shape(rule.when)).toEqual(["args.amount", ">", 1]);
      expect(rule.unless && shape(rule.unless)).toEqual(["args.amount", "<", 0]);
    }
  });

  it("leaves absent clauses null", () => {
    const rule = first("allow reads", "Rule");
    expect(rule).toMatchObject({ on: [], when: null, unless: null, risk: null, because: null });
  });

  it("reads a step_up rule's approval clauses", () => {
    const rule = first(
      'step_up big when true approvers ["group:finance", "alice"] quorum 2 timeout 15m escalate after 5m to ["bob"] self_approval',
      "Rule",
    );
    expect(rule.approval).toMatchObject({
      kind: "ApprovalClause",
      approvers: [{ value: "group:finance" }, { value: "alice" }],
      quorum: { value: 2 },
      timeout: { text: "15m", ms: 900_000 },
      escalation: { after: { ms: 300_000 }, to: [{ value: "bob" }] },
      selfApproval: true,
    });
    expect(rule.deferral).toBeNull();
  });

  it("defaults what a step_up rule leaves out", () => {
    const rule = first('step_up s approvers ["owner"]', "Rule");
    expect(rule.approval).toMatchObject({
      quorum: null,
      timeout: null,
      escalation: null,
      selfApproval: false,
    });
  });

  it("reads a defer rule: its own timeout before `then step_up`, the step-up's after", () => {
    const rule = first(
      'defer d needs window, ticket timeout 5m then step_up approvers ["ops"] timeout 10m',
      "Rule",
    );
    expect(rule.deferral).toMatchObject({
      needs: [{ text: "window" }, { text: "ticket" }],
      timeout: { ms: 300_000 },
    });
    expect(rule.deferral?.then).toBe("step_up");
    expect(rule.approval).toMatchObject({ approvers: [{ value: "ops" }], timeout: { ms: 600_000 } });
  });

  it("gives a defer rule without clauses a deny deferral at the rule's end", () => {
    const source = 'policy p version "1"\ndefer d when true\n';
    const rule = parseFile(source).items[0];
    if (rule?.kind !== "Rule") throw new Error("no rule");
    expect(rule.deferral).toMatchObject({ needs: [], timeout: null });
    expect(rule.deferral?.then).toBe("deny");
    expect(rule.deferral?.span).toMatchObject({ start: rule.span.end, end: rule.span.end });
    expect(rule.approval).toBeNull();
  });

  it("reads modification operations in source order", () => {
    const rule = first(
      `modify cap on db.query
        when has(args.limit) and args.limit > 100
        set args.limit = 100
        clamp args.offset to 0..10000
        remove args.debug
        redact args.note matching /\\d+/i
        redact args.options.secret`,
      "Rule",
    );
    const ops = rule.modifications;
    expect(ops.map((o) => o.kind)).toEqual(["SetOp", "ClampOp", "RemoveOp", "RedactOp", "RedactOp"]);
    const [set, clamp, , redact, redactAll] = ops;
    expect(set?.kind === "SetOp" && [shape(set.path), shape(set.value)]).toEqual(["args.limit", 100]);
    expect(clamp?.kind === "ClampOp" && [shape(clamp.min), shape(clamp.max)]).toEqual([0, 10000]);
    expect(redact?.kind === "RedactOp" && redact.pattern).toMatchObject({ source: "\\d+", flags: "i" });
    expect(redactAll?.kind === "RedactOp" && [shape(redactAll.path), redactAll.pattern]).toEqual([
      "args.options.secret",
      null,
    ]);
  });

  it("clamps to negative and computed bounds", () => {
    const rule = first("modify m set args.x = 1 clamp args.x to -5..max_rows * 2", "Rule");
    const clamp = rule.modifications[1];
    expect(clamp?.kind === "ClampOp" && [shape(clamp.min), shape(clamp.max)]).toEqual([
      ["-", 5],
      ["max_rows", "*", 2],
    ]);
  });

  it("accepts clauses in any order", () => {
    const rule = first('step_up s because "b" approvers ["a"] risk low when true quorum 1', "Rule");
    expect(rule).toMatchObject({
      because: { value: "b" },
      risk: { level: "low" },
      approval: { quorum: { value: 1 } },
    });
  });
});

describe("expressions", () => {
  it("binds or < and < not < comparison < + - < * < unary minus", () => {
    expect(shape(expr("a or b and c"))).toEqual(["a", "or", ["b", "and", "c"]]);
    expect(shape(expr("a and b or c"))).toEqual([["a", "and", "b"], "or", "c"]);
    expect(shape(expr("not a == b"))).toEqual(["not", ["a", "==", "b"]]);
    expect(shape(expr("not not a and b"))).toEqual([["not", ["not", "a"]], "and", "b"]);
    expect(shape(expr("a + b * c == d"))).toEqual([["a", "+", ["b", "*", "c"]], "==", "d"]);
    expect(shape(expr("-a * b"))).toEqual([["-", "a"], "*", "b"]);
    expect(shape(expr("- -a"))).toEqual(["-", ["-", "a"]]);
    expect(shape(expr("(a or b) and c"))).toEqual([{ paren: ["a", "or", "b"] }, "and", "c"]);
  });

  it("is left-associative for + - * and or", () => {
    expect(shape(expr("a - b - c"))).toEqual([["a", "-", "b"], "-", "c"]);
    expect(shape(expr("a * b * c"))).toEqual([["a", "*", "b"], "*", "c"]);
    expect(shape(expr("a or b or c"))).toEqual([["a", "or", "b"], "or", "c"]);
  });

  it("reads every comparison operator", () => {
    for (const op of ["==", "!=", "<", "<=", ">", ">=", "in", "not in"]) {
      expect(shape(expr(`a ${op} b`))).toEqual(["a", op, "b"]);
    }
    expect(shape(expr("s matches /^a\\/b[/]$/i"))).toEqual([
      "s",
      "matches",
      { regex: "^a\\/b[/]$", flags: "i" },
    ]);
  });

  it("reads literals with their values", () => {
    expect(shape(expr('"tab\\t quote\\" back\\\\ nl\\n cr\\r \\u{1F600} \\u{41}"'))).toBe(
      'tab\t quote" back\\ nl\n cr\r 😀 A',
    );
    expect(shape(expr("12"))).toBe(12);
    expect(shape(expr("0.5"))).toBe(0.5);
    expect(shape(expr("1e3"))).toBe(1000);
    expect(shape(expr("2.5E-1"))).toBe(0.25);
    expect(shape(expr("true"))).toBe(true);
    expect(shape(expr("false"))).toBe(false);
    const units: [string, number][] = [
      ["500ms", 500],
      ["30s", 30_000],
      ["15m", 900_000],
      ["24h", 86_400_000],
      ["7d", 604_800_000],
    ];
    for (const [written, ms] of units) {
      expect(expr(written)).toMatchObject({ kind: "DurationLiteral", text: written, ms });
    }
  });

  it("reads sets, lists and empty ones, with trailing commas", () => {
    expect(shape(expr("effect in {write, delete, egress,}"))).toEqual([
      "effect",
      "in",
      { set: ["write", "delete", "egress"] },
    ]);
    expect(shape(expr("{} == {}"))).toEqual([{ set: [] }, "==", { set: [] }]);
    expect(shape(expr('["a", 1] == []'))).toEqual([{ list: ["a", 1] }, "==", { list: [] }]);
  });

  it("reads references, argument paths and calls", () => {
    expect(shape(expr("identity.roles"))).toBe("identity.roles");
    expect(shape(expr("tool == effect"))).toEqual(["tool", "==", "effect"]);
    expect(shape(expr("target != output"))).toEqual(["target", "!=", "output"]);
    expect(expr("args.options.depth")).toMatchObject({
      kind: "ArgPath",
      segments: [{ text: "options" }, { text: "depth" }],
    });
    expect(shape(expr("intent.mentions(args.recipient)"))).toEqual({
      call: "intent.mentions",
      args: ["args.recipient"],
    });
    expect(shape(expr('in_cidr(ip, "10.0.0.0/8")'))).toEqual({ call: "in_cidr", args: ["ip", "10.0.0.0/8"] });
    expect(shape(expr("f()"))).toEqual({ call: "f", args: [] });
  });

  it("reads session queries", () => {
    expect(shape(expr("session.seen(pii in labels)"))).toEqual({
      seen: [["pii", "in", "labels"]],
      within: null,
    });
    expect(
      shape(expr('session.seen(tool == "a" then tool == "b" then effect == egress, within 1h)')),
    ).toEqual({
      seen: [
        ["tool", "==", "a"],
        ["tool", "==", "b"],
        ["effect", "==", "egress"],
      ],
      within: 3_600_000,
    });
    expect(shape(expr("session.count(effect == egress, within 1h) >= 10"))).toEqual([
      { count: ["effect", "==", "egress"], within: 3_600_000 },
      ">=",
      10,
    ]);
    expect(shape(expr('session.sum("bank.send_money", amount, within 24h) > 5000'))).toEqual([
      { sum: "bank.send_money", arg: "amount", within: 86_400_000 },
      ">",
      5000,
    ]);
    expect(shape(expr('session.sum("bank.send_money", amount)'))).toMatchObject({ within: null });
    expect(shape(expr("session.tainted"))).toBe("session.tainted");
  });
});

describe("spans", () => {
  const source = [
    'policy payments version "1"',
    "",
    "step_up large_payment on bank.send_money",
    "  when args.amount > 1000",
    '  approvers ["group:finance"] quorum 1 timeout 15m',
    '  because "big"',
  ].join("\n");
  const rule = parseFile(source).items[0];
  if (rule?.kind !== "Rule") throw new Error("no rule");

  it("puts a rule name at its line, column and length", () => {
    expect(rule.name.span).toEqual({ file: "test.aarm", start: 37, end: 50, line: 3, column: 9 });
    expect(text(source, rule.name.span)).toBe("large_payment");
  });

  it("spans a rule from its kind to its last clause", () => {
    expect(text(source, rule.span)).toBe(source.slice(source.indexOf("step_up")));
  });

  it("spans every node exactly over its text", () => {
    expect(text(source, rule.on[0]?.span ?? rule.span)).toBe("bank.send_money");
    const when = rule.when;
    if (when?.kind !== "Binary") throw new Error("no comparison");
    expect(text(source, when.span)).toBe("args.amount > 1000");
    expect(text(source, when.left.span)).toBe("args.amount");
    expect(when.right.span).toMatchObject({ line: 4, column: 22 });
    expect(text(source, rule.approval?.span ?? rule.span)).toBe(
      'approvers ["group:finance"] quorum 1 timeout 15m',
    );
    expect(text(source, rule.approval?.approvers[0]?.span ?? rule.span)).toBe('"group:finance"');
    expect(text(source, rule.approval?.timeout?.span ?? rule.span)).toBe("15m");
    expect(text(source, rule.because?.span ?? rule.span)).toBe('"big"');
  });

  it("spans prefix operators from the operator to the operand's end", () => {
    const e = expr("not -x > 1");
    expect(e.kind === "Unary" && [e.span.column, e.span.end - e.span.start]).toEqual([13, 10]);
  });

  it("spans every node of a larger file within the file, children within parents", () => {
    const doc = readFileSync(join(ROOT, "docs", "language.md"), "utf8");
    const policy = /```aarm\n(policy classifications[\s\S]*?)```/.exec(doc)?.[1] ?? "";
    const file = parseFile(policy);
    const visit = (node: unknown, parent: ast.Span): void => {
      if (typeof node !== "object" || node === null) return;
      const span = (node as { span?: ast.Span }).span;
      const within = span ?? parent;
      if (span !== undefined) {
        expect(span.start).toBeGreaterThanOrEqual(parent.start);
        expect(span.end).toBeLessThanOrEqual(parent.end);
      }
      for (const [key, value] of Object.entries(node)) {
        if (key !== "span") visit(value, within);
      }
    };
    visit(file.items, file.span);
  });
});

describe("docs/language.md", () => {
  const doc = readFileSync(join(ROOT, "docs", "language.md"), "utf8");
  const blocks = [...doc.matchAll(/```aarm( fragment)?\n([\s\S]*?)```/g)].map((m) => ({
    fragment: m[1] !== undefined,
    code: m[2] ?? "",
    line: doc.slice(0, m.index).split("\n").length,
  }));

  it("has aarm examples", () => {
    expect(blocks.length).toBeGreaterThan(5);
  });

  // §6 shows the rule synopsis with <placeholders>: a template, not code.
  const code = blocks.filter((b) => !b.code.includes("<kind>"));
  it.each(code)("parses the example at line $line without syntax errors", ({ fragment, code }) => {
    const whole = !fragment || code.trimStart().startsWith("policy");
    const text = whole ? code : `policy p version "1"\n${code}\ndefault deny\n`;
    const result = parseSource(text, "language.md");
    expect(result.diagnostics).toEqual([]);
    expect(result.file).not.toBeNull();
  });
});
