/**
 * Explanations of decisions: which clauses of the deciding rules held, what
 * is missing for a DEFER, and what would change the outcome — the clauses
 * whose falsity would stop a deciding rule from matching, and for a decision
 * of the default posture the rules that came closest to changing it ("near
 * misses").
 *
 * An explanation is computed after `evaluate`, from the IR, the input and the
 * decision; it never changes the decision. It evaluates only the conditions
 * of the action's tool's candidates, sharing one memo, so it costs about what
 * the decision did. Conditions are rendered back to policy syntax from the IR
 * nodes (specialised to the tool: `tool == …` and `effect == …` tests have
 * already folded away). The IR keeps compiled regex programs only, so a
 * `matches` test shows its pattern when the caller passes the sources
 * (`regexSources` in `aarm/compiler`) and `regex #N` otherwise.
 *
 * Like the rest of `src/eval`, this module depends on nothing outside it but
 * the IR's types.
 *
 * @module
 */
import type { DecisionKind, EvalDecision, EvalInput } from "../ir/contract.ts";
import type { Ir, IrCandidate, IrExpr, IrRuleKind, IrTool } from "../ir/types.ts";
import { ruleRefs } from "./combine.ts";
import { type EvalContext, evalNode } from "./expr.ts";
import { applyModifications } from "./modify.ts";
import { Missing, type Tri } from "./values.ts";

/** A clause's truth value in the action's context. */
export type ClauseValue = boolean | "unknown";

export interface ExplainedClause {
  /** The clause in policy syntax. */
  readonly text: string;
  readonly value: ClauseValue;
  /** For an unknown clause: the inputs whose absence leaves it open, sorted. */
  readonly missing: readonly string[];
}

export interface ExplainedRule {
  readonly rule: string;
  readonly kind: IrRuleKind;
  readonly reason: string;
  /**
   * The conjuncts of the rule's condition for this tool, in the order
   * their nodes were created (leaves before what is built on them, close to
   * source order), not the cheapest-first order they are evaluated in; empty
   * when the condition always holds for the tool.
   */
  readonly clauses: readonly ExplainedClause[];
  /** Whether the clauses are those of the action as modified by the matching modify rules (the re-check). */
  readonly modified: boolean;
}

/**
 * What would change the outcome.
 *
 * - `unmatch`: the deciding rule `rule` would stop matching if any one of
 *   `clauses` held (each the negation of a clause that holds now).
 * - `unconditional`: the deciding rule `rule` matches every action of this
 *   tool; only a different tool or policy changes that.
 * - `near_miss`: rule `rule` would have decided instead if `clauses` (those
 *   that failed or are unknown) had held.
 * - `provide`: the decision is open until the inputs `clauses` are provided.
 * - `no_rule`: no rule for this tool could change a decision of the default
 *   posture.
 * - `undeclared_tool`: the policy declares no tool of this name.
 */
export interface Hint {
  readonly kind: "unmatch" | "unconditional" | "near_miss" | "provide" | "no_rule" | "undeclared_tool";
  /** The rule the hint is about, if any. */
  readonly rule: string | null;
  readonly clauses: readonly string[];
  /** The hint in words. */
  readonly text: string;
}

export interface Explanation {
  readonly decision: DecisionKind;
  readonly tool: string;
  /** One line: the decision and what decided it. */
  readonly summary: string;
  /** The deciding rules (none for the default posture or an undeclared tool), in the decision's order. */
  readonly deciding: readonly ExplainedRule[];
  /** For DEFER: the inputs to provide, sorted (the decision's `contextNeeded`). */
  readonly contextNeeded: readonly string[];
  /**
   * For a decision of the default posture: the rules for this tool that would
   * have decided otherwise and came closest — fewest failed clauses first, at
   * most `NEAR_MISSES`.
   */
  readonly nearMisses: readonly ExplainedRule[];
  readonly hints: readonly Hint[];
}

export interface ExplainOptions {
  /** The source of each regex of the IR (`/…/i`), by index, as `regexSources` returns them. */
  readonly regexSources?: readonly (string | null)[];
}

/** How many near misses an explanation lists. */
export const NEAR_MISSES = 3;

