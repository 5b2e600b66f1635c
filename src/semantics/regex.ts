/**
 * Regular expressions, through re2js only: matching is linear in the input
 * whatever the pattern, so attacker-controlled text cannot make a decision
 * slow. The native RegExp engine backtracks and is never used on input.
 *
 * Each literal is compiled once, on first use, and kept per AST node.
 *
 * @module
 */
import { RE2JS } from "re2js";
import type { RegexLiteral } from "../lang/ast.ts";
import { SemanticsTypeError } from "./errors.ts";

const compiled = new WeakMap<RegexLiteral, RE2JS>();

/** The replacement text of a redaction. */
export const REDACTED = "[REDACTED]";

function compile(literal: RegexLiteral): RE2JS {
  const cached = compiled.get(literal);
  if (cached !== undefined) return cached;
  let flags = 0;
  for (const flag of literal.flags) {
    if (flag !== "i") throw new SemanticsTypeError(`unsupported regex flag ${flag}`);
    flags |= RE2JS.CASE_INSENSITIVE;
  }
  let pattern: RE2JS;
  try {
    pattern = RE2JS.compile(literal.source, flags);
  } catch (error) {
    // The checker compiles every literal; one that fails here slipped past it.
    throw new SemanticsTypeError(`regex /${literal.source}/ does not compile: ${String(error)}`);
  }
  compiled.set(literal, pattern);
  return pattern;
}

/** Unanchored search: does the pattern match anywhere in `text`? */
export function regexTest(literal: RegexLiteral, text: string): boolean {
  return compile(literal).test(text);
}

/** Replaces every match of the pattern in `text` with `[REDACTED]`. */
export function regexRedact(literal: RegexLiteral, text: string): string {
  return compile(literal).matcher(text).replaceAll(REDACTED);
}

/** The pattern as one RE2 source string, the `i` flag written inline. */
export function regexSource(literal: RegexLiteral): string {
  return literal.flags.includes("i") ? `(?i)${literal.source}` : literal.source;
}
