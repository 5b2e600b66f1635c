/**
 * The checker: from a root policy file to a `CheckedPolicy` — every file
 * loaded, every name resolved, every expression typed — or the diagnostics
 * that say why not. Phases: load (files, imports, MCP tool lists), declare
 * (symbol tables), check (one walk per file: type rules and checks keyed by
 * node kind), lint (warnings, only for a policy without errors).
 *
 * @module
 */
import { BUILTIN_CATEGORIES } from "./check/builtins.ts";
import { constantChecks } from "./check/checks/constants.ts";
import { declarationChecks } from "./check/checks/declarations.ts";
import { fileChecks } from "./check/checks/files.ts";
import { forbidChecks } from "./check/checks/forbid.ts";
import { modificationChecks } from "./check/checks/modops.ts";
import { ruleChecks } from "./check/checks/rules.ts";
import { toolNameChecks } from "./check/checks/tool-names.ts";
import { ConstEvaluator } from "./check/consts.ts";
import { type Ctx, Sink } from "./check/context.ts";
import { declare } from "./check/declare.ts";
import { unrefinedMcpTools } from "./check/lints/mcp.ts";
import { ruleLints } from "./check/lints/rules.ts";
import { unusedDeclarations } from "./check/lints/unused.ts";
import { load } from "./check/loader.ts";
import type { Model, ToolEntry } from "./check/model.ts";
import { checkUnit, combine } from "./check/registry.ts";
import type { ArgInfo, CheckedPolicy, CheckResult, ToolInfo } from "./checked.ts";
import { sortDiagnostics } from "./diagnostic.ts";
import { memoryHost, type SourceHost, stdlibHost } from "./host.ts";

export type { CheckResult };

const CHECKS = combine(
  fileChecks,
  constantChecks,
  declarationChecks,
  ruleChecks,
  modificationChecks,
  forbidChecks,
  toolNameChecks,
);

function toolInfo(tool: ToolEntry): ToolInfo {
  const args = new Map<string, ArgInfo>();
  for (const [name, a] of tool.args) args.set(name, { name, type: a.type, optional: a.optional });
  return {
    name: tool.name,
    args,
    effect: tool.effect,
    target: tool.target,
    output: tool.output.map((n) => n.text),
    span: tool.span,
  };
}

function assemble(model: Model, ctx: Ctx): CheckedPolicy {
  const root = model.root.ast;
  if (root.kind !== "PolicyFile") throw new Error("the root of a checked policy is a policy file");
  const posture = root.items.find((i) => i.kind === "DefaultDecl");
  return {
    name: root.header.name.text,
    version: root.header.version.value,
    defaultPosture: posture?.kind === "DefaultDecl" ? posture.posture : "deny",
    tools: new Map([...model.tools].map(([name, tool]) => [name, toolInfo(tool)])),
    facts: new Map([...model.facts].map(([name, fact]) => [name, fact.type])),
    categories: new Set([...BUILTIN_CATEGORIES, ...model.categories.keys()]),
    rules: model.rules.map((e) => ({ id: e.id, rule: e.rule, on: e.rule.on.map((n) => n.text) })),
    classifiers: model.classifiers.map((e) => ({
      id: e.id,
      classifier: e.classifier,
      on: e.classifier.on.map((n) => n.text),
    })),
    resolutions: ctx.resolutions,
    types: ctx.types,
    files: [root, ...model.units.filter((u) => u !== model.root).map((u) => u.ast)],
  };
}

/**
 * Checks the policy whose root file is `root` (a host path such as
 * `policy.aarm`), reading it and everything it imports through `host`.
 * `policy` is non-null exactly when no diagnostic is an error.
 */
export function checkPolicy(root: string, host: SourceHost): CheckResult {
  const sink = new Sink();
  const loaded = load(root, host, sink);
  if (loaded.root === null || sink.hasErrors())
    return { policy: null, diagnostics: sortDiagnostics(sink.diagnostics) };
  const model = declare(loaded, loaded.root, sink);
  const ctx: Ctx = {
    model,
    sink,
    consts: new ConstEvaluator(model, sink),
    resolutions: new Map(),
    types: new Map(),
    used: new Set(),
  };
  for (const unit of model.units) checkUnit(unit, CHECKS, ctx);
  if (!sink.hasErrors()) {
    unusedDeclarations(ctx);
    ruleLints(ctx);
    unrefinedMcpTools(ctx);
  }
  const policy = sink.hasErrors() ? null : assemble(model, ctx);
  return { policy, diagnostics: sortDiagnostics(sink.diagnostics) };
}

/** The name `checkText` gives the policy text. */
export const TEXT_ROOT = "policy.aarm";

/**
 * Checks policy source text as `policy.aarm`, with further files (modules,
 * MCP tool lists) by path and the standard library from the package.
 */
export function checkText(text: string, files: Readonly<Record<string, string>> = {}): CheckResult {
  return checkPolicy(TEXT_ROOT, memoryHost({ ...files, [TEXT_ROOT]: text }, stdlibHost()));
}
