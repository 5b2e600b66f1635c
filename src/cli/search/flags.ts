/**
 * Flags shared by `aarmc replay` and `aarmc diff`, read from the parsed
 * command line with one-line errors.
 *
 * @module
 */
import type { OptionSpec, ParsedValues } from "../command.ts";
import { CliError } from "../errors.ts";
import { COMPARE_LEVELS, type CompareLevel } from "./compare.ts";

export const COMPARE_OPTION: OptionSpec = {
  type: "string",
  value: "LEVEL",
  description: "what counts as a change (default full; see above)",
  choices: COMPARE_LEVELS,
};

/** The paragraph of a command's help that explains `--compare`. */
export const COMPARE_HELP =
  "--compare decision counts a change of the decision alone; outcome also one of what enforcement\n" +
  "does (modified arguments, approval, deferral, context needed); full also one of the deciding rules,\n" +
  "reasons, classification or risk.\n";

export function compareLevel(values: ParsedValues): CompareLevel {
  const v = values.compare;
  return typeof v === "string" ? (v as CompareLevel) : "full";
}

/** An integer flag within `limits`, or its default. */
export function integerFlag(
  command: string,
  values: ParsedValues,
  name: string,
  fallback: number,
  limits: { readonly min: number; readonly max: number },
): number {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = typeof v === "string" && /^\d{1,16}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < limits.min || n > limits.max) {
    throw new CliError(
      `${command}: --${name} must be an integer from ${limits.min} to ${limits.max}, not "${String(v)}"`,
    );
  }
  return n;
}