/** Longest rendering of one clause; longer ones are cut (an IR from disk may nest deeply). */
const MAX_TEXT = 300;

// ---------------------------------------------------------------------------
// Rendering IR expressions as policy syntax

/** Binding strength, loosest first, as in the grammar (`grammar/aarm.ebnf`). */
const Prec = { Or: 1, And: 2, Not: 3, Compare: 4, Add: 5, Mul: 6, Neg: 7, Atom: 8 } as const;
type Prec = number;

interface Rendered {
  readonly text: string;
  readonly prec: Prec;
}

const NEGATED_COMPARE = { "==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">" } as const;

const UNITS: readonly [number, string][] = [
  [86_400_000, "d"],
  [3_600_000, "h"],
  [60_000, "m"],
  [1_000, "s"],
];

function duration(ms: number): string {
  for (const [size, unit] of UNITS) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function cut(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 1)}…`;
}

function scalar(value: string | number | boolean): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** Renders the nodes of one IR, memoised: shared nodes are rendered once. */
class Renderer {
  readonly #ir: Ir;
  readonly #regexSources: readonly (string | null)[];
  readonly #memo = new Map<number, Rendered>();

  constructor(ir: Ir, regexSources: readonly (string | null)[]) {
    this.#ir = ir;
    this.#regexSources = regexSources;
  }

  text(index: number): string {
    return this.#node(index).text;
  }

  /** The clause's negation, said positively where the syntax allows (`a > b` → `a <= b`). */
  negated(index: number): string {
    const node = this.#ir.exprs[index];
    switch (node?.op) {
      case "not":
        return this.text(node.arg);
      case "compare":
        return cut(this.#binary(node.left, NEGATED_COMPARE[node.cmp], node.right, Prec.Compare).text);
      case "in":
        return cut(this.#binary(node.item, "not in", node.set, Prec.Compare).text);
      case "const":
        return typeof node.value === "boolean" ? String(!node.value) : `not ${this.text(index)}`;
      default:
        return cut(`not ${this.#operand(index, Prec.Atom)}`);
    }
  }

  #node(index: number): Rendered {
    const cached = this.#memo.get(index);
    if (cached !== undefined) return cached;
    const node = this.#ir.exprs[index];
    const rendered = node === undefined ? { text: `#${index}`, prec: Prec.Atom } : this.#render(node);
    const result = { text: cut(rendered.text), prec: rendered.prec };
    this.#memo.set(index, result);
    return result;
  }

  /** `index` rendered as an operand of an operator binding at `prec`: parenthesised if it binds looser. */
  #operand(index: number, prec: Prec): string {
    const child = this.#node(index);
    return child.prec < prec ? `(${child.text})` : child.text;
  }

  /** A non-associative binary operator (comparisons). */
  #binary(left: number, op: string, right: number, prec: Prec): Rendered {
    return { text: `${this.#operand(left, prec + 1)} ${op} ${this.#operand(right, prec + 1)}`, prec };
  }

  #atom(text: string): Rendered {
    return { text, prec: Prec.Atom };
  }

  #call(name: string, args: readonly number[]): Rendered {
    return this.#atom(`${name}(${args.map((a) => this.text(a)).join(", ")})`);
  }

  #render(node: IrExpr): Rendered {
    switch (node.op) {
      case "const":
        if (Array.isArray(node.value)) return this.#atom(`{${node.value.map(scalar).join(", ")}}`);
        return {
          text: scalar(node.value as string | number | boolean),
          prec: typeof node.value === "number" && node.value < 0 ? Prec.Neg : Prec.Atom,
        };
      case "arg":
        return this.#atom(["args", ...node.path].join("."));
      case "fact":
        return this.#atom(node.name);
      case "tool":
      case "output":
        return this.#atom(node.op);
      case "identity":
      case "intent":
      case "session":
        return this.#atom(`${node.op}.${node.field}`);
      case "entry":
        return this.#atom(node.field);
      case "missing":
        return this.#atom(node.names[0] ?? "unknown");
      case "feature":
        return this.#atom(this.#feature(node.feature));
      case "set":
        return this.#atom(`{${node.items.map((i) => this.text(i)).join(", ")}}`);
      case "has":
        return this.#call("has", [node.of]);
      case "not": {
        const arg = this.#ir.exprs[node.arg];
        if (arg?.op === "in") return this.#binary(arg.item, "not in", arg.set, Prec.Compare);
        return { text: `not ${this.#operand(node.arg, Prec.Atom)}`, prec: Prec.Not };
      }
      case "and":
      case "or": {
        const prec = node.op === "and" ? Prec.And : Prec.Or;
        // `and` inside `or` binds tighter, but parentheses make the grouping plain to read. Operands
        // in index order, as `conjuncts` takes them, whatever order they are evaluated in.
        const parts = [...node.args]
          .sort((a, b) => a - b)
          .map((a) => this.#operand(a, prec === Prec.Or ? Prec.Not : prec));
        return { text: parts.join(` ${node.op} `), prec };
      }
      case "compare":
        return this.#binary(node.left, node.cmp, node.right, Prec.Compare);
      case "in":
        return this.#binary(node.item, "in", node.set, Prec.Compare);
      case "matches": {
        const source = this.#regexSources[node.regex] ?? `regex #${node.regex}`;
        return { text: `${this.#operand(node.subject, Prec.Add)} matches ${source}`, prec: Prec.Compare };
      }
      case "add":
      case "sub":
      case "mul": {
        const prec = node.op === "mul" ? Prec.Mul : Prec.Add;
        const symbol = node.op === "add" ? "+" : node.op === "sub" ? "-" : "*";
        // Left-associative: a right operand of the same strength needs parentheses.
        return {
          text: `${this.#operand(node.left, prec)} ${symbol} ${this.#operand(node.right, prec + 1)}`,
          prec,
        };
      }
      case "neg":
        return { text: `-${this.#operand(node.arg, Prec.Atom)}`, prec: Prec.Neg };
      case "call":
        return this.#call(node.fn, node.args);
    }
  }

  #feature(index: number): string {
    const feature = this.#ir.features[index];
    if (feature === undefined) return `feature #${index}`;
    const within = feature.withinMs === null ? "" : `, within ${duration(feature.withinMs)}`;
    switch (feature.kind) {
      case "seen":
        return `session.seen(${feature.steps.map((s) => this.text(s)).join(" then ")}${within})`;
      case "count":
        return `session.count(${this.text(feature.where)}${within})`;
      case "sum":
        return `session.sum(${JSON.stringify(feature.tool)}, ${feature.arg}${within})`;
    }
  }
}

