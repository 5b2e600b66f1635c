/**
 * The checker's symbol tables: every declaration of every loaded file,
 * indexed the way name resolution needs them. Built once by `declare.ts`,
 * read by every check.
 *
 * @module
 */
import type * as ast from "../ast.ts";
import type { Type } from "../checked.ts";

/** A loaded file. */
export interface Unit {
  /** Host path, also the `file` of every span in it. */
  readonly path: string;
  readonly ast: ast.SourceFile;
  /** The module's name, or null for the root policy. */
  readonly moduleName: string | null;
  /** Consts and params declared in this file, by unqualified name. */
  readonly scope: Map<string, ConstEntry>;
}

/** A const or a param. */
export interface ConstEntry {
  /** Qualified by the module name when declared in a module. */
  readonly id: string;
  readonly name: ast.Name;
  readonly decl: ast.ConstDecl | ast.ParamDecl;
  readonly unit: Unit;
}

export interface FactEntry {
  readonly name: string;
  readonly type: Type;
  readonly decl: ast.FactDecl;
}

export interface CategoryEntry {
  readonly name: string;
  /** The first declaration. */
  readonly decl: ast.Name;
}

/** An argument of a tool, with where it was declared (for notes). */
export interface ArgEntry {
  readonly name: string;
  readonly type: Type;
  readonly optional: boolean;
  readonly span: ast.Span;
}

/** A tool after MCP imports and refinements are merged. */
export interface ToolEntry {
  readonly name: string;
  readonly args: ReadonlyMap<string, ArgEntry>;
  effect: ast.Effect;
  target: ast.Expr | null;
  output: readonly ast.Name[];
  /** The declaring name, or the path string of the MCP import. */
  readonly span: ast.Span;
  /** The MCP import that declared it, if any. */
  readonly mcp: McpLink | null;
  /** The refinement applied to an MCP tool. */
  refinedBy: ast.ToolDecl | null;
}

/** An `import` whose target file loaded. */
export interface ImportLink {
  readonly node: ast.Import;
  readonly importer: string;
  readonly target: string;
}

/** A tool read from an MCP `tools/list` document. */
export interface McpTool {
  readonly name: string;
  readonly args: readonly { readonly name: string; readonly type: Type; readonly optional: boolean }[];
}

/** An `import mcp` whose document was read and understood. */
export interface McpLink {
  readonly node: ast.McpImport;
  readonly importer: string;
  readonly tools: readonly McpTool[];
}

export interface RuleEntry {
  readonly id: string;
  readonly rule: ast.Rule;
  readonly unit: Unit;
}

export interface ClassifierEntry {
  readonly id: string;
  readonly classifier: ast.ClassifyRule;
  readonly unit: Unit;
}

export interface Model {
  readonly root: Unit;
  /** Every unit in evaluation order: imported modules first (depth first), the root last. */
  readonly units: readonly Unit[];
  readonly unitByPath: ReadonlyMap<string, Unit>;
  readonly modules: ReadonlyMap<string, Unit>;
  readonly imports: readonly ImportLink[];
  readonly mcp: readonly McpLink[];
  readonly tools: ReadonlyMap<string, ToolEntry>;
  /** The tool each declaration stands for: its own for a declaration with `args`, the MCP tool for a refinement. */
  readonly toolOfDecl: ReadonlyMap<ast.ToolDecl, ToolEntry>;
  readonly facts: ReadonlyMap<string, FactEntry>;
  readonly categories: ReadonlyMap<string, CategoryEntry>;
  /** Every const and param, by qualified id. */
  readonly consts: ReadonlyMap<string, ConstEntry>;
  readonly rules: readonly RuleEntry[];
  readonly classifiers: readonly ClassifierEntry[];
}
