/**
 * The JUnit writer escapes everything users can write: the report parses
 * back, with every name and message intact, whatever characters they hold.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { junitXml } from "../../../src/cli/testing/junit.ts";
import type { FileResult, StepResult } from "../../../src/cli/testing/runner.ts";
import { parseXml } from "./xml.ts";

function step(index: number, tool: string, mismatches: string[], error: string | null = null): StepResult {
  return {
    index,
    name: null,
    line: index + 10,
    tool,
    args: {},
    time: 0,
    expected: { decision: "ALLOW", loc: { line: 1, column: 1 } },
    decision: null,
    mismatches,
    error,
    labels: null,
    explanation: null,
    durationMs: 0.25,
  };
}

function result(session: string, steps: StepResult[], file = "a.test.yaml"): FileResult {
  return {
    file,
    policy: "p.aarm",
    name: "p",
    version: "1",
    hash: "sha256:00",
    sessions: [{ name: session, line: 3, steps }],
  };
}

describe("junitXml", () => {
  it("writes one testcase per step with failures and errors counted", () => {
    const xml = junitXml([
      result("s", [
        step(1, "a.b", []),
        step(2, "a.b", ["decision: expected DENY, got ALLOW"]),
        step(3, "a.b", [], "boom"),
      ]),
    ]);
    const root = parseXml(xml);
    expect(root.name).toBe("testsuites");
    expect(root.attributes).toMatchObject({ tests: "3", failures: "1", errors: "1" });
    const suite = root.children[0];
    expect(suite?.attributes).toMatchObject({ name: "a.test.yaml", tests: "3", failures: "1", errors: "1" });
    const cases = suite?.children.filter((c) => c.name === "testcase") ?? [];
    expect(cases.map((c) => c.attributes.name)).toEqual(["step 1: a.b", "step 2: a.b", "step 3: a.b"]);
    expect(cases[1]?.children[0]).toMatchObject({
      name: "failure",
      attributes: { message: "decision: expected DENY, got ALLOW" },
    });
    expect(cases[2]?.children[0]?.name).toBe("error");
  });

  it("escapes markup, quotes, line breaks and characters XML cannot carry", () => {
    const nasty = `<a href="x">&amp; 'q' ]]> \u0000\u0007 \uD800 tab\there\nline\r\n`;
    const root = parseXml(junitXml([result(nasty, [step(1, nasty, [nasty])], nasty)]));
    const suite = root.children[0];
    const testcase = suite?.children.find((c) => c.name === "testcase");
    const visible = nasty
      .replace("\u0000", "\\u{0}")
      .replace("\u0007", "\\u{7}")
      .replace("\uD800", "\\u{d800}");
    expect(suite?.attributes.name).toBe(visible);
    expect(testcase?.attributes.classname).toBe(visible);
    expect(testcase?.children[0]?.attributes.message).toBe(visible);
    expect(testcase?.children[0]?.text).toContain(visible.trimEnd());
  });

  it("parses back whatever the strings are", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (session, message) => {
        const root = parseXml(junitXml([result(session, [step(1, "t", [message])])]));
        const testcase = root.children[0]?.children.find((c) => c.name === "testcase");
        expect(testcase?.attributes.classname?.length).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it("the reader rejects documents that are not well-formed", () => {
    expect(() => parseXml("<a><b></a></b>")).toThrow();
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow();
    expect(() => parseXml("<a>1 < 2</a>")).toThrow();
    expect(() => parseXml("<a>&nbsp;</a>")).toThrow();
    expect(() => parseXml("<a/><b/>")).toThrow();
    expect(() => parseXml("<a>\u0001</a>")).toThrow();
    expect(parseXml('<a x="&lt;&#10;"/>').attributes.x).toBe("<\n");
  });
});
