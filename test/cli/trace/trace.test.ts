/**
 * The decision trace format (docs/trace.md): what the writer writes, the
 * reader reads back exactly — inputs with their history references resolved,
 * and decisions — and every malformed trace is refused at its line and column.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileChecked } from "../../../src/compiler.ts";
import { evaluate } from "../../../src/eval/index.ts";
import type { EvalDecision, EvalInput, HistoryEntry } from "../../../src/ir/contract.ts";
import {
  type DecisionPoint,
  parseTraceLine,
  readTrace,
  readTraceText,
  type TraceError,
  TraceWriter,
} from "../../../src/runtime/trace/index.ts";
import { arbitraryScenario, checkGenerated } from "../../support/arbitrary-policy.ts";
import { propertyParams } from "../../support/property.ts";

const POLICY = { name: "p", version: "1", hash: "sha256:00" };
const ALLOW: EvalDecision = {
  decision: "ALLOW",
  classification: null,
  rules: ["reads"],
  reasons: ["allow rule reads matched"],
  modifications: null,
  approval: null,
  deferral: null,
  contextNeeded: [],
  risk: null,
};
const IDENTITY = { roles: [], scope: [], delegation: [] };

function input(tool: string, history: readonly HistoryEntry[] = [], time = 1000): EvalInput {
  return {
    action: { tool, args: { path: "/a" }, time, identity: IDENTITY },
    snapshot: { scores: {}, facts: {}, history },
  };
}

function entry(tool: string, time: number): HistoryEntry {
  return { tool, effect: "read", args: { path: "/a" }, time, labels: ["internal"] };
}

function points(text: string): DecisionPoint[] {
  const out: DecisionPoint[] = [];
  for (const item of readTraceText(text)) {
    if (!item.ok) throw new Error(`${item.error.line}:${item.error.column}: ${item.error.message}`);
    out.push(item.point);
  }
  return out;
}

function firstError(text: string, limits?: { maxLineBytes: number; maxLines: number }): TraceError {
  for (const item of readTraceText(text, limits === undefined ? {} : { limits })) {
    if (!item.ok) return item.error;
  }
  throw new Error("expected the trace to be refused");
}

function line(result: ReturnType<TraceWriter["decision"]>): string {
  if (!result.ok) throw new Error(result.message);
  return result.line;
}

/** A valid decision line, as an object to break in one place. */
function decisionRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...(JSON.parse(
      line(
        new TraceWriter().decision({
          session: "s",
          step: 0,
          policy: POLICY,
          input: input("files.read"),
          decision: ALLOW,
        }),
      ),
    ) as Record<string, unknown>),
    ...overrides,
  };
}

