/**
 * The linker that puts the evaluator's modules into one scope: it follows
 * imports, orders modules after what they import, binds renamed imports,
 * and refuses — naming file and line — anything it cannot link faithfully.
 * And the real evaluator links: every module generated code needs is there,
 * taken from the evaluator's sources.
 */
import { describe, expect, it } from "vitest";
import { linkRuntime } from "../../src/codegen/link.ts";
import { readEvalModule } from "../../src/codegen/source.ts";
import { CodegenError } from "../../src/compiler.ts";

const NOTHING_REPLACED = { module: "expr", provides: [] } as const;

function reader(modules: Record<string, string>) {
  return (name: string) => {
    const text = modules[name];
    if (text === undefined) throw new Error(`no module ${name}`);
    return text;
  };
}

function link(modules: Record<string, string>, uses: Record<string, readonly string[]>) {
  return linkRuntime(reader(modules), { uses, replaced: NOTHING_REPLACED });
}

describe("linkRuntime", () => {
  it("orders modules after their imports, drops import lines and export keywords, binds renamed imports", () => {
    const linked = link(
      {
        top: 'import { base as b } from "./leaf.js";\nimport { twice } from "./mid.js";\nexport function top() {\n  return b + twice();\n}',
        mid: 'import { base } from "./leaf.js";\nimport {} from "../ir/types.js";\nexport function twice() {\n  return 2 * base;\n}',
        leaf: "export const base = 21;\n//# sourceMappingURL=leaf.js.map",
      },
      { top: ["top"] },
    );
    expect(linked.modules).toEqual(["leaf", "mid", "top"]);
    expect(linked.code).not.toMatch(/^(import|export)\b|sourceMappingURL/m);
    expect(linked.declared).toEqual(new Set(["base", "twice", "b", "top"]));
    expect(new Function(`${linked.code}\nreturn top();`)()).toBe(63);
  });

  it("refuses imports and exports it cannot link", () => {
    const refused: [Record<string, string>, RegExp][] = [
      [{ m: 'import * as x from "./n.js";' }, /eval\/m, line 1: unsupported import form/],
      [{ m: 'import x from "./n.js";' }, /unsupported import form/],
      [{ m: 'import { x } from "node:fs";' }, /imports node:fs: only modules of the same folder/],
      [{ m: 'import { x } from "../ir/types.js";' }, /only modules of the same folder/],
      [{ m: 'export { x } from "./n.js";' }, /unsupported export form/],
      [{ m: "export default 1;" }, /unsupported export form/],
      [{ m: 'const x = await import("./n.js");' }, /loads other code at run time/],
      [{ m: "const { a, b } = { a: 1, b: 2 };" }, /a top-level destructuring declaration/],
      [
        { m: 'import { y } from "./n.js";', n: "export const x = 1;" },
        /imports y from eval\/n, not exported/,
      ],
      [
        { m: 'import { x } from "./expr.js";' },
        /imports x from eval\/expr, which generated code does not provide/,
      ],
      [{ m: "function f() {}", n: "const f = 1;" }, /eval\/\w and eval\/\w both declare f at top level/],
    ];
    for (const [modules, message] of refused) {
      const uses = Object.fromEntries(Object.keys(modules).map((name) => [name, []]));
      expect(() => link(modules, uses)).toThrow(CodegenError);
      expect(() => link(modules, uses)).toThrow(message);
    }
  });

  it("refuses a use of a name the module does not export", () => {
    expect(() => link({ m: "export const a = 1;" }, { m: ["b"] })).toThrow(
      /generated code uses b from eval\/m, which does not export it/,
    );
  });
});

describe("the evaluator's modules", () => {
  it("are read as the JavaScript tsc emits: imports on one line each, no types", () => {
    const evaluate = readEvalModule("evaluate");
    expect(evaluate).toMatch(/^import \{[^}\n]*\} from "\.\/expr\.js";$/m);
    expect(evaluate).not.toMatch(/: EvalDecision\b|import type/);
  });
});
