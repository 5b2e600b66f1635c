/**
 * Name lookup that does not depend on where in a rule a name appears:
 * consts and params (own ones unqualified, other modules' qualified by the
 * module name), facts, effect names, labels, and the `identity.*`,
 * `intent.*` and `session.*` references. The action's and entry's fields,
 * `output` and `args` depend on the position and are resolved by the typer.
 *
 * @module
 */
import { EFFECTS, type Effect, type Name } from "../ast.ts";
import {
  BUILTIN_CATEGORIES,
  type BuiltinRef,
  DOTTED_REFS,
  isBuiltinLabel,
  isEffect,
  isLevel,
  LEVELS,
  PROVENANCE_LABELS,
} from "./builtins.ts";
import type { CategoryEntry, ConstEntry, FactEntry, Model, Unit } from "./model.ts";

export type Sym =
  | { readonly kind: "const"; readonly entry: ConstEntry }
  | { readonly kind: "fact"; readonly entry: FactEntry }
  | { readonly kind: "effect"; readonly effect: Effect }
  /** A label; `category` is set for a declared category. */
  | {
      readonly kind: "label";
      readonly label: string;
      readonly level: boolean;
      readonly category: CategoryEntry | null;
    }
  | { readonly kind: "builtin"; readonly name: string; readonly ref: BuiltinRef };

/** Whether `name` is a label: a level, a built-in or declared category, `untrusted` or `trusted`. */
export function isLabel(name: string, model: Model): boolean {
  return isBuiltinLabel(name) || model.categories.has(name);
}

/** Resolves a reference path from `unit`, or undefined when nothing has that name. */
export function lookup(path: readonly Name[], unit: Unit, model: Model): Sym | undefined {
  const text = path.map((n) => n.text).join(".");
  const [first] = path;
  if (first === undefined) return undefined;
  if (path.length === 1) {
    const own = unit.scope.get(text);
    if (own !== undefined) return { kind: "const", entry: own };
    const fact = model.facts.get(text);
    if (fact !== undefined) return { kind: "fact", entry: fact };
    if (isEffect(text)) return { kind: "effect", effect: text };
    if (isLabel(text, model)) {
      return {
        kind: "label",
        label: text,
        level: isLevel(text),
        category: model.categories.get(text) ?? null,
      };
    }
    return undefined;
  }
  const builtin = DOTTED_REFS.get(text);
  if (builtin !== undefined) return { kind: "builtin", name: text, ref: builtin };
  const module = model.modules.get(
    path
      .slice(0, -1)
      .map((n) => n.text)
      .join("."),
  );
  const last = path[path.length - 1];
  const entry = last === undefined ? undefined : module?.scope.get(last.text);
  return entry === undefined ? undefined : { kind: "const", entry };
}

/** Every name `lookup` accepts from `unit`, for did-you-mean suggestions. */
export function namesInScope(unit: Unit, model: Model): string[] {
  const names: string[] = [...unit.scope.keys(), ...model.facts.keys(), ...model.categories.keys()];
  names.push(...EFFECTS, ...LEVELS, ...BUILTIN_CATEGORIES, ...PROVENANCE_LABELS, ...DOTTED_REFS.keys());
  for (const [name, module] of model.modules) {
    if (module !== unit) for (const c of module.scope.keys()) names.push(`${name}.${c}`);
  }
  return names;
}
