/**
 * Modifications: applying the operations of matching `modify` rules, and
 * detecting conflicts between them (docs/language.md §6).
 *
 * Operation values (`set args.x = …`, clamp bounds) are evaluated on the
 * original action, like the rules' conditions; the operations themselves
 * apply in source order, each to the arguments the previous ones produced.
 * Arguments are flat, so a shallow copy of the argument record is enough and
 * untouched values are shared, never copied.
 *
 * @module
 */

import { jsonEqual } from "../eval/json.ts";
import type { AppliedModification, Json } from "../ir/contract.ts";
import type { ArgPath, ModOp } from "../lang/ast.ts";
import type { CheckedRule } from "../lang/checked.ts";
import { SemanticsTypeError } from "./errors.ts";
import { evalExpr } from "./expr.ts";
import { REDACTED, regexRedact, regexSource } from "./regex.ts";
import { argPathName, argSegments, type Scope } from "./scope.ts";
import { expectNumber, type Value, valueToJson } from "./values.ts";

type Args = { [name: string]: Json };

type ModifyOutcome =
  | { readonly kind: "modified"; readonly applied: readonly AppliedModification[]; readonly args: Args }
  /** Two rules write the same argument differently: each conflicting rule with the paths it conflicts on. */
  | { readonly kind: "conflict"; readonly conflicts: ReadonlyMap<CheckedRule, readonly string[]> };

/** The one argument name an operation targets. Arguments are flat: deeper paths have no typed fields. */
function argName(path: ArgPath): string {
  const segments = argSegments(path);
  if (segments.length !== 1) throw new SemanticsTypeError(`cannot modify ${argPathName(path)}`);
  return segments[0] as string;
}

/** Writes an own property even for names like `__proto__`, which plain assignment would not. */
function write(args: Args, name: string, value: Json): void {
  Object.defineProperty(args, name, { value, enumerable: true, writable: true, configurable: true });
}

function read(args: Args | undefined, name: string): Json | undefined {
  return args !== undefined && Object.hasOwn(args, name) ? args[name] : undefined;
}

/** Paths a rule writes for conflict purposes: set, remove and clamp (redactions never conflict). */
function writes(rule: CheckedRule): Set<string> {
  return new Set(
    rule.rule.modifications.filter((op) => op.kind !== "RedactOp").map((op) => argName(op.path)),
  );
}

/**
 * The values an operation needs, evaluated on the original action. They are constants or arguments
 * the rule's conditions prove present, so never unknown in a checked policy.
 */
function operands(op: ModOp, original: Scope): Value[] {
  const exprs = op.kind === "SetOp" ? [op.value] : op.kind === "ClampOp" ? [op.min, op.max] : [];
  return exprs.map((e) => {
    const value = evalExpr(e, original);
    if (value.kind === "unknown") throw new SemanticsTypeError("a modification value is unknown");
    return value;
  });
}

/** Applies one rule's operations to `args` in place, appending what was applied. */
function applyRule(rule: CheckedRule, args: Args, original: Scope, applied: AppliedModification[]): void {
  for (const op of rule.rule.modifications) {
    const name = argName(op.path);
    const path = [name];
    const values = operands(op, original);
    const present = Object.hasOwn(args, name);
    const current = present ? args[name] : undefined;
    switch (op.kind) {
      case "SetOp": {
        const value = valueToJson(values[0] as Value);
        write(args, name, value);
        applied.push({ rule: rule.id, op: "set", path, value });
        break;
      }
      case "RemoveOp":
        if (!present) break;
        delete args[name];
        applied.push({ rule: rule.id, op: "remove", path });
        break;
      case "ClampOp": {
        if (!present) break;
        const min = expectNumber(values[0] as Value, "clamp minimum");
        const max = expectNumber(values[1] as Value, "clamp maximum");
        if (typeof current !== "number") throw new SemanticsTypeError(`clamp of non-number ${name}`);
        write(args, name, Math.min(Math.max(current, min), max));
        applied.push({ rule: rule.id, op: "clamp", path, min, max });
        break;
      }
      case "RedactOp":
        if (!present) break;
        if (typeof current !== "string") throw new SemanticsTypeError(`redact of non-string ${name}`);
        write(args, name, op.pattern === null ? REDACTED : regexRedact(op.pattern, current));
        applied.push({ rule: rule.id, op: "redact", path, pattern: op.pattern && regexSource(op.pattern) });
        break;
    }
  }
}

/**
 * The combined modification of `rules` (matching modify rules, in source order) on the
 * action in `original`.
 */
export function applyModifications(rules: readonly CheckedRule[], original: Scope): ModifyOutcome {
  const alone = new Map<CheckedRule, Args>();
  for (const rule of rules) {
    const args: Args = { ...original.args };
    applyRule(rule, args, original, []);
    alone.set(rule, args);
  }

  const conflicts = new Map<CheckedRule, string[]>();
  for (const [i, a] of rules.entries()) {
    for (const b of rules.slice(i + 1)) {
      const shared = [...writes(a)].filter((name) => writes(b).has(name));
      for (const name of shared) {
        if (jsonEqual(read(alone.get(a), name), read(alone.get(b), name))) continue;
        for (const rule of [a, b]) {
          const list = conflicts.get(rule) ?? [];
          if (!list.includes(`args.${name}`)) list.push(`args.${name}`);
          conflicts.set(rule, list);
        }
      }
    }
  }
  if (conflicts.size > 0) return { kind: "conflict", conflicts };

  const args: Args = { ...original.args };
  const applied: AppliedModification[] = [];
  for (const rule of rules) applyRule(rule, args, original, applied);
  return { kind: "modified", applied, args };
}
