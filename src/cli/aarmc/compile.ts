/**
 * `aarmc compile`: policies to portable IR documents (or standalone
 * JavaScript modules), for the runtime to load.
 *
 * Every policy is compiled before anything is written, and the outputs are
 * written all together or not at all, so a failed run never leaves a partial
 * or stale mix behind.
 *
 * @module
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { CodegenError, compile as compilePolicy, generateModule } from "../../compiler.ts";
import type { Ir } from "../../ir/types.ts";
import type { Diagnostic } from "../../lang/diagnostic.ts";
import { renderJson as renderDiagnosticsJson } from "../../lang/render.ts";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { paint } from "../io.ts";
import { cwdHost, renderDiagnostics } from "../policy-loader.ts";
import { startProgress } from "../progress.ts";
import { findPolicies, OUTSIDE, outsideWorkingDirectory, writeAtomically } from "../testing/files.ts";

/** A compiled policy with its output text, or one the compiler refused for its cost. */
type Compiled =
  | { readonly source: string; readonly ir: Ir; readonly output: string; readonly text: string }
  | {
      readonly source: string;
      readonly ir: null;
      readonly policy: { readonly name: string; readonly version: string } | null;
      readonly refused: Diagnostic;
    };

/** The compiler's code for a policy over the cost budget (docs/diagnostics/AARM5002.md). */
const OVER_BUDGET = "AARM5002";

const EXTENSION = { ir: ".ir.json", js: ".mjs" } as const;

function parseMaxCost(value: string | boolean | string[] | undefined): number | null {
  if (value === undefined) return null;
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n))
    throw new CliError(
      `compile: --max-cost must be a whole number of expression nodes, not "${String(value)}"`,
    );
  return n;
}

/** Whether `out` names a folder: it exists as one, or is written with a trailing slash. */
function isFolder(out: string, cwd: string): boolean {
  if (out.endsWith("/")) return true;
  const full = resolve(cwd, out);
  return existsSync(full) && statSync(full).isDirectory();
}

function emit(ir: Ir, target: "ir" | "js", source: string): string {
  if (target === "ir") return `${JSON.stringify(ir, null, 2)}\n`;
  try {
    return generateModule(ir);
  } catch (error) {
    if (error instanceof CodegenError)
      throw new CliError(`${source}: cannot generate JavaScript: ${error.message}`);
    throw error;
  }
}

