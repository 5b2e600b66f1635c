/**
 * What every check can see and do: the model, the maps being filled, the
 * record of which declarations are used, and a way to report.
 *
 * @module
 */
import type * as ast from "../ast.ts";
import type { Resolution, Type } from "../checked.ts";
import { type CheckCode, severityOf } from "../codes-check.ts";
import { type Diagnostic, type DiagnosticNote, diagnostic } from "../diagnostic.ts";
import type { ConstEvaluator } from "./consts.ts";
import type { CategoryEntry, ConstEntry, FactEntry, Model } from "./model.ts";

export interface ReportExtra {
  readonly notes?: readonly DiagnosticNote[];
  readonly suggestion?: string | null;
}

/** Collects diagnostics; the severity comes from the code's table entry. */
export class Sink {
  readonly diagnostics: Diagnostic[] = [];

  report(code: CheckCode, message: string, span: ast.Span | null, extra: ReportExtra = {}): void {
    this.diagnostics.push(diagnostic(code, severityOf(code), message, span, extra));
  }

  hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === "error");
  }
}

export function note(message: string, span: ast.Span | null): DiagnosticNote {
  return { message, span };
}

export interface Ctx {
  readonly model: Model;
  readonly sink: Sink;
  readonly consts: ConstEvaluator;
  readonly resolutions: Map<ast.Ref, Resolution>;
  readonly types: Map<ast.Expr, Type>;
  /** Declarations something uses, for the unused-declaration lints. */
  readonly used: Set<ConstEntry | FactEntry | CategoryEntry>;
}