describe("trace writer and reader", () => {
  it("round-trips inputs and decisions exactly, history by reference or inline", () => {
    fc.assert(
      fc.property(arbitraryScenario({ inputs: 3 }), (scenario) => {
        const checked = checkGenerated(scenario.policy).policy;
        if (checked === null) return;
        const ir = compileChecked(checked).ir;
        if (ir === null) return;
        const writer = new TraceWriter();
        const lines: string[] = [];
        const expected: { input: EvalInput; decision: EvalDecision }[] = [];
        scenario.inputs.forEach((given, i) => {
          const session = `s${i}`;
          // Half the sessions write their history as outcomes first, so that the decision refers to them.
          if (i % 2 === 0) {
            given.snapshot.history.forEach((e, step) => {
              const o = writer.outcome({ session, step: step + 1, entry: e });
              if (!o.ok) throw new Error(o.message);
              lines.push(o.line);
            });
          }
          const decision = Object.hasOwn(ir.tools, given.action.tool) ? evaluate(ir, given) : ALLOW;
          lines.push(line(writer.decision({ session, step: 0, policy: POLICY, input: given, decision })));
          expected.push({ input: given, decision });
        });
        const read = points(lines.join("\n"));
        // JSON's own loss: -0 reads back as 0; nothing else may change.
        const json = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
        expect(read.map((p) => p.input)).toEqual(expected.map((e) => json(e.input)));
        expect(read.map((p) => p.recorded)).toEqual(expected.map((e) => json(e.decision)));
        for (const [i, given] of scenario.inputs.entries()) {
          const text =
            lines.find((l) => l.includes(`"session":"s${i}"`) && l.includes('"kind":"decision"')) ?? "";
          const history = (JSON.parse(text) as { snapshot: { history: unknown } }).snapshot.history;
          if (i % 2 === 0 && given.snapshot.history.length > 0)
            expect(history).toEqual({ outcomes: given.snapshot.history.length });
          else expect(Array.isArray(history)).toBe(true);
        }
      }),
      propertyParams(100),
    );
  });

  it("resolves {outcomes: N} to the first N outcomes of the same session only", () => {
    const writer = new TraceWriter();
    const a0 = entry("files.read", 1);
    const b0 = entry("files.list", 2);
    const a1 = entry("files.stat", 3);
    const text = [
      writer.outcome({ session: "a", step: 0, entry: a0 }),
      writer.outcome({ session: "b", step: 0, entry: b0 }),
      writer.decision({
        session: "a",
        step: 1,
        policy: POLICY,
        input: input("files.stat", [a0]),
        decision: ALLOW,
      }),
      writer.outcome({ session: "a", step: 1, entry: a1 }),
      // A decision that saw only the first outcome although the second was already written.
      writer.decision({
        session: "a",
        step: 2,
        policy: POLICY,
        input: input("files.read", [a0]),
        decision: ALLOW,
      }),
      writer.decision({
        session: "a",
        step: 3,
        policy: POLICY,
        input: input("files.read", [a0, a1]),
        decision: ALLOW,
      }),
      writer.decision({
        session: "b",
        step: 1,
        policy: POLICY,
        input: input("files.read", [b0]),
        decision: ALLOW,
      }),
    ]
      .map((r) => (r.ok ? r.line : ""))
      .join("\n");
    expect(text).toContain('"history":{"outcomes":2}');
    const read = points(text);
    expect(read.map((p) => [p.session, p.step, p.input.snapshot.history.map((e) => e.tool)])).toEqual([
      ["a", 1, ["files.read"]],
      ["a", 2, ["files.read"]],
      ["a", 3, ["files.read", "files.stat"]],
      ["b", 1, ["files.list"]],
    ]);
    expect(read.map((p) => p.line)).toEqual([3, 5, 6, 7]);
  });

  it("writes history inline when it is not a prefix of the outcomes, and after endSession", () => {
    const writer = new TraceWriter();
    const a0 = entry("files.read", 1);
    writer.outcome({ session: "a", step: 0, entry: a0 });
    const other = line(
      writer.decision({
        session: "a",
        step: 1,
        policy: POLICY,
        input: input("x", [entry("files.list", 1)]),
        decision: ALLOW,
      }),
    );
    expect(other).toContain('"history":[{"tool":"files.list"');
    writer.endSession("a");
    writer.outcome({ session: "a", step: 1, entry: a0 });
    const after = line(
      writer.decision({ session: "a", step: 2, policy: POLICY, input: input("x", [a0]), decision: ALLOW }),
    );
    expect(after).toContain('"history":[{"tool":"files.read"');
  });

  it("reads CRLF line ends, blank lines, ISO times and omitted defaults", () => {
    const record = {
      format: "aarm-trace",
      version: 1,
      kind: "decision",
      session: "s",
      step: 0,
      time: "2026-01-01T00:00:00Z",
      policy: POLICY,
      action: { tool: "files.read" },
      decision: { decision: "DENY", rules: ["default"], reasons: ["no rule matched; default deny"] },
    };
    const [point] = points(`\r\n${JSON.stringify(record)}\r\n\r\n`);
    expect(point?.line).toBe(2);
    expect(point?.input).toEqual({
      action: { tool: "files.read", args: {}, time: Date.UTC(2026, 0, 1), identity: IDENTITY },
      snapshot: { scores: {}, facts: {}, history: [] },
    });
    expect(point?.recorded.contextNeeded).toEqual([]);
  });

  it("streams: lines split across chunks anywhere read the same", () => {
    const writer = new TraceWriter();
    const text = [0, 1, 2]
      .map((step) =>
        line(
          writer.decision({
            session: "s",
            step,
            policy: POLICY,
            input: input("files.read"),
            decision: ALLOW,
          }),
        ),
      )
      .join("\n");
    const bytes = new TextEncoder().encode(`${text}\n`);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.slice(i, i + 7));
    const read = [...readTrace(chunks)].map((r) => (r.ok ? r.point.step : -1));
    expect(read).toEqual([0, 1, 2]);
  });

  it("refuses what it cannot write faithfully", () => {
    const writer = new TraceWriter({ maxLineBytes: 2000 });
    const bad = (i: EvalInput) =>
      writer.decision({ session: "s", step: 0, policy: POLICY, input: i, decision: ALLOW });
    const nan = input("files.read");
    expect(bad({ ...nan, action: { ...nan.action, args: { n: Number.NaN } } })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/non-finite/),
    });
    let deep: unknown = 1;
    for (let i = 0; i < 80; i++) deep = [deep];
    expect(bad({ ...nan, action: { ...nan.action, args: { deep: deep as never } } })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/deeper/),
    });
    expect(bad({ ...nan, action: { ...nan.action, args: { long: "x".repeat(3000) } } })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/bytes/),
    });
    expect(writer.decision({ session: "", step: 0, policy: POLICY, input: nan, decision: ALLOW }).ok).toBe(
      false,
    );
  });
});

