// Hostile input: the parser's bounds hold. Oversized, overlong, deeply nested
// and error-ridden files each get a diagnostic, in linear-ish time, without
// exhausting the stack — even when parseSource is called from deep in it.
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/lang/diagnostic.ts";
import { PARSE_LIMITS, type ParseResult, parseSource } from "../../src/lang/parse.ts";

const HEADER = 'policy p version "1"\n';

function timed(text: string): { result: ParseResult; ms: number } {
  const started = performance.now();
  const result = parseSource(text, "hostile.aarm");
  return { result, ms: performance.now() - started };
}

function codes(diagnostics: readonly Diagnostic[]): string[] {
  return [...new Set(diagnostics.map((d) => d.code))];
}

/** Runs `f` with `frames` extra frames already on the stack. */
function onDeepStack<X>(frames: number, f: () => X): X {
  const descend = (n: number): X => (n === 0 ? f() : descend(n - 1));
  return descend(frames);
}

/** How many frames of `onDeepStack` fit on the stack now: the stack's size, in those frames. */
function stackFrames(): number {
  let low = 0;
  let high = 1_000_000;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    try {
      onDeepStack(mid, () => 0);
      low = mid;
    } catch {
      high = mid - 1;
    }
  }
  return low;
}

describe("source size", () => {
  it("refuses a source over 1 MiB with one diagnostic, without lexing it", () => {
    const { result, ms } = timed(`${HEADER}// ${"x".repeat(PARSE_LIMITS.maxSourceBytes)}`);
    expect(result.file).toBeNull();
    expect(result.diagnostics.map((d) => d.code)).toEqual(["AARM1030"]);
    expect(ms).toBeLessThan(500);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const chars = Math.ceil(PARSE_LIMITS.maxSourceBytes / 3) + 10;
    const { result } = timed(`${HEADER}// ${"€".repeat(chars)}`);
    expect(codes(result.diagnostics)).toEqual(["AARM1030"]);
  });

  it("reads a file just under the limit", () => {
    const comment = `// ${"x".repeat(PARSE_LIMITS.maxSourceBytes - 200)}\n`;
    const { result } = timed(`${HEADER}${comment}default deny\n`);
    expect(result.diagnostics).toEqual([]);
  });
});

describe("token count", () => {
  it("refuses a file with too many tokens", () => {
    const { result, ms } = timed(`${HEADER}const x = {${"1,".repeat(PARSE_LIMITS.maxTokens / 2)}}`);
    expect(codes(result.diagnostics)).toEqual(["AARM1032"]);
    expect(ms).toBeLessThan(2000);
  });

  it("parses a large but legal set of constants", () => {
    const values = Array.from({ length: 20_000 }, (_, i) => `"v${i}"`).join(", ");
    const { result, ms } = timed(`${HEADER}const big = {${values}}\ndefault deny\n`);
    expect(result.diagnostics).toEqual([]);
    expect(ms).toBeLessThan(3000);
  });
});

describe("nesting", () => {
  it("accepts brackets nested to the limit", () => {
    const depth = PARSE_LIMITS.maxNesting;
    const { result } = timed(`${HEADER}const x = ${"(".repeat(depth)}1${")".repeat(depth)}\ndefault deny`);
    expect(result.diagnostics).toEqual([]);
  });

  it.each([
    ["parentheses", "(", ")"],
    ["sets", "{", "}"],
    ["lists", "[", "]"],
    ["calls", "f(", ")"],
  ])("refuses %s nested past the limit, even 10,000 deep", (_, open, close) => {
    for (const depth of [PARSE_LIMITS.maxNesting + 1, 10_000]) {
      const { result } = timed(`${HEADER}const x = ${open.repeat(depth)}1${close.repeat(depth)}`);
      expect(codes(result.diagnostics)).toEqual(["AARM1031"]);
    }
  });

  it("refuses set types nested past the limit", () => {
    const depth = PARSE_LIMITS.maxNesting + 1;
    const { result } = timed(`${HEADER}fact f: ${"set<".repeat(depth)}string${">".repeat(depth)}`);
    expect(codes(result.diagnostics)).toEqual(["AARM1031"]);
  });

  it("bounds expression depth without brackets: 100,000 `not`s, `-`s and `or`s", () => {
    const inputs = [
      "not ".repeat(100_000) + "true",
      "-".repeat(100_000) + "1",
      Array(20_000).fill("a").join(" or "),
    ];
    for (const body of inputs) {
      const { result, ms } = timed(`${HEADER}const x = ${body}\ndefault deny`);
      expect(codes(result.diagnostics)).toEqual(["AARM1031"]);
      expect(ms).toBeLessThan(3000);
    }
  });

  it("keeps long but reasonable chains", () => {
    const body = Array.from({ length: 200 }, (_, i) => `tool == "t${i}"`).join(" or ");
    const { result } = timed(`${HEADER}deny many when ${body}\ndefault deny`);
    expect(result.diagnostics).toEqual([]);
  });

  it("parses unclosed brackets at the limit in less than half of the stack", () => {
    const depth = PARSE_LIMITS.maxNesting;
    stackFrames();
    const half = Math.floor(stackFrames() / 2);
    for (const open of ["f(", "(", "{", "["]) {
      const text = `${HEADER}const x = ${open.repeat(depth)}1\ndefault deny`;
      const result = onDeepStack(half, () => parseSource(text, "hostile.aarm"));
      expect(codes(result.diagnostics)).toEqual(["AARM1001"]);
    }
  });
});

describe("error floods", () => {
  it("stops after too many syntax errors", () => {
    const { result, ms } = timed(HEADER + "deny r when )\n".repeat(10_000));
    expect(result.diagnostics.at(-1)?.code).toBe("AARM1004");
    expect(result.diagnostics.length).toBeLessThanOrEqual(PARSE_LIMITS.maxDiagnostics + 1);
    expect(ms).toBeLessThan(2000);
  });

  it("caps lexical errors too", () => {
    const { result } = timed(HEADER + 'const s = "open\n'.repeat(5_000));
    expect(result.diagnostics).toHaveLength(PARSE_LIMITS.maxDiagnostics + 1);
    expect(result.diagnostics.at(-1)).toMatchObject({
      code: "AARM1004",
      message: expect.stringMatching(/more not shown/),
    });
  });

  it("lexes a megabyte of garbage in linear time", () => {
    const { result, ms } = timed(HEADER + "@#$%^&`~\u0000\u00e9".repeat(90_000));
    expect(codes(result.diagnostics)).toContain("AARM1010");
    expect(ms).toBeLessThan(2000);
  });

  it("lexes long lines of unterminated strings, regexes and comments in linear time", () => {
    for (const line of ['"\\', "/[/", "/*", "'", "0x", "1.5e"]) {
      const { result, ms } = timed(`${HEADER}const x = ${line.repeat(50_000)}`);
      expect(result.file).toBeNull();
      expect(ms).toBeLessThan(2000);
    }
  });

  it("parses a megabyte of alternating valid and broken rules in linear time", () => {
    const chunk = 'deny ok when tool == "x"\ndeny bad when (\n';
    const { result, ms } = timed(HEADER + chunk.repeat(20_000));
    expect(result.file).toBeNull();
    expect(ms).toBeLessThan(3000);
  });
});