// ---------------------------------------------------------------------------
// Clauses and their values

/** A conjunct: an expression node, possibly negated (a conjunct of `not (a or b)` is `not a`). */
interface Clause {
  readonly index: number;
  readonly negated: boolean;
}

/**
 * The conjuncts of a condition: `and` and `not (… or …)` split; an always-true
 * condition has none. Operands are taken in index order, so what is reported
 * does not move when the compiler reorders a junction for evaluation.
 */
function conjuncts(ir: Ir, index: number, negated = false): Clause[] {
  const node = ir.exprs[index];
  if (node === undefined) return [{ index, negated }];
  if (node.op === "const" && node.value === !negated) return [];
  if (node.op === (negated ? "or" : "and")) {
    return [...node.args].sort((a, b) => a - b).flatMap((a) => conjuncts(ir, a, negated));
  }
  if (node.op === "not") return conjuncts(ir, node.arg, !negated);
  return [{ index, negated }];
}

function truth(value: Tri, negated: boolean): ClauseValue {
  if (value instanceof Missing) return "unknown";
  return negated ? value !== true : value === true;
}

interface Scope {
  readonly ir: Ir;
  readonly tool: IrTool;
  readonly render: Renderer;
  readonly ctx: EvalContext;
  /** The context of the modified action, computed when first needed; null if no modification applies. */
  modifiedCtx: EvalContext | null | undefined;
}

