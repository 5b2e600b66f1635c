// Rendering diagnostics: the human form (location, code, message, code frame
// with a caret under the span, notes, help) and the stable JSON form.
import { describe, expect, it } from "vitest";
import type { Span } from "../../src/lang/ast.ts";
import { type Diagnostic, diagnostic } from "../../src/lang/diagnostic.ts";
import { parseSource } from "../../src/lang/parse.ts";
import { renderHuman, renderJson } from "../../src/lang/render.ts";

const SOURCE = [
  'policy p version "1"',
  "tool t {",
  "\teffect read",
  "\teffect write",
  "}",
  "default deny",
].join("\n");

function spanOf(text: string, source = SOURCE, file = "p.aarm"): Span {
  const start = source.indexOf(text);
  const before = source.slice(0, start).split("\n");
  return {
    file,
    start,
    end: start + text.length,
    line: before.length,
    column: (before.at(-1)?.length ?? 0) + 1,
  };
}

const read = (file: string) => (file === "p.aarm" ? SOURCE : undefined);

describe("renderHuman", () => {
  it("renders a located diagnostic with a code frame, a note with its own frame, and help", () => {
    const d = diagnostic(
      "AARM1020",
      "error",
      "duplicate `effect` clause in tool `t`",
      spanOf("effect write"),
      {
        notes: [
          { message: "the first `effect` is here", span: spanOf("effect read") },
          { message: "keep one", span: null },
        ],
        suggestion: "effect read",
      },
    );
    expect(renderHuman([d], read, { color: false })).toBe(
      [
        "p.aarm:4:2: error[AARM1020]: duplicate `effect` clause in tool `t`",
        "  |",
        "4 |   effect write",
        "  |   ^^^^^^^^^^^^",
        "p.aarm:3:2: note: the first `effect` is here",
        "  |",
        "3 |   effect read",
        "  |   ^^^^^^^^^^^",
        "  = note: keep one",
        "  = help: did you mean `effect read`?",
        "",
      ].join("\n"),
    );
  });

  it("renders what parseSource reports, one blank line between diagnostics", () => {
    const source = 'policy p version "1"\nallwo x\nconst s = 15min\n';
    const result = parseSource(source, "q.aarm");
    expect(renderHuman(result.diagnostics, () => source, { color: false })).toBe(
      [
        "q.aarm:2:1: error[AARM1001]: expected a declaration or rule, found `allwo`",
        "  |",
        "2 | allwo x",
        "  | ^^^^^",
        "  = help: did you mean `allow`?",
        "",
        "q.aarm:3:11: error[AARM1017]: `min` is not a duration unit; the units are ms, s, m, h and d",
        "  |",
        "3 | const s = 15min",
        "  |           ^^^^^",
        "  = help: did you mean `15m`?",
        "",
      ].join("\n"),
    );
  });

  it("widens the gutter for large line numbers", () => {
    const source = `${"\n".repeat(1233)}deny`;
    const d = diagnostic("AARM1001", "error", "m", {
      file: "p.aarm",
      start: 1233,
      end: 1237,
      line: 1234,
      column: 1,
    });
    expect(
      renderHuman([d], () => source, { color: false })
        .split("\n")
        .slice(1, 4),
    ).toEqual(["     |", "1234 | deny", "     | ^^^^"]);
  });

  it("puts one caret under an empty span, and stops the underline at the end of the line", () => {
    const empty = diagnostic("AARM1001", "error", "m", { ...spanOf("}"), end: spanOf("}").start });
    expect(renderHuman([empty], read, { color: false }).split("\n")[3]).toBe("  | ^");
    const multiLine = diagnostic("AARM1001", "error", "m", { ...spanOf("tool t {"), end: SOURCE.length });
    expect(renderHuman([multiLine], read, { color: false }).split("\n")[3]).toBe("  | ^^^^^^^^");
  });

  it("shows a window of a very long line around the span", () => {
    const source = `${"x".repeat(5000)} bad ${"y".repeat(5000)}`;
    const d = diagnostic("AARM1001", "error", "m", {
      file: "l.aarm",
      start: 5001,
      end: 5004,
      line: 1,
      column: 5002,
    });
    const [, , line, carets] = renderHuman([d], () => source, { color: false }).split("\n");
    expect(line?.length).toBeLessThan(200);
    expect(line?.slice((carets?.indexOf("^") ?? 0) + 1 - 1, (carets?.lastIndexOf("^") ?? 0) + 1)).toBe("bad");
  });

  it("leaves out the frame when the source is not available, and the location when there is no span", () => {
    const d = diagnostic("AARM1001", "error", "m", spanOf("tool"));
    expect(renderHuman([d], () => undefined, { color: false })).toBe("p.aarm:2:1: error[AARM1001]: m\n");
    const unlocated = diagnostic("AARM2001", "error", "file not found: x.aarm", null);
    expect(renderHuman([unlocated], read, { color: false })).toBe(
      "error[AARM2001]: file not found: x.aarm\n",
    );
  });

  it("renders warnings as warnings", () => {
    const d = diagnostic("AARM4001", "warning", "unused", null);
    expect(renderHuman([d], read, { color: false })).toBe("warning[AARM4001]: unused\n");
  });

  it("colours only when asked", () => {
    const d = diagnostic("AARM1001", "error", "m", spanOf("tool"), { suggestion: "x" });
    const ansi = /\x1b\[/;
    expect(renderHuman([d], read, { color: false })).not.toMatch(ansi);
    const coloured = renderHuman([d], read, { color: true });
    expect(coloured).toMatch(ansi);
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, "")).toBe(renderHuman([d], read, { color: false }));
  });

  it("reads each source once", () => {
    let reads = 0;
    const counting = (file: string) => {
      reads++;
      return read(file);
    };
    const d: Diagnostic = diagnostic("AARM1001", "error", "m", spanOf("tool"));
    renderHuman([d, d, d], counting, { color: false });
    expect(reads).toBe(1);
  });

  it("renders nothing for no diagnostics", () => {
    expect(renderHuman([], read, { color: false })).toBe("");
  });
});

describe("renderJson", () => {
  it("gives every field, in a stable order, with nulls where there is no location", () => {
    const d = diagnostic("AARM1020", "error", "duplicate", spanOf("effect write"), {
      notes: [
        { message: "first", span: spanOf("effect read") },
        { message: "plain", span: null },
      ],
      suggestion: "x",
    });
    const unlocated = diagnostic("AARM2001", "error", "missing", null);
    const json = JSON.parse(renderJson([d, unlocated]));
    expect(json).toEqual([
      {
        code: "AARM1020",
        severity: "error",
        message: "duplicate",
        file: "p.aarm",
        line: 4,
        column: 2,
        length: 12,
        notes: [
          { message: "first", file: "p.aarm", line: 3, column: 2, length: 11 },
          { message: "plain", file: null, line: null, column: null, length: null },
        ],
        suggestion: "x",
      },
      {
        code: "AARM2001",
        severity: "error",
        message: "missing",
        file: null,
        line: null,
        column: null,
        length: null,
        notes: [],
        suggestion: null,
      },
    ]);
    expect(Object.keys(json[0])).toEqual([
      "code",
      "severity",
      "message",
      "file",
      "line",
      "column",
      "length",
      "notes",
      "suggestion",
    ]);
  });

  it("renders no diagnostics as an empty array", () => {
    expect(JSON.parse(renderJson([]))).toEqual([]);
  });
});
