/**
 * The hash-consed expression table of an IR under construction: structurally
 * equal nodes get one index, so conditions shared between rules and tools are
 * stored, and evaluated, once.
 *
 * @module
 */
import type { Program } from "./regex/program.ts";
import type { IrConst, IrExpr, IrFeature } from "./types.ts";

/** Interns values by their JSON text: nodes hold only JSON, and children are already interned indices. */
class Interner<T> {
  readonly items: T[] = [];
  readonly #index = new Map<string, number>();

  intern(item: T): number {
    const key = JSON.stringify(item);
    const found = this.#index.get(key);
    if (found !== undefined) return found;
    const index = this.add(item);
    this.#index.set(key, index);
    return index;
  }

  /** Appends an item that is known not to be interned yet; its index. */
  add(item: T): number {
    return this.items.push(item) - 1;
  }
}

type Scalar = string | number | boolean;

/** A `const` node's value when the node is exactly `{op, value}`, in that order, as every node is built. */
function constValue(node: IrExpr): IrConst | undefined {
  if (node.op !== "const") return undefined;
  const keys = Object.keys(node);
  return keys.length === 2 && keys[0] === "op" ? node.value : undefined;
}

/** Whether two scalars have one JSON text (every non-finite number is `null`). */
function sameJson(a: Scalar, b: Scalar): boolean {
  return (
    a === b || (typeof a === "number" && typeof b === "number" && !Number.isFinite(a) && !Number.isFinite(b))
  );
}

/**
 * Const nodes, found without serialising them: they are most of the nodes
 * a policy interns, and its large allowlists are lowered once per rule and
 * tool, so their JSON text would be rebuilt thousands of times. Scalars are
 * looked up by value (a Map equates 0 and -0, and every non-finite number
 * stands as NaN, as JSON makes them all `null`); sets are bucketed by length
 * and end elements, then compared element by element. Either way, two nodes
 * meet exactly when their JSON texts are equal.
 */
class Consts {
  readonly #scalars = new Map<Scalar, number>();
  readonly #sets = new Map<string, number[]>();

  intern(node: IrExpr, value: IrConst, exprs: Interner<IrExpr>): number {
    if (typeof value !== "object") {
      const key = typeof value === "number" && !Number.isFinite(value) ? Number.NaN : value;
      const found = this.#scalars.get(key);
      if (found !== undefined) return found;
      const index = exprs.add(node);
      this.#scalars.set(key, index);
      return index;
    }
    const bucketKey = `${value.length} ${JSON.stringify(value[0])} ${JSON.stringify(value.at(-1))}`;
    let bucket = this.#sets.get(bucketKey);
    if (bucket === undefined) {
      bucket = [];
      this.#sets.set(bucketKey, bucket);
    }
    for (const index of bucket) {
      const other = constValue(exprs.items[index] as IrExpr) as readonly Scalar[];
      if (other === value || other.every((v, i) => sameJson(v, value[i] as Scalar))) return index;
    }
    const index = exprs.add(node);
    bucket.push(index);
    return index;
  }
}

export class ExprTable {
  readonly #exprs = new Interner<IrExpr>();
  readonly #features = new Interner<IrFeature>();
  readonly #regexes = new Interner<Program>();
  readonly #consts = new Consts();

  expr(node: IrExpr): number {
    const value = constValue(node);
    return value === undefined ? this.#exprs.intern(node) : this.#consts.intern(node, value, this.#exprs);
  }

  feature(feature: IrFeature): number {
    return this.#features.intern(feature);
  }

  regex(program: Program): number {
    return this.#regexes.intern(program);
  }

  /** The node at `index`. */
  at(index: number): IrExpr {
    const node = this.#exprs.items[index];
    if (node === undefined) throw new RangeError(`no expression ${index}`);
    return node;
  }

  get exprs(): readonly IrExpr[] {
    return this.#exprs.items;
  }

  get features(): readonly IrFeature[] {
    return this.#features.items;
  }

  get regexes(): readonly Program[] {
    return this.#regexes.items;
  }
}
