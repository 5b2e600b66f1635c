/**
 * The compiler's public API: from `.aarm` source to a checked policy and to
 * the portable IR that `aarm/eval` evaluates.
 *
 * @module
 */

import { lowerPolicy } from "./ir/lower.ts";
import type { Ir } from "./ir/types.ts";
import { checkPolicy, checkText } from "./lang/check.ts";
import type { CheckedPolicy } from "./lang/checked.ts";
import { type Diagnostic, sortDiagnostics } from "./lang/diagnostic.ts";
import type { SourceHost } from "./lang/host.ts";

export type * from "./ir/regex/program.ts";
export type * from "./ir/types.ts";
export { IR_FORMAT, IR_VERSION } from "./ir/types.ts";
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

/** Compiles an already checked policy. */
export function compileChecked(
  policy: CheckedPolicy,
  diagnostics: readonly Diagnostic[] = [],
): CompileResult {
  const lowered = lowerPolicy(policy);
  return lowered.ok
    ? { ir: lowered.ir, policy, diagnostics }
    : { ir: null, policy, diagnostics: sortDiagnostics([...diagnostics, ...lowered.diagnostics]) };
}

/** Compiles the policy at `root`, reading it and its imports through `host`. */
export function compile(root: string, host: SourceHost): CompileResult {
  const checked = checkPolicy(root, host);
  return checked.policy === null
    ? { ir: null, policy: null, diagnostics: checked.diagnostics }
    : compileChecked(checked.policy, checked.diagnostics);
}

/** Compiles policy text (named `policy.aarm`), with further files by name. */
export function compileText(text: string, files?: Record<string, string>): CompileResult {
  const checked = checkText(text, files);
  return checked.policy === null
    ? { ir: null, policy: null, diagnostics: checked.diagnostics }
    : compileChecked(checked.policy, checked.diagnostics);
}
