/**
 * Traversal: every node of a file with the environment it is checked in —
 * which file's names are in scope, whose `args` are visible, whether it sits
 * inside a session query or `has(…)`, which optional arguments are guarded.
 * Environments change only here, so each check reads its position from the
 * environment instead of looking at its ancestors.
 *
 * @module
 */
import type * as ast from "../ast.ts";
import { NO_GUARDS, operandGuards, ruleGuards } from "./guards.ts";
import type { Model, ToolEntry, Unit } from "./model.ts";

/** The tools whose arguments `args.…` refers to: those of `on` that are declared (unknown ones are reported). */
export interface ArgScope {
  readonly tools: readonly ToolEntry[];
}

/** What an expression belongs to. */
export type Owner =
  | { readonly kind: "rule"; readonly rule: ast.Rule; readonly args: ArgScope | null }
  | { readonly kind: "classifier"; readonly classifier: ast.ClassifyRule; readonly args: ArgScope | null }
  /** The `target` of a tool declaration: only the tool's arguments. */
  | { readonly kind: "target"; readonly tool: ToolEntry | null }
  /** A const, a param default or a `with` binding: constants only. */
  | { readonly kind: "constant" }
  /** Literals of headers and clauses. */
  | { readonly kind: "clause" };

export interface Env {
  readonly unit: Unit;
  readonly owner: Owner;
  /** Inside the predicate of a session query. */
  readonly query: boolean;
  /** Optional arguments known to be present here. */
  readonly present: ReadonlySet<string>;
  /** Directly inside `has(…)` or the target path of a modification: presence is not required. */
  readonly presenceTest: boolean;
}

export function fileEnv(unit: Unit): Env {
  return {
    unit,
    owner: { kind: "clause" },
    query: false,
    present: NO_GUARDS,
    presenceTest: false,
  };
}

function argScope(on: readonly ast.QualifiedName[], model: Model): ArgScope | null {
  if (on.length === 0) return null;
  const tools = on.flatMap((name) => model.tools.get(name.text) ?? []);
  return { tools };
}

type Child = readonly [ast.Node, Env];

function plain(env: Env): Env {
  return env.presenceTest ? { ...env, presenceTest: false } : env;
}

function ruleChildren(rule: ast.Rule, env: Env, model: Model): Child[] {
  const owner: Owner = { kind: "rule", rule, args: argScope(rule.on, model) };
  const guards = ruleGuards(rule);
  const base: Env = { ...env, owner };
  const out: Child[] = [];
  if (rule.when !== null) out.push([rule.when, { ...base, present: guards.when }]);
  if (rule.unless !== null) out.push([rule.unless, { ...base, present: guards.unless }]);
  if (rule.approval !== null) out.push([rule.approval, { ...base, owner: { kind: "clause" } }]);
  if (rule.deferral !== null) out.push([rule.deferral, { ...base, owner: { kind: "clause" } }]);
  for (const op of rule.modifications) out.push([op, { ...base, present: guards.body }]);
  if (rule.because !== null) out.push([rule.because, { ...base, owner: { kind: "clause" } }]);
  return out;
}

function toolChildren(decl: ast.ToolDecl, env: Env, model: Model): Child[] {
  const out: Child[] = decl.args?.map((a): Child => [a, env]) ?? [];
  if (decl.target !== null) {
    out.push([
      decl.target.expr,
      { ...env, owner: { kind: "target", tool: model.toolOfDecl.get(decl) ?? null } },
    ]);
  }
  return out;
}

function modOpChildren(op: ast.ModOp, env: Env): Child[] {
  const target: Child = [op.path, { ...env, presenceTest: true }];
  switch (op.kind) {
    case "SetOp":
      return [target, [op.value, env]];
    case "RemoveOp":
      return [target];
    case "ClampOp":
      return [target, [op.min, env], [op.max, env]];
    case "RedactOp":
      return op.pattern === null ? [target] : [target, [op.pattern, env]];
  }
}

