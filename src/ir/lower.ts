/**
 * Lowering a checked policy to the IR: the dispatch table, each tool's
 * candidate rules with conditions specialised to it, the rules' outcome data,
 * classifiers, and the hash over the canonical document.
 *
 * @module
 */

import type * as ast from "../lang/ast.ts";
import type { CheckedClassifier, CheckedPolicy, CheckedRule, ToolInfo, Type } from "../lang/checked.ts";
import { type Diagnostic, diagnostic } from "../lang/diagnostic.ts";
import { canonicalHash } from "../schema/canonical.ts";
import { measureCost } from "./cost.ts";
import { ExprTable } from "./expr-table.ts";
import {
  dependsOnTool,
  type LowerContext,
  LoweringError,
  lowerExpr,
  lowerJunction,
  lowerNot,
} from "./lower-expr.ts";
import { compileRegex } from "./regex/compile.ts";
import {
  IR_FORMAT,
  IR_VERSION,
  type Ir,
  type IrApproval,
  type IrArg,
  type IrCandidate,
  type IrModification,
  type IrRule,
  type IrRuleKind,
  type IrTool,
  type IrType,
} from "./types.ts";

/** Defaults of rule clauses (docs/language.md §6). */
const DEFAULT_QUORUM = 1;
const DEFAULT_STEP_UP_TIMEOUT_MS = 15 * 60_000;
const DEFAULT_DEFER_TIMEOUT_MS = 5 * 60_000;

/** Strongest kind first: the order candidates are listed and evaluated in (docs/language.md §6). */
export const TIERS: readonly IrRuleKind[] = ["forbid", "deny", "defer", "step_up", "modify", "allow"];

export type LowerResult =
  | { readonly ok: true; readonly ir: Ir }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

function irType(type: Type): IrType {
  switch (type.kind) {
    case "string":
    case "number":
    case "bool":
    case "duration":
    case "json":
      return type.kind;
    case "effect":
    case "label":
    case "level":
      return "string";
    case "set":
      return type.element.kind === "number" || type.element.kind === "duration"
        ? "set<number>"
        : "set<string>";
    case "empty_set":
      return "set";
  }
}

function approvalOf(clause: ast.ApprovalClause): IrApproval {
  return {
    approvers: clause.approvers.map((a) => a.value),
    quorum: clause.quorum?.value ?? DEFAULT_QUORUM,
    timeoutMs: clause.timeout?.ms ?? DEFAULT_STEP_UP_TIMEOUT_MS,
    escalation:
      clause.escalation === null
        ? null
        : { afterMs: clause.escalation.after.ms, to: clause.escalation.to.map((a) => a.value) },
    selfApproval: clause.selfApproval,
  };
}

function regexSource(literal: ast.RegexLiteral): string {
  return literal.flags.includes("i") ? `(?i)${literal.source}` : literal.source;
}

/** A modification operation; operand expressions are lowered for one of the rule's tools. */
function lowerModification(ctx: LowerContext, op: ast.ModOp): IrModification {
  const path = op.path.segments.map((s) => s.text);
  switch (op.kind) {
    case "SetOp":
      return { op: "set", path, value: lowerExpr(ctx, op.value) };
    case "RemoveOp":
      return { op: "remove", path };
    case "ClampOp":
      return { op: "clamp", path, min: lowerExpr(ctx, op.min), max: lowerExpr(ctx, op.max) };
    case "RedactOp": {
      if (op.pattern === null) return { op: "redact", path, regex: null, pattern: null };
      const compiled = compileRegex(op.pattern.source, op.pattern.flags);
      if (!compiled.ok)
        throw new LoweringError(`regex cannot be compiled: ${compiled.message}`, op.pattern.span);
      return {
        op: "redact",
        path,
        regex: ctx.table.regex(compiled.program),
        pattern: regexSource(op.pattern),
      };
    }
  }
}

function ruleData(ctx: LowerContext, rule: CheckedRule): IrRule {
  const r = rule.rule;
  return {
    id: rule.id,
    kind: r.ruleKind,
    reason: r.because?.value ?? `${r.ruleKind} rule ${rule.id} matched`,
    risk: r.risk?.level ?? null,
    approval: r.approval === null ? null : approvalOf(r.approval),
    deferral:
      r.deferral === null
        ? null
        : {
            needs: r.deferral.needs.map((n) => n.text),
            timeoutMs: r.deferral.timeout?.ms ?? DEFAULT_DEFER_TIMEOUT_MS,
            then: r.deferral.then,
          },
    modifications: r.modifications.map((op) => lowerModification(ctx, op)),
  };
}

/** `when` holds and `unless` does not: Kleene `when and not unless`. */
function lowerCondition(ctx: LowerContext, when: ast.Expr | null, unless: ast.Expr | null): number {
  const parts: number[] = [];
  if (when !== null) parts.push(lowerExpr(ctx, when));
  if (unless !== null) parts.push(lowerNot(ctx, lowerExpr(ctx, unless)));
  return lowerJunction(ctx, "and", parts);
}

/**
 * Which rules and classifiers apply to which tool, computed once: those that
 * list the tool in `on` plus those without `on`, rules strongest kind first
 * and in source order within a kind. Lowering each tool then costs what its
 * own rules cost, not what the whole policy has.
 */
interface ApplicableIndex {
  readonly rules: (tool: string) => readonly number[];
  readonly classifiers: (tool: string) => readonly number[];
  /** Whether a rule's or classifier's condition reads the tool (name, effect or target). */
  readonly generic: (key: object, exprs: readonly (ast.Expr | null)[]) => boolean;
}

