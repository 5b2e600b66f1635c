/**
 * Linking of the evaluator's own modules into the one scope of a generated
 * module, so generated code runs the same combination, modification,
 * session-query, regex and address-parsing code as `src/eval` rather than a
 * copy of it.
 *
 * The input is the JavaScript of each module as tsc emits it for that folder:
 * one `import { a, b as c } from "./m.js";` line per import (type-only
 * imports erased, or left as `import {} from …`), and `export` only in front
 * of top-level `function`, `class`, `const` and `let` declarations. Linking
 * removes the import lines, binds renamed imports with a `const`, drops the
 * `export` keywords, and orders the modules so each follows those it imports
 * (top-level initialisers may call into them). One module, the expression
 * interpreter, is replaced by the generated code, which must provide every
 * name imported from it.
 *
 * Anything outside that shape is refused with a `CodegenError` naming the
 * file and line: an import from outside the folder, a namespace or default
 * import, a dynamic import, a re-export, a top-level destructuring, or two
 * modules declaring the same top-level name (they would clash in one scope). A change to `src/eval`
 * that the linker cannot follow therefore fails generation — and every
 * codegen test — instead of producing a different evaluator.
 *
 * @module
 */
import { CodegenError } from "./literal.ts";

/** What the generated code needs from the runtime, and the module it stands in for. */
export interface LinkRequest {
  /** Names the generated code uses, by module (`"values"` for `values.ts`). */
  readonly uses: { readonly [module: string]: readonly string[] };
  /** The module the generated code replaces, and the names it provides in its place. */
  readonly replaced: { readonly module: string; readonly provides: readonly string[] };
}

export interface LinkedRuntime {
  /** The modules' code, in dependency order, ready to share one module scope. */
  readonly code: string;
  /** The modules, in the order they appear in `code`. */
  readonly modules: readonly string[];
  /** Every top-level name the code declares: the generated code must declare none of them. */
  readonly declared: ReadonlySet<string>;
}

interface Import {
  readonly from: string;
  /** `[imported, local]` pairs. */
  readonly names: readonly (readonly [string, string])[];
  readonly line: number;
}

interface ParsedModule {
  readonly name: string;
  readonly imports: readonly Import[];
  readonly exports: ReadonlySet<string>;
  readonly declared: readonly string[];
  /** The code without import lines and `export` keywords. */
  readonly body: string;
}

