/**
 * The hash-consed expression table of an IR under construction: structurally
 * equal nodes get one index, so conditions shared between rules and tools are
 * stored, and evaluated, once.
 *
 * @module
 */
import type { Program } from "./regex/program.ts";
import type { IrExpr, IrFeature } from "./types.ts";

/** Interns values by their JSON text: nodes hold only JSON, and children are already interned indices. */
class Interner<T> {
  readonly items: T[] = [];
  readonly #index = new Map<string, number>();

  intern(item: T): number {
    const key = JSON.stringify(item);
    const found = this.#index.get(key);
    if (found !== undefined) return found;
    this.items.push(item);
    this.#index.set(key, this.items.length - 1);
    return this.items.length - 1;
  }
}

export class ExprTable {
  readonly #exprs = new Interner<IrExpr>();
  readonly #features = new Interner<IrFeature>();
  readonly #regexes = new Interner<Program>();

  expr(node: IrExpr): number {
    return this.#exprs.intern(node);
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