function indexApplicable(policy: CheckedPolicy): ApplicableIndex {
  const group = (items: readonly { readonly on: readonly string[] }[], order: (i: number) => number) => {
    const byTool = new Map<string, number[]>();
    const anyTool: number[] = [];
    items.forEach((item, index) => {
      if (item.on.length === 0) anyTool.push(index);
      for (const tool of new Set(item.on)) {
        const list = byTool.get(tool);
        if (list === undefined) byTool.set(tool, [index]);
        else list.push(index);
      }
    });
    return (tool: string): number[] =>
      [...(byTool.get(tool) ?? []), ...anyTool].sort((a, b) => order(a) - order(b) || a - b);
  };
  const tier = (index: number): number => TIERS.indexOf(policy.rules[index]?.rule.ruleKind ?? "allow");
  const generic = new Map<object, boolean>();
  return {
    rules: group(policy.rules, tier),
    classifiers: group(policy.classifiers, () => 0),
    generic(key, exprs) {
      let known = generic.get(key);
      if (known === undefined) {
        known = !exprs.some((e) => e !== null && dependsOnTool(policy, e));
        generic.set(key, known);
      }
      return known;
    },
  };
}

function lowerTool(
  policy: CheckedPolicy,
  table: ExprTable,
  name: string,
  info: ToolInfo,
  shared: Map<object, number>,
  applicable: ApplicableIndex,
): IrTool {
  const ctx: LowerContext = { policy, table, tool: { name, info } };
  // A condition that reads nothing of the tool lowers the same for every tool: lower it once.
  const conditionFor = (key: object, when: ast.Expr | null, unless: ast.Expr | null): number => {
    const generic = applicable.generic(key, [when, unless]);
    const cached = generic ? shared.get(key) : undefined;
    if (cached !== undefined) return cached;
    const cond = lowerCondition(ctx, when, unless);
    if (generic) shared.set(key, cond);
    return cond;
  };
  const isFalse = (cond: number): boolean => {
    const node = table.at(cond);
    return node.op === "const" && node.value === false;
  };

  const candidates: IrCandidate[] = [];
  for (const index of applicable.rules(name)) {
    const rule = policy.rules[index] as CheckedRule;
    const cond = conditionFor(rule, rule.rule.when, rule.rule.unless);
    if (!isFalse(cond)) candidates.push({ rule: index, cond });
  }
  const classifiers: IrCandidate[] = [];
  for (const index of applicable.classifiers(name)) {
    const c = policy.classifiers[index] as CheckedClassifier;
    const cond = conditionFor(c, c.classifier.when, null);
    if (!isFalse(cond)) classifiers.push({ rule: index, cond });
  }
  const args: Record<string, IrArg> = {};
  for (const [argName, arg] of [...info.args].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    args[argName] = { type: irType(arg.type), optional: arg.optional };
  }
  return {
    effect: info.effect,
    args,
    target: info.target === null ? null : lowerExpr(ctx, info.target),
    output: [...info.output].sort(),
    candidates,
    classifiers,
  };
}

/** The tool whose declaration types a rule's `args` (any of its `on` tools; the checker made them agree). */
function typingTool(policy: CheckedPolicy, on: readonly string[]): LowerContext["tool"] {
  const name = on[0];
  const info = name === undefined ? undefined : policy.tools.get(name);
  return name === undefined || info === undefined ? null : { name, info };
}

function lowerDocument(policy: CheckedPolicy): Ir {
  const table = new ExprTable();
  const rules = policy.rules.map((rule) =>
    ruleData({ policy, table, tool: typingTool(policy, rule.on) }, rule),
  );
  const shared = new Map<object, number>();
  const applicable = indexApplicable(policy);
  const tools: Record<string, IrTool> = {};
  for (const name of [...policy.tools.keys()].sort()) {
    tools[name] = lowerTool(policy, table, name, policy.tools.get(name) as ToolInfo, shared, applicable);
  }
  const undeclared: LowerContext = { policy, table, tool: "undeclared" };
  const undeclaredToolClassifiers: IrCandidate[] = [];
  policy.classifiers.forEach((c, index) => {
    if (c.on.length > 0) return;
    const cond = lowerExpr(undeclared, c.classifier.when);
    const node = table.at(cond);
    if (!(node.op === "const" && node.value === false)) undeclaredToolClassifiers.push({ rule: index, cond });
  });
  const facts: Record<string, IrType> = {};
  for (const name of [...policy.facts.keys()].sort()) facts[name] = irType(policy.facts.get(name) as Type);
  const unhashed: Ir = {
    format: IR_FORMAT,
    irVersion: IR_VERSION,
    policy: { name: policy.name, version: policy.version },
    hash: "",
    defaultPosture: policy.defaultPosture,
    facts,
    exprs: table.exprs,
    regexes: table.regexes,
    features: table.features,
    rules,
    classifiers: policy.classifiers.map((c) => ({
      id: c.id,
      labels: c.classifier.labels.map((l) => l.text).sort(),
    })),
    tools,
    undeclaredToolClassifiers,
    cost: 0,
  };
  const withCost: Ir = { ...unhashed, cost: measureCost(unhashed) };
  const hash = canonicalHash(withCost);
  if (!hash.ok) throw new Error(`the IR is not canonical JSON: ${hash.error.message}`);
  return { ...withCost, hash: hash.value };
}

/** Compiles a checked policy to the IR. Constructs the IR cannot express are diagnostics, never exceptions. */
export function lowerPolicy(policy: CheckedPolicy): LowerResult {
  try {
    return { ok: true, ir: lowerDocument(policy) };
  } catch (error) {
    if (error instanceof LoweringError) {
      return { ok: false, diagnostics: [diagnostic("AARM5001", "error", error.message, error.span)] };
    }
    throw error;
  }
}
