/**
 * Parser for RE2 syntax, producing `ast.ts` nodes.
 *
 * It follows re2js's parser (a port of RE2's) token by token, so that a
 * pattern is accepted here exactly when re2js accepts it, quirks included
 * (`a{,2}` and `a{01}` are literal text, a repetition may follow a flag group
 * as in `a*(?i)*`, `(?)` is an empty flag group). The exceptions are the
 * deliberate restrictions: Unicode classes (`\p{…}`) and patterns larger
 * than `MAX_PROGRAM_SIZE` instructions are rejected.
 *
 * It works with an explicit stack of open groups, never recursion over the
 * pattern, and reports errors as values with the offset (in UTF-16 code
 * units) of the offending construct.
 *
 * @module
 */
import { alternate, assertion, capture, chars, concat, type Node, repeat } from "./ast.ts";
import { bracketClass, UNICODE_CLASSES } from "./bracket.ts";
import { foldClosure } from "./casefold.ts";
import { namedRanges, PERL_CLASSES } from "./classes.ts";
import { escapedChar } from "./escapes.ts";
import type { Assertion } from "./program.ts";
import { MAX_CODE_POINT } from "./ranges.ts";
import { fail, isFailure, type ParseFailure, Scanner } from "./scanner.ts";

/** The largest program accepted, in instructions; RE2's own limits allow far larger ones. */
export const MAX_PROGRAM_SIZE = 10_000;

/** RE2's limits: repetition counts, nested repetition product, tree height. */
const MAX_REPEAT = 1000;
const MAX_HEIGHT = 1000;

export interface Flags {
  /** `i`: case-insensitive. */
  readonly foldCase: boolean;
  /** `s`: `.` matches `\n`. */
  readonly dotAll: boolean;
  /** `m`: `^` and `$` match at line boundaries. */
  readonly multiLine: boolean;
  /** `U`: `x*` is lazy and `x*?` greedy. */
  readonly ungreedy: boolean;
}

export type ParseResult =
  { readonly ok: true; readonly node: Node } | ({ readonly ok: false } & ParseFailure);

/** An open group: what closes it restores `flags`. */
interface Frame {
  readonly capture: boolean;
  readonly open: number;
  readonly flags: Flags;
  readonly alternatives: Node[];
  items: Node[];
}

/** `\A`, `\z`, `\b`, `\B` by their letter. */
const ESCAPED_ASSERTIONS: ReadonlyMap<string, Assertion> = new Map<string, Assertion>([
  ["A", "begin-text"],
  ["z", "end-text"],
  ["b", "word-boundary"],
  ["B", "not-word-boundary"],
]);

