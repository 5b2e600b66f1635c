/**
 * Argument conformance: whether a call's arguments fit its tool's declaration
 * in the compiled policy, checked before the policy sees them.
 *
 * The evaluator assumes conforming input (a policy that passed the checker
 * never meets a type error at run time only because the runtime refuses
 * ill-typed actions first), so an action whose arguments miss a required
 * argument, carry one the tool does not declare, have the wrong type or are
 * too large is denied here, with every problem named. Durations arrive as
 * milliseconds; `null` is not a value of any declared type; a `json` argument
 * may hold any JSON value.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import type { IrTool, IrType } from "../../ir/types.ts";
import { canonicalize, isPlainObject } from "../../schema/canonical.ts";

/** Bounds on the arguments of one call. */
export interface ArgumentLimits {
  /** Longest canonical JSON of all arguments together, in UTF-16 code units; default 256 KiB. */
  readonly maxChars?: number;
  /** Deepest nesting of arrays and objects; default 32. */
  readonly maxDepth?: number;
  /** Most top-level arguments; default 256. */
  readonly maxArguments?: number;
}

export const DEFAULT_ARGUMENT_LIMITS: Required<ArgumentLimits> = {
  maxChars: 256 * 1024,
  maxDepth: 32,
  maxArguments: 256,
};

/** Why `value` is not a value of `type`, or null when it is. */
export function valueProblem(value: unknown, type: IrType): string | null {
  switch (type) {
    case "string":
      return typeof value === "string" ? null : "expected a string";
    case "number":
    case "duration":
      return typeof value === "number" && Number.isFinite(value) ? null : "expected a finite number";
    case "bool":
      return typeof value === "boolean" ? null : "expected a boolean";
    case "json":
      return value === null ? "expected a JSON value other than null" : null;
    case "set":
      return Array.isArray(value) && value.length === 0 ? null : "expected an empty array";
    case "set<string>":
      return Array.isArray(value) && value.every((item) => typeof item === "string")
        ? null
        : "expected an array of strings";
    case "set<number>":
      return Array.isArray(value) && value.every((item) => typeof item === "number" && Number.isFinite(item))
        ? null
        : "expected an array of finite numbers";
  }
}

/**
 * The arguments as JSON when they are a plain object within `limits`, or the
 * problem. Run before anything else reads them: it refuses values JSON cannot
 * carry (functions, cycles, non-finite numbers, lone surrogates) and bounds
 * the work every later step does.
 */
export function readArguments(
  args: unknown,
  limits: ArgumentLimits = {},
):
  | { readonly ok: true; readonly value: { readonly [name: string]: Json } }
  | { readonly ok: false; readonly problem: string } {
  const bounds = { ...DEFAULT_ARGUMENT_LIMITS, ...limits };
  if (!isPlainObject(args)) return { ok: false, problem: "arguments are not a JSON object" };
  const count = Object.keys(args).length;
  if (count > bounds.maxArguments) {
    return { ok: false, problem: `${count} arguments, more than the limit of ${bounds.maxArguments}` };
  }
  const text = canonicalize(args, { maxDepth: bounds.maxDepth, maxChars: bounds.maxChars });
  if (!text.ok) return { ok: false, problem: `arguments are not acceptable JSON: ${text.error.message}` };
  // A fresh parse shares nothing with the caller's object, which it may go on to change.
  return { ok: true, value: JSON.parse(text.value) as { readonly [name: string]: Json } };
}

/**
 * Every way `args` fails to conform to `tool`'s declaration (`name`):
 * required arguments missing, undeclared ones present, values of the wrong
 * type. Empty when they conform.
 */
export function argumentProblems(
  name: string,
  tool: IrTool,
  args: { readonly [name: string]: Json },
): string[] {
  const problems: string[] = [];
  for (const [arg, declared] of Object.entries(tool.args)) {
    if (!Object.hasOwn(args, arg)) {
      if (!declared.optional) problems.push(`args.${arg}: required argument missing`);
      continue;
    }
    const problem = valueProblem(args[arg], declared.type);
    if (problem !== null) problems.push(`args.${arg}: ${problem}`);
  }
  for (const arg of Object.keys(args)) {
    if (!Object.hasOwn(tool.args, arg)) problems.push(`args.${arg}: ${name} declares no such argument`);
  }
  return problems;
}
