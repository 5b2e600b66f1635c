/**
 * The compiler's public API: from `.aarm` source to a checked policy and to
 * the portable IR that `aarm/eval` evaluates.
 *
 * @module
 */

import { budgetDiagnostic, deadRuleDiagnostics } from "./ir/diagnose.ts";
import { lowerPolicy } from "./ir/lower.ts";
import type { Ir } from "./ir/types.ts";
import { checkPolicy, checkText } from "./lang/check.ts";
import type { CheckedPolicy } from "./lang/checked.ts";
import { type Diagnostic, sortDiagnostics } from "./lang/diagnostic.ts";
import type { SourceHost } from "./lang/host.ts";

export { CodegenError, generateModule } from "./codegen/generate.ts";
export type * from "./ir/regex/program.ts";
export type * from "./ir/types.ts";
export { IR_CODES, type IrCode } from "./ir/codes.ts";
export { regexSources } from "./ir/regex-sources.ts";
export { IR_FORMAT, IR_VERSION } from "./ir/types.ts";
export { type IrValidation, type IrValidationError, irSchema, validateIr } from "./ir/validate.ts";
export type * as ast from "./lang/ast.ts";
export type * from "./lang/checked.ts";
export type { Diagnostic, DiagnosticNote, Severity } from "./lang/diagnostic.ts";
export { formatSource } from "./lang/format.ts";
export { fileHost, memoryHost, type SourceHost } from "./lang/host.ts";
export type { ParseResult } from "./lang/parse.ts";
export { parseSource } from "./lang/parse.ts";
export type { RenderOptions } from "./lang/render.ts";
export { renderHuman, renderJson } from "./lang/render.ts";

/** The outcome of compiling: the IR when there are no errors, and every diagnostic either way. */
export interface CompileResult {
  readonly ir: Ir | null;
  readonly policy: CheckedPolicy | null;
  readonly diagnostics: readonly Diagnostic[];
}

export interface CompileOptions {
  /**
   * Refuse a policy whose worst-case cost (`Ir.cost`: expression nodes one
   * decision may evaluate, docs/diagnostics/AARM5002.md) exceeds this: no
   * IR, and an AARM5002 error. A non-negative number; no budget when absent.
   */
  readonly maxCost?: number;
}

/** Compiles an already checked policy; `diagnostics` are the checker's, kept in the result. */
export function compileChecked(
  policy: CheckedPolicy,
  diagnostics: readonly Diagnostic[] = [],
  options: CompileOptions = {},
): CompileResult {
  const { maxCost } = options;
  if (maxCost !== undefined && !(maxCost >= 0)) throw new RangeError(`maxCost must be ≥ 0, not ${maxCost}`);
  const lowered = lowerPolicy(policy);
  if (!lowered.ok)
    return { ir: null, policy, diagnostics: sortDiagnostics([...diagnostics, ...lowered.diagnostics]) };
  const found = [...diagnostics, ...deadRuleDiagnostics(policy, lowered.ir, diagnostics)];
  const overBudget = maxCost === undefined ? null : budgetDiagnostic(policy, lowered.ir, maxCost);
  return overBudget === null
    ? { ir: lowered.ir, policy, diagnostics: sortDiagnostics(found) }
    : { ir: null, policy, diagnostics: sortDiagnostics([...found, overBudget]) };
}

/** Compiles the policy at `root`, reading it and its imports through `host`. */
export function compile(root: string, host: SourceHost, options: CompileOptions = {}): CompileResult {
  const checked = checkPolicy(root, host);
  return checked.policy === null
    ? { ir: null, policy: null, diagnostics: checked.diagnostics }
    : compileChecked(checked.policy, checked.diagnostics, options);
}

/** Compiles policy text (named `policy.aarm`), with further files by name. */
export function compileText(
  text: string,
  files?: Record<string, string>,
  options: CompileOptions = {},
): CompileResult {
  const checked = checkText(text, files);
  return checked.policy === null
    ? { ir: null, policy: null, diagnostics: checked.diagnostics }
    : compileChecked(checked.policy, checked.diagnostics, options);
}
