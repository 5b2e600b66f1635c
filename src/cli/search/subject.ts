/**
 * A policy under comparison: its checked form (for input conformance) and its
 * compiled IR (for fast evaluation and its identity hash), and the decision
 * the runtime would make for an input.
 *
 * @module
 */
import { compileChecked } from "../../compiler.ts";
import { evaluate, UNKNOWN_TOOL_RULE } from "../../eval/index.ts";
import type { EvalDecision, EvalInput } from "../../ir/contract.ts";
import type { Ir } from "../../ir/types.ts";
import type { CheckedPolicy } from "../../lang/checked.ts";
import { conformInput } from "../../semantics/index.ts";
import { runtimeRule } from "../../runtime/engine/decision.ts";
import { CliError } from "../errors.ts";
import type { Io } from "../io.ts";
import { loadPolicy } from "../policy-loader.ts";
import type { PointCheck, TracePolicyRef } from "../../runtime/trace/index.ts";

export interface Subject {
  /** The path as the user named it. */
  readonly path: string;
  readonly checked: CheckedPolicy;
  readonly ir: Ir;
}

/**
 * The rule a decision names when the input does not conform to the policy's
 * declarations (an argument of the wrong type, a missing required argument):
 * action mediation rejects such an action before the policy decides (fail
 * closed), and the runtime names its refusal `runtime:mediation`.
 */
export const MALFORMED_RULE = runtimeRule("mediation");

/** A checked policy compiled, or why it does not compile. */
export function subjectOf(path: string, checked: CheckedPolicy): Subject | { readonly error: string } {
  const compiled = compileChecked(checked);
  if (compiled.ir === null) {
    const first = compiled.diagnostics.find((d) => d.severity === "error");
    return { error: first === undefined ? "policy does not compile" : first.message };
  }
  return { path, checked, ir: compiled.ir };
}

/** Loads, checks and compiles the policy at `path`; a policy with errors is bad input (exit 2). */
export function loadSubject(io: Io, path: string): Subject {
  const result = subjectOf(path, loadPolicy(io, path));
  if ("error" in result) throw new CliError(`${path}: policy does not compile: ${result.error}`);
  return result;
}

export function policyRef(subject: Subject): TracePolicyRef {
  return { name: subject.ir.policy.name, version: subject.ir.policy.version, hash: subject.ir.hash };
}

/** `name version (sha256:0123456789ab…)`, for humans. */
export function policyLabel(ref: TracePolicyRef): string {
  const short = ref.hash.startsWith("sha256:") ? `${ref.hash.slice(0, 19)}…` : ref.hash;
  return `${ref.name} ${ref.version} (${short})`;
}

/**
 * What the runtime decides for `input`: the policy's decision, or DENY by
 * `runtime:mediation` when the input does not conform to the policy's
 * declarations. An undeclared tool is the evaluator's business (`unknown_tool`).
 */
export function decide(subject: Subject, input: EvalInput): EvalDecision {
  const conformance = conformInput(subject.checked, input);
  if (!conformance.ok) {
    return {
      decision: "DENY",
      classification: null,
      rules: [MALFORMED_RULE],
      reasons: [`the action does not conform to the policy: ${conformance.problems.join("; ")}`],
      modifications: null,
      approval: null,
      deferral: null,
      contextNeeded: [],
      risk: null,
    };
  }
  return evaluate(subject.ir, input);
}

/**
 * Why a recorded decision point cannot be replayed under these policies, or
 * null: an action for a tool none of them declares, unless the runtime
 * recorded it as exactly that (DENY by `unknown_tool`), is most likely a
 * trace of some other policy.
 */
export function foreignTool(subjects: readonly Subject[]): PointCheck {
  return (point) => {
    const tool = point.input.action.tool;
    if (subjects.some((s) => Object.hasOwn(s.ir.tools, tool))) return null;
    if (point.recorded.rules.length === 1 && point.recorded.rules[0] === UNKNOWN_TOOL_RULE) return null;
    const names = [...new Set(subjects.map((s) => s.ir.policy.name))].join(" or ");
    return { path: ["action", "tool"], message: `policy ${names} declares no tool ${JSON.stringify(tool)}` };
  };
}
