/**
 * What the compiler reports about a lowered policy: a cost over the budget
 * the caller set (AARM5002), and rules that lowering proves never decide
 * anything (AARM5003).
 *
 * A rule never decides anything when, for every declared tool it applies to,
 * either its condition folds to false once the tool's name, effect and target
 * are known (lowering then lists it for no tool), or a stronger rule's
 * condition folds to true (the evaluator stops before reaching it). The
 * checker's lints see neither the tool nor params' bound values; where they
 * have already warned about a rule (AARM4006, AARM4007, AARM4011), nothing
 * is added.
 *
 * @module
 */
import type * as ast from "../lang/ast.ts";
import type { CheckedPolicy } from "../lang/checked.ts";
import { type Diagnostic, type DiagnosticNote, diagnostic } from "../lang/diagnostic.ts";
import { toolCost } from "./cost.ts";
import { TIERS } from "./lower.ts";
import type { Ir } from "./types.ts";

/** Checker lints that say a rule never matches or never decides: a false condition, a forbid, an undeclared tool. */
const CHECKER_DEAD_RULE_CODES = new Set(["AARM4006", "AARM4007", "AARM4011"]);

function within(inner: ast.Span, outer: ast.Span): boolean {
  return inner.file === outer.file && inner.start >= outer.start && inner.end <= outer.end;
}

/** AARM5002 when the IR's cost exceeds `maxCost`, located at the most expensive tool; null otherwise. */
export function budgetDiagnostic(policy: CheckedPolicy, ir: Ir, maxCost: number): Diagnostic | null {
  if (ir.cost <= maxCost) return null;
  let worst: { name: string; cost: number } | null = null;
  for (const [name, tool] of Object.entries(ir.tools)) {
    const cost = toolCost(ir, tool);
    if (worst === null || cost > worst.cost) worst = { name, cost };
  }
  const span = worst === null ? null : (policy.tools.get(worst.name)?.span ?? null);
  return diagnostic(
    "AARM5002",
    "error",
    `a decision for \`${worst?.name ?? ""}\` may evaluate ${ir.cost} expression nodes, over the budget of ${maxCost}`,
    span,
  );
}

/** What lowering proves about a rule that is a candidate for some tool. */
interface Fate {
  /** Whether some tool tests it: no stronger rule always matches there first. */
  live: boolean;
  /** Where it is never tested: the stronger rule that always matches first, with those tools. */
  readonly shadowedBy: Map<number, string[]>;
}

/**
 * The fate of each rule that is a candidate for some tool, in one pass over
 * the candidates: they are ordered strongest kind first, so the first one
 * whose condition is the constant `true` ends the evaluation of every weaker
 * kind after it.
 */
function fates(ir: Ir): Map<number, Fate> {
  const out = new Map<number, Fate>();
  for (const [name, tool] of Object.entries(ir.tools)) {
    let stop: { readonly rule: number; readonly strength: number } | null = null;
    for (const c of tool.candidates) {
      const kind = ir.rules[c.rule]?.kind;
      if (kind === undefined) continue;
      const strength = TIERS.indexOf(kind);
      let fate = out.get(c.rule);
      if (fate === undefined) {
        fate = { live: false, shadowedBy: new Map() };
        out.set(c.rule, fate);
      }
      if (stop !== null && strength > stop.strength) {
        const tools = fate.shadowedBy.get(stop.rule);
        if (tools === undefined) fate.shadowedBy.set(stop.rule, [name]);
        else tools.push(name);
      } else {
        fate.live = true;
      }
      const node = ir.exprs[c.cond];
      if (stop === null && node?.op === "const" && node.value === true) stop = { rule: c.rule, strength };
    }
  }
  return out;
}

/** Tool names for a message: all of a short list, else how many. */
function toolList(names: readonly string[]): string {
  return names.length <= 5 ? names.map((n) => `\`${n}\``).join(", ") : `${names.length} tools`;
}

/**
 * AARM5003 for every rule that never decides anything, except those the
 * checker already reported (`known`: the checker's diagnostics) and those of
 * standard-library modules.
 */
export function deadRuleDiagnostics(
  policy: CheckedPolicy,
  ir: Ir,
  known: readonly Diagnostic[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const fateOf = fates(ir);
  policy.rules.forEach((checked, index) => {
    const fate = fateOf.get(index);
    if (fate?.live === true) return;
    const rule = checked.rule;
    const reported = known.some(
      (d) => CHECKER_DEAD_RULE_CODES.has(d.code) && d.span !== null && within(d.span, rule.span),
    );
    // Standard-library rules are written for any policy: that some never apply to this policy's
    // tools is expected, not a mistake of the user's.
    if (reported || rule.span.file.startsWith("std/")) return;
    if (fate === undefined) {
      const tools = checked.on.length > 0 ? checked.on : Object.keys(ir.tools);
      const message =
        tools.length === 0
          ? `rule \`${checked.id}\` never matches: the policy declares no tool, and actions of undeclared tools are denied before any rule runs`
          : `rule \`${checked.id}\` never matches: its condition is false for every tool it applies to (${toolList(tools)}) once the tool's name, effect and target are known`;
      out.push(diagnostic("AARM5003", "warning", message, rule.name.span));
      return;
    }
    const notes: DiagnosticNote[] = [...fate.shadowedBy]
      .sort(([a], [b]) => a - b)
      .map(([stronger, tools]) => ({
        message: `\`${ir.rules[stronger]?.id ?? ""}\` always matches ${toolList(tools)}`,
        span: policy.rules[stronger]?.rule.name.span ?? null,
      }));
    out.push(
      diagnostic(
        "AARM5003",
        "warning",
        `rule \`${checked.id}\` never decides anything: wherever it can match, a rule of a stronger kind always matches too`,
        rule.name.span,
        { notes },
      ),
    );
  });
  return out;
}
