/**
 * The formatter behind `aarmc fmt`: one canonical layout for `.aarm` files,
 * described in docs/style.md. Formatting keeps every comment, is idempotent,
 * and never changes the AST (checked with `astEqual` in the tests).
 *
 * @module
 */
import type { SourceFile } from "./ast.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { printFile } from "./format/print.ts";
import { parseSource } from "./parse.ts";

/** The canonical text of a parsed file: LF line ends, a final newline, no trailing spaces. */
export function format(file: SourceFile): string {
  return printFile(file);
}

/**
 * Formats source text. `text` is null when the file has syntax errors: a file
 * that did not parse is never rewritten, and `diagnostics` says why.
 */
export function formatSource(
  text: string,
  file: string,
): { readonly text: string | null; readonly diagnostics: readonly Diagnostic[] } {
  const parsed = parseSource(text, file);
  return { text: parsed.file === null ? null : format(parsed.file), diagnostics: parsed.diagnostics };
}
