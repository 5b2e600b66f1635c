/**
 * Code generation: a compiled policy as one standalone ES module, with no
 * imports, that runs unchanged in Node, browsers, Deno and Bun and decides
 * exactly as `aarm/eval` does.
 *
 * The module has four parts: the IR document, as `JSON.parse` of one string
 * (the dispatch table, rules, features and regex programs are data the
 * evaluator reads); the evaluator's own modules from `src/eval`, linked into
 * the module's scope
 * (`link.ts`, read by `source.ts`), for dispatch, the candidate loop with its
 * early stop, combination, modification, session queries, labelling, the
 * regex machine and address parsing; the policy's expressions compiled to
 * JavaScript (`expr.ts`) in place of the evaluator's expression interpreter;
 * and the exports:
 *
 * - `evaluate(input)`: the decision, as `evaluate(ir, input)` of `aarm/eval`;
 * - `labelOutput(tool, args, output)`: the labels, as `labelOutput(ir, …)`;
 * - `ir`: `{ format, irVersion, policy: { name, version }, hash }`.
 *
 * Generation is deterministic: the same IR (as a JSON value) and the same
 * evaluator sources give the same text. Everything taken from the IR enters
 * the text through `literal.ts`; the text is ASCII.
 *
 * @module
 */
import type { Ir } from "../ir/types.ts";
import { compileExpressions } from "./expr.ts";
import { EXPR_RUNTIME, IR_DATA, REPLACED } from "./interface.ts";
import { type LinkedRuntime, linkRuntime } from "./link.ts";
import { CodegenError, jsData, jsNumber, jsString } from "./literal.ts";
import { readEvalModule } from "./source.ts";

export { CodegenError } from "./literal.ts";

/** The evaluator modules' entry points the exports call. */
const ENTRY_POINTS = { evaluate: ["evaluate"], label: ["labelOutput"] };

const HEADER = `/*
 * A compiled aarm policy: a standalone evaluator generated from its IR by aarm's code generator.
 * Exports evaluate(input), labelOutput(tool, args, output), and ir (policy name, version, hash).
 * Generated code: do not edit; generate it again from the policy.
 */`;

let runtime: LinkedRuntime | undefined;

/** The linked evaluator modules; read once per process, as they do not depend on the IR. */
function evalRuntime(): LinkedRuntime {
  runtime ??= linkRuntime(readEvalModule, {
    uses: { ...EXPR_RUNTIME, ...ENTRY_POINTS },
    replaced: REPLACED,
  });
  return runtime;
}

function metadata(ir: Ir): string {
  const text = (value: unknown, what: string) =>
    typeof value === "string" ? jsString(value) : fail(`${what} must be a string`);
  const version =
    typeof ir.irVersion === "number" ? jsNumber(ir.irVersion) : fail("irVersion must be a number");
  return [
    `const $meta = Object.freeze({`,
    `  format: ${text(ir.format, "format")},`,
    `  irVersion: ${version},`,
    `  policy: Object.freeze({ name: ${text(ir.policy?.name, "policy.name")}, version: ${text(ir.policy?.version, "policy.version")} }),`,
    `  hash: ${text(ir.hash, "hash")},`,
    `});`,
  ].join("\n");
}

function fail(message: string): never {
  throw new CodegenError(message);
}

/**
 * The standalone ES module of a compiled policy. Throws `CodegenError` when
 * `ir` is malformed (an index that names no node, an unknown operator) or
 * when the evaluator's modules cannot be linked.
 */
export function generateModule(ir: Ir): string {
  const linked = evalRuntime();
  const expressions = compileExpressions(ir);
  const generated = [IR_DATA, "$meta", "$evaluate", "$labelOutput", ...expressions.declared];
  const clash = generated.find((name) => linked.declared.has(name));
  if (clash !== undefined) throw new CodegenError(`the evaluator's modules already declare ${clash}`);
  const text = [
    HEADER,
    `const ${IR_DATA} = ${jsData(ir, "the IR")};`,
    metadata(ir),
    linked.code,
    `// compiled expressions`,
    expressions.code,
    `function $evaluate(input) {\n  return evaluate(${IR_DATA}, input);\n}`,
    `function $labelOutput(tool, args, output) {\n  return labelOutput(${IR_DATA}, tool, args, output);\n}`,
    `export { $evaluate as evaluate, $labelOutput as labelOutput, $meta as ir };`,
    "",
  ].join("\n\n");
  // The runtime's own text is escaped too (its comments may use typographic characters), so the
  // whole module is ASCII; this only rewrites characters inside comments and string literals.
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
