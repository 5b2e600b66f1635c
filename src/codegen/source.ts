/**
 * The JavaScript of the evaluator's modules (`src/eval`), read when a module
 * is generated, so a change to the evaluator reaches generated modules
 * without anyone copying it.
 *
 * A built generator (`dist/codegen/*.js`) reads the compiled `.js` files of
 * `dist/eval/` beside it. A generator running from its TypeScript sources
 * (tests, scripts) reads `src/eval/*.ts` and compiles each file in memory
 * with the project's TypeScript compiler and the options of `tsconfig.json`:
 * the same text tsc writes to `dist/`, so both give byte-identical modules.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type * as TypeScript from "typescript";
import { CodegenError } from "./literal.ts";

const HERE = import.meta.url;
const FROM_SOURCES = HERE.endsWith(".ts");

let compiler: { readonly ts: typeof TypeScript; readonly options: TypeScript.CompilerOptions } | undefined;

function typescript() {
  if (compiler !== undefined) return compiler;
  // Only the TypeScript sources need the compiler, a development dependency: load it on demand.
  const ts = createRequire(HERE)("typescript") as typeof TypeScript;
  const configPath = fileURLToPath(new URL("../../tsconfig.json", HERE));
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const converted = ts.convertCompilerOptionsFromJson(
    (config.config as { compilerOptions?: unknown } | undefined)?.compilerOptions ?? {},
    dirname(configPath),
  );
  const error = config.error ?? converted.errors[0];
  if (error !== undefined) {
    throw new CodegenError(
      `cannot read ${configPath}: ${ts.flattenDiagnosticMessageText(error.messageText, "\n")}`,
    );
  }
  compiler = {
    ts,
    // Compiled one file at a time, NodeNext cannot see that the package is ESM and would emit
    // CommonJS; ESNext emits what tsc writes for this package.
    options: {
      ...converted.options,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      sourceMap: false,
      declaration: false,
    },
  };
  return compiler;
}

/** The JavaScript of `src/eval/<name>`, as tsc emits it. */
export function readEvalModule(name: string): string {
  const url = new URL(`../eval/${name}${FROM_SOURCES ? ".ts" : ".js"}`, HERE);
  const text = readFileSync(url, "utf8");
  if (!FROM_SOURCES) return text;
  const { ts, options } = typescript();
  return ts.transpileModule(text, { compilerOptions: options, fileName: fileURLToPath(url) }).outputText;
}
