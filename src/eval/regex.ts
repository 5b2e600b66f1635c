/**
 * The regex matcher of the evaluator: runs a compiled `Program` (see
 * `src/ir/regex/README.md`) as an unanchored search, RE2's `find`
 * (`regexTest`), and replaces every match as re2js's `replaceAll` does
 * (`regexReplaceAll`).
 *
 * Both are Thompson simulations of the NFA: the live instructions are
 * carried across the subject one code point at a time, each entering the
 * set at most once per position. `regexTest` only needs the set;
 * `regexReplaceAll` keeps it in priority order (a Pike VM) with each
 * thread's match start. Time is O(length × instructions) whatever the
 * pattern and the subject, memory O(instructions) (plus the matches found,
 * for `regexReplaceAll`), with no recursion and no allocation per character;
 * attacker-controlled text cannot make either backtrack.
 * Self-contained: it imports nothing but the program's types.
 *
 * @module
 */
import type { Assertion, Program } from "../ir/regex/program.ts";

const CHAR_CLASS = 0;
const SPLIT = 1;
const ASSERT = 2;
const MATCH = 3;

/** Context bits of a position, one per assertion. */
const BEGIN_LINE = 1;
const END_LINE = 2;
const BEGIN_TEXT = 4;
const END_TEXT = 8;
const WORD_BOUNDARY = 16;
const NOT_WORD_BOUNDARY = 32;

const ASSERTION_BITS: { readonly [A in Assertion]: number } = {
  "begin-line": BEGIN_LINE,
  "end-line": END_LINE,
  "begin-text": BEGIN_TEXT,
  "end-text": END_TEXT,
  "word-boundary": WORD_BOUNDARY,
  "not-word-boundary": NOT_WORD_BOUNDARY,
};

/** A set of instruction indices with O(1) insert, test and clear, and insertion-order iteration. */
interface SparseSet {
  readonly dense: Int32Array;
  readonly sparse: Int32Array;
  size: number;
}

/** A program decoded into flat arrays, with the working sets it needs. */
interface Machine {
  readonly op: Uint8Array;
  readonly next: Int32Array;
  readonly alt: Int32Array;
  /** The assertion bit of an `assert`. */
  readonly need: Uint8Array;
  readonly ranges: readonly (readonly number[])[];
  readonly start: number;
  readonly anchored: boolean;
  current: SparseSet;
  following: SparseSet;
  readonly stack: Int32Array;
  /** The working lists of `regexReplaceAll`, made on its first use (see `rankedFor`). */
  ranked: Ranked | null;
}

/**
 * A thread list in priority order (a sparse set iterated in insertion
 * order), with each thread's match start and the search it belongs to.
 */
interface ThreadList extends SparseSet {
  readonly start: Int32Array;
  readonly search: Int32Array;
}

interface Ranked {
  current: ThreadList;
  following: ThreadList;
  /** The first threads of a search that begins where the previous match ended: see `regexReplaceAll`. */
  readonly fresh: ThreadList;
  /** Pending lower-priority branches of a closure: one per `split` entered, so at most all instructions. */
  readonly stack: Int32Array;
}

const EMPTY: readonly number[] = [];

/**
 * Machines by program: a program is decoded once, and its working sets are
 * reused by every search (searches never nest, so they cannot collide).
 */
const machines = new WeakMap<Program, Machine>();

function sparseSet(n: number): SparseSet {
  return { dense: new Int32Array(n), sparse: new Int32Array(n), size: 0 };
}

function machineFor(program: Program): Machine {
  const cached = machines.get(program);
  if (cached !== undefined) return cached;
  const n = program.insts.length;
  const op = new Uint8Array(n);
  const next = new Int32Array(n);
  const alt = new Int32Array(n);
  const need = new Uint8Array(n);
  const ranges: (readonly number[])[] = [];
  for (let pc = 0; pc < n; pc++) {
    const inst = program.insts[pc]!;
    ranges.push(inst.op === "char-class" ? inst.ranges : EMPTY);
    switch (inst.op) {
      case "char-class":
        op[pc] = CHAR_CLASS;
        next[pc] = inst.next;
        break;
      case "split":
        op[pc] = SPLIT;
        next[pc] = inst.next;
        alt[pc] = inst.alt;
        break;
      case "assert":
        op[pc] = ASSERT;
        next[pc] = inst.next;
        need[pc] = ASSERTION_BITS[inst.assertion];
        break;
      case "match":
        op[pc] = MATCH;
        break;
    }
  }
  const machine: Machine = {
    op,
    next,
    alt,
    need,
    ranges,
    start: program.start,
    anchored: program.anchoredStart,
    current: sparseSet(n),
    following: sparseSet(n),
    stack: new Int32Array(n),
    ranked: null,
  };
  machines.set(program, machine);
  return machine;
}

