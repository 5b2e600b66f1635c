/**
 * Rule lints. Each is sound rather than complete: it warns only when the
 * rule certainly behaves as the message says.
 *
 * - A `when` that is always true, an `unless` that is always false: the
 *   clause says nothing.
 * - A `when` always false or an `unless` always true: the rule never
 *   matches (likewise a classifier).
 * - A rule whose tools are all covered by an unconditional `forbid`: the
 *   forbid always wins, so the rule never decides anything.
 * - Two rules of one kind, on the same tools, with the same clauses.
 * - Two `modify` rules that set one argument to different constants under
 *   the same condition: whenever they match, the result is a conflict DEFER.
 *
 * Params are not folded: an importer may set them differently.
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import { type Ctx, note } from "../context.ts";
import { foldChecked } from "../evaluate.ts";
import { formatValue, valueEqual } from "../fold.ts";
import type { RuleEntry } from "../model.ts";
import { structuralKey } from "../structure.ts";

/** The constant truth value of a condition, if it has one. */
function truth(expr: ast.Expr | null, ctx: Ctx): boolean | null {
  if (expr === null) return null;
  const result = foldChecked(expr, ctx, { kleene: true, params: false });
  return result.ok && result.value.kind === "bool" ? result.value.value : null;
}

/** Whether a rule never matches; reports why. Reports constant clauses that say nothing. */
function constantClauses(entry: RuleEntry, ctx: Ctx): boolean {
  const rule = entry.rule;
  const when = truth(rule.when, ctx);
  const unless = truth(rule.unless, ctx);
  if (rule.when !== null && when === false) {
    ctx.sink.report(
      "AARM4006",
      `rule \`${entry.id}\` never matches: its \`when\` condition is always false`,
      rule.when.span,
    );
    return true;
  }
  if (rule.unless !== null && unless === true) {
    ctx.sink.report(
      "AARM4006",
      `rule \`${entry.id}\` never matches: its \`unless\` condition is always true`,
      rule.unless.span,
    );
    return true;
  }
  if (rule.when !== null && when === true) {
    ctx.sink.report(
      "AARM4005",
      "this `when` condition is always true; the clause can be removed",
      rule.when.span,
    );
  }
  if (rule.unless !== null && unless === false) {
    ctx.sink.report(
      "AARM4005",
      "this `unless` condition is always false; the clause can be removed",
      rule.unless.span,
    );
  }
  return false;
}

function classifierNeverApplies(ctx: Ctx): void {
  for (const entry of ctx.model.classifiers) {
    const when = entry.classifier.when;
    if (truth(when, ctx) !== false) continue;
    ctx.sink.report(
      "AARM4006",
      `classifier \`${entry.id}\` never applies: its condition is always false`,
      when.span,
    );
  }
}

function unconditional(rule: ast.Rule, ctx: Ctx): boolean {
  return (
    (rule.when === null || truth(rule.when, ctx) === true) &&
    (rule.unless === null || truth(rule.unless, ctx) === false)
  );
}

/** Whether every action `rule` can match is one `forbid` matches too. */
function covers(forbid: ast.Rule, rule: ast.Rule): boolean {
  if (forbid.on.length === 0) return true;
  const tools = new Set(forbid.on.map((n) => n.text));
  return rule.on.length > 0 && rule.on.every((n) => tools.has(n.text));
}

/** Reports rules an unconditional forbid shadows; returns them. */
function shadowedByForbid(rules: readonly RuleEntry[], ctx: Ctx): Set<RuleEntry> {
  const forbids = rules.filter((e) => e.rule.ruleKind === "forbid" && unconditional(e.rule, ctx));
  const shadowed = new Set<RuleEntry>();
  for (const entry of rules) {
    if (entry.rule.ruleKind === "forbid") continue;
    const forbid = forbids.find((f) => covers(f.rule, entry.rule));
    if (forbid === undefined) continue;
    shadowed.add(entry);
    ctx.sink.report(
      "AARM4007",
      `rule \`${entry.id}\` never decides anything: forbid \`${forbid.id}\` always matches the same actions, and forbid wins`,
      entry.rule.name.span,
      { notes: [note("the forbid rule", forbid.rule.name.span)] },
    );
  }
  return shadowed;
}

