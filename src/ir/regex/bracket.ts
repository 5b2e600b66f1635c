/**
 * Bracketed character classes, `[…]` and `[^…]`, read as RE2 reads them: a
 * `]` first is literal, so is a `-` first or last, `[:name:]` is a POSIX
 * class, `\d`-style escapes are Perl classes. Under `(?i)` every item is
 * folded before the class is complemented.
 *
 * @module
 */
import { foldClosure } from "./casefold.ts";
import { namedRanges, PERL_CLASSES, POSIX_CLASSES } from "./classes.ts";
import { escapedChar } from "./escapes.ts";
import { negateRanges, normalizeRanges } from "./ranges.ts";
import { fail, isFailure, type ParseFailure, type Scanner } from "./scanner.ts";

export const UNICODE_CLASSES = "Unicode classes are not supported in policies yet";

/** The code points of the class at `s.pos` (a `[`), as a normalised range list. */
export function bracketClass(s: Scanner, foldCase: boolean): number[] | ParseFailure {
  const start = s.pos;
  s.pos++;
  const negated = s.lookingAt("^");
  if (negated) s.pos++;
  const ranges: number[] = [];
  const append = (more: readonly number[]): void => {
    for (const bound of more) ranges.push(bound);
  };
  // A `]` right after `[` or `[^` is a literal.
  for (let first = true; !s.more() || s.peek() !== 0x5d || first; first = false) {
    const itemStart = s.pos;
    if (s.lookingAt("[:")) {
      const posix = posixClass(s, foldCase);
      if (isFailure(posix)) return posix;
      if (posix !== null) {
        append(posix);
        continue;
      }
      s.pos = itemStart;
    }
    if (s.lookingAt("\\p") || s.lookingAt("\\P")) return fail(UNICODE_CLASSES, itemStart);
    const perl = s.lookingAt("\\") ? PERL_CLASSES.get(s.charAt(1)) : undefined;
    if (perl !== undefined) {
      s.pos += 2;
      append(namedRanges(perl, foldCase));
      continue;
    }
    const lo = classChar(s, start);
    if (isFailure(lo)) return lo;
    let hi = lo;
    if (s.lookingAt("-")) {
      s.pos++;
      if (s.lookingAt("]")) {
        // `-]`: the `-` is literal, read as the next item.
        s.pos--;
      } else {
        const h = classChar(s, start);
        if (isFailure(h)) return h;
        if (h < lo) return fail(`invalid character class range ${s.src.slice(itemStart, s.pos)}`, itemStart);
        hi = h;
      }
    }
    append(foldCase ? foldClosure([lo, hi]) : [lo, hi]);
  }
  s.pos++;
  const set = normalizeRanges(ranges);
  return negated ? negateRanges(set) : set;
}

/** `[:name:]` at `s.pos`, up to the first `:]` anywhere after, as RE2 reads it; null if none (`[` is then a literal). */
function posixClass(s: Scanner, foldCase: boolean): readonly number[] | ParseFailure | null {
  const at = s.pos;
  const end = s.src.indexOf(":]", at);
  if (end < 0) return null;
  const name = s.src.slice(at, end + 2);
  s.pos = end + 2;
  const named = POSIX_CLASSES.get(name);
  return named === undefined ? fail(`invalid character class ${name}`, at) : namedRanges(named, foldCase);
}

function classChar(s: Scanner, classStart: number): number | ParseFailure {
  if (!s.more()) return fail("missing closing ]", classStart);
  return s.lookingAt("\\") ? escapedChar(s) : s.pop();
}
