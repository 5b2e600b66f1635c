/**
 * Const and param values, evaluated once each, on demand, at check time.
 * A param takes the value an importer binds it to with `with { … }`
 * (evaluated in the importer's scope), else its default. A const that
 * depends on itself is reported where the cycle closes.
 *
 * @module
 */
import type * as ast from "../ast.ts";
import { note, type Sink } from "./context.ts";
import { type Folded, fold, valueEqual } from "./fold.ts";
import type { ConstEntry, Model, Unit } from "./model.ts";
import { lookup } from "./scope.ts";

/** A `with` binding of a param, with the file it is written in. */
export interface Binding {
  readonly binding: ast.ParamBinding;
  readonly importer: Unit;
}

export class ConstEvaluator {
  private readonly results = new Map<ConstEntry, Folded | "active">();
  private readonly stack: ConstEntry[] = [];
  /** The binding that sets each bound param: the first one, in import order. */
  private readonly bindings = new Map<ConstEntry, Binding>();

  private readonly model: Model;
  private readonly sink: Sink;

  constructor(model: Model, sink: Sink) {
    this.model = model;
    this.sink = sink;
    for (const link of model.imports) {
      const module = model.unitByPath.get(link.target);
      const importer = model.unitByPath.get(link.importer);
      if (module === undefined || importer === undefined) continue;
      for (const binding of link.node.bindings) {
        const entry = module.scope.get(binding.name.text);
        if (entry === undefined || entry.decl.kind !== "ParamDecl" || this.bindings.has(entry)) continue;
        this.bindings.set(entry, { binding, importer });
      }
    }
  }

  /** The binding that sets a param, if an importer binds it. */
  bindingOf(entry: ConstEntry): Binding | undefined {
    return this.bindings.get(entry);
  }

  /** The value of a const or param; `via` is the reference that asks, for reporting cycles. */
  value(entry: ConstEntry, via: ast.Ref | null = null): Folded {
    const known = this.results.get(entry);
    if (known === "active") {
      const chain = [...this.stack.slice(this.stack.indexOf(entry)), entry].map((e) => e.id).join(" → ");
      const at = via ?? entry.name;
      this.sink.report("AARM3012", `constants depend on each other: ${chain}`, at.span, {
        notes: [note(`\`${entry.id}\` is declared here`, entry.name.span)],
      });
      return { ok: false, reason: "cycle", node: via ?? entry.decl.value };
    }
    if (known !== undefined) return known;
    this.results.set(entry, "active");
    this.stack.push(entry);
    const bound = this.bindings.get(entry);
    const result = bound
      ? this.evaluate(bound.binding.value, bound.importer)
      : this.evaluate(entry.decl.value, entry.unit);
    this.stack.pop();
    this.results.set(entry, result);
    return result;
  }

  /** Folds an expression written in `unit`, resolving names there. */
  evaluate(expr: ast.Expr, unit: Unit): Folded {
    return fold(expr, (ref) => {
      const sym = lookup(ref.path, unit, this.model);
      if (sym === undefined) return { ok: false, reason: "unresolved", node: ref };
      switch (sym.kind) {
        case "const":
          return this.value(sym.entry, ref);
        case "effect":
          return { ok: true, value: { kind: "effect", value: sym.effect } };
        case "label":
          return { ok: true, value: { kind: "label", value: sym.label } };
        default:
          return { ok: false, reason: "not-constant", node: ref };
      }
    });
  }

  /** Whether two bindings both evaluate, each in its importer, to different values. */
  differ(a: Binding, b: Binding): boolean {
    const x = this.evaluate(a.binding.value, a.importer);
    const y = this.evaluate(b.binding.value, b.importer);
    return x.ok && y.ok && !valueEqual(x.value, y.value);
  }
}