/** `env` with `present`; `env` itself when that changes nothing (most operators guard nothing). */
function withPresent(env: Env, present: ReadonlySet<string>): Env {
  return env.present === present ? env : { ...env, present };
}

function exprChildren(node: ast.Expr, env: Env): Child[] {
  const inner = plain(env);
  switch (node.kind) {
    case "SetLiteral":
    case "ListLiteral":
      return node.elements.map((e): Child => [e, inner]);
    case "Unary":
      return [[node.operand, inner]];
    case "Binary": {
      const [left, right] = operandGuards(node, env.present);
      return [
        [node.left, withPresent(inner, left)],
        [node.right, withPresent(inner, right)],
      ];
    }
    case "Call": {
      const presence = node.callee.path.length === 1 && node.callee.path[0]?.text === "has";
      return node.args.map((a): Child => [a, { ...inner, presenceTest: presence }]);
    }
    case "SeenQuery": {
      const query = { ...inner, query: true };
      const steps = node.steps.map((s): Child => [s, query]);
      return node.within === null ? steps : [...steps, [node.within, inner]];
    }
    case "CountQuery": {
      const where: Child = [node.where, { ...inner, query: true }];
      return node.within === null ? [where] : [where, [node.within, inner]];
    }
    case "SumQuery":
      return node.within === null
        ? [[node.tool, inner]]
        : [
            [node.tool, inner],
            [node.within, inner],
          ];
    case "Paren":
      return [[node.expr, env]];
    default:
      return [];
  }
}

/** The children of `node` that checks look at, each with its environment. */
export function children(node: ast.Node, env: Env, model: Model): Child[] {
  switch (node.kind) {
    case "PolicyFile":
      return [[node.header, env], ...node.items.map((i): Child => [i, env])];
    case "ModuleFile":
      return [[node.header, env], ...node.items.map((i): Child => [i, env])];
    case "PolicyHeader":
      return [[node.version, env]];
    case "Import": {
      const constant: Env = { ...env, owner: { kind: "constant" } };
      const source: Child[] = node.source.kind === "PathSource" ? [[node.source.path, env]] : [];
      return [...source, ...node.bindings.map((b): Child => [b, constant])];
    }
    case "ParamBinding":
      return [[node.value, env]];
    case "McpImport":
      return [[node.path, env]];
    case "ToolDecl":
      return toolChildren(node, env, model);
    case "ArgDecl":
      return [[node.type, env]];
    case "FactDecl":
      return [[node.type, env]];
    case "ConstDecl":
      return [[node.value, { ...env, owner: { kind: "constant" } }]];
    case "ParamDecl":
      return [
        [node.type, env],
        [node.value, { ...env, owner: { kind: "constant" } }],
      ];
    case "ClassifyRule": {
      const owner: Owner = { kind: "classifier", classifier: node, args: argScope(node.on, model) };
      return [[node.when, { ...env, owner }]];
    }
    case "Rule":
      return ruleChildren(node, env, model);
    case "ApprovalClause": {
      const out: Child[] = node.approvers.map((a): Child => [a, env]);
      if (node.quorum !== null) out.push([node.quorum, env]);
      if (node.timeout !== null) out.push([node.timeout, env]);
      if (node.escalation !== null) {
        out.push([node.escalation.after, env], ...node.escalation.to.map((t): Child => [t, env]));
      }
      return out;
    }
    case "DeferralClause":
      return node.timeout === null ? [] : [[node.timeout, env]];
    case "SetOp":
    case "RemoveOp":
    case "ClampOp":
    case "RedactOp":
      return modOpChildren(node, env);
    case "SetType":
      return [[node.element, env]];
    case "StringLiteral":
    case "NumberLiteral":
    case "BoolLiteral":
    case "DurationLiteral":
    case "RegexLiteral":
    case "SetLiteral":
    case "ListLiteral":
    case "Ref":
    case "ArgPath":
    case "Unary":
    case "Binary":
    case "Call":
    case "SeenQuery":
    case "CountQuery":
    case "SumQuery":
    case "Paren":
      return exprChildren(node, env);
    default:
      return [];
  }
}
