/**
 * Compiles a policy regex (RE2 syntax) to the NFA program of `program.ts`,
 * the entry point of this directory.
 *
 * Thompson's construction with patch lists: each node becomes a fragment
 * whose dangling exits are patched to whatever follows it. A node that
 * matches only the empty string compiles to no instruction at all, so the
 * program has no no-op instructions. The number of instructions emitted is
 * exactly the `size` the parser computed, which the parser has already
 * bounded.
 *
 * Every `split` puts the preferred branch in `next`: the earlier alternative,
 * another iteration of a greedy repetition, the exit of a lazy one. The
 * shapes are re2js's own (`x*` of a nullable `x` is `(?:x+)?`), because with
 * empty iterations the shape, not only the order, decides which match a
 * priority simulation prefers.
 *
 * @module
 */
import type { Node } from "./ast.ts";
import { type Flags, parseRegex } from "./parse.ts";
import type { Inst, Program } from "./program.ts";

export type CompileResult =
  | { readonly ok: true; readonly program: Program }
  | { readonly ok: false; readonly message: string; readonly offset: number };

/**
 * Compiles `source` with `flags`, a string of distinct letters among `i`
 * (case-insensitive), `m` (multi-line `^ $`) and `s` (`.` matches `\n`), the
 * same as writing `(?i)`, `(?m)`, `(?s)` in front. A failure carries the
 * offset in `source` (UTF-16 code units) of the construct at fault; for a bad
 * flag, 0.
 */
export function compileRegex(source: string, flags: string): CompileResult {
  const parsed = parseFlags(flags);
  if (typeof parsed === "string") return { ok: false, message: parsed, offset: 0 };
  const result = parseRegex(source, parsed);
  if (!result.ok) return { ok: false, message: result.message, offset: result.offset };
  return { ok: true, program: new Builder().program(result.node) };
}