function isWord(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

/** The assertions that hold between code points `before` and `after` (-1 outside the text). */
function context(before: number, after: number): number {
  let bits = 0;
  if (before < 0) bits |= BEGIN_TEXT | BEGIN_LINE;
  else if (before === 0x0a) bits |= BEGIN_LINE;
  if (after < 0) bits |= END_TEXT | END_LINE;
  else if (after === 0x0a) bits |= END_LINE;
  bits |= isWord(before) === isWord(after) ? NOT_WORD_BOUNDARY : WORD_BOUNDARY;
  return bits;
}

/**
 * The code point at UTF-16 offset `i` of `s`, whose length is `length` (-1
 * past the end): a surrogate pair decoded, a lone surrogate as it is.
 * Decoded by hand because in a hot loop V8 13.6's optimizing compiler
 * (Node 24) made `String.prototype.codePointAt` return the high half of a
 * pair, splitting the character; a matcher that misreads its subject could
 * miss a match the reference finds, so both matching paths avoid it. Tests
 * run both hot on astral text.
 */
function codePointAt(s: string, i: number, length: number): number {
  if (i >= length) return -1;
  const c = s.charCodeAt(i);
  if ((c & 0xfc00) !== 0xd800 || i + 1 >= length) return c;
  const d = s.charCodeAt(i + 1);
  return (d & 0xfc00) === 0xdc00 ? ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000 : c;
}

/** Binary search of a sorted inclusive range list. */
function inRanges(ranges: readonly number[], c: number): boolean {
  let lo = 0;
  let hi = ranges.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c > ranges[2 * mid + 1]!) lo = mid + 1;
    else if (c < ranges[2 * mid]!) hi = mid;
    else return true;
  }
  return false;
}

/** Inserts `pc` into `set` and onto the closure stack (whose height is `top`) unless already there; the new height. */
function enter(set: SparseSet, stack: Int32Array, top: number, pc: number): number {
  const i = set.sparse[pc]!;
  if (i < set.size && set.dense[i] === pc) return top;
  set.sparse[pc] = set.size;
  set.dense[set.size++] = pc;
  stack[top] = pc;
  return top + 1;
}

/**
 * Adds `pc` and everything reachable from it without consuming input, under
 * the assertions `bits` of the current position, to `set`. True if that
 * reaches `match`. Each instruction enters `set` once per position, so the
 * shared stack never holds more than all of them.
 */
function addClosure(m: Machine, set: SparseSet, pc: number, bits: number): boolean {
  const stack = m.stack;
  let top = enter(set, stack, 0, pc);
  while (top > 0) {
    const at = stack[--top]!;
    const op = m.op[at];
    if (op === MATCH) return true;
    if (op === SPLIT) {
      top = enter(set, stack, top, m.next[at]!);
      top = enter(set, stack, top, m.alt[at]!);
    } else if (op === ASSERT && (bits & m.need[at]!) !== 0) {
      top = enter(set, stack, top, m.next[at]!);
    }
  }
  return false;
}

/** Whether `program` matches anywhere in `subject`, iterated by code point. */
export function regexTest(program: Program, subject: string): boolean {
  const m = machineFor(program);
  const length = subject.length;
  let pos = 0;
  let after = length > 0 ? codePointAt(subject, 0, length) : -1;
  let bits = context(-1, after);
  m.current.size = 0;
  for (;;) {
    if ((pos === 0 || !m.anchored) && addClosure(m, m.current, m.start, bits)) return true;
    if (pos >= length || (m.anchored && m.current.size === 0)) return false;
    const nextPos = pos + (after > 0xffff ? 2 : 1);
    const nextAfter = nextPos < length ? codePointAt(subject, nextPos, length) : -1;
    bits = context(after, nextAfter);
    const { current, following } = m;
    following.size = 0;
    for (let i = 0; i < current.size; i++) {
      const pc = current.dense[i]!;
      if (
        m.op[pc] === CHAR_CLASS &&
        inRanges(m.ranges[pc]!, after) &&
        addClosure(m, following, m.next[pc]!, bits)
      ) {
        return true;
      }
    }
    m.current = following;
    m.following = current;
    pos = nextPos;
    after = nextAfter;
  }
}

function threadList(n: number): ThreadList {
  return { ...sparseSet(n), start: new Int32Array(n), search: new Int32Array(n) };
}

function rankedFor(m: Machine): Ranked {
  if (m.ranked !== null) return m.ranked;
  const n = m.op.length;
  m.ranked = {
    current: threadList(n),
    following: threadList(n),
    fresh: threadList(n),
    stack: new Int32Array(n),
  };
  return m.ranked;
}

/**
 * Adds `pc` and everything reachable from it without consuming input, under
 * the assertions `bits`, to `list` in priority order: depth first, `next`
 * before `alt`, each instruction entered once per position (the first path
 * to reach it outranks every later one, which has the same future). The
 * threads carry `start` and `search`. True as soon as `match` is reached:
 * the branches not yet explored rank below that match and are cut. `match`
 * is never entered, so that a later search can still match here.
 */
