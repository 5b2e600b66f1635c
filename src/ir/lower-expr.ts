/**
 * Lowering of checked expressions to IR nodes, with constant folding.
 *
 * An expression is lowered for one position: a rule or classifier condition
 * specialised to one tool (the tool's name, effect and target are then known
 * and fold away), or a session-query predicate over a context entry. Folding
 * follows the reference semantics exactly: Kleene `and`/`or`, and nothing
 * that could be unknown is ever folded to a value.
 *
 * @module
 */
import type * as ast from "../lang/ast.ts";
import type { CheckedPolicy, ConstValue, Resolution, ToolInfo, Type } from "../lang/checked.ts";
import { childExprs, faultNames } from "../lang/inputs.ts";
import type { ExprTable } from "./expr-table.ts";
import { orderByCost } from "./cost-order.ts";
import { compileRegex } from "./regex/compile.ts";
import type { IrCompare, IrConst, IrExpr, IrFunction } from "./types.ts";

/** A problem lowering a checked policy: a construct the IR cannot express. */
export class LoweringError extends Error {
  readonly span: ast.Span;
  constructor(message: string, span: ast.Span) {
    super(message);
    this.name = "LoweringError";
    this.span = span;
  }
}

/** Where an expression is lowered. */
export interface LowerContext {
  readonly policy: CheckedPolicy;
  readonly table: ExprTable;
  /**
   * The tool the condition is specialised to; `undeclared` for classifiers applied to the output
   * of a tool the policy does not declare; null inside session-query predicates.
   */
  readonly tool: { readonly name: string; readonly info: ToolInfo } | "undeclared" | null;
}

const LEVELS = ["public", "internal", "confidential", "restricted"];

/**
 * Sets already lowered, by the checker's value: a policy's allowlists are
 * referenced once per rule and tool, and sorting one each time was the
 * largest single cost of lowering a large policy. The arrays are shared, so
 * nothing may mutate an IR constant.
 */
const loweredSets = new WeakMap<ConstValue, IrConst>();

/** The IR form of a constant value. Sets become sorted arrays of distinct scalars. */
export function constToIr(value: ConstValue): IrConst {
  switch (value.kind) {
    case "string":
    case "number":
    case "bool":
    case "effect":
    case "label":
      return value.value;
    case "duration":
      return value.ms;
    case "set": {
      let lowered = loweredSets.get(value);
      if (lowered === undefined) {
        lowered = sortScalars(value.elements.map((e) => constToIr(e) as string | number | boolean));
        loweredSets.set(value, lowered);
      }
      return lowered;
    }
  }
}

/** Sorted, de-duplicated scalars in the IR's canonical order (numbers, then strings, then booleans). */
export function sortScalars(items: readonly (string | number | boolean)[]): (string | number | boolean)[] {
  const rank = (v: string | number | boolean): number =>
    typeof v === "number" ? 0 : typeof v === "string" ? 1 : 2;
  const sorted = [...items].sort((a, b) => {
    const r = rank(a) - rank(b);
    if (r !== 0) return r;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  // `===` treats 0 and -0 as one element, as set equality in the language does.
  return sorted.filter((v, i) => i === 0 || v !== sorted[i - 1]);
}

function isSetType(type: Type): boolean {
  return type.kind === "set" || type.kind === "empty_set";
}

/** Whether an expression's meaning depends on which tool the action calls. */
export function dependsOnTool(policy: CheckedPolicy, e: ast.Expr): boolean {
  const stack: ast.Expr[] = [e];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.kind === "Ref" && policy.resolutions.get(node)?.kind === "action") return true;
    if (node.kind === "Call") {
      const callee = policy.resolutions.get(node.callee);
      if (callee?.kind === "function" && callee.name === "has") {
        const [arg] = node.args;
        if (arg?.kind === "Ref" && policy.resolutions.get(arg)?.kind === "action") return true;
      }
    }
    stack.push(...childExprs(node));
  }
  return false;
}

const TRUE_NODE: IrExpr = { op: "const", value: true };
const FALSE_NODE: IrExpr = { op: "const", value: false };

function constOf(ctx: LowerContext, index: number): IrConst | undefined {
  const node = ctx.table.at(index);
  return node.op === "const" ? node.value : undefined;
}

/** Kleene `and`/`or` over lowered operands: flattened, constants absorbed, duplicates removed. */
export function lowerJunction(ctx: LowerContext, op: "and" | "or", operands: readonly number[]): number {
  const absorbing = op === "or";
  const flat: number[] = [];
  for (const index of operands) {
    const node = ctx.table.at(index);
    if (node.op === op) flat.push(...node.args);
    else flat.push(index);
  }
  const kept: number[] = [];
  for (const index of flat) {
    const value = constOf(ctx, index);
    if (value === absorbing) return ctx.table.expr(absorbing ? TRUE_NODE : FALSE_NODE);
    if (value === !absorbing || kept.includes(index)) continue;
    kept.push(index);
  }
  if (kept.length === 0) return ctx.table.expr(absorbing ? FALSE_NODE : TRUE_NODE);
  if (kept.length === 1) return kept[0] as number;
  // Cheapest first, so evaluation stops early on cheap tests; the order depends on the operands only.
  return ctx.table.expr({ op, args: orderByCost(ctx.table.exprs, kept) });
}

