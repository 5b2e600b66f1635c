// re2js, the engine of the reference interpreter, as the oracle the compiled programs must agree with.
import { RE2JS } from "re2js";
import { compileRegex } from "../../src/ir/regex/compile.ts";
import type { Program } from "../../src/ir/regex/program.ts";

/** re2js's flag bits for a flags string of `i`, `m`, `s`. */
function re2Flags(flags: string): number {
  let bits = 0;
  if (flags.includes("i")) bits |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes("m")) bits |= RE2JS.MULTILINE;
  if (flags.includes("s")) bits |= RE2JS.DOTALL;
  return bits;
}

/** The re2js pattern, or its syntax error message. */
export function re2(source: string, flags = ""): RE2JS | string {
  try {
    return RE2JS.compile(source, re2Flags(flags));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The compiled program of a pattern expected to compile. */
export function program(source: string, flags = ""): Program {
  const result = compileRegex(source, flags);
  if (!result.ok)
    throw new Error(`/${source}/${flags} does not compile: ${result.message} at ${result.offset}`);
  return result.program;
}

/** Rejections that are ours alone: constructs re2js accepts but policies may not use. */
export function deliberateRejection(message: string): boolean {
  return message.startsWith("Unicode classes are not supported") || message.startsWith("pattern too large");
}
