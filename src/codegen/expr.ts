/**
 * Compilation of the IR's expression DAG to JavaScript, in place of the
 * evaluator's expression interpreter (`src/eval/expr.ts`).
 *
 * The roots are the expressions the evaluator modules evaluate by index:
 * candidate and classifier conditions, session-query predicates,
 * modification operands and tool targets. Every node reachable from them
 * becomes one function (`nodes.ts` writes its body) that calls its operands'
 * functions directly; constants become literals. `$roots` maps a root index
 * to its function, for `nodeValue(frame, index)`. Values are the
 * interpreter's: JSON values, sets as sorted arrays, and `Missing`, with
 * Kleene `and`/`or`.
 *
 * The interpreter memoises every node in the evaluation's memo. Here a node
 * is memoised (in the frame's memo, by index) only when more than one place
 * refers to it and computing it — with its operands that are not memoised —
 * costs more than a lookup would. Costs add up the DAG, so a chain of shared
 * nodes is memoised before it can grow: evaluation stays linear in the size
 * of the DAG, as in the interpreter.
 *
 * Compiling checks the IR: every index must name an earlier node (so the
 * code cannot recurse forever) and every operator, field and function must
 * be the IR's; anything else is a `CodegenError`.
 *
 * @module
 */
import type { Ir, IrExpr } from "../ir/types.ts";
import { PRELUDE } from "./interface.ts";
import { jsScalar } from "./literal.ts";
import { children, fail, isIndex, list, type NodeScope, nodeBody } from "./nodes.ts";

export interface CompiledExpressions {
  readonly code: string;
  /** Every top-level name the code declares. */
  readonly declared: readonly string[];
}

/** The cost of a node that scans the history, runs a regex, parses or builds a set. */
const EXPENSIVE = 16;
/** A node referred to from several places is memoised when computing it costs more than this. */
const MEMO_ABOVE = 4;

/** What evaluating a node costs beyond its operands, in units of one input read. */
function ownCost(node: IrExpr): number {
  if (node.op === "const") return 0;
  if (node.op === "feature" || node.op === "matches" || node.op === "call" || node.op === "set")
    return EXPENSIVE;
  if (node.op === "session" && node.field !== "drift") return EXPENSIVE;
  return 1;
}

function record(value: unknown, where: string): { readonly [key: string]: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as { readonly [key: string]: unknown })
    : fail(`${where}: expected an object`);
}

/** The indices the evaluator modules evaluate by number. */
function roots(ir: Ir): unknown[] {
  const out: unknown[] = [];
  const conds = (candidates: unknown, where: string) => {
    list(candidates, where).forEach((c, k) => out.push(record(c, `${where}[${k}]`).cond));
  };
  for (const [name, value] of Object.entries(record(ir.tools, "tools"))) {
    const tool = record(value, `tool ${JSON.stringify(name)}`);
    conds(tool.candidates, `tool ${JSON.stringify(name)} candidates`);
    conds(tool.classifiers, `tool ${JSON.stringify(name)} classifiers`);
    if (tool.target !== null) out.push(tool.target);
  }
  conds(ir.undeclaredToolClassifiers, "undeclaredToolClassifiers");
  list(ir.features, "features").forEach((value, k) => {
    const feature = record(value, `features[${k}]`);
    if (feature.kind === "seen") out.push(...list(feature.steps, `features[${k}] steps`));
    else if (feature.kind === "count") out.push(feature.where);
  });
  list(ir.rules, "rules").forEach((value, k) => {
    list(record(value, `rules[${k}]`).modifications, `rules[${k}] modifications`).forEach((op, m) => {
      const mod = record(op, `rules[${k}] modifications[${m}]`);
      if (mod.op === "set") out.push(mod.value);
      else if (mod.op === "clamp") out.push(mod.min, mod.max);
    });
  });
  return out;
}

function indent(code: string): string {
  return code
    .split("\n")
    .map((line) => (line === "" ? line : `  ${line}`))
    .join("\n");
}

