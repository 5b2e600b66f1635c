/**
 * The test-file loader: every YAML syntax error and schema error is reported
 * at the line and column where it is written; valid files read into the model
 * with their defaults.
 */
import { describe, expect, it } from "vitest";
import { compileText } from "../../../src/compiler.ts";
import { bindTestFile } from "../../../src/cli/testing/bind.ts";
import { DEFAULT_START, DEFAULT_STEP_MS, loadTestFile } from "../../../src/cli/testing/load.ts";
import type { TestFile } from "../../../src/cli/testing/model.ts";

/** The errors of `text` as `line:column: message`. */
function errorsOf(text: string): string[] {
  const result = loadTestFile(text, "t.test.yaml");
  if (result.ok) throw new Error("expected errors");
  return result.errors.map((e) => `${e.loc.line}:${e.loc.column}: ${e.message}`);
}

function load(text: string): TestFile {
  const result = loadTestFile(text, "t.test.yaml");
  if (!result.ok)
    throw new Error(result.errors.map((e) => `${e.loc.line}:${e.loc.column}: ${e.message}`).join("\n"));
  return result.file;
}

const HEAD = "policy: policy.aarm\nsessions:\n";

describe("YAML syntax errors", () => {
  it("reports an unclosed flow sequence where the parser gave up", () => {
    expect(errorsOf(`${HEAD}  - name: a\n    steps: [\n`)).toEqual([
      expect.stringMatching(/^5:1: invalid YAML: Flow sequence/),
    ]);
  });

  it("reports a duplicate key at the second occurrence", () => {
    expect(errorsOf(`policy: a.aarm\npolicy: b.aarm\nsessions: []\n`)).toEqual([
      "2:1: invalid YAML: Map keys must be unique",
    ]);
  });

  it("reports a bad escape in a double-quoted string at the string", () => {
    expect(errorsOf(`policy: "a\\q.aarm"\nsessions: []\n`)[0]).toMatch(
      /^1:11: invalid YAML: Invalid escape sequence/,
    );
  });

  it("reports tabs used as indentation", () => {
    expect(errorsOf(`${HEAD}\t- name: a\n`)[0]).toMatch(/^3:1: invalid YAML: Tabs are not allowed/);
  });

  it("rejects several documents in one file", () => {
    expect(errorsOf(`policy: a.aarm\n---\npolicy: b.aarm\n`)[0]).toMatch(
      /^2:1: invalid YAML: Source contains multiple/,
    );
  });

  it("rejects unknown tags and non-JSON values", () => {
    expect(errorsOf(`policy: !custom a.aarm\nsessions: []\n`)[0]).toMatch(
      /^1:9: invalid YAML: Unresolved tag/,
    );
    expect(errorsOf(`${HEAD}  - name: a\n    scores: { alignment: .inf }\n    steps: []\n`)).toEqual([
      "4:26: invalid YAML: infinite and NaN numbers are not JSON values",
    ]);
  });
});

