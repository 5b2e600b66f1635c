/**
 * Folding checked expressions: references are read from the resolutions the
 * typer recorded. Params count as constants for the values a rule writes
 * (they are fixed for this policy) but not for lints, because an importer may
 * set them differently.
 *
 * @module
 */
import type * as ast from "../ast.ts";
import type { Ctx } from "./context.ts";
import { type Folded, fold } from "./fold.ts";

export interface FoldOptions {
  /** Decide `false and X`, `true or X` whatever `X` is. */
  readonly kleene: boolean;
  /** Treat params as constants. */
  readonly params: boolean;
}

export function foldChecked(expr: ast.Expr, ctx: Ctx, options: FoldOptions): Folded {
  return fold(
    expr,
    (ref) => {
      const resolution = ctx.resolutions.get(ref);
      if (resolution === undefined) return { ok: false, reason: "unresolved", node: ref };
      switch (resolution.kind) {
        case "const": {
          const param = ctx.model.consts.get(resolution.name)?.decl.kind === "ParamDecl";
          if (param && !options.params) return { ok: false, reason: "not-constant", node: ref };
          return { ok: true, value: resolution.value };
        }
        case "effect_literal":
          return { ok: true, value: { kind: "effect", value: resolution.effect } };
        case "label_literal":
          return { ok: true, value: { kind: "label", value: resolution.label } };
        default:
          return { ok: false, reason: "not-constant", node: ref };
      }
    },
    options.kleene,
  );
}

/** Whether `inner` lies within `outer` (same file). */
export function within(inner: ast.Span, outer: ast.Span): boolean {
  return inner.file === outer.file && inner.start >= outer.start && inner.end <= outer.end;
}