/** Parses `source` with the initial `flags`. */
export function parseRegex(source: string, flags: Flags): ParseResult {
  return new Parser(source, flags).parse();
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** RE2's check that nested counted repetitions multiply to at most `budget` (`{0}` ends the check). */
function repeatIsValid(node: Node, budget: number): boolean {
  let n = budget;
  if (node.kind === "repeat" && node.counted) {
    let m = node.max;
    if (m === 0) return true;
    if (m < 0) m = node.min;
    if (m > n) return false;
    if (m > 0) n = Math.trunc(n / m);
  }
  switch (node.kind) {
    case "concat":
      return node.items.every((item) => repeatIsValid(item, n));
    case "alternate":
      return node.alternatives.every((alternative) => repeatIsValid(alternative, n));
    case "repeat":
    case "capture":
      return repeatIsValid(node.sub, n);
    default:
      return true;
  }
}

class Parser {
  private readonly s: Scanner;
  private flags: Flags;
  private readonly frames: Frame[];
  private readonly names = new Set<string>();
  /** Instructions in everything parsed so far, open groups included. */
  private size = 0;
  /** Whether the current token is a repetition operator. */
  private repeated = false;
  /** Offset of the previous token if it was a repetition operator, else -1: RE2 rejects `a**`. */
  private lastRepeat = -1;

  constructor(src: string, flags: Flags) {
    this.s = new Scanner(src);
    this.flags = flags;
    this.frames = [{ capture: false, open: 0, flags, alternatives: [], items: [] }];
  }

  parse(): ParseResult {
    while (this.s.more()) {
      const start = this.s.pos;
      this.repeated = false;
      const failure = this.token();
      if (failure !== null) return { ok: false, ...failure };
      this.lastRepeat = this.repeated ? start : -1;
    }
    if (this.frames.length > 1) return { ok: false, ...fail("missing closing )", this.top().open) };
    const node = this.finish(this.top());
    if (node.height > MAX_HEIGHT) return { ok: false, ...fail("expression nests too deeply", 0) };
    return { ok: true, node };
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  /** One token at the cursor. */
  private token(): ParseFailure | null {
    const s = this.s;
    const start = s.pos;
    const c = s.pop();
    switch (c) {
      case 0x28: // (
        s.pos = start;
        return s.lookingAt("(?") ? this.groupOrFlags() : this.openGroup(true, 1);
      case 0x7c: // |
        return this.bar(start);
      case 0x29: // )
        return this.closeGroup(start);
      case 0x5e: // ^
        return this.add(assertion(this.flags.multiLine ? "begin-line" : "begin-text"), start);
      case 0x24: // $
        return this.add(assertion(this.flags.multiLine ? "end-line" : "end-text"), start);
      case 0x2e: // .
        return this.add(chars(this.flags.dotAll ? [0, MAX_CODE_POINT] : [0, 9, 11, MAX_CODE_POINT]), start);
      case 0x5b: {
        // [
        s.pos = start;
        const ranges = bracketClass(s, this.flags.foldCase);
        return isFailure(ranges) ? ranges : this.add(chars(ranges), start);
      }
      case 0x2a: // *
        return this.repetition(0, -1, false, start);
      case 0x2b: // +
        return this.repetition(1, -1, false, start);
      case 0x3f: // ?
        return this.repetition(0, 1, false, start);
      case 0x7b: {
        // {
        s.pos = start;
        const counts = this.repeatCounts();
        if (counts === null) {
          s.pos = start + 1;
          return this.literal(c, start);
        }
        return isFailure(counts) ? counts : this.repetition(counts.min, counts.max, true, start);
      }
      case 0x5c: // backslash
        s.pos = start;
        return this.escapeToken();
      default:
        return this.literal(c, start);
    }
  }

  /** Adds a parsed node to the current concatenation, within the size and height limits. */
  private add(node: Node, offset: number): ParseFailure | null {
    this.top().items.push(node);
    return this.grow(node.size, node.height, offset);
  }

  private grow(instructions: number, height: number, offset: number): ParseFailure | null {
    this.size += instructions;
    if (height > MAX_HEIGHT) return fail("expression nests too deeply", offset);
    // +1 for the final `match` instruction.
    if (this.size + 1 > MAX_PROGRAM_SIZE) {
      return fail(`pattern too large: it compiles to more than ${MAX_PROGRAM_SIZE} instructions`, offset);
    }
    return null;
  }

  private literal(c: number, offset: number): ParseFailure | null {
    return this.add(chars(this.flags.foldCase ? foldClosure([c, c]) : [c, c]), offset);
  }

  private bar(offset: number): ParseFailure | null {
    const frame = this.top();
    frame.alternatives.push(concat(frame.items));
    frame.items = [];
    // One `split` per `|`: see `alternate` in ast.ts.
    return this.grow(1, 1, offset);
  }

  /** The group's node: its alternatives, as they stand. */
  private finish(frame: Frame): Node {
    return alternate([...frame.alternatives, concat(frame.items)]);
  }

  /** Opens a group at the cursor, whose syntax is `length` units long. */
  private openGroup(isCapture: boolean, length: number): null {
    this.frames.push({
      capture: isCapture,
      open: this.s.pos,
      flags: this.flags,
      alternatives: [],
      items: [],
    });
    this.s.pos += length;
    return null;
  }

  private closeGroup(offset: number): ParseFailure | null {
    if (this.frames.length === 1) return fail("unexpected )", offset);
    const frame = this.frames.pop()!;
    this.flags = frame.flags;
    const inner = this.finish(frame);
    const node = frame.capture ? capture(inner) : inner;
    this.top().items.push(node);
    // The group's instructions were counted as its contents were parsed.
    return this.grow(0, node.height, frame.open);
  }

  /** `(?` opens a named group or a flag group, or is unsupported syntax. */
  private groupOrFlags(): ParseFailure | null {
    const s = this.s;
    const start = s.pos;
    const rest = s.src.slice(start);
    if (rest.startsWith("(?<=") || rest.startsWith("(?<!")) {
      return fail("lookbehind assertions are not supported (RE2 syntax)", start);
    }
    if (rest.startsWith("(?P<") || rest.startsWith("(?<")) {
      const begin = rest.charAt(2) === "P" ? 4 : 3;
      const end = rest.indexOf(">");
      if (end < 0) return fail("invalid named capture: missing >", start);
      const name = rest.slice(begin, end);
      if (!/^[0-9A-Za-z_]+$/.test(name)) return fail(`invalid named capture group name "${name}"`, start);
      if (this.names.has(name)) return fail(`duplicate capture group name "${name}"`, start);
      this.names.add(name);
      return this.openGroup(true, end + 1);
    }
    if (rest.startsWith("(?=") || rest.startsWith("(?!")) {
      return fail("lookahead assertions are not supported (RE2 syntax)", start);
    }
    const invalid = fail("invalid or unsupported Perl syntax", start);
    s.pos += 2;
    let { foldCase, dotAll, multiLine, ungreedy } = this.flags;
    let negate = false;
    let sawFlag = false;
    while (s.more()) {
      const c = s.pop();
      switch (c) {
        case 0x69: // i
          foldCase = !negate;
          sawFlag = true;
          break;
        case 0x6d: // m
          multiLine = !negate;
          sawFlag = true;
          break;
        case 0x73: // s
          dotAll = !negate;
          sawFlag = true;
          break;
        case 0x55: // U
          ungreedy = !negate;
          sawFlag = true;
          break;
        case 0x2d: // -
          if (negate) return invalid;
          negate = true;
          sawFlag = false;
          break;
        case 0x3a: // :
        case 0x29: {
          // )
          if (negate && !sawFlag) return invalid;
          if (c === 0x3a) {
            this.frames.push({ capture: false, open: start, flags: this.flags, alternatives: [], items: [] });
          }
          this.flags = { foldCase, dotAll, multiLine, ungreedy };
          return null;
        }
        default:
          return invalid;
      }
    }
    return invalid;
  }

  /** Applies `{min,max}` to the last item of the current concatenation. */
  private repetition(min: number, max: number, counted: boolean, offset: number): ParseFailure | null {
    this.repeated = true;
    // A trailing `?` swaps greediness, lazy by default under `(?U)`.
    let greedy = !this.flags.ungreedy;
    if (this.s.lookingAt("?")) {
      this.s.pos++;
      greedy = !greedy;
    }
    if (this.lastRepeat !== -1) return fail("invalid nested repetition operator", this.lastRepeat);
    const items = this.top().items;
    const sub = items.pop();
    if (sub === undefined) return fail("missing argument to repetition operator", offset);
    const node = repeat(sub, min, max, counted, greedy);
    items.push(node);
    if (counted && (min >= 2 || max >= 2) && !repeatIsValid(node, MAX_REPEAT)) {
      return fail(`invalid repeat count: nested repetitions exceed ${MAX_REPEAT}`, offset);
    }
    return this.grow(node.size - sub.size, node.height, offset);
  }

  /**
   * `{n}`, `{n,}` or `{n,m}` at the cursor; null (cursor unspecified) when
   * the text is not a repetition and so stands for a literal `{`.
   */
  private repeatCounts(): { min: number; max: number } | ParseFailure | null {
    const s = this.s;
    const start = s.pos;
    s.pos++;
    const min = this.integer();
    if (min === -1 || !s.more()) return null;
    let max = min;
    if (s.lookingAt(",")) {
      s.pos++;
      if (!s.more()) return null;
      if (s.lookingAt("}")) max = -1;
      else {
        max = this.integer();
        if (max === -1) return null;
      }
    }
    if (!s.lookingAt("}")) return null;
    s.pos++;
    if (min < 0 || min > MAX_REPEAT || max === -2 || max > MAX_REPEAT || (max >= 0 && min > max)) {
      return fail(`invalid repeat count ${s.src.slice(start, s.pos)}`, start);
    }
    return { min, max };
  }

  /** A decimal count: -1 if absent or with a leading zero, -2 if over 8 digits (always too large). */
  private integer(): number {
    const s = this.s;
    const start = s.pos;
    while (s.more() && isDigit(s.peek())) s.pos++;
    const digits = s.src.slice(start, s.pos);
    if (digits.length === 0 || (digits.length > 1 && digits.startsWith("0"))) return -1;
    if (digits.length > 8) return -2;
    return Number.parseInt(digits, 10);
  }

  /** A backslash outside a class: an assertion, `\Q…\E`, a class, or an escaped literal. */
  private escapeToken(): ParseFailure | null {
    const s = this.s;
    const start = s.pos;
    const next = s.charAt(1);
    const kind = ESCAPED_ASSERTIONS.get(next);
    if (kind !== undefined) {
      s.pos += 2;
      return this.add(assertion(kind), start);
    }
    if (next === "C") return fail("\\C (any byte) is not supported", start);
    if (next === "Q") return this.quoted();
    if (next === "p" || next === "P") return fail(UNICODE_CLASSES, start);
    const named = PERL_CLASSES.get(next);
    if (named !== undefined) {
      s.pos += 2;
      return this.add(chars(namedRanges(named, this.flags.foldCase)), start);
    }
    const c = escapedChar(s);
    return isFailure(c) ? c : this.literal(c, start);
  }

  /** `\Q…\E`: everything up to `\E` (or the end) is literal. */
  private quoted(): ParseFailure | null {
    const s = this.s;
    s.pos += 2;
    const end = s.src.indexOf("\\E", s.pos);
    const stop = end < 0 ? s.src.length : end;
    while (s.pos < stop) {
      const at = s.pos;
      const failure = this.literal(s.pop(), at);
      if (failure !== null) return failure;
    }
    s.pos = end < 0 ? stop : end + 2;
    return null;
  }
}
