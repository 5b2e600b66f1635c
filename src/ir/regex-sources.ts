/**
 * The source text of each regex program of an IR, as the policy wrote it
 * (`/…/i`), for showing conditions to people (`explain`). The IR keeps only
 * compiled programs; this side table is computed from the checked policy and
 * is not part of the IR document, so it does not affect the hash.
 *
 * @module
 */
import type * as ast from "../lang/ast.ts";
import type { CheckedPolicy } from "../lang/checked.ts";
import { compileRegex } from "./regex/compile.ts";
import type { Ir } from "./types.ts";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Every regex literal of the policy's files. */
function regexLiterals(files: readonly ast.SourceFile[]): ast.RegexLiteral[] {
  const found: ast.RegexLiteral[] = [];
  const stack: unknown[] = [...files];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (!isRecord(node)) continue;
    if (node.kind === "RegexLiteral") found.push(node as unknown as ast.RegexLiteral);
    else stack.push(...Object.values(node));
  }
  return found;
}

/**
 * For each entry of `ir.regexes`, a literal of `policy` that compiles to it
 * (`/source/flags`), or null if none does (an IR from another policy).
 */
export function regexSources(policy: CheckedPolicy, ir: Ir): (string | null)[] {
  const byProgram = new Map<string, string>();
  for (const literal of regexLiterals(policy.files)) {
    const compiled = compileRegex(literal.source, literal.flags);
    const key = compiled.ok ? JSON.stringify(compiled.program) : null;
    if (key !== null && !byProgram.has(key)) byProgram.set(key, `/${literal.source}/${literal.flags}`);
  }
  return ir.regexes.map((program) => byProgram.get(JSON.stringify(program)) ?? null);
}
