/**
 * The reference interpreter: the executable definition of what a checked
 * policy means (docs/language.md). Deliberately simple; the compiled
 * evaluators are tested against it.
 *
 * @module
 */
export { type Conformance, conformInput } from "./conform.ts";
export { SemanticsTypeError } from "./errors.ts";
export { evaluate, UNKNOWN_TOOL_RULE } from "./evaluate.ts";
export { labelOutput } from "./label-output.ts";
