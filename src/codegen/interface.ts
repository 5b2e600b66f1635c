/**
 * The contract between compiled expressions and the linked evaluator
 * modules: what the compiled code takes from them, and the expression
 * interpreter's interface (`src/eval/expr.ts`), which the compiled code
 * provides in the interpreter's place.
 *
 * The other evaluator modules evaluate expressions by index, in a context
 * (an `EvalContext`: what an expression sees, and a `Map` memo) or in a frame
 * (the same fields, opened and closed around an evaluation). Here frames are
 * plain objects; a frame's memo is a `Map` made when a shared node is first
 * memoised (most evaluations memoise nothing), or the context's own for a
 * frame made from a context. `restamp` drops the memo, and nothing is pooled,
 * so closing a frame has nothing to give back. The linker refuses a module
 * that imports from the interpreter anything not listed here.
 *
 * @module
 */

/** Names the compiled code uses from the evaluator's modules, by module. */
export const EXPR_RUNTIME: { readonly [module: string]: readonly string[] } = {
  features: ["featureValue", "sessionSensitivity", "sessionTainted"],
  net: ["emailDomain", "inCidr", "urlHost"],
  prepare: ["prepare"],
  regex: ["regexTest"],
  values: ["entryLabels", "levelRank", "Missing", "missingOf", "toSet", "valuesEqual"],
};

/** The name under which the generated module holds the IR document. */
export const IR_DATA = "$ir";

/** The interpreter's interface; `nodeValue` dispatches through `$roots`, generated with the compiled nodes. */
const INTERFACE = `class IrTypeError extends Error {
  constructor(message) {
    super(message);
    this.name = "IrTypeError";
  }
}
function openFrame(prepared) {
  return {
    ir: prepared.ir,
    prepared,
    tool: "",
    args: {},
    time: 0,
    identity: null,
    snapshot: null,
    entry: null,
    output: null,
    memo: null,
  };
}
function closeFrame(_frame) {}
function restamp(frame) {
  frame.memo = null;
}
function frameFor(ctx) {
  return { ...ctx, prepared: prepare(ctx.ir) };
}
function nodeValue(frame, index) {
  const f = $roots[index];
  if (f === undefined) throw new IrTypeError(\`no expression \${index}\`);
  return f(frame);
}
function condValue(frame, index) {
  const v = nodeValue(frame, index);
  return v instanceof Missing ? v : $bool(v, "condition");
}
function evalNode(ctx, index) {
  return nodeValue(frameFor(ctx), index);
}
function evalCond(ctx, index) {
  return condValue(frameFor(ctx), index);
}`;

/** Helpers of the compiled code: the interpreter's lookups and operand checks. */
const HELPERS = `function $own(record, key) {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
function $isRecord(json) {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}
function $asSet(json) {
  if (!Array.isArray(json)) throw new IrTypeError("expected an array for a set");
  return toSet(json);
}
function $bool(v, where) {
  if (typeof v !== "boolean") throw new IrTypeError(\`\${where}: expected bool\`);
  return v;
}
function $str(v, where) {
  if (typeof v !== "string") throw new IrTypeError(\`\${where}: expected string\`);
  return v;
}
function $num(v, where) {
  if (typeof v !== "number") throw new IrTypeError(\`\${where}: expected number\`);
  return v;
}`;

/** The interpreter module the compiled code replaces, and the names it provides in its place. */
export const REPLACED = {
  module: "expr",
  provides: [
    "IrTypeError",
    "openFrame",
    "closeFrame",
    "restamp",
    "frameFor",
    "nodeValue",
    "condValue",
    "evalNode",
    "evalCond",
  ],
} as const;

/** The fixed part of the compiled code, and the top-level names it declares. */
export const PRELUDE = {
  code: `${INTERFACE}\n${HELPERS}`,
  declared: [...REPLACED.provides, "$own", "$isRecord", "$asSet", "$bool", "$str", "$num"],
};
