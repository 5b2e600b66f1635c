/**
 * What the evaluator derives from an IR once and reuses for every decision:
 * the dispatch table as a `Map` (a plain object with thousands of tool names
 * is a slow dictionary, and `Object.hasOwn` plus a lookup is two probes),
 * each tool's candidates with their rule and precedence resolved in one flat
 * table, the rules as the `RuleRef`s combination takes, constant sets as
 * `Set`s, and the idle evaluation frames (see `expr.ts`).
 *
 * Preparation is cached by IR object; an IR is treated as immutable once
 * evaluated, as every value in it is plain data that nothing writes.
 *
 * @module
 */
import type { Ir, IrRuleKind, IrTool } from "../ir/types.ts";
import type { RuleRef } from "./combine.ts";
import type { Frame } from "./expr.ts";
import type { Scalar } from "./values.ts";

/** Precedence of rule kinds, strongest first. */
export const STRENGTH: { readonly [K in IrRuleKind]: number } = {
  forbid: 0,
  deny: 1,
  defer: 2,
  step_up: 3,
  modify: 4,
  allow: 5,
};

/** Fields of one candidate in a tool's block of `Prepared.rows`, and how many there are. */
export const COND = 0;
export const RULE = 1;
export const KIND = 2;
export const ROW = 3;

/**
 * The strength of a candidate whose index names no rule (or a rule of no
 * known kind): weaker than every kind, so never a forbid or deny, and an
 * error when it is tested.
 */
export const NO_RULE = 6;

export interface Prepared {
  readonly ir: Ir;
  /** Tool name to the offset of the tool's block in `rows`. */
  readonly tools: ReadonlyMap<string, number>;
  /**
   * Each tool's block: the number of candidates, then `ROW` numbers per
   * candidate in order (condition, rule index, strength of the rule's
   * kind). Policies with thousands of tools are dominated by cache misses
   * on per-tool data: one flat array puts a tool's candidates on a cache
   * line or two, and a candidate that does not match is tested without
   * touching its rule at all.
   */
  readonly rows: Int32Array;
  /** By rule index. */
  readonly refs: readonly RuleRef[];
  /**
   * By expression index: a constant set that is the right operand of `in`,
   * as a `Set`. Hashing beats scanning the array even for three elements
   * (each miss compares the item with every element), both use SameValueZero.
   */
  readonly lookups: readonly (ReadonlySet<Scalar> | undefined)[];
  /** Frames not in use, reused by later evaluations. */
  readonly idle: Frame[];
}

const cache = new WeakMap<Ir, Prepared>();

function build(ir: Ir): Prepared {
  const refs = ir.rules.map((rule, index) => ({ index, rule }));
  const names = Object.keys(ir.tools);
  let size = 0;
  for (const name of names) size += 1 + ROW * (ir.tools[name] as IrTool).candidates.length;
  const tools = new Map<string, number>();
  const rows = new Int32Array(size);
  let at = 0;
  for (const name of names) {
    const { candidates } = ir.tools[name] as IrTool;
    tools.set(name, at);
    rows[at++] = candidates.length;
    for (const { rule, cond } of candidates) {
      const kind = refs[rule]?.rule.kind;
      rows[at + COND] = cond;
      rows[at + RULE] = rule;
      rows[at + KIND] = kind === undefined ? NO_RULE : (STRENGTH[kind] ?? NO_RULE);
      at += ROW;
    }
  }
  const lookups: (ReadonlySet<Scalar> | undefined)[] = [];
  for (const node of ir.exprs) {
    if (node.op !== "in") continue;
    const set = ir.exprs[node.set];
    if (set?.op === "const" && Array.isArray(set.value)) {
      lookups[node.set] = new Set(set.value as readonly Scalar[]);
    }
  }
  return { ir, tools, rows, refs, lookups, idle: [] };
}

/** The most recently used preparation (it keeps that one IR alive until another is evaluated). */
let last: Prepared | null = null;

/** The prepared form of `ir`, built on first use. */
export function prepare(ir: Ir): Prepared {
  // Consecutive decisions are almost always under the same policy: skip the WeakMap then.
  if (last !== null && last.ir === ir) return last;
  let prepared = cache.get(ir);
  if (prepared === undefined) {
    prepared = build(ir);
    cache.set(ir, prepared);
  }
  last = prepared;
  return prepared;
}
