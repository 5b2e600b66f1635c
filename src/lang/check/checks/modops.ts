/**
 * Checks of modification operations (§6): `set` writes a constant or another
 * argument of the argument's type, `remove` needs an optional argument,
 * `clamp` a number argument and a constant range, `redact` a string
 * argument. Argument paths themselves are typed by the typer.
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import type { Type } from "../../checked.ts";
import { type Ctx, note } from "../context.ts";
import { foldChecked } from "../evaluate.ts";
import type { ArgEntry } from "../model.ts";
import type { CheckTable } from "../registry.ts";
import { assignable, formatType, T } from "../types.ts";
import { expectType, typeOf } from "../typing/util.ts";
import type { Env } from "../walk.ts";
import { reportUnevaluated } from "./constants.ts";

/** The declarations of the modified argument in each tool of `on`, when all exist (else the typer reported). */
function declarations(path: ast.ArgPath, env: Env): ArgEntry[] {
  const [name] = path.segments;
  if (env.owner.kind !== "rule" || env.owner.args === null || name === undefined) return [];
  const entries = env.owner.args.tools.map((t) => t.args.get(name.text));
  return entries.every((e) => e !== undefined) ? entries : [];
}

function declaredAs(entry: ArgEntry): ReturnType<typeof note> {
  return note(`the tool declares \`${entry.name}\` as \`${formatType(entry.type)}\` here`, entry.span);
}

/** Reports when the modified argument is not of type `want`. */
function argumentOf(op: ast.ModOp, want: Type, verb: string, env: Env, ctx: Ctx): void {
  const type = typeOf(ctx, op.path);
  if (type === null || type.kind === want.kind) return;
  const first = declarations(op.path, env)[0];
  ctx.sink.report(
    "AARM3018",
    `\`${verb}\` applies to \`${formatType(want)}\` arguments; \`args.${op.path.segments[0]?.text}\` is \`${formatType(type)}\``,
    op.path.span,
    { notes: first === undefined ? [] : [declaredAs(first)] },
  );
}

function setOp(op: Extract<ast.ModOp, { kind: "SetOp" }>, env: Env, ctx: Ctx): void {
  const want = typeOf(ctx, op.path);
  const got = typeOf(ctx, op.value);
  if (want !== null && got !== null && !assignable(got, want)) {
    const first = declarations(op.path, env)[0];
    ctx.sink.report(
      "AARM3007",
      `\`args.${op.path.segments[0]?.text}\` is \`${formatType(want)}\`; this value is \`${formatType(got)}\``,
      op.value.span,
      { notes: first === undefined ? [] : [declaredAs(first)] },
    );
  }
  if (op.value.kind === "ArgPath") return;
  reportUnevaluated(
    op.value,
    foldChecked(op.value, ctx, { kleene: false, params: true }),
    ctx,
    "`set` writes a constant expression or another argument",
  );
}

function removeOp(op: Extract<ast.ModOp, { kind: "RemoveOp" }>, env: Env, ctx: Ctx): void {
  const required = declarations(op.path, env).find((e) => !e.optional);
  if (required === undefined) return;
  ctx.sink.report(
    "AARM3018",
    `only an optional argument can be removed; \`args.${required.name}\` is required`,
    op.path.span,
    { notes: [note("declared required here", required.span)] },
  );
}

function bound(expr: ast.Expr, ctx: Ctx): number | null {
  if (!expectType(ctx, expr, T.number, "a bound of `clamp`")) return null;
  const result = foldChecked(expr, ctx, { kleene: false, params: true });
  reportUnevaluated(expr, result, ctx, "the bounds of `clamp` are constant expressions");
  return result.ok && result.value.kind === "number" ? result.value.value : null;
}

function clampOp(op: Extract<ast.ModOp, { kind: "ClampOp" }>, env: Env, ctx: Ctx): void {
  argumentOf(op, T.number, "clamp", env, ctx);
  const min = bound(op.min, ctx);
  const max = bound(op.max, ctx);
  if (min !== null && max !== null && min > max) {
    ctx.sink.report(
      "AARM3018",
      `the range of \`clamp\` is empty: ${min} is greater than ${max}`,
      op.max.span,
      {
        notes: [note("the lower bound", op.min.span)],
      },
    );
  }
}

function redactOp(op: Extract<ast.ModOp, { kind: "RedactOp" }>, env: Env, ctx: Ctx): void {
  argumentOf(op, T.string, "redact", env, ctx);
}

export const modificationChecks: CheckTable = {
  SetOp: [setOp],
  RemoveOp: [removeOp],
  ClampOp: [clampOp],
  RedactOp: [redactOp],
};
