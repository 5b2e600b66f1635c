/**
 * AARM5003: rules that lowering proves never decide anything — a candidate
 * for no tool, or behind a stronger rule that always matches wherever it could
 * — are reported once (not where the checker already warned), and such a rule
 * never decides a generated action.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { compileChecked, compileText, type Diagnostic } from "../../src/compiler.ts";
import { evaluate } from "../../src/eval/index.ts";
import { conformInput } from "../../src/semantics/index.ts";
import { arbitraryScenario, checkGenerated } from "../support/arbitrary-policy.ts";
import { propertyParams } from "../support/property.ts";

const HEAD = 'policy p version "1"\n';
const READ = "tool files.read { args { path: string } effect read }\n";
const LIST = "tool files.list { args { path: string } effect read }\n";
const SEND = "tool mail.send { args { to: string } effect egress target args.to }\n";

function reported(
  text: string,
): { code: string; line: number | undefined; message: string; notes: string[] }[] {
  const { ir, diagnostics } = compileText(text);
  expect(ir).not.toBeNull();
  return diagnostics.map((d: Diagnostic) => ({
    code: d.code,
    line: d.span?.line,
    message: d.message,
    notes: d.notes.map((n) => `${n.span?.line ?? "-"}: ${n.message}`),
  }));
}

describe("rules that never match", () => {
  it("a condition false for every tool once its effect is known", () => {
    expect(
      reported(`${HEAD}${READ}${LIST}deny writes when effect == write\nallow all\ndefault deny\n`),
    ).toEqual([
      {
        code: "AARM5003",
        line: 4,
        message:
          "rule `writes` never matches: its condition is false for every tool it applies to (`files.list`, `files.read`) once the tool's name, effect and target are known",
        notes: [],
      },
    ]);
  });

  it("an unless that holds for every tool", () => {
    const found = reported(`${HEAD}${READ}allow a on files.read unless effect == read\ndefault deny\n`);
    expect(found.map((d) => [d.code, d.line])).toEqual([["AARM5003", 3]]);
  });

  it("a param's value, which the checker does not fold", () => {
    const found = reported(
      `${HEAD}${READ}param strict: bool = false\ndeny d on files.read when strict\ndefault allow\n`,
    );
    expect(found.map((d) => [d.code, d.line])).toEqual([["AARM5003", 4]]);
  });

  it("a target test on a tool without a target", () => {
    const found = reported(`${HEAD}${READ}deny d on files.read when has(target)\ndefault allow\n`);
    expect(found.map((d) => [d.code, d.line])).toEqual([["AARM5003", 3]]);
  });

  it("no tool at all", () => {
    expect(reported(`${HEAD}allow a\ndefault deny\n`).map((d) => d.message)).toEqual([
      "rule `a` never matches: the policy declares no tool, and actions of undeclared tools are denied before any rule runs",
    ]);
  });

  it("not a rule that can match one of its tools", () => {
    expect(reported(`${HEAD}${READ}${SEND}deny d when effect == egress\nallow all\ndefault deny\n`)).toEqual(
      [],
    );
  });
});

describe("rules a stronger rule always overrides", () => {
  it("behind a deny whose condition is always true for the tool", () => {
    const text = `${HEAD}${READ}param strict: bool = true\ndeny all on files.read when strict\nstep_up check on files.read when args.path == "/x" approvers ["ops"]\ndefault allow\n`;
    expect(reported(text)).toEqual([
      {
        code: "AARM5003",
        line: 5,
        message:
          "rule `check` never decides anything: wherever it can match, a rule of a stronger kind always matches too",
        notes: ["4: `all` always matches `files.read`"],
      },
    ]);
  });

  it("behind a different stronger rule on each tool", () => {
    const text = `${HEAD}${READ}${LIST}deny r on files.read\nstep_up l on files.list approvers ["ops"]\nallow any\ndefault deny\n`;
    expect(reported(text).map((d) => [d.code, d.line, d.notes])).toEqual([
      ["AARM5003", 6, ["4: `r` always matches `files.read`", "5: `l` always matches `files.list`"]],
    ]);
  });

  it("not behind a rule of the same kind: every matching deny is reported", () => {
    expect(
      reported(
        `${HEAD}${READ}deny a on files.read\ndeny b on files.read when args.path == "/x"\ndefault allow\n`,
      ),
    ).toEqual([]);
  });

  it("not where the stronger rule is conditional", () => {
    expect(
      reported(
        `${HEAD}${READ}deny a on files.read when args.path == "/x"\nallow b on files.read\ndefault deny\n`,
      ),
    ).toEqual([]);
  });
});

describe("no duplicate of a checker warning", () => {
  it("a when that is always false (AARM4006)", () => {
    expect(
      reported(`${HEAD}${READ}deny d on files.read when 1 > 2\ndefault allow\n`).map((d) => d.code),
    ).toEqual(["AARM4006"]);
  });

  it("an unconditional forbid (AARM4007)", () => {
    const text = `${HEAD}${READ}forbid f on files.read\nallow a on files.read when args.path == "/x"\ndefault deny\n`;
    expect(reported(text).map((d) => d.code)).toEqual(["AARM4007"]);
  });

  it("a comparison with an undeclared tool (AARM4011)", () => {
    expect(
      reported(`${HEAD}${READ}allow a when tool == "files.raed"\ndefault deny\n`).map((d) => d.code),
    ).toEqual(["AARM4011"]);
  });
});

describe("soundness", () => {
  let dead = 0;

  it("a rule reported as never deciding decides no generated action", () => {
    fc.assert(
      fc.property(arbitraryScenario({ inputs: 12 }), (scenario) => {
        const checked = checkGenerated(scenario.policy);
        if (checked.policy === null) throw new Error(`does not check:\n${scenario.policy.source}`);
        const { ir, diagnostics } = compileChecked(checked.policy, checked.diagnostics);
        if (ir === null) throw new Error(`does not compile:\n${scenario.policy.source}`);
        const never = new Set(
          diagnostics
            .filter((d) => d.code === "AARM5003")
            .map((d) => /^rule `([^`]+)`/.exec(d.message)?.[1] ?? ""),
        );
        dead += never.size;
        for (const input of scenario.inputs) {
          if (!conformInput(checked.policy, input).ok) continue;
          const named = evaluate(ir, input).rules.filter((r) => never.has(r));
          if (named.length > 0)
            throw new Error(
              `${named.join(", ")} decided\n--- policy\n${scenario.policy.source}\n--- input\n${JSON.stringify(input)}`,
            );
        }
      }),
      { ...propertyParams(300), endOnFailure: true },
    );
  });

  afterAll(() => {
    expect(dead).toBeGreaterThan(20);
  });
});
