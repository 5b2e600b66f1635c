/**
 * JUnit XML for CI systems: one `testsuite` per test file, one `testcase`
 * per session step (class name: the session), a `failure` for a step whose
 * decision differs from the expected one and an `error` for a step the
 * evaluator could not decide.
 *
 * Everything written comes from users (session names, arguments, reasons),
 * so everything is escaped: the five XML special characters, line breaks in
 * attributes (which parsers would otherwise fold into spaces), and
 * characters XML 1.0 cannot carry at all, even escaped (control characters,
 * lone surrogates, U+FFFE/U+FFFF), which are written as `\u{…}` instead.
 *
 * @module
 */
import { failureLines, stepLabel, summarize } from "./report.ts";
import type { FileResult, SessionResult, StepResult } from "./runner.ts";

/** Characters XML 1.0 does not allow anywhere, including lone surrogates. */
const NOT_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function printable(text: string): string {
  return text.replace(NOT_XML, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
}

/** Escapes text content. */
export function escapeText(text: string): string {
  return printable(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Escapes an attribute value (double-quoted). */
export function escapeAttribute(text: string): string {
  return escapeText(text)
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\t/g, "&#9;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;");
}

function attrs(values: Readonly<Record<string, string | number>>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${escapeAttribute(String(value))}"`)
    .join("");
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(6);
}

function testcase(file: string, session: SessionResult, step: StepResult): string {
  const head = `    <testcase${attrs({ classname: session.name, name: stepLabel(step), file, line: step.line, time: seconds(step.durationMs) })}`;
  const body = (): string => escapeText(failureLines(file, session, step).join("\n"));
  if (step.error !== null) {
    return `${head}>\n      <error${attrs({ message: step.error, type: "evaluator" })}>${body()}</error>\n    </testcase>`;
  }
  if (step.mismatches.length > 0) {
    const message = step.mismatches[0] ?? "";
    return `${head}>\n      <failure${attrs({ message, type: "decision" })}>${body()}</failure>\n    </testcase>`;
  }
  return `${head}/>`;
}

/** The JUnit XML document of the results; a failure's body is what the human report shows for it. */
export function junitXml(results: readonly FileResult[]): string {
  const total = summarize(results);
  const time = results
    .flatMap((f) => f.sessions.flatMap((s) => s.steps))
    .reduce((t, s) => t + s.durationMs, 0);
  const errors = (steps: readonly StepResult[]): number => steps.filter((s) => s.error !== null).length;
  const failures = (steps: readonly StepResult[]): number =>
    steps.filter((s) => s.error === null && s.mismatches.length > 0).length;
  const all = results.flatMap((f) => f.sessions.flatMap((s) => s.steps));
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites${attrs({ name: "aarmc test", tests: total.steps, failures: failures(all), errors: errors(all), time: seconds(time) })}>`,
  ];
  for (const file of results) {
    const steps = file.sessions.flatMap((s) => s.steps);
    out.push(
      `  <testsuite${attrs({ name: file.file, tests: steps.length, failures: failures(steps), errors: errors(steps), skipped: 0, time: seconds(steps.reduce((t, s) => t + s.durationMs, 0)) })}>`,
      "    <properties>",
      `      <property${attrs({ name: "policy", value: file.policy })}/>`,
      `      <property${attrs({ name: "policy.name", value: `${file.name} ${file.version}` })}/>`,
      `      <property${attrs({ name: "policy.hash", value: file.hash })}/>`,
      "    </properties>",
    );
    for (const session of file.sessions) {
      for (const step of session.steps) out.push(testcase(file.file, session, step));
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>", "");
  return out.join("\n");
}
