/**
 * The parsed form of a regex, between `parse.ts` and `compile.ts`. Literals,
 * classes and `.` are all sets of code points, with case folding already
 * applied; non-capturing groups leave no node.
 *
 * Every node carries the number of instructions it compiles to and its
 * height, so that the parser can enforce the program-size bound and RE2's
 * nesting limit as it builds the tree, before anything recursive runs on it,
 * and whether it can match without consuming a code point, which decides how
 * `*` compiles.
 *
 * @module
 */
import type { Assertion } from "./program.ts";

interface Measured {
  /** Instructions `compile.ts` emits for this node (its `match` excluded). */
  readonly size: number;
  /** 1 for a leaf; RE2 rejects trees higher than 1000. */
  readonly height: number;
  /** Some path through it consumes nothing (assertions count as passing), as re2js's compiler computes it. */
  readonly nullable: boolean;
}

export type Node = Measured &
  (
    | { readonly kind: "empty" }
    | { readonly kind: "chars"; readonly ranges: readonly number[] }
    | { readonly kind: "assert"; readonly assertion: Assertion }
    | { readonly kind: "concat"; readonly items: readonly Node[] }
    | { readonly kind: "alternate"; readonly alternatives: readonly Node[] }
    | {
        readonly kind: "repeat";
        readonly sub: Node;
        readonly min: number;
        /** -1: unbounded. */
        readonly max: number;
        /** Written `{n}`, `{n,}` or `{n,m}`: only these count towards RE2's nested-repetition limit. */
        readonly counted: boolean;
        /** Prefers more repetitions (`*`) over fewer (`*?`, or `*` under `(?U)`). */
        readonly greedy: boolean;
      }
    | { readonly kind: "capture"; readonly sub: Node }
  );

export const EMPTY: Node = { kind: "empty", size: 0, height: 1, nullable: true };

export function chars(ranges: readonly number[]): Node {
  return { kind: "chars", ranges, size: 1, height: 1, nullable: false };
}

export function assertion(assertion: Assertion): Node {
  return { kind: "assert", assertion, size: 1, height: 1, nullable: true };
}

function height(nodes: readonly Node[]): number {
  let h = 0;
  for (const node of nodes) h = Math.max(h, node.height);
  return h + 1;
}

function size(nodes: readonly Node[]): number {
  let s = 0;
  for (const node of nodes) s += node.size;
  return s;
}

export function concat(items: readonly Node[]): Node {
  if (items.length === 0) return EMPTY;
  if (items.length === 1) return items[0]!;
  return {
    kind: "concat",
    items,
    size: size(items),
    height: height(items),
    nullable: items.every((item) => item.nullable),
  };
}

/** Alternatives compile to one `split` between each pair, hence the extra `length - 1`. */
export function alternate(alternatives: readonly Node[]): Node {
  if (alternatives.length === 1) return alternatives[0]!;
  return {
    kind: "alternate",
    alternatives,
    size: size(alternatives) + alternatives.length - 1,
    height: height(alternatives),
    nullable: alternatives.some((alternative) => alternative.nullable),
  };
}

/**
 * `sub{min,max}`: `min` copies, then either a loop (`max` unbounded) or
 * `max - min` nested optional copies, each optional or loop costing one
 * `split`. `sub*` of a nullable `sub` compiles as `(?:sub+)?`, as re2js
 * compiles it, which costs one more `split`: the shape decides which match
 * is preferred. A sub-pattern that compiles to nothing repeats to nothing.
 */
export function repeat(sub: Node, min: number, max: number, counted: boolean, greedy: boolean): Node {
  const s = sub.size;
  let total: number;
  if (s === 0 || max === 0) total = 0;
  else if (max === -1 && min === 0) total = sub.nullable ? s + 2 : s + 1;
  else if (max === -1) total = min * s + 1;
  else total = min * s + (max - min) * (s + 1);
  const nullable = min === 0 || sub.nullable;
  return { kind: "repeat", sub, min, max, counted, greedy, size: total, height: sub.height + 1, nullable };
}

export function capture(sub: Node): Node {
  return { kind: "capture", sub, size: sub.size, height: sub.height + 1, nullable: sub.nullable };
}