export function lowerNot(ctx: LowerContext, arg: number): number {
  const node = ctx.table.at(arg);
  if (node.op === "const" && typeof node.value === "boolean")
    return ctx.table.expr({ op: "const", value: !node.value });
  if (node.op === "not") return node.arg;
  return ctx.table.expr({ op: "not", arg });
}

function compareConsts(cmp: IrCompare, a: IrConst, b: IrConst): boolean | undefined {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (cmp !== "==" && cmp !== "!=") return undefined;
    const equal =
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
    return cmp === "==" ? equal : !equal;
  }
  if (cmp === "==") return a === b;
  if (cmp === "!=") return a !== b;
  const rank = (v: IrConst): number => (typeof v === "string" ? LEVELS.indexOf(v) : (v as number));
  const d = rank(a) - rank(b);
  switch (cmp) {
    case "<":
      return d < 0;
    case "<=":
      return d <= 0;
    case ">":
      return d > 0;
    case ">=":
      return d >= 0;
  }
}

const COMPARE: Record<string, IrCompare> = {
  "==": "==",
  "!=": "!=",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
};

/** Lowers an expression in `ctx`, folding constants. */
export function lowerExpr(ctx: LowerContext, e: ast.Expr): number {
  const t = ctx.table;
  switch (e.kind) {
    case "StringLiteral":
    case "NumberLiteral":
    case "BoolLiteral":
      return t.expr({ op: "const", value: e.value });
    case "DurationLiteral":
      return t.expr({ op: "const", value: e.ms });
    case "SetLiteral": {
      const items = e.elements.map((el) => lowerExpr(ctx, el));
      const values = items.map((i) => constOf(ctx, i));
      if (values.every((v): v is string | number | boolean => v !== undefined && !Array.isArray(v))) {
        return t.expr({ op: "const", value: sortScalars(values) });
      }
      return t.expr({ op: "set", items });
    }
    case "RegexLiteral":
    case "ListLiteral":
      throw new LoweringError(`${e.kind} is not a value`, e.span);
    case "Paren":
      return lowerExpr(ctx, e.expr);
    case "Ref":
      return lowerRef(ctx, e);
    case "ArgPath": {
      const path = e.segments.map((s) => s.text);
      const info =
        ctx.tool === null || ctx.tool === "undeclared" ? undefined : ctx.tool.info.args.get(path[0] ?? "");
      return t.expr(
        info !== undefined && isSetType(info.type) ? { op: "arg", path, set: true } : { op: "arg", path },
      );
    }
    case "Unary": {
      const arg = lowerExpr(ctx, e.operand);
      if (e.op === "not") return lowerNot(ctx, arg);
      const value = constOf(ctx, arg);
      return typeof value === "number" ? t.expr({ op: "const", value: -value }) : t.expr({ op: "neg", arg });
    }
    case "Binary":
      return lowerBinary(ctx, e);
    case "Call":
      return lowerCall(ctx, e);
    case "SeenQuery": {
      const steps = e.steps.map((step) => lowerExpr({ ...ctx, tool: null }, step));
      return t.expr({
        op: "feature",
        feature: t.feature({ kind: "seen", steps, withinMs: e.within?.ms ?? null }),
      });
    }
    case "CountQuery": {
      const where = lowerExpr({ ...ctx, tool: null }, e.where);
      return t.expr({
        op: "feature",
        feature: t.feature({ kind: "count", where, withinMs: e.within?.ms ?? null }),
      });
    }
    case "SumQuery":
      return t.expr({
        op: "feature",
        feature: t.feature({
          kind: "sum",
          tool: e.tool.value,
          arg: e.arg.text,
          withinMs: e.within?.ms ?? null,
        }),
      });
  }
}

function resolve(ctx: LowerContext, ref: ast.Ref): Resolution {
  const r = ctx.policy.resolutions.get(ref);
  if (r === undefined)
    throw new LoweringError(`unresolved reference ${ref.path.map((p) => p.text).join(".")}`, ref.span);
  return r;
}

