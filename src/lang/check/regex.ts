/**
 * Compiling policy regular expressions with RE2 semantics (re2js), so that
 * backreferences and lookaround, which need backtracking, are rejected when
 * the policy is checked rather than when it runs.
 *
 * @module
 */
import { RE2JS } from "re2js";

type Compiled = { ok: true } | { ok: false; message: string };

/**
 * Results by flags and source: a large policy repeats a few patterns
 * thousands of times. Bounded, since sources come from policy text: when
 * full it starts over.
 */
const results = new Map<string, Compiled>();
const MAX_RESULTS = 1024;

/** Compiles `/source/flags`; the error message from RE2 when it does not compile. */
export function compileRegex(source: string, flags: string): Compiled {
  const key = `${flags}/${source}`;
  const known = results.get(key);
  if (known !== undefined) return known;
  if (results.size >= MAX_RESULTS) results.clear();
  const result = compile(source, flags);
  results.set(key, result);
  return result;
}

function compile(source: string, flags: string): Compiled {
  try {
    RE2JS.compile(source, flags.includes("i") ? RE2JS.CASE_INSENSITIVE : 0);
    return { ok: true };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
