/**
 * `validateIr`: every IR the compiler produces — from every policy in the
 * repository and from generated ones — validates; tampered documents are
 * rejected, each problem located by its JSON pointer.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileChecked, irSchema, validateIr } from "../../src/compiler.ts";
import type { Ir, IrExpr } from "../../src/ir/types.ts";
import { arbitraryPolicy, checkGenerated } from "../support/arbitrary-policy.ts";
import { propertyParams } from "../support/property.ts";
import { corpus } from "./corpus.ts";
import { compiled, edit, RICH_POLICY, rehashed } from "./fixtures.ts";

function problems(value: unknown): string {
  const result = validateIr(value);
  return result.ok ? "valid" : result.errors.map((e) => `${e.path}: ${e.message}`).join("\n");
}

function paths(value: unknown): string[] {
  const result = validateIr(value);
  return result.ok ? [] : result.errors.map((e) => e.path);
}

describe("the IR schema", () => {
  it("is a valid JSON Schema 2020-12 document", () => {
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validateSchema(irSchema)).toBe(true);
    expect(irSchema.$id).toBe("https://aarm.dev/schema/v1/ir.schema.json");
  });
});

describe("IRs the compiler produces validate", () => {
  const policies = corpus();

  it("finds the spec cases, the docs' policies and the examples", () => {
    expect(policies.length).toBeGreaterThan(100);
    expect(policies.some((p) => p.name === "examples/finance-assistant/policy.aarm")).toBe(true);
    expect(policies.some((p) => p.name.startsWith("docs/language.md"))).toBe(true);
    expect(policies.some((p) => p.name.startsWith("docs/diagnostics/"))).toBe(true);
  });

  it("every policy in the repository", () => {
    const failures: string[] = [];
    for (const { name, policy, diagnostics } of policies) {
      const { ir } = compileChecked(policy, diagnostics);
      if (ir === null) failures.push(`${name}: does not compile`);
      else if (!validateIr(ir).ok) failures.push(`${name}:\n${problems(ir)}`);
      else if (!validateIr(JSON.parse(JSON.stringify(ir))).ok) failures.push(`${name}: not after JSON`);
    }
    expect(failures).toEqual([]);
  });

  it("the policy that uses every part of the IR", () => {
    const ir = compiled(RICH_POLICY);
    expect(problems(ir)).toBe("valid");
    const result = validateIr(ir);
    expect(result.ok && result.ir).toBe(ir);
  });

  it("every generated policy", () => {
    fc.assert(
      fc.property(arbitraryPolicy(), (generated) => {
        const checked = checkGenerated(generated);
        if (checked.policy === null) throw new Error(`does not check:\n${generated.source}`);
        const { ir } = compileChecked(checked.policy);
        if (ir === null) throw new Error(`does not compile:\n${generated.source}`);
        const found = problems(ir);
        if (found !== "valid") throw new Error(`${found}\n--- policy\n${generated.source}`);
      }),
      { ...propertyParams(300), endOnFailure: true },
    );
  });
});

describe("tampered IRs are rejected with the path", () => {
  const ir = compiled(RICH_POLICY);
  const mail = ir.tools["mail.send"];
  if (mail === undefined) throw new Error("no mail.send");
  const find = (test: (node: IrExpr) => boolean): number => {
    const index = ir.exprs.findIndex(test);
    if (index < 0) throw new Error("no such node");
    return index;
  };
  const and = find((n) => n.op === "and");
  const feature = find((n) => n.op === "feature");
  const matches = find((n) => n.op === "matches");
  const has = find((n) => n.op === "has");
  const fact = find((n) => n.op === "fact" && n.name === "region");
  const call = find((n) => n.op === "call" && n.fn === "lower");
  const set = find((n) => n.op === "const" && typeof n.value === "string");
  const predicate = find((n) => n.op === "in" && ir.exprs[n.set]?.op === "entry");
  const entry = find((n) => n.op === "entry" && n.field === "labels");
  const stepUp = ir.rules.findIndex((r) => r.kind === "step_up");
  const redact = ir.rules.findIndex((r) =>
    r.modifications.some((m) => m.op === "redact" && m.regex !== null),
  );
  const classInst = ir.regexes[0]?.insts.findIndex((i) => i.op === "char-class") ?? -1;
  const jumpInst = ir.regexes[0]?.insts.findIndex((i) => i.op !== "match") ?? -1;

  const cases: readonly [string, Record<string, unknown>, readonly string[]][] = [
    [
      "a condition index past the expressions",
      rehashed(edit(ir, "/tools/mail.send/candidates/0/cond", ir.exprs.length)),
      ["/tools/mail.send/candidates/0/cond"],
    ],
    [
      "a candidate's rule past the rules",
      rehashed(edit(ir, "/tools/mail.send/candidates/0/rule", ir.rules.length)),
      ["/tools/mail.send/candidates/0/rule"],
    ],
    [
      "a classifier index past the classifiers",
      rehashed(edit(ir, "/tools/files.read/classifiers/0/rule", ir.classifiers.length)),
      ["/tools/files.read/classifiers/0/rule"],
    ],
    [
      "an undeclared-tool classifier past the classifiers",
      rehashed(edit(ir, "/undeclaredToolClassifiers/0/rule", 7)),
      ["/undeclaredToolClassifiers/0/rule"],
    ],
    [
      "a child that does not precede its parent",
      rehashed(edit(ir, `/exprs/${and}/args/0`, and)),
      [`/exprs/${and}`],
    ],
    [
      "a feature index past the features",
      rehashed(edit(ir, `/exprs/${feature}/feature`, ir.features.length)),
      [`/exprs/${feature}/feature`],
    ],
    [
      "a regex index past the regexes",
      rehashed(edit(ir, `/exprs/${matches}/regex`, ir.regexes.length)),
      [`/exprs/${matches}/regex`],
    ],
    [
      "a predicate past the expressions",
      rehashed(edit(ir, "/features/0/where", ir.exprs.length + 5)),
      ["/features/0/where"],
    ],
    [
      "a regex jump past the program",
      rehashed(edit(ir, `/regexes/0/insts/${jumpInst}/next`, 10_000)),
      [`/regexes/0/insts/${jumpInst}/next`],
    ],
    ["a regex start past the program", rehashed(edit(ir, "/regexes/0/start", 10_000)), ["/regexes/0/start"]],
    [
      "unsorted character ranges",
      rehashed(edit(ir, `/regexes/0/insts/${classInst}/ranges`, [100, 120, 50, 60])),
      [`/regexes/0/insts/${classInst}/ranges`],
    ],
    [
      "an odd number of range bounds",
      rehashed(edit(ir, `/regexes/0/insts/${classInst}/ranges`, [100])),
      [`/regexes/0/insts/${classInst}/ranges`],
    ],
    [
      "candidates out of order",
      rehashed(edit(ir, "/tools/mail.send/candidates", [...mail.candidates].reverse())),
      mail.candidates.slice(1).map((_, i) => `/tools/mail.send/candidates/${i + 1}`),
    ],
    [
      "a rule listed twice for a tool",
      rehashed(edit(ir, "/tools/mail.send/candidates/1", mail.candidates[0])),
      ["/tools/mail.send/candidates/1"],
    ],
    ["a wrong hash", edit(ir, "/hash", `sha256:${"0".repeat(64)}`), ["/hash"]],
    ["a change without a new hash", edit(ir, "/rules/0/reason", "anything goes"), ["/hash"]],
    ["a malformed hash", edit(ir, "/hash", "sha256:XYZ"), ["/hash"]],
    ["an unknown node kind", rehashed(edit(ir, `/exprs/${and}/op`, "eval")), [`/exprs/${and}/op`]],
    ["an extra property at the root", rehashed(edit(ir, "/extra", 1)), ["/extra"]],
    ["an extra property in a node", rehashed(edit(ir, `/exprs/${and}/note`, "x")), [`/exprs/${and}/note`]],
    ["an extra property in a rule", rehashed(edit(ir, "/rules/0/weight", 1)), ["/rules/0/weight"]],
    [
      "an extra property in a regex instruction",
      rehashed(edit(ir, "/regexes/0/insts/0/x", 1)),
      ["/regexes/0/insts/0/x"],
    ],
    ["a missing property", rehashed(edit(ir, "/cost", undefined)), ["/cost"]],
    ["another IR version", rehashed(edit(ir, "/irVersion", 2)), ["/irVersion"]],
    [
      "a negative index",
      rehashed(edit(ir, "/tools/mail.send/candidates/0/cond", -1)),
      ["/tools/mail.send/candidates/0/cond"],
    ],
    ["a fractional index", rehashed(edit(ir, `/exprs/${has}/of`, 0.5)), [`/exprs/${has}/of`]],
    ["a cost that is not the measured one", rehashed(edit(ir, "/cost", ir.cost - 1)), ["/cost"]],
    [
      "a constant set out of canonical order",
      rehashed(edit(ir, `/exprs/${set}/value`, ["b", "a"])),
      [`/exprs/${set}/value`],
    ],
    [
      "a constant set with a duplicate",
      rehashed(edit(ir, `/exprs/${set}/value`, [1, 1])),
      [`/exprs/${set}/value`],
    ],
    [
      "a function with the wrong number of arguments",
      rehashed(edit(ir, `/exprs/${call}/args`, [0, 0])),
      [`/exprs/${call}/args`],
    ],
    ["presence of a non-input", rehashed(edit(ir, `/exprs/${has}/of`, 0)), [`/exprs/${has}/of`]],
    ["a fact that is not declared", rehashed(edit(ir, "/facts/region", undefined)), [`/exprs/${fact}/name`]],
    [
      "a step_up rule without approval",
      rehashed(edit(ir, `/rules/${stepUp}/approval`, null)),
      [`/rules/${stepUp}/approval`],
    ],
    [
      "a redaction with a regex but no pattern",
      rehashed(edit(ir, `/rules/${redact}/modifications/1/pattern`, null)),
      [`/rules/${redact}/modifications/1/pattern`],
    ],
    [
      "modifications on a rule that is not modify",
      rehashed(edit(ir, "/rules/0/modifications/-", { op: "remove", path: ["x"] })),
      ["/rules/0/modifications"],
    ],
    [
      "a prior action's field read by a rule",
      rehashed(edit(ir, "/tools/mail.send/candidates/0/cond", predicate)),
      [`/exprs/${entry}`],
    ],
    [
      "a tool name with a slash, escaped in the path",
      rehashed(edit(ir, "/tools/a~1b", { ...mail, candidates: [{ rule: 0, cond: 10_000 }] })),
      ["/tools/a~1b/candidates/0/cond"],
    ],
  ];

  for (const [name, document, expected] of cases) {
    it(name, () => {
      expect(paths(document)).toEqual(expected);
    });
  }

  it("a value that is not an object", () => {
    for (const value of [null, "ir", 42, [], undefined]) expect(paths(value)).toEqual([""]);
  });

  it("explains what is wrong in words", () => {
    const result = validateIr(rehashed(edit(ir, "/tools/mail.send/candidates/0/cond", ir.exprs.length)));
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          path: "/tools/mail.send/candidates/0/cond",
          message: `refers to expression ${ir.exprs.length}, but there are ${ir.exprs.length}`,
        },
      ],
    });
  });

  it("reports at most 100 problems", () => {
    const exprs = Array.from({ length: 500 }, (_, i): IrExpr => ({ op: "not", arg: i }));
    const result = validateIr(rehashed({ ...ir, exprs } satisfies Ir));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.length).toBe(100);
  });
});
