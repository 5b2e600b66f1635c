/**
 * Single-rule mutations of a policy, for the mutation test of `aarmc diff`:
 * a constant changed (numbers ±1, strings extended, booleans flipped,
 * durations lengthened, regexes anchored, a set element dropped), a
 * comparison flipped (`<` ↔ `<=`, `==` ↔ `!=`, `in` ↔ `not in`), one side of
 * a conjunction dropped, and a rule's decision kind changed. Edits are made on
 * the source text at the AST's spans, and mutants that no longer check are
 * discarded.
 */
import type * as ast from "../../src/lang/ast.ts";
import { checkText } from "../../src/lang/check.ts";

export interface Mutant {
  readonly description: string;
  /** The mutated root file. */
  readonly source: string;
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly description: string;
}

const FLIP: Partial<Record<ast.BinaryOp, ast.BinaryOp>> = {
  "<": "<=",
  "<=": "<",
  ">": ">=",
  ">=": ">",
  "==": "!=",
  "!=": "==",
  in: "not in",
  "not in": "in",
};

const KINDS: readonly ast.RuleKind[] = ["forbid", "deny", "defer", "step_up", "allow"];

class Mutator {
  readonly edits: Edit[] = [];
  private readonly text: string;
  constructor(text: string) {
    this.text = text;
  }

  private slice(span: ast.Span): string {
    return this.text.slice(span.start, span.end);
  }

  private edit(span: ast.Span, text: string, description: string): void {
    this.edits.push({
      start: span.start,
      end: span.end,
      text,
      description: `${description} at ${span.line}:${span.column}`,
    });
  }

  constant(e: ast.Expr): void {
    switch (e.kind) {
      case "NumberLiteral":
        this.edit(e.span, String(e.value + 1), `${e.value} → ${e.value + 1}`);
        if (e.value >= 1) this.edit(e.span, String(e.value - 1), `${e.value} → ${e.value - 1}`);
        return;
      case "StringLiteral":
        this.edit(e.span, JSON.stringify(`${e.value}x`), `"${e.value}" → "${e.value}x"`);
        return;
      case "BoolLiteral":
        this.edit(e.span, String(!e.value), `${e.value} → ${!e.value}`);
        return;
      case "DurationLiteral": {
        const m = /^(\d+)([a-z]+)$/.exec(e.text);
        if (m !== null)
          this.edit(e.span, `${Number(m[1]) + 1}${m[2]}`, `${e.text} → ${Number(m[1]) + 1}${m[2]}`);
        return;
      }
      case "RegexLiteral":
        this.edit(e.span, `/^(?:${e.source})/${e.flags}`, `/${e.source}/ anchored`);
        return;
      case "SetLiteral":
        if (e.elements.length >= 2) {
          const kept = e.elements.slice(0, -1).map((x) => this.slice(x.span));
          this.edit(e.span, `{${kept.join(", ")}}`, "set element dropped");
        }
        for (const x of e.elements) this.constant(x);
        return;
      default:
        return;
    }
  }

  expr(e: ast.Expr): void {
    switch (e.kind) {
      case "Binary": {
        const flipped = FLIP[e.op];
        if (flipped !== undefined) {
          this.edits.push({
            start: e.left.span.end,
            end: e.right.span.start,
            text: ` ${flipped} `,
            description: `${e.op} → ${flipped} at ${e.span.line}:${e.span.column}`,
          });
        }
        if (e.op === "and") {
          this.edit(e.span, `(${this.slice(e.left.span)})`, "right conjunct dropped");
          this.edit(e.span, `(${this.slice(e.right.span)})`, "left conjunct dropped");
        }
        this.expr(e.left);
        this.expr(e.right);
        return;
      }
      case "Unary":
        this.expr(e.operand);
        return;
      case "Paren":
        this.expr(e.expr);
        return;
      case "Call":
        for (const a of e.args) this.expr(a);
        return;
      case "SeenQuery":
        for (const s of e.steps) this.expr(s);
        if (e.within !== null) this.constant(e.within);
        return;
      case "CountQuery":
        this.expr(e.where);
        if (e.within !== null) this.constant(e.within);
        return;
      case "SumQuery":
        if (e.within !== null) this.constant(e.within);
        return;
      default:
        this.constant(e);
    }
  }

  /** The rule rewritten as another kind: kind-specific clauses dropped, approvers added for `step_up`. */
  kind(rule: ast.Rule): void {
    for (const kind of KINDS) {
      if (kind === rule.ruleKind) continue;
      const parts = [
        `${kind} ${rule.name.text}${rule.on.length > 0 ? ` on ${rule.on.map((t) => t.text).join(", ")}` : ""}`,
      ];
      if (rule.when !== null) parts.push(`when ${this.slice(rule.when.span)}`);
      if (rule.unless !== null) parts.push(`unless ${this.slice(rule.unless.span)}`);
      if (kind === "step_up") parts.push('approvers ["mutant"]');
      if (rule.risk !== null) parts.push(`risk ${rule.risk.level}`);
      if (rule.because !== null) parts.push(`because ${this.slice(rule.because.span)}`);
      this.edit(rule.span, parts.join("\n  "), `${rule.name.text}: ${rule.ruleKind} → ${kind}`);
    }
  }

  rule(rule: ast.Rule): void {
    if (rule.when !== null) this.expr(rule.when);
    if (rule.unless !== null) this.expr(rule.unless);
    for (const op of rule.modifications) {
      if (op.kind === "SetOp") this.constant(op.value);
      if (op.kind === "ClampOp") {
        this.constant(op.min);
        this.constant(op.max);
      }
    }
    if (rule.approval?.timeout) this.constant(rule.approval.timeout);
    if (rule.approval?.quorum) this.constant(rule.approval.quorum);
    if (rule.deferral?.timeout) this.constant(rule.deferral.timeout);
    this.kind(rule);
  }
}

/** Every mutant of the root file `root` (named `policy.aarm`, with `files` beside it) that still checks. */
export function mutants(root: string, files: Readonly<Record<string, string>> = {}): Mutant[] {
  const checked = checkText(root, files);
  const file = checked.policy?.files[0];
  if (file === undefined) throw new Error("the policy to mutate does not check");
  const m = new Mutator(root);
  for (const item of file.items) {
    if (item.kind === "Rule") m.rule(item);
    if (item.kind === "ConstDecl") m.constant(item.value);
  }
  const out: Mutant[] = [];
  const seen = new Set<string>();
  for (const edit of m.edits) {
    const source = root.slice(0, edit.start) + edit.text + root.slice(edit.end);
    if (seen.has(source) || source === root) continue;
    seen.add(source);
    const result = checkText(source, files);
    if (result.policy === null || result.diagnostics.some((d) => d.severity === "error")) continue;
    out.push({ description: edit.description, source });
  }
  return out;
}
