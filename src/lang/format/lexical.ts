/**
 * Canonical spellings of literals: how the formatter writes a string or a
 * number whatever way the source wrote it.
 *
 * @module
 */

const SIMPLE_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['"', '\\"'],
  ["\\", "\\\\"],
  ["\n", "\\n"],
  ["\t", "\\t"],
  ["\r", "\\r"],
]);

/**
 * Characters written as `\u{…}`: controls, format characters (bidirectional
 * overrides, zero-width joiners, tag characters), line and paragraph
 * separators, spaces other than U+0020 and private-use characters. They are
 * invisible or misleading on screen, and a reviewer must see exactly what a
 * policy string contains.
 */
const INVISIBLE = /^[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Zs}\p{Co}]$/u;

/** A string literal: `"…"` with the shortest escapes, and invisible characters made visible. */
export function quoteString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const simple = SIMPLE_ESCAPES.get(ch);
    if (simple !== undefined) out += simple;
    else if (ch !== " " && INVISIBLE.test(ch))
      out += `\\u{${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * A number in its shortest form: JavaScript's shortest round-trip digits
 * (`1.50` → `1.5`, `1e3` → `1000`, `1e21` → `1e21`). Literals are never
 * negative (`-` is an operator).
 */
export function formatNumber(value: number): string {
  return String(value).replace("e+", "e");
}