function addRanked(
  m: Machine,
  list: ThreadList,
  stack: Int32Array,
  first: number,
  bits: number,
  start: number,
  search: number,
): boolean {
  let top = 0;
  let pc = first;
  for (;;) {
    while (pc >= 0) {
      const i = list.sparse[pc]!;
      if (i < list.size && list.dense[i] === pc) break;
      const op = m.op[pc];
      if (op === MATCH) return true;
      const at = list.size++;
      list.sparse[pc] = at;
      list.dense[at] = pc;
      list.start[at] = start;
      list.search[at] = search;
      if (op === SPLIT) {
        stack[top++] = m.alt[pc]!;
        pc = m.next[pc]!;
      } else if (op === ASSERT && (bits & m.need[pc]!) !== 0) {
        pc = m.next[pc]!;
      } else {
        pc = -1;
      }
    }
    if (top === 0) return false;
    pc = stack[--top]!;
  }
}

/**
 * Steps the threads of `list`, in order, over code point `c` into `into`
 * (whose position has the assertions `bits`). Returns the index in `list`
 * of the first thread to reach `match`, which cuts every thread after it,
 * or -1.
 */
function stepRanked(
  m: Machine,
  list: ThreadList,
  into: ThreadList,
  stack: Int32Array,
  c: number,
  bits: number,
): number {
  for (let i = 0; i < list.size; i++) {
    const pc = list.dense[i]!;
    if (
      m.op[pc] === CHAR_CLASS &&
      inRanges(m.ranges[pc]!, c) &&
      addRanked(m, into, stack, m.next[pc]!, bits, list.start[i]!, list.search[i]!)
    ) {
      return i;
    }
  }
  return -1;
}

/**
 * `subject` with every match of `program` replaced by `replacement`, exactly
 * as re2js's `matcher(subject).replaceAll(replacement)` does for a
 * `replacement` without `$`: the replacement is inserted as is, never
 * expanded.
 *
 * That is a loop of searches, each finding the leftmost-first match (the
 * leftmost start, then the match the pattern's alternation and greediness
 * prefer, as RE2 and Perl choose) from where the previous match ended, or
 * one code point further after an empty match; so an empty match may
 * directly follow a non-empty one (`a*` makes `baaac` into `XbXXcX`).
 *
 * Run one after another, those searches could read the same text again
 * and again, since settling a match can take reading far past its end. They
 * run here in one pass instead. As soon as search k has a match, search
 * k + 1 starts from its end; when search k finds a better match, every later
 * search is dropped and k + 1 starts again from the new end. The threads of
 * all searches share one list, by search, then by priority, and an
 * instruction reached by two searches at one position stays with the
 * earlier one: the later search's thread has the same future, so if it
 * leads to a match, that match also improves the earlier search and drops
 * the later one, and if not, the dropped thread could not have matched
 * either. The exception is the position where a search starts right after
 * the previous match ended, which the earlier search's threads there may
 * have produced: there the new search's first threads go into a list of
 * their own, `fresh`, and join the shared list at the next position.
 */
export function regexReplaceAll(program: Program, subject: string, replacement: string): string {
  const m = machineFor(program);
  const r = rankedFor(m);
  const length = subject.length;
  // The best match so far of each search k, starts[k]..ends[k], then the search that has none yet, which
  // begins at `from`. Threads record their search's index.
  const starts: number[] = [];
  const ends: number[] = [];
  let from = 0;
  // Whether that search begins here, where the previous search's match ended.
  let fromMatchEnd = false;
  let pos = 0;
  let after = codePointAt(subject, 0, length);
  let bits = context(-1, after);
  r.current.size = 0;
  for (;;) {
    const width = after > 0xffff ? 2 : 1;
    r.fresh.size = 0;
    if (pos >= from && (pos === 0 || !m.anchored)) {
      const list = fromMatchEnd ? r.fresh : r.current;
      if (addRanked(m, list, r.stack, m.start, bits, pos, starts.length)) {
        // An empty match: the next search begins one code point on.
        starts.push(pos);
        ends.push(pos);
        from = pos + width;
      }
    }
    if (pos >= length || (m.anchored && r.current.size === 0)) break;
    const nextPos = pos + width;
    const nextAfter = codePointAt(subject, nextPos, length);
    const nextBits = context(after, nextAfter);
    const { current, following, fresh } = r;
    following.size = 0;
    let list = current;
    let hit = stepRanked(m, current, following, r.stack, after, nextBits);
    if (hit < 0 && fresh.size > 0) {
      list = fresh;
      hit = stepRanked(m, fresh, following, r.stack, after, nextBits);
    }
    fromMatchEnd = hit >= 0;
    if (hit >= 0) {
      // A match of search k that outranks its earlier one: the searches after k are dropped, and the next
      // begins at the end of this match.
      const k = list.search[hit]!;
      starts.length = k;
      ends.length = k;
      starts.push(list.start[hit]!);
      ends.push(nextPos);
      from = nextPos;
    }
    r.current = following;
    r.following = current;
    pos = nextPos;
    after = nextAfter;
    bits = nextBits;
  }
  let out = "";
  let copied = 0;
  for (let k = 0; k < starts.length; k++) {
    out += subject.slice(copied, starts[k]) + replacement;
    copied = ends[k]!;
  }
  return out + subject.slice(copied);
}