function parseFlags(flags: string): Flags | string {
  for (const [i, flag] of [...flags].entries()) {
    if (!"ims".includes(flag)) return `unsupported regex flag "${flag}" (supported: i, m, s)`;
    if (flags.indexOf(flag) !== i) return `duplicate regex flag "${flag}"`;
  }
  return {
    foldCase: flags.includes("i"),
    multiLine: flags.includes("m"),
    dotAll: flags.includes("s"),
    ungreedy: false,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A dangling exit: field `next` or `alt` of instruction `inst`, to be patched. */
interface Hole {
  readonly inst: number;
  readonly field: "next" | "alt";
}

/**
 * A compiled node: its entry and its exits. Null for a node that consumes
 * nothing and always passes. A fragment owns its `holes` list: combining
 * fragments consumes them and may reuse the list, keeping compilation linear.
 */
type Frag = { readonly start: number; readonly holes: Hole[] } | null;

interface Split {
  readonly op: "split";
  next: number;
  alt: number;
}

class Builder {
  private readonly insts: Mutable<Inst>[] = [];

  program(root: Node): Program {
    const frag = this.node(root);
    const match = this.emit({ op: "match" });
    if (frag !== null) this.patch(frag.holes, match);
    const start = frag === null ? match : frag.start;
    return { insts: this.insts, start, anchoredStart: anchoredAt(this.insts, start) };
  }

  private emit(inst: Mutable<Inst>): number {
    this.insts.push(inst);
    return this.insts.length - 1;
  }

  private patch(holes: readonly Hole[], target: number): void {
    for (const hole of holes) {
      const inst = this.insts[hole.inst]!;
      if (inst.op === "split") inst[hole.field] = target;
      else if (inst.op !== "match") inst.next = target;
    }
  }

  private node(node: Node): Frag {
    switch (node.kind) {
      case "empty":
        return null;
      case "chars": {
        const inst = this.emit({ op: "char-class", ranges: node.ranges, next: -1 });
        return { start: inst, holes: [{ inst, field: "next" }] };
      }
      case "assert": {
        const inst = this.emit({ op: "assert", assertion: node.assertion, next: -1 });
        return { start: inst, holes: [{ inst, field: "next" }] };
      }
      case "capture":
        return this.node(node.sub);
      case "concat":
        return node.items.reduce<Frag>((frag, item) => this.cat(frag, this.node(item)), null);
      case "alternate":
        return this.alternation(node.alternatives.map((alternative) => this.node(alternative)));
      case "repeat":
        return this.repeat(node);
    }
  }

  private cat(first: Frag, second: Frag): Frag {
    if (first === null) return second;
    if (second === null) return first;
    this.patch(first.holes, second.start);
    return { start: first.start, holes: second.holes };
  }

  /**
   * A chain of `split`s, one fewer than the fragments: split `i` prefers
   * fragment `i` (`next`) to split `i + 1` (`alt`), the last one the
   * second-to-last fragment to the last. An empty fragment leaves the
   * split's exit dangling instead.
   */
  private alternation(frags: readonly Frag[]): Frag {
    const splits: Split[] = [];
    const at: number[] = [];
    for (let i = 1; i < frags.length; i++) {
      const split: Split = { op: "split", next: -1, alt: -1 };
      splits.push(split);
      at.push(this.emit(split));
    }
    // The longest list of exits is reused, the others appended to it.
    let holes: Hole[] = [];
    for (const frag of frags) if (frag !== null && frag.holes.length > holes.length) holes = frag.holes;
    for (const [i, frag] of frags.entries()) {
      const s = Math.min(i, splits.length - 1);
      const field = i < splits.length ? "next" : "alt";
      if (frag === null) holes.push({ inst: at[s]!, field });
      else {
        splits[s]![field] = frag.start;
        if (frag.holes !== holes) for (const hole of frag.holes) holes.push(hole);
      }
      if (i + 1 < splits.length) splits[i]!.alt = at[i + 1]!;
    }
    return { start: at[0]!, holes };
  }

  /** `frag?`, or `frag??` when not `greedy`. */
  private quest(frag: Frag, greedy: boolean): Frag {
    if (frag === null) return null;
    return this.alternation(greedy ? [frag, null] : [null, frag]);
  }

  /**
   * The loop of `frag*` (entered at the split) and `frag+` (entered at
   * `frag`): the split prefers another iteration when `greedy`, the exit
   * otherwise.
   */
  private loop(frag: Frag, entry: "split" | "body", greedy: boolean): Frag {
    if (frag === null) return null;
    const split: Split = { op: "split", next: -1, alt: -1 };
    split[greedy ? "next" : "alt"] = frag.start;
    const at = this.emit(split);
    this.patch(frag.holes, at);
    const exit: Hole = { inst: at, field: greedy ? "alt" : "next" };
    return { start: entry === "split" ? at : frag.start, holes: [exit] };
  }

  /** `sub{min,max}` (`max` -1: unbounded), expanded as `ast.ts`'s `repeat` counts it. */
  private repeat(node: Extract<Node, { kind: "repeat" }>): Frag {
    const { sub, min, max, greedy } = node;
    if (max === 0) return null;
    if (max === -1 && min === 0) {
      // A loop back into a nullable body would let an empty iteration rank differently from re2js.
      if (sub.nullable) return this.quest(this.loop(this.node(sub), "body", greedy), greedy);
      return this.loop(this.node(sub), "split", greedy);
    }
    let frag: Frag = null;
    for (let i = 0; i < min - 1; i++) frag = this.cat(frag, this.node(sub));
    if (max === -1) return this.cat(frag, this.loop(this.node(sub), "body", greedy));
    if (min > 0) frag = this.cat(frag, this.node(sub));
    let optional: Frag = null;
    for (let i = min; i < max; i++) optional = this.quest(this.cat(this.node(sub), optional), greedy);
    return this.cat(frag, optional);
  }
}

/**
 * Whether every path from `start` passes a `begin-text` assertion before it
 * reaches a `char-class` or `match`.
 */
function anchoredAt(insts: readonly Inst[], start: number): boolean {
  const seen = new Set<number>();
  const stack = [start];
  for (let pc = stack.pop(); pc !== undefined; pc = stack.pop()) {
    if (seen.has(pc)) continue;
    seen.add(pc);
    const inst = insts[pc]!;
    switch (inst.op) {
      case "char-class":
      case "match":
        return false;
      case "split":
        stack.push(inst.next, inst.alt);
        break;
      case "assert":
        if (inst.assertion !== "begin-text") stack.push(inst.next);
        break;
    }
  }
  return true;
}