function key(value: unknown, ctx: Ctx): string {
  return structuralKey(value, (ref) => JSON.stringify(ctx.resolutions.get(ref) ?? null));
}

function toolsKey(rule: ast.Rule): string {
  return JSON.stringify([...new Set(rule.on.map((n) => n.text))].sort());
}

function duplicates(rules: readonly RuleEntry[], ctx: Ctx): void {
  const seen = new Map<string, RuleEntry>();
  for (const entry of rules) {
    const r = entry.rule;
    const signature = key(
      [r.ruleKind, toolsKey(r), r.when, r.unless, r.approval, r.deferral, r.modifications],
      ctx,
    );
    const first = seen.get(signature);
    if (first === undefined) {
      seen.set(signature, entry);
      continue;
    }
    ctx.sink.report(
      "AARM4008",
      `rule \`${entry.id}\` repeats rule \`${first.id}\`: same kind, tools and clauses`,
      r.name.span,
      { notes: [note("the first rule", first.rule.name.span)] },
    );
  }
}

type SetOp = Extract<ast.ModOp, { kind: "SetOp" }>;

/** The `set` operations of a rule, by argument. */
function setsOf(rule: ast.Rule): Map<string, SetOp> {
  const sets = new Map<string, SetOp>();
  for (const op of rule.modifications) {
    const [name] = op.path.segments;
    if (op.kind === "SetOp" && name !== undefined) sets.set(name.text, op);
  }
  return sets;
}

function overlap(a: ast.Rule, b: ast.Rule): boolean {
  const tools = new Set(a.on.map((n) => n.text));
  return b.on.some((n) => tools.has(n.text));
}

function conflictingModifications(rules: readonly RuleEntry[], ctx: Ctx): void {
  // Only rules with structurally equal conditions can conflict certainly: group by condition first.
  const groups = new Map<string, RuleEntry[]>();
  for (const entry of rules) {
    if (entry.rule.ruleKind !== "modify") continue;
    const condition = key([entry.rule.when, entry.rule.unless], ctx);
    groups.set(condition, [...(groups.get(condition) ?? []), entry]);
  }
  for (const group of groups.values()) {
    group.forEach((later, i) => {
      for (const earlier of group.slice(0, i))
        if (overlap(earlier.rule, later.rule)) conflict(earlier, later, ctx);
    });
  }
}

function conflict(earlier: RuleEntry, later: RuleEntry, ctx: Ctx): void {
  const earlierSets = setsOf(earlier.rule);
  for (const [arg, set] of setsOf(later.rule)) {
    const other = earlierSets.get(arg);
    if (other === undefined) continue;
    const a = foldChecked(other.value, ctx, { kleene: false, params: true });
    const b = foldChecked(set.value, ctx, { kleene: false, params: true });
    if (!a.ok || !b.ok || valueEqual(a.value, b.value)) continue;
    ctx.sink.report(
      "AARM4009",
      `rules \`${earlier.id}\` and \`${later.id}\` set \`args.${arg}\` to different values (${formatValue(a.value)} and ${formatValue(b.value)}) under the same condition: when both match, the decision is DEFER for the conflict`,
      set.span,
      { notes: [note(`\`${earlier.id}\` sets it here`, other.span)] },
    );
  }
}

export function ruleLints(ctx: Ctx): void {
  const live = ctx.model.rules.filter((entry) => !constantClauses(entry, ctx));
  classifierNeverApplies(ctx);
  const shadowed = shadowedByForbid(live, ctx);
  const deciding = live.filter((entry) => !shadowed.has(entry));
  duplicates(deciding, ctx);
  conflictingModifications(deciding, ctx);
}