export const compile: Command = {
  name: "compile",
  summary: "compile policies to portable IR for the runtime",
  usage: "<paths...> -o OUT [--target ir|js] [--max-cost N] [--format human|json]",
  description:
    "Compiles every policy under the given paths (files whose header is `policy`; modules are compiled\n" +
    "into the policies that import them). One policy is written to OUT; several are written into the\n" +
    "folder OUT as <policy name>.ir.json (or .mjs with --target js). Prints each policy's worst-case cost\n" +
    "(expression nodes evaluated for one decision) and IR hash. A policy over --max-cost is refused.\n" +
    "Nothing is written unless every policy compiles; outputs are replaced atomically.\n" +
    "Exit status: 0 compiled, 1 a policy is over --max-cost, 2 bad input (including policy errors).",
  options: {
    output: { type: "string", short: "o", value: "OUT", description: "output file (one policy) or folder" },
    target: {
      type: "string",
      value: "TARGET",
      description: "ir: the IR document; js: a standalone ES module",
      choices: ["ir", "js"],
    },
    "max-cost": {
      type: "string",
      value: "N",
      description: "refuse policies whose worst-case cost (expression nodes per decision) exceeds N",
    },
    format: { type: "string", value: "FORMAT", description: "output format", choices: ["human", "json"] },
  },
  examples: [
    "aarmc compile policy.aarm -o policy.ir.json",
    "aarmc compile policies/ -o build/policies --max-cost 500",
    "aarmc compile policies/ -o build/policies --format json | jq '.policies[].hash'",
  ],
  async run(positionals, values, io) {
    if (positionals.length === 0)
      throw new CliError("compile: missing <paths...>: name the policies to compile");
    if (typeof values.output !== "string" || values.output === "")
      throw new CliError("compile: missing -o OUT: a file for one policy, a folder for several");
    const out = values.output;
    const target = values.target === "js" ? "js" : "ir";
    const maxCost = parseMaxCost(values["max-cost"]);
    const { policies, modules } = findPolicies(positionals, io.cwd);
    const named = positionals.map((p) => relative(io.cwd, resolve(io.cwd, p)) || p);
    const namedModule = modules.find((m) => named.includes(m));
    if (namedModule !== undefined)
      throw new CliError(`${namedModule}: is a module, not a policy; compile the policy that imports it`);
    if (policies.length === 0) throw new CliError(`compile: no policy files under ${positionals.join(", ")}`);
    const outside = policies.find(outsideWorkingDirectory);
    if (outside !== undefined) throw new CliError(`${outside}: the policy ${OUTSIDE}`);

    const host = cwdHost(io);
    const folder = policies.length > 1 || isFolder(out, io.cwd);
    if (!folder && existsSync(resolve(io.cwd, out)) && statSync(resolve(io.cwd, out)).isDirectory())
      throw new CliError(`${out}: is a directory`);
    if (folder && existsSync(resolve(io.cwd, out)) && !statSync(resolve(io.cwd, out)).isDirectory())
      throw new CliError(`${out}: exists and is not a directory; several policies need an output folder`);

    const progress = startProgress(io, "compiling", policies.length);
    const compiled: Compiled[] = [];
    const failures: Diagnostic[] = [];
    const warnings: Diagnostic[] = [];
    const byOutput = new Map<string, string>();
    try {
      for (const source of policies) {
        progress.advance(source);
        const result = compilePolicy(source, host, maxCost === null ? {} : { maxCost });
        const errors = result.diagnostics.filter((d) => d.severity === "error");
        warnings.push(...result.diagnostics.filter((d) => d.severity === "warning"));
        const refusal = errors.find((d) => d.code === OVER_BUDGET);
        if (refusal !== undefined && errors.length === 1) {
          const policy =
            result.policy === null ? null : { name: result.policy.name, version: result.policy.version };
          compiled.push({ source, ir: null, policy, refused: refusal });
          continue;
        }
        if (result.ir === null || errors.length > 0) {
          failures.push(...errors);
          continue;
        }
        const ir = result.ir;
        const output = folder ? join(out, `${ir.policy.name}${EXTENSION[target]}`) : out;
        const clash = byOutput.get(output);
        if (clash !== undefined) {
          throw new CliError(
            `${source}: policy ${ir.policy.name} is also the name of ${clash}; both would be written to ${output}`,
          );
        }
        byOutput.set(output, source);
        compiled.push({ source, ir, output, text: emit(ir, target, source) });
      }
    } finally {
      progress.done();
    }

    if (failures.length > 0) {
      io.stderr(renderDiagnostics(io, host, [...failures, ...warnings]));
      const first = failures[0];
      const where = first?.span ? `${first.span.file}:${first.span.line}:${first.span.column}: ` : "";
      throw new CliError(
        `${where}${failures.length} error${failures.length === 1 ? "" : "s"}; nothing was written`,
      );
    }
    const refused = compiled.flatMap((c) => (c.ir === null ? [c.refused] : []));
    if (values.format !== "json" && (warnings.length > 0 || refused.length > 0))
      io.stderr(renderDiagnostics(io, host, [...refused, ...warnings]));

    const written = refused.length === 0;
    if (written) {
      const dir = folder ? resolve(io.cwd, out) : dirname(resolve(io.cwd, out));
      try {
        mkdirSync(dir, { recursive: true });
      } catch (error) {
        throw new CliError(
          `${relative(io.cwd, dir) || dir}: cannot create folder: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      writeAtomically(
        compiled.flatMap((c) => (c.ir === null ? [] : [{ path: resolve(io.cwd, c.output), text: c.text }])),
        (path) => relative(io.cwd, path) || path,
      );
    }

    if (values.format === "json") {
      const report = {
        target,
        written,
        maxCost,
        policies: compiled.map((c) =>
          c.ir === null
            ? {
                source: c.source,
                name: c.policy?.name ?? null,
                version: c.policy?.version ?? null,
                cost: null,
                hash: null,
                output: null,
                refused: true,
              }
            : {
                source: c.source,
                name: c.ir.policy.name,
                version: c.ir.policy.version,
                cost: c.ir.cost,
                hash: c.ir.hash,
                output: written ? c.output : null,
                refused: false,
              },
        ),
        diagnostics: JSON.parse(renderDiagnosticsJson([...refused, ...warnings])) as unknown,
      };
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const c of compiled) {
        if (c.ir === null) {
          io.stdout(`${c.source} ${paint(io, "red", `refused: over --max-cost ${maxCost}`)}\n`);
          continue;
        }
        const dest = written ? `→ ${c.output}` : "(not written)";
        io.stdout(
          `${c.source} ${dest}\n  policy ${c.ir.policy.name} ${c.ir.policy.version}, cost ${c.ir.cost}, ${c.ir.hash}\n`,
        );
      }
      if (!written)
        io.stderr(
          `${refused.length} of ${compiled.length} over --max-cost ${maxCost}; nothing was written\n`,
        );
    }
    return written ? EXIT.ok : EXIT.failure;
  },
};
