/**
 * `aarmc check`: parse and check policies and modules, report every diagnostic.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import { checkPolicy } from "../../lang/check.ts";
import type { Diagnostic } from "../../lang/diagnostic.ts";
import { memoryHost } from "../../lang/host.ts";
import { renderJson } from "../../lang/render.ts";
import type { Command } from "../command.ts";
import { EXIT } from "../errors.ts";
import { expandPaths } from "../files.ts";
import { paint } from "../io.ts";
import { startProgress } from "../progress.ts";
import { cwdHost, renderDiagnostics } from "../policy-loader.ts";

const POLICY_HEADER = /^\s*(?:(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*policy\b/;

export const check: Command = {
  name: "check",
  summary: "parse and type-check policies, report errors and warnings",
  usage: "[paths...] [--format human|json] [--deny-warnings]",
  description:
    "Checks every .aarm file under the given paths (default: the current directory). Policy files are\n" +
    "checked as roots with everything they import; module files that no checked policy imports are\n" +
    "checked on their own. Exit status: 0 clean, 1 errors (or warnings with --deny-warnings), 2 bad input.",
  options: {
    format: { type: "string", value: "FORMAT", description: "output format", choices: ["human", "json"] },
    "deny-warnings": { type: "boolean", description: "fail (exit 1) on warnings too" },
  },
  examples: [
    "aarmc check",
    "aarmc check policies/ --deny-warnings",
    "aarmc check policy.aarm --format json | jq '.diagnostics[].code'",
  ],
  async run(positionals, values, io) {
    const files = expandPaths(positionals.length === 0 ? ["."] : positionals, ".aarm", io.cwd);
    const host = cwdHost(io);
    const policies: string[] = [];
    const modules: string[] = [];
    for (const file of files) {
      const text = host.read(file);
      if (text === undefined) continue;
      (POLICY_HEADER.test(text) ? policies : modules).push(file);
    }
    const diagnostics = new Map<string, Diagnostic>();
    const add = (list: readonly Diagnostic[], only?: string): void => {
      for (const d of list) {
        if (only !== undefined && d.span?.file !== only) continue;
        diagnostics.set(`${d.code}:${d.span?.file}:${d.span?.start}:${d.span?.end}:${d.message}`, d);
      }
    };
    const imported = new Set<string>();
    const progress = startProgress(io, "checking", policies.length + modules.length);
    for (const policy of policies) {
      progress.advance(policy);
      const result = checkPolicy(policy, host);
      add(result.diagnostics);
      for (const f of result.policy?.files ?? []) imported.add(f.span.file);
    }
    for (const module of modules) {
      progress.advance(module);
      if (imported.has(module)) continue;
      // A module is checked through a throwaway policy that imports it; only the module's own
      // diagnostics are reported.
      const root = `${dirname(module)}/.aarmc-check-${basename(module)}`;
      const wrapper = `policy aarmc_check version "0"\nimport "./${basename(module)}"\ndefault deny\n`;
      add(checkPolicy(root, memoryHost({ [root]: wrapper }, host)).diagnostics, module);
    }
    progress.done();
    const list = [...diagnostics.values()];
    const errors = list.filter((d) => d.severity === "error").length;
    const warnings = list.length - errors;
    if (values.format === "json") {
      io.stdout(
        `${JSON.stringify({ checked: files, errors, warnings, diagnostics: JSON.parse(renderJson(list)) }, null, 2)}\n`,
      );
    } else {
      if (list.length > 0) io.stdout(renderDiagnostics(io, host, list));
      const summary = `checked ${files.length} file${files.length === 1 ? "" : "s"}: ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`;
      io.stdout(`${errors > 0 ? paint(io, "red", summary) : summary}\n`);
    }
    return errors > 0 || (values["deny-warnings"] === true && warnings > 0) ? EXIT.failure : EXIT.ok;
  },
};