describe("trace reader errors", () => {
  const cases: [string, string, number, number, RegExp][] = [
    ["truncated object", '{"format":"aarm-trace"', 1, 23, /malformed JSON: unexpected end of line/],
    ["missing value", '{"a":}', 1, 6, /malformed JSON: unexpected "}", expected a value/],
    ["trailing comma", '{"a":1,}', 1, 8, /expected a property name/],
    ["bad literal", "[tru]", 1, 2, /malformed JSON/],
    ["trailing garbage", "{} x", 1, 4, /after the value/],
    ["not an object", "[1]", 1, 1, /expected an object/],
    ["wrong format", '{"format":"other","version":1}', 1, 11, /\/format: expected "aarm-trace"/],
    ["future version", '{"format":"aarm-trace","version":2}', 1, 34, /unsupported trace version 2/],
  ];
  for (const [name, text, lineNo, column, message] of cases) {
    it(`refuses ${name} at ${lineNo}:${column}`, () => {
      const error = firstError(text);
      expect([error.line, error.column]).toEqual([lineNo, column]);
      expect(error.message).toMatch(message);
    });
  }

  it("names the column of the offending value", () => {
    const text = JSON.stringify(decisionRecord({ action: { tool: "files.read", args: [] } }));
    const error = firstError(`\n${text}`);
    expect(error.line).toBe(2);
    expect(text.slice(error.column - 1).startsWith("[]")).toBe(true);
    expect(error.message).toBe("/action/args: expected an object");
  });

  it("refuses unknown and missing fields", () => {
    const unknown = JSON.stringify(decisionRecord({ extra: 1 }));
    expect(firstError(unknown).message).toBe('/extra: unknown field "extra"');
    const missing = decisionRecord();
    delete missing.policy;
    expect(firstError(JSON.stringify(missing))).toMatchObject({
      column: 1,
      message: '/: missing field "policy"',
    });
    const reasons = JSON.stringify(decisionRecord({ decision: { ...ALLOW, reasons: [] } }));
    expect(firstError(reasons).message).toMatch(/\/decision\/reasons: expected one reason per rule/);
  });

  it("refuses references to outcomes that do not precede the decision", () => {
    const text = JSON.stringify(decisionRecord({ snapshot: { history: { outcomes: 1 } } }));
    const error = firstError(text);
    expect(error.message).toMatch(
      /\/snapshot\/history\/outcomes: refers to 1 outcomes of session "s", but 0 precede/,
    );
    expect(text.slice(error.column - 1).startsWith("1}")).toBe(true);
  });

  it("refuses a step decided twice, an outcome given twice, and an outcome for another tool", () => {
    const decision = JSON.stringify(decisionRecord());
    expect(firstError(`${decision}\n${decision}`)).toMatchObject({
      line: 2,
      message: expect.stringMatching(/already recorded on line 1/),
    });
    const writer = new TraceWriter();
    const outcome = writer.outcome({ session: "s", step: 0, entry: entry("files.write", 1) });
    const text = outcome.ok ? outcome.line : "";
    expect(firstError(`${decision}\n${text}`)).toMatchObject({
      line: 2,
      message: expect.stringMatching(/called files.read \(line 1\), not files.write/),
    });
    expect(firstError(`${text}\n${text}`)).toMatchObject({
      line: 2,
      message: expect.stringMatching(/already has an outcome, on line 1/),
    });
    expect(firstError(`${text}\n${decision}`)).toMatchObject({
      line: 2,
      message: expect.stringMatching(/has an outcome on an earlier line/),
    });
  });

  it("bounds line length, line count, nesting and encoding", () => {
    const limits = { maxLineBytes: 64, maxLines: 3 };
    expect(firstError(`\n${"x".repeat(65)}\n`, limits)).toMatchObject({
      line: 2,
      column: 1,
      message: "line is longer than 64 bytes",
    });
    expect(firstError("\n\n\n\n{}", limits)).toMatchObject({
      line: 4,
      message: "trace has more than 3 lines",
    });
    expect(firstError(`${"[".repeat(70)}${"]".repeat(70)}`)).toMatchObject({
      message: "JSON nests deeper than 64 levels",
    });
    const invalid = new Uint8Array([0x7b, 0xff, 0x7d, 0x0a]);
    const [item] = [...readTrace([invalid])];
    expect(item).toMatchObject({ ok: false, error: { line: 1, message: "line is not valid UTF-8" } });
  });

  it("parses single lines for callers that read records themselves", () => {
    const ok = parseTraceLine(JSON.stringify(decisionRecord()), 7);
    expect(ok.ok && ok.record.kind).toBe("decision");
    expect(parseTraceLine("{", 7)).toMatchObject({ ok: false, error: { line: 7, column: 2 } });
  });
});
