/**
 * The IR and its hash are a function of the policy's meaning: byte-identical
 * across runs and processes, independent of key insertion order and of the
 * order tools and facts are declared in, and different whenever a rule is
 * changed.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type CheckedPolicy, compile, compileChecked, validateIr } from "../../src/compiler.ts";
import { memoryHost, stdlibHost } from "../../src/lang/host.ts";
import { canonicalHash } from "../../src/schema/canonical.ts";
import { conformInput, evaluate } from "../../src/semantics/index.ts";
import { arbitraryScenario, checkGenerated, type GeneratedPolicy } from "../support/arbitrary-policy.ts";
import { propertyParams } from "../support/property.ts";
import { corpus, ROOT } from "./corpus.ts";
import { compiled, RICH_POLICY } from "./fixtures.ts";
import { MUTATIONS, mutate } from "./mutate.ts";

function irText(root: string, files: Readonly<Record<string, string>>): string {
  const { ir } = compile(root, memoryHost(files, stdlibHost()));
  if (ir === null) throw new Error(`${root} does not compile`);
  return JSON.stringify(ir);
}

/** Reverses the key order of every object, recursively. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reverseKeys(v)]),
  );
}

describe("the IR is deterministic", () => {
  const policies = corpus();

  it("compiling a policy twice gives the same bytes", () => {
    for (const { root, files } of policies) expect(irText(root, files)).toBe(irText(root, files));
  });

  it("another process, with another V8 hash seed, compiles every policy to the same bytes", () => {
    const compiler = pathToFileURL(join(ROOT, "src", "compiler.ts")).href;
    const host = pathToFileURL(join(ROOT, "src", "lang", "host.ts")).href;
    const script = `
      import { readFileSync } from "node:fs";
      const { compile } = await import(${JSON.stringify(compiler)});
      const { memoryHost, stdlibHost } = await import(${JSON.stringify(host)});
      const out = JSON.parse(readFileSync(0, "utf8")).map(({ root, files }) =>
        JSON.stringify(compile(root, memoryHost(files, stdlibHost())).ir));
      process.stdout.write(JSON.stringify(out));`;
    const child = spawnSync(process.execPath, ["--hash-seed=20261122", "--input-type=module", "-e", script], {
      input: JSON.stringify(policies.map(({ root, files }) => ({ root, files }))),
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(child.status, child.stderr).toBe(0);
    const theirs = JSON.parse(child.stdout) as string[];
    expect(theirs.length).toBe(policies.length);
    policies.forEach(({ root, files }, i) => expect(theirs[i], policies[i]?.name).toBe(irText(root, files)));
  });

  it("the hash does not depend on the order of keys", () => {
    const ir = compiled(RICH_POLICY);
    const reordered = reverseKeys(ir);
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(ir));
    expect(canonicalHash({ ...(reordered as object), hash: "" })).toEqual({ ok: true, value: ir.hash });
    expect(validateIr(reordered).ok).toBe(true);
  });

  it("the IR does not depend on the order tools and facts are declared in", () => {
    const reordered = RICH_POLICY.replace(
      /(tool mail\.send \{[^}]*\}[^}]*\}\n)([^\n]*\n)([^\n]*\n)/,
      "$2$3$1",
    ).replace(
      "fact on_call: bool\nfact region: string\nfact allowed: set<string>",
      "fact allowed: set<string>\nfact region: string\nfact on_call: bool",
    );
    expect(reordered.indexOf("tool files.read")).toBeLessThan(reordered.indexOf("tool mail.send"));
    expect(reordered.indexOf("fact allowed")).toBeLessThan(reordered.indexOf("fact on_call"));
    expect(JSON.stringify(compiled(reordered))).toBe(JSON.stringify(compiled(RICH_POLICY)));
  });

  it("the hash is that of the canonical document with an empty hash", () => {
    for (const { policy } of policies.slice(0, 20)) {
      const { ir } = compileChecked(policy);
      if (ir === null) throw new Error("does not compile");
      expect(canonicalHash({ ...ir, hash: "" })).toEqual({ ok: true, value: ir.hash });
    }
  });
});

describe("the hash changes when a rule changes", () => {
  const seen = { compared: 0, meaningChanged: 0 };

  function hashOf(policy: GeneratedPolicy, source: string): { hash: string; policy: CheckedPolicy } | null {
    const checked = checkGenerated({ ...policy, source });
    if (checked.policy === null) return null;
    const { ir } = compileChecked(checked.policy);
    if (ir === null) throw new Error(`does not compile:\n${source}`);
    return { hash: ir.hash, policy: checked.policy };
  }

  it("renaming a rule, changing its reason or kind always; a constant or a comparison whenever it changes a decision", () => {
    fc.assert(
      fc.property(
        arbitraryScenario({ inputs: 24 }),
        fc.constantFrom(...MUTATIONS),
        fc.nat(1000),
        (scenario, mutation, pick) => {
          const source = mutate(scenario.policy.source, mutation, pick);
          if (source === null) return;
          const before = hashOf(scenario.policy, scenario.policy.source);
          const after = hashOf(scenario.policy, source);
          if (before === null) throw new Error(`generated policy does not check:\n${scenario.policy.source}`);
          // A mutation can make a policy invalid (a quorum above the approvers, a forbid reading context).
          if (after === null) return;
          seen.compared++;
          const report = `${mutation}: the hash did not change\n--- before\n${scenario.policy.source}\n--- after\n${source}`;
          if (mutation === "rename" || mutation === "reason" || mutation === "kind") {
            if (before.hash === after.hash) throw new Error(report);
            return;
          }
          const differs = scenario.inputs.some((input) => {
            if (!conformInput(before.policy, input).ok) return false;
            const a = evaluate(before.policy, input);
            const b = evaluate(after.policy, input);
            return !isDeepStrictEqual(a, b);
          });
          if (differs) {
            seen.meaningChanged++;
            if (before.hash === after.hash) throw new Error(report);
          }
        },
      ),
      { ...propertyParams(800), endOnFailure: true },
    );
  });

  afterAll(() => {
    // The property is not vacuous: most mutations apply, and many change what the policy decides.
    expect(seen.compared).toBeGreaterThan(400);
    expect(seen.meaningChanged).toBeGreaterThan(30);
  });
});
