/**
 * When two decisions count as different, and how to name the difference.
 *
 * Three levels, from coarse to fine: `decision` compares only the decision
 * kind; `outcome` adds what enforcement does with it (the modified arguments,
 * the approval and deferral requirements, the context needed); `full`
 * compares every field of the decision contract, deciding rules and reasons
 * included. Audit and receipts show rules and reasons, so `full` is the default.
 *
 * @module
 */
import { jsonEqual } from "../../eval/json.ts";
import type { EvalDecision, Json } from "../../ir/contract.ts";

export type CompareLevel = "decision" | "outcome" | "full";
export const COMPARE_LEVELS: readonly CompareLevel[] = ["decision", "outcome", "full"];

type Field = Exclude<keyof EvalDecision, "decision">;

const OUTCOME_FIELDS: readonly Field[] = ["modifications", "approval", "deferral", "contextNeeded"];
const FULL_FIELDS: readonly Field[] = [...OUTCOME_FIELDS, "rules", "reasons", "classification", "risk"];

/** The fields, besides the kind, in which `a` and `b` differ at `level`. */
export function differingFields(a: EvalDecision, b: EvalDecision, level: CompareLevel): Field[] {
  const fields = level === "decision" ? [] : level === "outcome" ? OUTCOME_FIELDS : FULL_FIELDS;
  return fields.filter((f) => !jsonEqual(a[f] as Json, b[f] as Json));
}

export function sameDecision(a: EvalDecision, b: EvalDecision, level: CompareLevel): boolean {
  return a.decision === b.decision && differingFields(a, b, level).length === 0;
}

/**
 * The kind of a change: `ALLOW→DENY` when the decision changes, otherwise the
 * decision and what changed in it, e.g. `MODIFY→MODIFY (modifications)`.
 */
export function changeKind(a: EvalDecision, b: EvalDecision, level: CompareLevel): string {
  const arrow = `${a.decision}→${b.decision}`;
  if (a.decision !== b.decision) return arrow;
  return `${arrow} (${differingFields(a, b, level).join(", ")})`;
}

/**
 * Groups changes that a user would call the same: the same kind of change
 * decided by the same rules on each side.
 */
export function changeKey(a: EvalDecision, b: EvalDecision, level: CompareLevel): string {
  return `${changeKind(a, b, level)} ${a.rules.join(",")} ${b.rules.join(",")}`;
}

/** A field of a decision as JSON, for showing what changed; for modifications, the resulting arguments. */
export function fieldText(d: EvalDecision, field: keyof EvalDecision): string {
  return JSON.stringify(field === "modifications" ? (d.modifications?.args ?? null) : d[field]);
}

/**
 * For two decisions of the same kind, one line per field that differs
 * (besides rules and reasons, which are always shown): `old <field>: …` and
 * `new <field>: …`.
 */
export function fieldChanges(a: EvalDecision, b: EvalDecision, level: CompareLevel): string[] {
  if (a.decision !== b.decision) return [];
  return differingFields(a, b, level)
    .filter((f) => f !== "rules" && f !== "reasons")
    .flatMap((f) => [`old ${f}: ${fieldText(a, f)}`, `new ${f}: ${fieldText(b, f)}`]);
}