describe("schema errors", () => {
  it("reports an empty file at its start", () => {
    expect(errorsOf("")).toEqual(["1:1: the test file is empty; it needs policy and sessions"]);
    expect(errorsOf("# only a comment\n")).toEqual([
      "1:1: the test file is empty; it needs policy and sessions",
    ]);
  });

  it("reports a top level that is not a mapping", () => {
    expect(errorsOf("- a\n- b\n")).toEqual(["1:1: the test file must be a mapping"]);
  });

  it("reports missing keys at the mapping that lacks them", () => {
    expect(errorsOf("policy: p.aarm\n")).toEqual(['1:1: the test file is missing "sessions"']);
    expect(errorsOf(`${HEAD}  - steps:\n      - tool: a.b\n`)).toEqual([
      '3:5: session 1 is missing "name"',
      '4:9: step 1 is missing "expect"',
    ]);
  });

  it("reports an unknown key at the key, with a suggestion", () => {
    const text = `${HEAD}  - name: s\n    steps:\n      - tool: a.b\n        expct: ALLOW\n`;
    expect(errorsOf(text)).toEqual([
      '5:9: step 1 is missing "expect"',
      '6:9: unknown key "expct" in step 1; did you mean "expect"?',
    ]);
  });

  it("lists the allowed keys when nothing is close", () => {
    expect(errorsOf(`${HEAD}  - name: s\n    zzzzzz: 1\n    steps: []\n`)[0]).toBe(
      '4:5: unknown key "zzzzzz" in session 1; expected one of: name, description, identity, intent, scores, facts, start, steps',
    );
  });

  it("reports values of the wrong kind at the value", () => {
    const text = `${HEAD}  - name: s\n    steps:\n      - tool: [a]\n        args: [1, 2]\n        expect: { decision: MAYBE }\n`;
    expect(errorsOf(text)).toEqual([
      "5:15: tool must be a string",
      "6:15: args must be a mapping",
      '7:29: expect.decision must be one of ALLOW, DENY, MODIFY, STEP_UP, DEFER, not "MAYBE"',
    ]);
  });

  it("reports empty lists of sessions and steps", () => {
    expect(errorsOf("policy: p.aarm\nsessions: []\n")).toEqual(["2:11: sessions must not be empty"]);
    expect(errorsOf(`${HEAD}  - name: s\n    steps: []\n`)).toEqual(["4:12: steps must not be empty"]);
  });

  it("reports scores outside [0, 1] and malformed durations and times", () => {
    const text =
      `${HEAD}  - name: s\n    start: yesterday\n    scores: { drift: 1.5 }\n` +
      "    steps:\n      - { tool: a.b, at: 15min, expect: ALLOW }\n";
    expect(errorsOf(text)).toEqual([
      "4:12: start must be an ISO-8601 date and time with its offset, such as 2026-11-22T09:00:00Z",
      "5:22: scores.drift must be between 0 and 1",
      "7:26: at must be a duration such as 90s, 15m or 2h (or milliseconds)",
    ]);
  });

  it("rejects a start time without an offset, which would depend on the machine's time zone", () => {
    const text = `${HEAD}  - name: s\n    start: 2026-11-22T09:00:00\n    steps: [{ tool: a.b, expect: ALLOW }]\n`;
    expect(errorsOf(text)).toEqual([
      "4:12: start must be an ISO-8601 date and time with its offset, such as 2026-11-22T09:00:00Z",
    ]);
    const offset = load(text.replace("09:00:00", "09:00:00+01:00"));
    expect(offset.sessions[0]?.start).toBe(Date.parse("2026-11-22T08:00:00Z"));
  });

  it("rejects a step earlier than the one before it", () => {
    const text =
      `${HEAD}  - name: s\n    steps:\n` +
      "      - { tool: a.b, at: 10m, expect: ALLOW }\n      - { tool: a.b, at: 5m, expect: ALLOW }\n";
    expect(errorsOf(text)).toEqual(["6:26: at must not be earlier than the previous step"]);
  });

  it("rejects approve and resolve on steps that cannot take them", () => {
    const text =
      `${HEAD}  - name: s\n    steps:\n` +
      "      - { tool: a.b, approve: true, expect: ALLOW }\n      - { tool: a.b, resolve: allow, expect: STEP_UP }\n";
    expect(errorsOf(text)).toEqual([
      "5:22: approve applies to a step expected to be STEP_UP, not ALLOW",
      "6:22: resolve applies to a step expected to be DEFER, not STEP_UP",
    ]);
  });

  it("rejects expectations that the expected decision cannot have", () => {
    const text =
      `${HEAD}  - name: s\n    steps:\n      - tool: a.b\n        expect:\n          decision: DENY\n` +
      "          args: { a: 1 }\n          deferral: { timeout: 5m }\n";
    expect(errorsOf(text)).toEqual([
      "8:11: expect.args applies to a step expected to be MODIFY, not DENY",
      "9:11: expect.deferral applies to a step expected to be DEFER, not DENY",
    ]);
  });

  it("rejects an output with both text and labels, and a reason with both forms", () => {
    const text =
      `${HEAD}  - name: s\n    steps:\n      - tool: a.b\n        output: { text: hi, labels: [pii] }\n` +
      "        expect: { decision: DENY, reason: { exact: a, contains: b } }\n";
    expect(errorsOf(text)).toEqual([
      "6:17: output takes either text (labelled by the policy's classifiers) or labels, not both",
      "7:43: expect.reason takes exactly one of exact or contains",
    ]);
  });

  it("rejects two sessions with the same name", () => {
    const text = `${HEAD}  - { name: s, steps: [{ tool: a.b, expect: ALLOW }] }\n  - { name: s, steps: [{ tool: a.b, expect: ALLOW }] }\n`;
    expect(errorsOf(text)).toEqual(['4:5: session "s" is already defined at line 3']);
  });

  it("reports every error of a file, in order", () => {
    const text = `policy: 3\nsessions:\n  - name: ""\n    steps: nope\n  - 7\n`;
    expect(errorsOf(text)).toEqual([
      "1:9: policy must be a string",
      "3:11: session name must not be empty",
      "4:12: steps must be a list",
      "5:5: session 2 must be a mapping",
    ]);
  });
});

