/**
 * Typing unary and binary operators (§8): logic on `bool`, equality within
 * one type, order on numbers, durations and levels, arithmetic, membership,
 * and `matches` against a regular expression literal.
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import type { Type } from "../../checked.ts";
import { isEffect } from "../builtins.ts";
import type { Ctx } from "../context.ts";
import { isLabel } from "../scope.ts";
import { comparable, formatType, join, T } from "../types.ts";
import { typeOf } from "./util.ts";

function mismatch(ctx: Ctx, at: ast.Expr, message: string, suggestion: string | null = null): null {
  ctx.sink.report("AARM3007", message, at.span, { suggestion });
  return null;
}

/** For `effect == "egress"`: the name without quotes, when that is what was meant. */
function unquoted(other: Type, expr: ast.Expr, ctx: Ctx): string | null {
  if (expr.kind !== "StringLiteral") return null;
  if (other.kind === "effect" && isEffect(expr.value)) return expr.value;
  if ((other.kind === "label" || other.kind === "level") && isLabel(expr.value, ctx.model)) return expr.value;
  return null;
}

function logic(node: ast.Binary, ctx: Ctx): Type {
  for (const operand of [node.left, node.right]) {
    const type = typeOf(ctx, operand);
    if (type !== null && type.kind !== "bool") {
      mismatch(ctx, operand, `\`${node.op}\` takes \`bool\` operands; this is \`${formatType(type)}\``);
    }
  }
  return T.bool;
}

function equality(node: ast.Binary, l: Type, r: Type, ctx: Ctx): Type | null {
  if (!comparable(l))
    return mismatch(
      ctx,
      node.left,
      "a `json` argument cannot be compared: it can only be tested with `has()`",
    );
  if (!comparable(r))
    return mismatch(
      ctx,
      node.right,
      "a `json` argument cannot be compared: it can only be tested with `has()`",
    );
  if (join(l, r) !== null) return T.bool;
  const suggestion = unquoted(l, node.right, ctx);
  const hint = suggestion === null ? "" : `; write \`${suggestion}\` without quotes`;
  return mismatch(
    ctx,
    node.right,
    `\`${node.op}\` compares values of one type; the left is \`${formatType(l)}\`, this is \`${formatType(r)}\`${hint}`,
    suggestion,
  );
}

const ORDERED = new Set(["number", "duration", "level"]);

function order(node: ast.Binary, l: Type, r: Type, ctx: Ctx): Type | null {
  const what = `\`${node.op}\` compares numbers, durations or sensitivity levels`;
  if (!ORDERED.has(l.kind)) return mismatch(ctx, node.left, `${what}; this is \`${formatType(l)}\``);
  if (r.kind !== l.kind) {
    return mismatch(
      ctx,
      node.right,
      `${what} of one kind; the left is \`${formatType(l)}\`, this is \`${formatType(r)}\``,
    );
  }
  return T.bool;
}

function arithmetic(node: ast.Binary, l: Type, r: Type, ctx: Ctx): Type | null {
  const allowed = node.op === "+" ? ["number", "string", "duration"] : ["number"];
  const what =
    node.op === "+" ? "`+` adds numbers or durations, or joins strings" : `\`${node.op}\` takes numbers`;
  if (!allowed.includes(l.kind)) return mismatch(ctx, node.left, `${what}; this is \`${formatType(l)}\``);
  if (r.kind !== l.kind) {
    return mismatch(
      ctx,
      node.right,
      `${what}; the left is \`${formatType(l)}\`, this is \`${formatType(r)}\``,
    );
  }
  return l;
}

function membership(node: ast.Binary, l: Type, r: Type, ctx: Ctx): Type | null {
  if (r.kind === "empty_set") return T.bool;
  if (r.kind === "string") {
    if (l.kind === "string") return T.bool;
    return mismatch(
      ctx,
      node.left,
      `\`${node.op}\` a string tests for a substring; this is \`${formatType(l)}\``,
    );
  }
  if (r.kind !== "set") {
    return mismatch(
      ctx,
      node.right,
      `\`${node.op}\` takes a set or a string on the right; this is \`${formatType(r)}\``,
    );
  }
  if (comparable(l) && join(l, r.element) !== null) return T.bool;
  return mismatch(
    ctx,
    node.left,
    `\`${node.op}\` tests membership in a \`${formatType(r)}\`; this is \`${formatType(l)}\``,
    unquoted(r.element, node.left, ctx),
  );
}

function matches(node: ast.Binary, l: Type | null, ctx: Ctx): Type {
  if (l !== null && l.kind !== "string") {
    mismatch(ctx, node.left, `\`matches\` tests a string; this is \`${formatType(l)}\``);
  }
  return T.bool;
}

/** Types a binary operator. */
export function typeBinary(node: ast.Binary, ctx: Ctx): Type | null {
  if (node.op === "and" || node.op === "or") return logic(node, ctx);
  const l = typeOf(ctx, node.left);
  if (node.op === "matches") return matches(node, l, ctx);
  const r = typeOf(ctx, node.right);
  const boolean = !["+", "-", "*"].includes(node.op);
  if (l === null || r === null) return boolean ? T.bool : null;
  switch (node.op) {
    case "==":
    case "!=":
      return equality(node, l, r, ctx);
    case "<":
    case "<=":
    case ">":
    case ">=":
      return order(node, l, r, ctx);
    case "in":
    case "not in":
      return membership(node, l, r, ctx);
    default:
      return arithmetic(node, l, r, ctx);
  }
}

/** Types `not e` and `-e`. */
export function typeUnary(node: ast.Unary, ctx: Ctx): Type | null {
  const type = typeOf(ctx, node.operand);
  const want = node.op === "not" ? T.bool : T.number;
  if (type !== null && type.kind !== want.kind) {
    mismatch(ctx, node.operand, `\`${node.op}\` takes a \`${want.kind}\`; this is \`${formatType(type)}\``);
  }
  return want;
}
