/**
 * Checking a test file against the policy it tests: every tool it calls is
 * declared, every argument exists and has the declared type, required
 * arguments are present, facts are declared and typed, explicit labels are
 * labels, and the rules it expects exist. A mismatch here is a mistake in the
 * test (a typo, a stale name), not a failing test, so it is reported like a
 * syntax error: at its line and column, before anything runs.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import type { Ir } from "../../ir/types.ts";
import { BUILTIN_CATEGORIES, LEVELS, PROVENANCE_LABELS } from "../../lang/check/builtins.ts";
import { closest } from "../../lang/check/suggest.ts";
import type { CheckedPolicy } from "../../lang/checked.ts";
import { typeProblem } from "../../semantics/input.ts";
import type { LocatedObject, Step, TestFile, TestFileError } from "./model.ts";

function suggestion(word: string, candidates: Iterable<string>): string {
  const guess = closest(word, candidates);
  return guess === null ? "" : `; did you mean "${guess}"?`;
}

/** Problems of `file` against the policy; empty when the file fits it. */
export function bindTestFile(file: TestFile, policy: CheckedPolicy, ir: Ir): TestFileError[] {
  const errors: TestFileError[] = [];
  const fail = (loc: { line: number; column: number }, message: string): void => {
    errors.push({ file: file.file, loc, message });
  };
  const ruleIds = new Set([...ir.rules.map((r) => r.id), "default"]);
  const labels = new Set<string>([
    ...LEVELS,
    ...BUILTIN_CATEGORIES,
    ...PROVENANCE_LABELS,
    ...policy.categories,
  ]);

  const checkFacts = (facts: LocatedObject | null): void => {
    if (facts === null) return;
    for (const [name, value] of Object.entries(facts.value)) {
      const loc = facts.keys.get(name) ?? facts.loc;
      const type = policy.facts.get(name);
      if (type === undefined) {
        fail(loc, `the policy declares no fact "${name}"${suggestion(name, policy.facts.keys())}`);
        continue;
      }
      const problem = typeProblem(value, type);
      if (problem !== null) fail(loc, `fact ${name}: ${problem}`);
    }
  };

  const checkStep = (step: Step): void => {
    const info = policy.tools.get(step.tool);
    if (info === undefined || !Object.hasOwn(ir.tools, step.tool)) {
      fail(
        step.toolLoc,
        `the policy declares no tool "${step.tool}"${suggestion(step.tool, policy.tools.keys())}`,
      );
    } else {
      for (const [name, value] of Object.entries(step.args.value)) {
        const loc = step.args.keys.get(name) ?? step.args.loc;
        const arg = info.args.get(name);
        if (arg === undefined) {
          fail(loc, `${step.tool} declares no argument "${name}"${suggestion(name, info.args.keys())}`);
          continue;
        }
        const problem = typeProblem(value as Json, arg.type);
        if (problem !== null) fail(loc, `args.${name}: ${problem}`);
      }
      for (const [name, arg] of info.args) {
        if (!arg.optional && !Object.hasOwn(step.args.value, name))
          fail(step.args.loc, `${step.tool} needs argument "${name}"`);
      }
    }
    checkFacts(step.facts);
    if (step.output?.kind === "labels") {
      for (const label of step.output.labels) {
        if (!labels.has(label)) fail(step.output.loc, `unknown label "${label}"${suggestion(label, labels)}`);
      }
    }
    const rules = step.expect.rules;
    rules?.names.forEach((name, i) => {
      if (!ruleIds.has(name))
        fail(
          rules.locs[i] ?? step.expect.loc,
          `the policy has no rule "${name}"${suggestion(name, ruleIds)}`,
        );
    });
  };

  for (const session of file.sessions) {
    checkFacts(session.facts);
    for (const step of session.steps) checkStep(step);
  }
  return errors.sort((a, b) => a.loc.line - b.loc.line || a.loc.column - b.loc.column);
}