function explainClause(scope: Scope, ctx: EvalContext, clause: Clause): ExplainedClause {
  const value = evalNode(ctx, clause.index);
  const text = clause.negated ? scope.render.negated(clause.index) : scope.render.text(clause.index);
  const missing = value instanceof Missing ? [...new Set(value.names)].sort() : [];
  return { text, value: truth(value, clause.negated), missing };
}

function condValue(ctx: EvalContext, cond: number): ClauseValue {
  return truth(evalNode(ctx, cond), false);
}

function explainRule(
  scope: Scope,
  candidate: IrCandidate,
  ctx: EvalContext,
  modified: boolean,
): ExplainedRule {
  const rule = scope.ir.rules[candidate.rule];
  return {
    rule: rule?.id ?? "",
    kind: rule?.kind ?? "allow",
    reason: rule?.reason ?? "",
    clauses: conjuncts(scope.ir, candidate.cond).map((c) => explainClause(scope, ctx, c)),
    modified,
  };
}

/** The context of the action as modified by the modify rules that certainly match, if any do. */
function modifiedContext(scope: Scope): EvalContext | null {
  if (scope.modifiedCtx !== undefined) return scope.modifiedCtx;
  const { ir, ctx } = scope;
  const modifies = scope.tool.candidates
    .filter((c) => ir.rules[c.rule]?.kind === "modify" && evalNode(ctx, c.cond) === true)
    .map((c) => c.rule);
  const refs = ruleRefs(ir, modifies);
  const outcome = refs.length === 0 ? null : applyModifications(refs, ctx);
  scope.modifiedCtx =
    outcome === null || outcome.kind === "conflict" ? null : { ...ctx, args: outcome.args, memo: new Map() };
  return scope.modifiedCtx;
}

/**
 * A deciding rule explained where it decided: a forbid or deny rule behind a
 * DENY (or DEFER) it did not match (or leave open) on the original action
 * decided in the re-check of the modified action.
 */
function explainDeciding(scope: Scope, candidate: IrCandidate, decision: DecisionKind): ExplainedRule {
  const kind = scope.ir.rules[candidate.rule]?.kind;
  const expected: ClauseValue = decision === "DEFER" ? "unknown" : true;
  if ((kind === "forbid" || kind === "deny") && condValue(scope.ctx, candidate.cond) !== expected) {
    const modified = modifiedContext(scope);
    if (modified !== null && condValue(modified, candidate.cond) === expected)
      return explainRule(scope, candidate, modified, true);
  }
  return explainRule(scope, candidate, scope.ctx, false);
}

// ---------------------------------------------------------------------------
// Hints

function quoted(names: readonly string[]): string {
  return names.map((n) => `\`${n}\``).join(", ");
}

function unmatchHint(scope: Scope, candidate: IrCandidate, explained: ExplainedRule): Hint | null {
  if (explained.clauses.length === 0) {
    return {
      kind: "unconditional",
      rule: explained.rule,
      clauses: [],
      text: `\`${explained.rule}\` matches every action of this tool; only the policy can change that`,
    };
  }
  const held = conjuncts(scope.ir, candidate.cond).filter((_, i) => explained.clauses[i]?.value === true);
  if (held.length === 0) return null;
  const clauses = held.map((c) => (c.negated ? scope.render.text(c.index) : scope.render.negated(c.index)));
  return {
    kind: "unmatch",
    rule: explained.rule,
    clauses,
    text: `\`${explained.rule}\` would not match if ${clauses.length === 1 ? "" : "any of these held: "}${clauses.join("; ")}`,
  };
}

/** Kinds that decide differently from the default posture. */
function changesDefault(kind: IrRuleKind, posture: "deny" | "allow"): boolean {
  return posture === "deny" ? kind !== "forbid" && kind !== "deny" : kind !== "allow";
}

function nearMisses(scope: Scope): ExplainedRule[] {
  const ranked = scope.tool.candidates
    .filter((c) => {
      const kind = scope.ir.rules[c.rule]?.kind;
      return kind !== undefined && changesDefault(kind, scope.ir.defaultPosture);
    })
    .map((c) => {
      const explained = explainRule(scope, c, scope.ctx, false);
      const count = (v: ClauseValue) => explained.clauses.filter((cl) => cl.value === v).length;
      return { explained, failed: count(false), unknown: count("unknown"), order: c.rule };
    })
    .filter((r) => r.failed > 0);
  ranked.sort((a, b) => a.failed - b.failed || a.unknown - b.unknown || a.order - b.order);
  return ranked.slice(0, NEAR_MISSES).map((r) => r.explained);
}