function lowerRef(ctx: LowerContext, ref: ast.Ref): number {
  const t = ctx.table;
  const r = resolve(ctx, ref);
  switch (r.kind) {
    case "const":
      return t.expr({ op: "const", value: constToIr(r.value) });
    case "effect_literal":
      return t.expr({ op: "const", value: r.effect });
    case "label_literal":
      return t.expr({ op: "const", value: r.label });
    case "fact":
      return t.expr(
        isSetType(r.type) ? { op: "fact", name: r.name, set: true } : { op: "fact", name: r.name },
      );
    case "action": {
      if (ctx.tool === null) throw new LoweringError(`${r.field} has no meaning here`, ref.span);
      if (ctx.tool === "undeclared")
        return t.expr(r.field === "tool" ? { op: "tool" } : { op: "missing", names: [r.field] });
      if (r.field === "tool") return t.expr({ op: "const", value: ctx.tool.name });
      if (r.field === "effect") return t.expr({ op: "const", value: ctx.tool.info.effect });
      return ctx.tool.info.target === null
        ? t.expr({ op: "missing", names: ["target"] })
        : lowerExpr(ctx, ctx.tool.info.target);
    }
    case "identity":
      return t.expr({ op: "identity", field: r.field });
    case "intent":
      return t.expr({ op: "intent", field: r.field });
    case "session":
      return t.expr({ op: "session", field: r.field });
    case "entry":
      return t.expr({ op: "entry", field: r.field });
    case "output":
      return t.expr({ op: "output" });
    case "function":
      throw new LoweringError(`function ${r.name} used as a value`, ref.span);
  }
}

function lowerBinary(ctx: LowerContext, e: ast.Binary): number {
  const t = ctx.table;
  if (e.op === "matches") {
    if (e.right.kind !== "RegexLiteral")
      throw new LoweringError("matches needs a regex literal", e.right.span);
    const compiled = compileRegex(e.right.source, e.right.flags);
    if (!compiled.ok) throw new LoweringError(`regex cannot be compiled: ${compiled.message}`, e.right.span);
    return t.expr({ op: "matches", subject: lowerExpr(ctx, e.left), regex: t.regex(compiled.program) });
  }
  const left = lowerExpr(ctx, e.left);
  const right = lowerExpr(ctx, e.right);
  switch (e.op) {
    case "and":
    case "or":
      return lowerJunction(ctx, e.op, [left, right]);
    case "in":
    case "not in": {
      const a = constOf(ctx, left);
      const b = constOf(ctx, right);
      let node = t.expr({ op: "in", item: left, set: right });
      if (a !== undefined && b !== undefined && !Array.isArray(a)) {
        const inside = Array.isArray(b)
          ? b.includes(a)
          : typeof a === "string" && typeof b === "string" && b.includes(a);
        node = t.expr({ op: "const", value: inside });
      }
      return e.op === "in" ? node : lowerNot(ctx, node);
    }
    case "+":
    case "-":
    case "*": {
      const a = constOf(ctx, left);
      const b = constOf(ctx, right);
      if (typeof a === "string" && typeof b === "string" && e.op === "+")
        return t.expr({ op: "const", value: a + b });
      if (typeof a === "number" && typeof b === "number") {
        const n = e.op === "+" ? a + b : e.op === "-" ? a - b : a * b;
        if (Number.isFinite(n)) return t.expr({ op: "const", value: n });
      }
      const op = e.op === "+" ? "add" : e.op === "-" ? "sub" : "mul";
      return t.expr({ op, left, right, fault: faultNames(ctx.policy, [e], "arithmetic") });
    }
    default: {
      const cmp = COMPARE[e.op];
      if (cmp === undefined) throw new LoweringError(`unknown operator ${e.op}`, e.span);
      const a = constOf(ctx, left);
      const b = constOf(ctx, right);
      const folded = a !== undefined && b !== undefined ? compareConsts(cmp, a, b) : undefined;
      return folded === undefined
        ? t.expr({ op: "compare", cmp, left, right })
        : t.expr({ op: "const", value: folded });
    }
  }
}

function lowerCall(ctx: LowerContext, call: ast.Call): number {
  const t = ctx.table;
  const callee = resolve(ctx, call.callee);
  if (callee.kind !== "function")
    throw new LoweringError("call of something that is not a function", call.span);
  if (callee.name === "has") {
    const [arg] = call.args;
    if (arg === undefined) throw new LoweringError("has takes one argument", call.span);
    if (arg.kind === "Ref") {
      const r = resolve(ctx, arg);
      if (r.kind === "action" && r.field === "target") {
        if (ctx.tool === null) throw new LoweringError("target has no meaning here", arg.span);
        return t.expr({ op: "const", value: ctx.tool !== "undeclared" && ctx.tool.info.target !== null });
      }
    }
    return t.expr({ op: "has", of: lowerExpr(ctx, arg) });
  }
  const args = call.args.map((a) => lowerExpr(ctx, a));
  const fn: IrFunction = callee.name;
  return t.expr({ op: "call", fn, args, fault: faultNames(ctx.policy, call.args, fn) });
}
