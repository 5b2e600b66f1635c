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
import type { ConstValue } from "../../checked.ts";
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

/** Structural keys of clauses, references keyed by what they resolve to. */
type Keyer = (value: unknown) => string;

/**
 * A keyer for one run of the lints. A const's value (a set may have hundreds
 * of elements) is serialised once per value and stands in the key as a short
 * id: keys are equal exactly when the resolutions' JSON texts are.
 */
function keyer(ctx: Ctx): Keyer {
  const valueText = new Map<ConstValue, string>();
  const valueIds = new Map<string, number>();
  const refKey = (ref: ast.Ref): string => {
    const resolution = ctx.resolutions.get(ref);
    if (resolution?.kind !== "const") return JSON.stringify(resolution ?? null);
    let text = valueText.get(resolution.value);
    if (text === undefined) {
      text = JSON.stringify(resolution.value);
      valueText.set(resolution.value, text);
    }
    let id = valueIds.get(text);
    if (id === undefined) {
      id = valueIds.size;
      valueIds.set(text, id);
    }
    return `const ${JSON.stringify(resolution.name)} ${id}`;
  };
  return (value) => structuralKey(value, refKey);
}

function toolsKey(rule: ast.Rule): string {
  return JSON.stringify([...new Set(rule.on.map((n) => n.text))].sort());
}

/** How many times each key occurs. */
function counts(keys: readonly string[]): Map<string, number> {
  const count = new Map<string, number>();
  for (const k of keys) count.set(k, (count.get(k) ?? 0) + 1);
  return count;
}

function duplicates(rules: readonly RuleEntry[], key: Keyer, ctx: Ctx): void {
  // A rule can only repeat one of the same kind on the same tools: the clauses, whose keys
  // cost the most, are keyed only for rules that share their kind and tools with another.
  const heads = rules.map((e) => `${e.rule.ruleKind} ${toolsKey(e.rule)}`);
  const sharing = counts(heads);
  const seen = new Map<string, RuleEntry>();
  rules.forEach((entry, i) => {
    const head = heads[i] as string;
    if (sharing.get(head) === 1) return;
    const r = entry.rule;
    const signature = `${head} ${key([r.when, r.unless, r.approval, r.deferral, r.modifications])}`;
    const first = seen.get(signature);
    if (first === undefined) {
      seen.set(signature, entry);
      return;
    }
    ctx.sink.report(
      "AARM4008",
      `rule \`${entry.id}\` repeats rule \`${first.id}\`: same kind, tools and clauses`,
      r.name.span,
      { notes: [note("the first rule", first.rule.name.span)] },
    );
  });
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

function conflictingModifications(rules: readonly RuleEntry[], key: Keyer, ctx: Ctx): void {
  // Only rules with structurally equal conditions can conflict certainly: group by condition first.
  // A rule that shares no tool with another modify rule conflicts with none: it is not keyed.
  const modify = rules.filter((e) => e.rule.ruleKind === "modify");
  const toolsOf = modify.map((e) => [...new Set(e.rule.on.map((n) => n.text))]);
  const sharing = counts(toolsOf.flat());
  const groups = new Map<string, RuleEntry[]>();
  for (const [i, entry] of modify.entries()) {
    if (!toolsOf[i]?.some((tool) => (sharing.get(tool) ?? 0) > 1)) continue;
    const condition = key([entry.rule.when, entry.rule.unless]);
    const group = groups.get(condition);
    if (group === undefined) groups.set(condition, [entry]);
    else group.push(entry);
  }
  for (const group of groups.values()) {
    // Each rule is paired with the earlier rules of its group that share a tool, earliest first:
    // an index by tool instead of comparing every pair.
    const byTool = new Map<string, number[]>();
    group.forEach((later, i) => {
      const earlier = new Set<number>();
      for (const tool of new Set(later.rule.on.map((n) => n.text))) {
        const seen = byTool.get(tool);
        if (seen === undefined) byTool.set(tool, [i]);
        else {
          for (const j of seen) earlier.add(j);
          seen.push(i);
        }
      }
      for (const j of [...earlier].sort((a, b) => a - b)) conflict(group[j] as RuleEntry, later, ctx);
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
  const key = keyer(ctx);
  duplicates(deciding, key, ctx);
  conflictingModifications(deciding, key, ctx);
}