const MODULE_NAME = /^[A-Za-z0-9_-]+$/;
const IMPORT = /^import \{([^}]*)\} from "([^"]+)";$/;
const LOCAL_MODULE = /^\.\/([A-Za-z0-9_-]+)\.js$/;
const SPECIFIER = /^([A-Za-z_$][\w$]*)(?: as ([A-Za-z_$][\w$]*))?$/;
const EXPORT = /^export ((?:async )?function\*? ?|class |const |let )([A-Za-z_$][\w$]*)/;
const DECLARATION = /^(?:(?:async )?function\*? ?|class |const |let |var )([A-Za-z_$][\w$]*)/;
/** Code that loads other code at run time cannot be embedded. */
const DYNAMIC = /\bimport\s*\(|\bimport\.meta\b|\brequire\s*\(/;
const SOURCE_MAP = /^\/\/# sourceMappingURL=.*$/;

function parseModule(name: string, text: string): ParsedModule {
  const fail = (line: number, message: string): never => {
    throw new CodegenError(`cannot embed eval/${name}, line ${line}: ${message}`);
  };
  const imports: Import[] = [];
  const exports = new Set<string>();
  const declared: string[] = [];
  const body: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    if (DYNAMIC.test(raw)) fail(line, "code that loads other code at run time cannot be embedded");
    if (SOURCE_MAP.test(raw)) return;
    if (/^import\b/.test(raw)) {
      const match = IMPORT.exec(raw) ?? fail(line, `unsupported import form: ${raw}`);
      const specifiers = (match[1] ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      // `import {} from …` is what a type-only import leaves behind.
      if (specifiers.length === 0) return;
      const from =
        LOCAL_MODULE.exec(match[2] ?? "")?.[1] ??
        fail(line, `imports ${match[2]}: only modules of the same folder can be embedded`);
      const names = specifiers.map((s): [string, string] => {
        const spec = SPECIFIER.exec(s) ?? fail(line, `unsupported import specifier ${s}`);
        const imported = spec[1] as string;
        return [imported, spec[2] ?? imported];
      });
      imports.push({ from, names, line });
      return;
    }
    let code = raw;
    if (/^export\b/.test(raw)) {
      const match = EXPORT.exec(raw) ?? fail(line, `unsupported export form: ${raw}`);
      exports.add(match[2] as string);
      code = raw.slice("export ".length);
    }
    // Only simple declarations name what they declare on their first line.
    if (/^(?:const|let|var) [[{]/.test(code)) fail(line, "a top-level destructuring declaration");
    const declaration = DECLARATION.exec(code);
    if (declaration !== null) declared.push(declaration[1] as string);
    body.push(code);
  });
  return { name, imports, exports, declared, body: body.join("\n").trim() };
}

/**
 * Links the modules `request` needs, reading each module's JavaScript with
 * `read` (by name, `"values"` for `values.ts`). Deterministic: the same
 * sources give the same code.
 */
export function linkRuntime(read: (module: string) => string, request: LinkRequest): LinkedRuntime {
  const parsed = new Map<string, ParsedModule>();
  const order: ParsedModule[] = [];
  const visiting = new Set<string>();
  const load = (name: string): ParsedModule => {
    if (!MODULE_NAME.test(name)) throw new CodegenError(`not a module name: ${name}`);
    let module = parsed.get(name);
    if (module === undefined) {
      module = parseModule(name, read(name));
      parsed.set(name, module);
    }
    return module;
  };
  // Depth-first, emitting a module after what it imports, as ES module evaluation does.
  const visit = (name: string): void => {
    if (name === request.replaced.module || visiting.has(name)) return;
    visiting.add(name);
    const module = load(name);
    for (const { from } of module.imports) visit(from);
    order.push(module);
  };
  for (const name of Object.keys(request.uses).sort()) visit(name);

  const exportsOf = (name: string): ReadonlySet<string> =>
    name === request.replaced.module ? new Set(request.replaced.provides) : load(name).exports;
  for (const [name, names] of Object.entries(request.uses)) {
    for (const used of names) {
      if (!exportsOf(name).has(used)) {
        throw new CodegenError(`generated code uses ${used} from eval/${name}, which does not export it`);
      }
    }
  }

  const owner = new Map<string, string>();
  const declare = (local: string, module: string) => {
    const previous = owner.get(local);
    if (previous !== undefined) {
      throw new CodegenError(
        `eval/${previous} and eval/${module} both declare ${local} at top level; rename one so they can share a scope`,
      );
    }
    owner.set(local, module);
  };
  const code: string[] = [];
  for (const module of order) {
    const aliases: string[] = [];
    for (const { from, names, line } of module.imports) {
      for (const [imported, local] of names) {
        if (!exportsOf(from).has(imported)) {
          const what =
            from === request.replaced.module ? "which generated code does not provide" : "not exported";
          throw new CodegenError(
            `eval/${module.name}, line ${line}: imports ${imported} from eval/${from}, ${what}`,
          );
        }
        if (local !== imported) {
          declare(local, module.name);
          aliases.push(`const ${local} = ${imported};`);
        }
      }
    }
    for (const name of module.declared) declare(name, module.name);
    code.push([`// eval/${module.name}`, ...aliases, module.body].join("\n"));
  }
  return { code: code.join("\n\n"), modules: order.map((m) => m.name), declared: new Set(owner.keys()) };
}