/** Compiles the nodes of `ir.exprs` that a decision or a labelling can evaluate. */
export function compileExpressions(ir: Ir): CompiledExpressions {
  const exprs = list(ir.exprs, "exprs");
  const node = (i: number): IrExpr => {
    const n = exprs[i];
    return typeof n === "object" && n !== null ? (n as IrExpr) : fail(`exprs[${i}] is not a node`);
  };
  const earlier = (i: number, child: unknown): number =>
    isIndex(child, i) ? child : fail(`exprs[${i}]: ${String(child)} is not an earlier expression`);
  const rootList = roots(ir).map((r) => (isIndex(r, exprs.length) ? r : fail(`no expression ${String(r)}`)));

  const reached = new Set<number>();
  const stack = [...rootList];
  for (let i = stack.pop(); i !== undefined; i = stack.pop()) {
    if (reached.has(i)) continue;
    reached.add(i);
    for (const child of children(node(i))) stack.push(earlier(i, child));
  }
  const refs = new Map<number, number>();
  const refer = (i: number) => refs.set(i, (refs.get(i) ?? 0) + 1);
  for (const i of rootList) refer(i);
  for (const i of reached) for (const child of children(node(i))) refer(child as number);

  const constants = new Map<string, string>();
  const constant = (name: string, code: string) => {
    if (!constants.has(name)) constants.set(name, `const ${name} = ${code};`);
    return name;
  };
  const constSet = (i: number) => {
    const values = list((node(i) as { readonly value?: unknown }).value, `exprs[${i}] value`);
    return constant(`$k${i}`, `[${values.map((v, j) => jsScalar(v, `exprs[${i}][${j}]`)).join(", ")}]`);
  };
  const scope: NodeScope = {
    ir,
    node,
    earlier,
    constant,
    constSet,
    ref: (i) => {
      const n = node(i);
      if (n.op !== "const") return `$e${i}(c)`;
      return Array.isArray(n.value) ? constSet(i) : jsScalar(n.value, `exprs[${i}]`);
    },
  };

  const functions: string[] = [];
  const declared: string[] = [...PRELUDE.declared, "$roots"];
  const isRoot = new Set(rootList);
  /** The cost of computing each node once its memoised operands are known. */
  const cost = new Map<number, number>();
  const memoised = new Set<number>();
  for (const i of [...reached].sort((a, b) => a - b)) {
    const n = node(i);
    let total = ownCost(n);
    for (const child of children(n) as number[]) total += memoised.has(child) ? 1 : (cost.get(child) ?? 0);
    cost.set(i, total);
    // Constant operands are literals at their use; only a constant root needs a function.
    if (n.op === "const" && !isRoot.has(i)) continue;
    const body = indent(nodeBody(scope, i, n));
    if ((refs.get(i) ?? 0) > 1 && total > MEMO_ABOVE) {
      memoised.add(i);
      functions.push(`function $x${i}(c) {\n${body}\n}`);
      functions.push(
        [
          `function $e${i}(c) {`,
          `  const memo = (c.memo ??= new Map());`,
          `  let v = memo.get(${i});`,
          `  if (v === undefined) memo.set(${i}, (v = $x${i}(c)));`,
          `  return v;`,
          `}`,
        ].join("\n"),
      );
      declared.push(`$x${i}`, `$e${i}`);
    } else {
      functions.push(`function $e${i}(c) {\n${body}\n}`);
      declared.push(`$e${i}`);
    }
  }
  // By root index; a hole (`undefined`) for every other index.
  const length = rootList.reduce((max, i) => Math.max(max, i + 1), 0);
  const table = Array.from({ length }, (_, i) => (isRoot.has(i) ? `$e${i}` : ""));
  const rootTable = `const $roots = [${table.join(", ")}];`;
  declared.push(...constants.keys());
  return { code: [PRELUDE.code, ...constants.values(), ...functions, rootTable].join("\n"), declared };
}
