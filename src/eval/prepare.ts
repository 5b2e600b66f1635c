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
import type { Ir, IrExpr, IrRuleKind, IrTool } from "../ir/types.ts";
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

/** A small integer per node kind, for the interpreter's switch. */
export const OPCODE = {
  const: 0,
  compare: 1,
  in: 2,
  and: 3,
  or: 4,
  not: 5,
  arg: 6,
  entry: 7,
  intent: 8,
  feature: 9,
  session: 10,
  call: 11,
  matches: 12,
  identity: 13,
  fact: 14,
  has: 15,
  tool: 16,
  output: 17,
  set: 18,
  missing: 19,
  add: 20,
  sub: 21,
  mul: 22,
  neg: 23,
} as const satisfies { readonly [K in IrExpr["op"]]: number };

type WithCode<E> = E extends { readonly op: infer K extends IrExpr["op"] }
  ? E & { readonly code: (typeof OPCODE)[K] }
  : never;

/** An expression node as prepared: its IR fields and its opcode, in one object shape for every kind. */
export type PreparedNode = WithCode<IrExpr>;

/** Fields of one candidate in a tool's block of `Prepared.rows`, and how many there are. */
export const COND = 0;
export const RULE = 1;
export const KIND = 2;
export const ROW = 3;

/**
 * The condition of a candidate that always matches (the constant `true`: a
 * rule with no `when`, or one whose condition folded away for the tool),
 * which is then not evaluated at all.
 */
export const ALWAYS = -1;

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
   * candidate in order (condition or `ALWAYS`, rule index, strength of the
   * rule's kind). Policies with thousands of tools are dominated by cache misses
   * on per-tool data: one flat array puts a tool's candidates on a cache
   * line or two, and a candidate that does not match is tested without
   * touching its rule at all.
   */
  readonly rows: Int32Array;
  /** By rule index. */
  readonly refs: readonly RuleRef[];
  /**
   * The expression nodes, each copied into one object shape with every
   * field of every kind (those a kind lacks undefined). The IR's nodes have a
   * shape per kind, so the interpreter's `node.op` and operand reads, which
   * see every kind, were megamorphic property loads; on copies of one shape
   * they are single loads at a fixed offset.
   */
  readonly nodes: readonly PreparedNode[];
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
  // The table's keys are copies allocated together: the IR's own name strings lie scattered
  // over the heap where compilation left them, and every lookup compares one of them. With
  // thousands of tools that costs a cache miss per decision (40 ns against 90 ns measured).
  const keys = JSON.parse(JSON.stringify(names)) as string[];
  let size = 0;
  for (const name of names) size += 1 + ROW * (ir.tools[name] as IrTool).candidates.length;
  const tools = new Map<string, number>();
  const rows = new Int32Array(size);
  let at = 0;
  for (let t = 0; t < names.length; t++) {
    const { candidates } = ir.tools[names[t] as string] as IrTool;
    tools.set(keys[t] as string, at);
    rows[at++] = candidates.length;
    for (const { rule, cond } of candidates) {
      const kind = refs[rule]?.rule.kind;
      const node = ir.exprs[cond];
      rows[at + COND] = node?.op === "const" && node.value === true ? ALWAYS : cond;
      rows[at + RULE] = rule;
      rows[at + KIND] = kind === undefined ? NO_RULE : (STRENGTH[kind] ?? NO_RULE);
      at += ROW;
    }
  }
  // Filled with undefined first, so the array stays a plain packed one rather than a sparse dictionary.
  const lookups = new Array<ReadonlySet<Scalar> | undefined>(ir.exprs.length).fill(undefined);
  for (const node of ir.exprs) {
    if (node.op !== "in") continue;
    const set = ir.exprs[node.set];
    if (set?.op === "const" && Array.isArray(set.value)) {
      lookups[node.set] = new Set(set.value as readonly Scalar[]);
    }
  }
  return { ir, tools, rows, refs, nodes: ir.exprs.map(uniform), lookups, idle: [] };
}

/** `node` as an object of the one shape every prepared node has (`Prepared.nodes`). */
function uniform(node: IrExpr): PreparedNode {
  const n = node as unknown as { readonly [field: string]: unknown };
  const copy = {
    code: Object.hasOwn(OPCODE, node.op) ? OPCODE[node.op] : -1,
    op: n.op,
    value: n.value,
    path: n.path,
    set: n.set,
    name: n.name,
    field: n.field,
    feature: n.feature,
    names: n.names,
    items: n.items,
    of: n.of,
    arg: n.arg,
    args: n.args,
    cmp: n.cmp,
    left: n.left,
    right: n.right,
    item: n.item,
    subject: n.subject,
    regex: n.regex,
    fault: n.fault,
    fn: n.fn,
  };
  return copy as unknown as PreparedNode;
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
