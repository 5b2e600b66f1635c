/**
 * Modifications: the operations of matching `modify` rules applied in source
 * order to a copy of the arguments, with conflicts between rules detected by
 * applying each rule alone (docs/language.md §6).
 *
 * @module
 */
import type { AppliedModification, Json } from "../ir/contract.ts";
import type { IrModification } from "../ir/types.ts";
import type { RuleRef } from "./combine.ts";
import { type EvalContext, evalNode, IrTypeError } from "./expr.ts";
import { jsonEqual } from "./json.ts";
import { regexReplaceAll } from "./regex.ts";
import { Missing } from "./values.ts";

/** The replacement text of a redaction. */
export const REDACTED = "[REDACTED]";

type Args = { [name: string]: Json };

export type ModifyOutcome =
  | { readonly kind: "modified"; readonly applied: readonly AppliedModification[]; readonly args: Args }
  | { readonly kind: "conflict"; readonly conflicts: ReadonlyMap<RuleRef, readonly string[]> };

function nameOf(op: IrModification): string {
  const [name, ...rest] = op.path;
  if (name === undefined || rest.length > 0) throw new IrTypeError(`cannot modify args.${op.path.join(".")}`);
  return name;
}

/** Writes an own property even for names like `__proto__`. */
function write(args: Args, name: string, value: Json): void {
  Object.defineProperty(args, name, { value, enumerable: true, writable: true, configurable: true });
}

function operand(original: EvalContext, index: number): Json {
  const value = evalNode(original, index);
  if (value instanceof Missing) throw new IrTypeError("a modification value is unknown");
  return value as Json;
}

function applyRule(ref: RuleRef, args: Args, original: EvalContext, applied: AppliedModification[]): void {
  const rule = ref.rule.id;
  for (const op of ref.rule.modifications) {
    const name = nameOf(op);
    const path = [name];
    const present = Object.hasOwn(args, name);
    const current = present ? args[name] : undefined;
    switch (op.op) {
      case "set": {
        const value = operand(original, op.value);
        write(args, name, value);
        applied.push({ rule, op: "set", path, value });
        break;
      }
      case "remove":
        if (!present) break;
        delete args[name];
        applied.push({ rule, op: "remove", path });
        break;
      case "clamp": {
        const min = operand(original, op.min);
        const max = operand(original, op.max);
        if (!present) break;
        if (typeof current !== "number" || typeof min !== "number" || typeof max !== "number") {
          throw new IrTypeError(`clamp of non-number ${name}`);
        }
        write(args, name, Math.min(Math.max(current, min), max));
        applied.push({ rule, op: "clamp", path, min, max });
        break;
      }
      case "redact": {
        if (!present) break;
        if (typeof current !== "string") throw new IrTypeError(`redact of non-string ${name}`);
        const program = op.regex === null ? null : original.ir.regexes[op.regex];
        if (program === undefined) throw new IrTypeError(`no regex ${op.regex}`);
        write(args, name, program === null ? REDACTED : regexReplaceAll(program, current, REDACTED));
        applied.push({ rule, op: "redact", path, pattern: op.pattern });
        break;
      }
    }
  }
}

/** Arguments a rule writes for conflict purposes: set, remove and clamp (redactions never conflict). */
function writes(ref: RuleRef): string[] {
  return [...new Set(ref.rule.modifications.filter((op) => op.op !== "redact").map(nameOf))];
}

/** The combined modification by `rules` (matching modify rules, in source order) of the action in `original`. */
export function applyModifications(rules: readonly RuleRef[], original: EvalContext): ModifyOutcome {
  const alone = rules.map((rule) => {
    const args: Args = { ...original.args };
    applyRule(rule, args, original, []);
    return args;
  });
  const conflicts = new Map<RuleRef, string[]>();
  rules.forEach((a, i) => {
    for (let j = i + 1; j < rules.length; j++) {
      const b = rules[j] as RuleRef;
      const bWrites = writes(b);
      for (const name of writes(a).filter((n) => bWrites.includes(n))) {
        const read = (args: Args | undefined) =>
          args !== undefined && Object.hasOwn(args, name) ? args[name] : undefined;
        if (jsonEqual(read(alone[i]), read(alone[j]))) continue;
        for (const rule of [a, b]) {
          const list = conflicts.get(rule) ?? [];
          if (!list.includes(`args.${name}`)) list.push(`args.${name}`);
          conflicts.set(rule, list);
        }
      }
    }
  });
  if (conflicts.size > 0) return { kind: "conflict", conflicts };
  const args: Args = { ...original.args };
  const applied: AppliedModification[] = [];
  for (const rule of rules) applyRule(rule, args, original, applied);
  return { kind: "modified", applied, args };
}