describe("valid files", () => {
  it("reads sessions, steps and expectations with their defaults", () => {
    const file = load(
      `${HEAD}  - name: s\n    intent: pay ACME\n    steps:\n` +
        "      - { tool: a.b, expect: allow }\n" +
        "      - tool: a.b\n        args: { x: 1 }\n        at: 90s\n        approve: true\n" +
        "        expect:\n          decision: STEP_UP\n          rules: one\n          reason: large\n" +
        "          approval: { approvers: [finance], timeout: 15m, escalation: null }\n" +
        "      - { tool: a.b, expect: { decision: MODIFY, modifications: [{ path: limit }] } }\n",
    );
    const [session] = file.sessions;
    expect(session?.start).toBe(DEFAULT_START);
    expect(session?.intent).toEqual({ text: "pay ACME" });
    expect(session?.identity).toEqual({ roles: [], scope: [], delegation: [] });
    const steps = session?.steps ?? [];
    expect(steps.map((s) => s.offsetMs)).toEqual([0, 90_000, 90_000 + DEFAULT_STEP_MS]);
    expect(steps[0]?.expect.decision).toBe("ALLOW");
    expect(steps[1]).toMatchObject({ approve: true, args: { value: { x: 1 } } });
    expect(steps[1]?.expect).toMatchObject({
      decision: "STEP_UP",
      rules: { names: ["one"] },
      reason: { text: "large", exact: false },
      approval: { approvers: ["finance"], timeoutMs: 900_000, escalation: null },
    });
    expect(steps[2]?.expect.modifications).toEqual([{ path: "args.limit" }]);
  });

  it("resolves anchors, aliases and merge keys", () => {
    const file = load(
      `${HEAD}  - name: a\n    identity: &who { human: alice, roles: [ops] }\n    steps: [{ tool: a.b, expect: ALLOW }]\n` +
        "  - name: b\n    identity: { <<: *who, agent: bot }\n    steps: [{ tool: a.b, expect: ALLOW }]\n",
    );
    expect(file.sessions[1]?.identity).toEqual({
      human: "alice",
      agent: "bot",
      roles: ["ops"],
      scope: [],
      delegation: [],
    });
  });

  it("reads an intent with scope, no intent, explicit labels and a start time", () => {
    const file = load(
      `${HEAD}  - name: a\n    intent: { text: t, scope: [mail] }\n    start: 2026-11-22T09:00:00Z\n` +
        "    steps: [{ tool: a.b, output: { labels: [pii] }, resolve: deny, expect: DEFER }]\n" +
        "  - name: b\n    intent: null\n    steps: [{ tool: a.b, expect: ALLOW }]\n",
    );
    expect(file.sessions[0]?.intent).toEqual({ text: "t", scope: ["mail"] });
    expect(file.sessions[0]?.start).toBe(Date.parse("2026-11-22T09:00:00Z"));
    expect(file.sessions[0]?.steps[0]).toMatchObject({
      output: { kind: "labels", labels: ["pii"] },
      resolve: "deny",
    });
    expect(file.sessions[1]?.intent).toBeNull();
  });
});

describe("checking a test file against its policy", () => {
  const POLICY = `policy p version "1"

tool mail.send {
  args { to: string, body: string, cc?: set<string> }
  effect egress
  target args.to
}

fact business_hours: bool
category customer

deny external on mail.send when domain(args.to) != "example.com"
allow mail on mail.send

default deny
`;
  const compiled = compileText(POLICY);

  function bindErrors(text: string): string[] {
    if (compiled.ir === null || compiled.policy === null) throw new Error("policy does not compile");
    return bindTestFile(load(text), compiled.policy, compiled.ir).map(
      (e) => `${e.loc.line}:${e.loc.column}: ${e.message}`,
    );
  }

  it("accepts a file that fits the policy", () => {
    const text =
      `${HEAD}  - name: s\n    facts: { business_hours: true }\n    steps:\n` +
      "      - tool: mail.send\n        args: { to: a@example.com, body: hi, cc: [b@example.com] }\n" +
      "        output: { labels: [customer, untrusted, internal] }\n        expect: { decision: ALLOW, rules: [mail] }\n";
    expect(bindErrors(text)).toEqual([]);
  });

  it("reports tools, arguments, facts, labels and rules the policy does not have", () => {
    const text =
      `${HEAD}  - name: s\n    facts: { business_hour: true }\n    steps:\n` +
      "      - tool: mail.sned\n        expect: ALLOW\n" +
      "      - tool: mail.send\n        args: { to: 3, bdy: hi }\n" +
      "        facts: { business_hours: yes }\n        output: { labels: [piii] }\n" +
      "        expect: { decision: DENY, rules: [externl, default] }\n";
    expect(bindErrors(text)).toEqual([
      '4:14: the policy declares no fact "business_hour"; did you mean "business_hours"?',
      '6:15: the policy declares no tool "mail.sned"; did you mean "mail.send"?',
      '9:15: mail.send needs argument "body"',
      "9:17: args.to: expected a string",
      '9:24: mail.send declares no argument "bdy"; did you mean "body"?',
      "10:18: fact business_hours: expected a boolean",
      '11:27: unknown label "piii"; did you mean "pii"?',
      '12:43: the policy has no rule "externl"; did you mean "external"?',
    ]);
  });
});
