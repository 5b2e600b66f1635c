/**
 * Loads generated modules as their users do — as ES modules from files, by
 * Node's own loader rather than the test runner's transform — and
 * synchronously (`require` of an ES module), so the spec-case suite, whose
 * policies are prepared synchronously, can run them. Files go to one
 * temporary folder per process, named by the SHA-256 of their text.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EvalDecision, EvalInput, Json } from "../../src/ir/contract.ts";

/** The exports of a generated module. */
export interface GeneratedModule {
  evaluate(input: EvalInput): EvalDecision;
  labelOutput(tool: string, args: { readonly [name: string]: Json }, output: string): string[];
  readonly ir: {
    readonly format: string;
    readonly irVersion: number;
    readonly policy: { readonly name: string; readonly version: string };
    readonly hash: string;
  };
}

const load = createRequire(import.meta.url);
let dir: string | null = null;

/** Writes `source` to a file and loads it as an ES module. */
export function loadModule(source: string): GeneratedModule {
  dir ??= mkdtempSync(join(tmpdir(), "aarm-codegen-"));
  const file = join(dir, `${createHash("sha256").update(source).digest("hex")}.mjs`);
  if (!existsSync(file)) writeFileSync(file, source);
  return load(file) as GeneratedModule;
}

/** Removes the files written by this process. */
export function removeModules(): void {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
}

const EXPORT_LINE = /^export \{ \$evaluate as evaluate, \$labelOutput as labelOutput, \$meta as ir \};$/m;

/**
 * Instantiates a generated module's text as a function body instead: the
 * same code (in strict mode, as a module is), but garbage-collectable, so
 * property tests can load a fresh module per generated policy without the
 * loader keeping every one alive. Fails if the module's single export line
 * is not the expected one.
 */
export function instantiate(source: string): GeneratedModule {
  if (!EXPORT_LINE.test(source)) throw new Error("the generated module's export line has changed");
  const body = `"use strict";\n${source.replace(EXPORT_LINE, "return { evaluate: $evaluate, labelOutput: $labelOutput, ir: $meta };")}`;
  return new Function(body)() as GeneratedModule;
}
