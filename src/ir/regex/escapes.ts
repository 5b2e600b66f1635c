/**
 * Escaped characters, in and out of bracketed classes: `\n`, `\x41`,
 * `\x{1F600}`, octal `\101`, escaped punctuation. Escapes that are not
 * characters (`\b`, `\d`, `\Q`, …) are the caller's to handle first.
 *
 * @module
 */
import { MAX_CODE_POINT } from "./ranges.ts";
import { fail, type ParseFailure, type Scanner } from "./scanner.ts";

/** `\a \f \n \r \t \v`, by the code point of their letter. */
const CONTROL_ESCAPES: ReadonlyMap<number, number> = new Map([
  [0x61, 0x07],
  [0x66, 0x0c],
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09],
  [0x76, 0x0b],
]);

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isOctal(c: number): boolean {
  return c >= 0x30 && c <= 0x37;
}

function isAlnum(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function unhex(c: number): number {
  if (isDigit(c)) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** The character escaped by the backslash at `s.pos`. */
export function escapedChar(s: Scanner): number | ParseFailure {
  const start = s.pos;
  s.pos++;
  if (!s.more()) return fail("trailing backslash at end of expression", start);
  const c = s.pop();
  // `\1` to `\7` start an octal escape only when a second octal digit follows; alone, RE2 reads a backreference.
  if (c >= 0x31 && c <= 0x37 && !(s.more() && isOctal(s.peek()))) {
    return fail("backreferences are not supported", start);
  }
  if (isOctal(c)) {
    let r = c - 0x30;
    for (let i = 1; i < 3 && s.more() && isOctal(s.peek()); i++) r = r * 8 + s.pop() - 0x30;
    return r;
  }
  if (c === 0x78) return hexEscape(s, start);
  const control = CONTROL_ESCAPES.get(c);
  if (control !== undefined) return control;
  if (c <= 0x7f && !isAlnum(c)) return c;
  if (c === 0x38 || c === 0x39) return fail("backreferences are not supported", start);
  if (c === 0x5a) return fail("\\Z is not supported (use \\z for the end of the text)", start);
  return fail(`invalid escape sequence ${s.src.slice(start, s.pos)}`, start);
}

/** After `\x`: two hex digits, or `{…}` with one or more, up to U+10FFFF. */
function hexEscape(s: Scanner, start: number): number | ParseFailure {
  const invalid = fail("invalid escape sequence: \\x takes two hex digits or {hex}", start);
  if (!s.more()) return invalid;
  const c = s.pop();
  if (c === 0x7b) {
    let r = 0;
    let digits = 0;
    for (;;) {
      if (!s.more()) return invalid;
      const d = s.pop();
      if (d === 0x7d) break;
      const v = unhex(d);
      if (v < 0) return invalid;
      r = r * 16 + v;
      if (r > MAX_CODE_POINT) return invalid;
      digits++;
    }
    return digits === 0 ? invalid : r;
  }
  if (!s.more()) return invalid;
  const x = unhex(c);
  const y = unhex(s.pop());
  return x < 0 || y < 0 ? invalid : x * 16 + y;
}
