/**
 * Showing untrusted text on a terminal: session ids, tool names, arguments
 * and recorded reasons come from traces that an agent's runtime wrote, and
 * may carry escape sequences that would rewrite the user's screen, or
 * bidirectional overrides that would make it lie. Those characters are shown
 * escaped instead, as JSON escapes (`\u001b`), so that JSON text stays valid
 * JSON with the same meaning.
 *
 * @module
 */

/** C0 and C1 controls, DEL, line and paragraph separators, and bidirectional formatting characters. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every character a terminal could act on written as `\uXXXX`. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
