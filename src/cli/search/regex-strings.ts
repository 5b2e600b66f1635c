/**
 * Strings that a policy regex matches and near misses that it does not,
 * derived from the compiled program (a Thompson NFA, `src/ir/regex`): random
 * walks from the start to `match`, steered towards `match` once long enough,
 * then checked with the evaluator's own matcher, so every string is
 * classified exactly however the walk treated assertions.
 *
 * @module
 */
import { regexTest } from "../../eval/regex.ts";
import type { Program } from "../../ir/regex/program.ts";
import type { Random } from "./random.ts";

export interface RegexSamples {
  readonly matching: readonly string[];
  readonly nonMatching: readonly string[];
}

const WALKS = 16;
const MAX_MATCHING = 12;
const MAX_NON_MATCHING = 8;
/** Characters a walk consumes before it heads for `match` by the shortest way. */
const SOFT_LENGTH = 12;
const MAX_STEPS = 2000;

/** The least number of code points consumed from each instruction to `match` (Infinity: unreachable). */
function distances(program: Program): number[] {
  const n = program.insts.length;
  const dist = new Array<number>(n).fill(Number.POSITIVE_INFINITY);
  // Bellman-Ford style relaxation: programs are small (≤ 10,000 instructions) and this runs once per regex.
  let changed = true;
  for (let round = 0; changed && round <= n; round++) {
    changed = false;
    program.insts.forEach((inst, i) => {
      let d: number;
      switch (inst.op) {
        case "match":
          d = 0;
          break;
        case "char-class":
          d = inst.ranges.length === 0 ? Number.POSITIVE_INFINITY : 1 + (dist[inst.next] ?? Infinity);
          break;
        case "split":
          d = Math.min(dist[inst.next] ?? Infinity, dist[inst.alt] ?? Infinity);
          break;
        case "assert":
          d = dist[inst.next] ?? Infinity;
          break;
      }
      if (d < (dist[i] ?? Infinity)) {
        dist[i] = d;
        changed = true;
      }
    });
  }
  return dist;
}

/** A code point of the ranges, preferring printable ASCII letters and digits. */
function pickChar(ranges: readonly number[], rng: Random): number {
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < ranges.length; i += 2) pairs.push([ranges[i] as number, ranges[i + 1] as number]);
  const printable = pairs
    .map(([lo, hi]): [number, number] => [Math.max(lo, 0x21), Math.min(hi, 0x7e)])
    .filter(([lo, hi]) => lo <= hi);
  const [lo, hi] = rng.pick(printable.length > 0 && rng.chance(0.9) ? printable : pairs);
  // Surrogate code points cannot stand alone in a string that round-trips through JSON intact.
  const cp = rng.chance(0.5) ? lo : rng.int(lo, hi);
  return cp >= 0xd800 && cp <= 0xdfff ? 0x61 : cp;
}

/**
 * One walk from `start` to `match`. At a split it takes the branch earlier
 * walks took less often (`taken` counts them), so successive walks cover
 * every alternative of an alternation rather than the first ones mostly.
 */
function walk(
  program: Program,
  dist: readonly number[],
  taken: Map<number, number>,
  rng: Random,
): string | null {
  let pc = program.start;
  const out: number[] = [];
  for (let steps = 0; steps < MAX_STEPS; steps++) {
    const inst = program.insts[pc];
    if (inst === undefined) return null;
    switch (inst.op) {
      case "match":
        return String.fromCodePoint(...out);
      case "char-class":
        if (inst.ranges.length === 0) return null;
        out.push(pickChar(inst.ranges, rng));
        pc = inst.next;
        break;
      case "assert":
        pc = inst.next;
        break;
      case "split": {
        const a = dist[inst.next] ?? Infinity;
        const b = dist[inst.alt] ?? Infinity;
        if (a === Infinity) pc = inst.alt;
        else if (b === Infinity) pc = inst.next;
        else if (out.length >= SOFT_LENGTH) pc = a <= b ? inst.next : inst.alt;
        else {
          const x = taken.get(inst.next) ?? 0;
          const y = taken.get(inst.alt) ?? 0;
          pc = x < y ? inst.next : y < x ? inst.alt : rng.chance(0.5) ? inst.next : inst.alt;
        }
        taken.set(pc, (taken.get(pc) ?? 0) + 1);
        break;
      }
    }
  }
  return null;
}

/** Variants around a string: with surrounding text, in other cases, with a character dropped or replaced. */
function variants(s: string): string[] {
  const out = [s, `x${s}`, `${s}x`, ` ${s} `, `a ${s} b`, s.toUpperCase(), s.toLowerCase()];
  if (s.length > 0) {
    out.push(s.slice(1), s.slice(0, -1), `${s.slice(0, -1)}#`, `#${s.slice(1)}`);
  }
  return out;
}

/** Up to a handful of matching and non-matching strings for `program`. */
export function regexSamples(program: Program, rng: Random): RegexSamples {
  const dist = distances(program);
  const walks = new Set<string>();
  const taken = new Map<number, number>();
  for (let i = 0; i < WALKS; i++) {
    const s = walk(program, dist, taken, rng);
    if (s !== null) walks.add(s);
  }
  const matching = new Set<string>();
  const nonMatching = new Set<string>(["", "x"].filter((s) => !regexTest(program, s)));
  // The walks themselves first, then their variants, so every alternative is represented.
  const candidates = [...walks, ...[...walks].flatMap(variants)];
  for (const s of candidates) {
    if (regexTest(program, s)) {
      if (matching.size < MAX_MATCHING) matching.add(s);
    } else if (nonMatching.size < MAX_NON_MATCHING) {
      nonMatching.add(s);
    }
  }
  return { matching: [...matching], nonMatching: [...nonMatching] };
}