function nearMissHint(rule: ExplainedRule): Hint {
  // The failed clauses, and the unknown ones: all of them must hold for the rule to match.
  const needed = rule.clauses.filter((c) => c.value !== true).map((c) => c.text);
  return {
    kind: "near_miss",
    rule: rule.rule,
    clauses: needed,
    text: `${rule.kind} \`${rule.rule}\` would have matched if ${needed.length === 1 ? "" : "all of these held: "}${needed.join("; ")}`,
  };
}

// ---------------------------------------------------------------------------

function undeclaredTool(tool: string, decision: EvalDecision): Explanation {
  return {
    decision: decision.decision,
    tool,
    summary: `${decision.decision} ${tool}: the policy declares no tool of this name`,
    deciding: [],
    contextNeeded: [],
    nearMisses: [],
    hints: [
      {
        kind: "undeclared_tool",
        rule: null,
        clauses: [],
        text: `declare \`${tool}\` in the policy, or check the tool name`,
      },
    ],
  };
}

/**
 * Explains `decision`, which `evaluate(ir, input)` returned. Evaluates only
 * the candidate conditions of the action's tool; the decision is read, never
 * recomputed or changed.
 */
export function explain(
  ir: Ir,
  input: EvalInput,
  decision: EvalDecision,
  options: ExplainOptions = {},
): Explanation {
  const { action, snapshot } = input;
  const tool = Object.hasOwn(ir.tools, action.tool) ? ir.tools[action.tool] : undefined;
  if (tool === undefined) return undeclaredTool(action.tool, decision);
  const scope: Scope = {
    ir,
    tool,
    render: new Renderer(ir, options.regexSources ?? []),
    ctx: {
      ir,
      tool: action.tool,
      args: action.args,
      time: action.time,
      identity: action.identity,
      snapshot,
      entry: null,
      output: null,
      memo: new Map(),
    },
    modifiedCtx: undefined,
  };
  const byId = new Map<string, IrCandidate>();
  for (const c of tool.candidates) {
    const id = ir.rules[c.rule]?.id;
    if (id !== undefined) byId.set(id, c);
  }
  const decidingCandidates = decision.rules.flatMap((id) => {
    const c = byId.get(id);
    return c === undefined ? [] : [c];
  });
  const deciding = decidingCandidates.map((c) => explainDeciding(scope, c, decision.decision));
  const hints: Hint[] = [];
  deciding.forEach((rule, i) => {
    const hint = unmatchHint(scope, decidingCandidates[i] as IrCandidate, rule);
    if (hint !== null) hints.push(hint);
  });
  if (decision.contextNeeded.length > 0) {
    hints.push({
      kind: "provide",
      rule: null,
      clauses: decision.contextNeeded,
      text: `provide ${quoted(decision.contextNeeded)} to decide`,
    });
  }
  const byDefault = deciding.length === 0 && decision.rules.length === 1 && decision.rules[0] === "default";
  const misses = byDefault ? nearMisses(scope) : [];
  hints.push(...misses.map(nearMissHint));
  if (byDefault && misses.length === 0) {
    hints.push({
      kind: "no_rule",
      rule: null,
      clauses: [],
      text: `no rule for \`${action.tool}\` can decide otherwise than the default ${ir.defaultPosture}`,
    });
  }
  const what = byDefault
    ? `no rule matched; default ${ir.defaultPosture}`
    : `by ${quoted(deciding.map((r) => r.rule))}`;
  const needs = decision.contextNeeded.length > 0 ? `; needs ${quoted(decision.contextNeeded)}` : "";
  return {
    decision: decision.decision,
    tool: action.tool,
    summary: `${decision.decision} ${action.tool} ${what}${needs}`,
    deciding,
    contextNeeded: decision.contextNeeded,
    nearMisses: misses,
    hints,
  };
}
