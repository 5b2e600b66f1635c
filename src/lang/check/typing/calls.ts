/**
 * Typing calls of the built-in functions: the name, the number and types of
 * the arguments, what `has()` may test, and the literal CIDR prefix of
 * `in_cidr`.
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import type { BuiltinFunction, Type } from "../../checked.ts";
import { cidrProblem } from "../cidr.ts";
import type { Ctx } from "../context.ts";
import { refText } from "../structure.ts";
import { closest, didYouMean } from "../suggest.ts";
import { formatType, T } from "../types.ts";
import type { Env } from "../walk.ts";
import { presenceTestable } from "./refs.ts";
import { contextAllowed, expectType, typeOf } from "./util.ts";

/** What an argument position takes: a type, a string or set (`len`), or anything testable (`has`). */
type Param = Type | "sized" | "reference";

const SIGNATURES: Readonly<
  Record<BuiltinFunction, { readonly params: readonly Param[]; readonly result: Type }>
> = {
  has: { params: ["reference"], result: T.bool },
  lower: { params: [T.string], result: T.string },
  upper: { params: [T.string], result: T.string },
  trim: { params: [T.string], result: T.string },
  len: { params: ["sized"], result: T.number },
  starts_with: { params: [T.string, T.string], result: T.bool },
  ends_with: { params: [T.string, T.string], result: T.bool },
  contains: { params: [T.string, T.string], result: T.bool },
  host: { params: [T.string], result: T.string },
  domain: { params: [T.string], result: T.string },
  in_cidr: { params: [T.string, T.string], result: T.bool },
  "intent.mentions": { params: [T.string], result: T.bool },
};

function isFunction(name: string): name is BuiltinFunction {
  return Object.hasOwn(SIGNATURES, name);
}

const TESTABLE =
  "an optional argument, a fact, `target`, `intent.text`, `intent.alignment`, `session.drift` or an identity field";

function checkPresenceOperand(arg: ast.Expr, ctx: Ctx): void {
  if (arg.kind === "ArgPath") return;
  const resolution = arg.kind === "Ref" ? ctx.resolutions.get(arg) : undefined;
  if (arg.kind === "Ref" && resolution === undefined) return;
  if (resolution !== undefined && presenceTestable(resolution)) return;
  ctx.sink.report(
    "AARM3009",
    `\`has()\` tests whether ${TESTABLE} is present; this is not one of those`,
    arg.span,
  );
}

function checkSized(arg: ast.Expr, ctx: Ctx): void {
  const type = typeOf(ctx, arg);
  if (type === null || type.kind === "string" || type.kind === "set" || type.kind === "empty_set") return;
  ctx.sink.report("AARM3007", `\`len\` takes a string or a set; this is \`${formatType(type)}\``, arg.span);
}

function checkCidr(arg: ast.Expr, ctx: Ctx): void {
  if (arg.kind !== "StringLiteral") {
    ctx.sink.report(
      "AARM3009",
      'the prefix of `in_cidr` must be a string literal such as `"10.0.0.0/8"`',
      arg.span,
    );
    return;
  }
  const problem = cidrProblem(arg.value);
  if (problem !== null)
    ctx.sink.report("AARM3026", `invalid CIDR prefix \`${arg.value}\`: ${problem}`, arg.span);
}

/** Types a call and records its callee. */
export function typeCall(node: ast.Call, env: Env, ctx: Ctx): Type | null {
  const name = refText(node.callee);
  if (!isFunction(name)) {
    const suggestion = closest(name, Object.keys(SIGNATURES));
    ctx.sink.report("AARM3009", `unknown function \`${name}\`${didYouMean(suggestion)}`, node.callee.span, {
      suggestion,
    });
    return null;
  }
  ctx.resolutions.set(node.callee, { kind: "function", name });
  const signature = SIGNATURES[name];
  if (name === "intent.mentions" && !contextAllowed(ctx, node, env, "`intent.mentions`")) return null;
  if (node.args.length !== signature.params.length) {
    const n = signature.params.length;
    ctx.sink.report(
      "AARM3009",
      `\`${name}\` takes ${n} argument${n === 1 ? "" : "s"}; this call has ${node.args.length}`,
      node.span,
    );
    return signature.result;
  }
  signature.params.forEach((param, i) => {
    const arg = node.args[i];
    if (arg === undefined) return;
    if (param === "reference") checkPresenceOperand(arg, ctx);
    else if (param === "sized") checkSized(arg, ctx);
    else expectType(ctx, arg, param, `argument ${i + 1} of \`${name}\``);
  });
  const prefix = node.args[1];
  if (name === "in_cidr" && prefix !== undefined) checkCidr(prefix, ctx);
  return signature.result;
}
