/**
 * The checker's entry points: valid policies check cleanly and produce a
 * complete `CheckedPolicy`; errors withhold the policy, warnings do not; a
 * check that throws is reported, not propagated.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConstEvaluator } from "../../src/lang/check/consts.ts";
import { type Ctx, Sink } from "../../src/lang/check/context.ts";
import { declare } from "../../src/lang/check/declare.ts";
import { load } from "../../src/lang/check/loader.ts";
import { checkUnit } from "../../src/lang/check/registry.ts";
import { checkPolicy, checkText, TEXT_ROOT } from "../../src/lang/check.ts";
import { memoryHost } from "../../src/lang/host.ts";

const LANGUAGE = readFileSync(new URL("../../docs/language.md", import.meta.url), "utf8");
const EXAMPLE = readFileSync(
  new URL("../../examples/finance-assistant/policy.aarm", import.meta.url),
  "utf8",
);

/** The `aarm` blocks of the language reference that are whole policies. */
const DOC_POLICIES = [...LANGUAGE.matchAll(/```aarm\n([\s\S]*?)```/g)]
  .map((m) => m[1] ?? "")
  .filter((block) => block.startsWith("policy"));

describe("valid policies", () => {
  it("finds the language reference's policies", () => {
    expect(DOC_POLICIES.length).toBeGreaterThanOrEqual(2);
  });

  DOC_POLICIES.forEach((block, i) => {
    it(`checks policy block ${i + 1} of docs/language.md without errors`, () => {
      const result = checkText(block);
      expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(result.policy).not.toBeNull();
    });
  });

  it("checks the finance-assistant example without any diagnostic", () => {
    expect(checkText(EXAMPLE).diagnostics).toEqual([]);
  });
});

describe("the checked policy", () => {
  const result = checkText(EXAMPLE);
  const policy = result.policy;
  if (policy === null) throw new Error("the example does not check");

  it("has the header, posture, tools, rules and files of the source", () => {
    expect([policy.name, policy.version, policy.defaultPosture]).toEqual([
      "finance_assistant",
      "2026.11.1",
      "deny",
    ]);
    expect([...policy.tools.keys()]).toEqual([
      "invoices.read",
      "crm.lookup",
      "ledger.query",
      "bank.send_money",
      "email.send",
    ]);
    expect(policy.tools.get("bank.send_money")?.args.get("memo")).toEqual({
      name: "memo",
      type: { kind: "string" },
      optional: true,
    });
    expect(policy.tools.get("invoices.read")?.output).toEqual(["confidential", "financial", "untrusted"]);
    expect(policy.rules.map((r) => [r.id, r.rule.ruleKind, r.on])).toContainEqual([
      "large_payment",
      "step_up",
      ["bank.send_money"],
    ]);
    expect(policy.files.map((f) => f.span.file)).toEqual([
      TEXT_ROOT,
      "std/prompt_injection.aarm",
      "std/exfiltration.aarm",
    ]);
    expect([...policy.categories]).toEqual(["pii", "phi", "secret", "credential", "financial"]);
  });

  it("keeps rules in source order, the imported modules' first, under their module's name", () => {
    expect(policy.rules.map((r) => r.id)).toEqual([
      "prompt_injection.unrequested_target",
      "prompt_injection.unverifiable_target",
      "prompt_injection.injection_detected",
      "exfiltration.sensitive_data_leaving",
      "exfiltration.confidential_data_leaving",
      "exfiltration.staged_exfiltration",
      "exfiltration.send_burst",
      "no_destructive_queries",
      "large_payment",
      "cap_ledger_rows",
      "reads",
      "payments",
      "emails",
    ]);
  });
});

describe("results", () => {
  it("withholds the policy on errors and keeps it despite warnings", () => {
    const error = checkText('policy p version "1"\nallow a when nope\ndefault deny');
    expect(error.policy).toBeNull();
    const warning = checkText('policy p version "1"\nconst unused = 1\ndefault allow');
    expect(warning.diagnostics.map((d) => d.severity)).toEqual(["warning"]);
    expect(warning.policy?.defaultPosture).toBe("allow");
  });

  it("reports lints only once a policy has no errors", () => {
    const result = checkText('policy p version "1"\nconst unused = 1\nallow a when nope\ndefault deny');
    expect(result.diagnostics.map((d) => d.code)).toEqual(["AARM3001"]);
  });

  it("sorts diagnostics by file and position", () => {
    const result = checkText('policy p version "1"\nallow a when b\nallow c when d\ndefault deny');
    expect(result.diagnostics.map((d) => d.span?.line)).toEqual([2, 3]);
  });

  it("reports a missing root without a span", () => {
    const result = checkPolicy("nope.aarm", memoryHost({}));
    expect(result.diagnostics).toMatchObject([{ code: "AARM2001", span: null }]);
  });

  it("turns a check that throws into an internal-error diagnostic at the node it inspected", () => {
    const sink = new Sink();
    const loaded = load(
      "p.aarm",
      memoryHost({ "p.aarm": 'policy p version "1"\nallow a\ndefault deny' }),
      sink,
    );
    if (loaded.root === null) throw new Error("not loaded");
    const model = declare(loaded, loaded.root, sink);
    const ctx: Ctx = {
      model,
      sink,
      consts: new ConstEvaluator(model, sink),
      resolutions: new Map(),
      types: new Map(),
      used: new Set(),
    };
    const explode = (): void => {
      throw new Error("boom");
    };
    checkUnit(model.root, { Rule: [explode] }, ctx);
    expect(sink.diagnostics).toMatchObject([
      {
        code: "AARM3999",
        severity: "error",
        span: { line: 2, column: 1 },
        message: expect.stringContaining("boom"),
      },
    ]);
  });
});
