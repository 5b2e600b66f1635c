/**
 * Compiling policy regular expressions with RE2 semantics (re2js), so that
 * backreferences and lookaround, which need backtracking, are rejected when
 * the policy is checked rather than when it runs.
 *
 * @module
 */
import { RE2JS } from "re2js";

/** Compiles `/source/flags`; the error message from RE2 when it does not compile. */
export function compileRegex(source: string, flags: string): { ok: true } | { ok: false; message: string } {
  try {
    RE2JS.compile(source, flags.includes("i") ? RE2JS.CASE_INSENSITIVE : 0);
    return { ok: true };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
