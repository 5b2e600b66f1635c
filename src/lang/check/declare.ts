/**
 * Declarations: builds the symbol tables from the loaded files and reports
 * what is wrong with the declarations themselves — duplicates, reserved
 * names, module names, tools declared twice differently, refinements of
 * tools that are not MCP imports.
 *
 * @module
 */
import type * as ast from "../ast.ts";
import { isBuiltinLabel, RESERVED_MODULE_ROOTS, RESERVED_NAMES, RESERVED_RULE_NAMES } from "./builtins.ts";
import { note, type Sink } from "./context.ts";
import type { Loaded, LoadedFile } from "./loader.ts";
import type {
  ArgEntry,
  CategoryEntry,
  ClassifierEntry,
  ConstEntry,
  FactEntry,
  McpLink,
  Model,
  RuleEntry,
  ToolEntry,
  Unit,
} from "./model.ts";
import { refText, structuralKey } from "./structure.ts";
import { closest, didYouMean } from "./suggest.ts";
import { formatType, typeFromExpr } from "./types.ts";

function qualify(unit: Unit, name: string): string {
  return unit.moduleName === null ? name : `${unit.moduleName}.${name}`;
}

/** A tool declaration's identity, for telling identical redeclarations from conflicting ones. */
function toolKey(tool: ToolEntry): string {
  const args = [...tool.args.values()]
    .map((a) => `${a.name}${a.optional ? "?" : ""}:${formatType(a.type)}`)
    .sort()
    .join(",");
  const output = tool.output
    .map((n) => n.text)
    .sort()
    .join(",");
  return `${args}|${tool.effect}|${structuralKey(tool.target, refText)}|${output}`;
}

function refinementKey(decl: ast.ToolDecl): string {
  return structuralKey({ effect: decl.effect, target: decl.target, output: decl.output }, refText);
}

class Declarer {
  readonly units: Unit[] = [];
  readonly unitByPath = new Map<string, Unit>();
  readonly modules = new Map<string, Unit>();
  readonly tools = new Map<string, ToolEntry>();
  readonly toolOfDecl = new Map<ast.ToolDecl, ToolEntry>();
  readonly facts = new Map<string, FactEntry>();
  readonly categories = new Map<string, CategoryEntry>();
  readonly consts = new Map<string, ConstEntry>();
  readonly rules: RuleEntry[] = [];
  readonly classifiers: ClassifierEntry[] = [];
  private readonly ruleIds = new Map<string, ast.Name>();
  private readonly classifierIds = new Map<string, ast.Name>();

  private readonly sink: Sink;

  constructor(sink: Sink) {
    this.sink = sink;
  }

  addUnit(path: string, file: ast.SourceFile): Unit {
    let moduleName: string | null = null;
    if (file.kind === "ModuleFile") {
      const name = file.header.name;
      moduleName = name.text;
      const first = this.modules.get(name.text);
      if (first !== undefined) {
        this.sink.report(
          "AARM2010",
          `module name \`${name.text}\` is already used by \`${first.path}\``,
          name.span,
          {
            notes: [note("the other module is declared here", first.ast.header.name.span)],
          },
        );
      }
      const root = name.parts[0];
      if (root !== undefined && RESERVED_MODULE_ROOTS.has(root.text)) {
        this.sink.report(
          "AARM3011",
          `a module name may not begin with \`${root.text}\`: \`${name.text}.<name>\` would be ambiguous`,
          root.span,
        );
      }
    }
    const unit: Unit = { path, ast: file, moduleName, scope: new Map() };
    if (moduleName !== null && !this.modules.has(moduleName)) this.modules.set(moduleName, unit);
    this.units.push(unit);
    this.unitByPath.set(path, unit);
    return unit;
  }

  private reserved(name: ast.Name, what: string): boolean {
    if (!RESERVED_NAMES.has(name.text)) return false;
    this.sink.report("AARM3011", `\`${name.text}\` is a built-in name and cannot name a ${what}`, name.span);
    return true;
  }

  declareItems(unit: Unit): void {
    for (const item of unit.ast.items) {
      switch (item.kind) {
        case "ConstDecl":
        case "ParamDecl":
          this.declareConst(unit, item);
          break;
        case "FactDecl":
          this.declareFact(item);
          break;
        case "CategoryDecl":
          for (const name of item.names) this.declareCategory(name);
          break;
        case "Rule":
          this.declareRule(unit, item);
          break;
        case "ClassifyRule":
          this.declareClassifier(unit, item);
          break;
        default:
          break;
      }
    }
  }

  private declareConst(unit: Unit, decl: ast.ConstDecl | ast.ParamDecl): void {
    if (this.reserved(decl.name, decl.kind === "ConstDecl" ? "constant" : "parameter")) return;
    const first = unit.scope.get(decl.name.text);
    if (first !== undefined) {
      this.sink.report("AARM3010", `\`${decl.name.text}\` is already declared in this file`, decl.name.span, {
        notes: [note("first declared here", first.name.span)],
      });
      return;
    }
    const entry: ConstEntry = { id: qualify(unit, decl.name.text), name: decl.name, decl, unit };
    unit.scope.set(decl.name.text, entry);
    this.consts.set(entry.id, entry);
  }

  private declareFact(decl: ast.FactDecl): void {
    if (this.reserved(decl.name, "fact")) return;
    const type = typeFromExpr(decl.type);
    const first = this.facts.get(decl.name.text);
    if (first === undefined) {
      this.facts.set(decl.name.text, { name: decl.name.text, type, decl });
    } else if (formatType(first.type) !== formatType(type)) {
      this.sink.report(
        "AARM3010",
        `fact \`${decl.name.text}\` is already declared with type \`${formatType(first.type)}\``,
        decl.type.span,
        { notes: [note("first declared here", first.decl.span)] },
      );
    }
  }

  private declareCategory(name: ast.Name): void {
    if (isBuiltinLabel(name.text)) {
      this.sink.report(
        "AARM3011",
        `\`${name.text}\` is a built-in label; it needs no declaration`,
        name.span,
      );
      return;
    }
    if (this.reserved(name, "category")) return;
    if (!this.categories.has(name.text)) this.categories.set(name.text, { name: name.text, decl: name });
  }

  private declareRule(unit: Unit, rule: ast.Rule): void {
    if (RESERVED_RULE_NAMES.has(rule.name.text)) {
      this.sink.report(
        "AARM3011",
        `\`${rule.name.text}\` is the name the engine gives its own decisions; choose another rule name`,
        rule.name.span,
      );
    }
    const id = qualify(unit, rule.name.text);
    const first = this.ruleIds.get(id);
    if (first !== undefined) {
      this.sink.report("AARM3010", `rule \`${id}\` is already declared`, rule.name.span, {
        notes: [note("first declared here", first.span)],
      });
      return;
    }
    this.ruleIds.set(id, rule.name);
    this.rules.push({ id, rule, unit });
  }

  private declareClassifier(unit: Unit, classifier: ast.ClassifyRule): void {
    const id = qualify(unit, classifier.name.text);
    const first = this.classifierIds.get(id);
    if (first !== undefined) {
      this.sink.report("AARM3010", `classifier \`${id}\` is already declared`, classifier.name.span, {
        notes: [note("first declared here", first.span)],
      });
      return;
    }
    this.classifierIds.set(id, classifier.name);
    this.classifiers.push({ id, classifier, unit });
  }

  /** Adds a tool, or checks a redeclaration is identical; returns the entry the declaration stands for. */
  private addTool(entry: ToolEntry, at: ast.Span): ToolEntry {
    const first = this.tools.get(entry.name);
    if (first === undefined) {
      this.tools.set(entry.name, entry);
      return entry;
    }
    if (toolKey(first) !== toolKey(entry)) {
      this.sink.report(
        "AARM3010",
        `tool \`${entry.name}\` is already declared differently; declarations of one tool must be identical`,
        at,
        { notes: [note(first.mcp === null ? "first declared here" : "imported from MCP here", first.span)] },
      );
    }
    return entry;
  }

  declareMcpTools(link: McpLink): void {
    for (const tool of link.tools) {
      const args = new Map<string, ArgEntry>();
      for (const a of tool.args) args.set(a.name, { ...a, span: link.node.path.span });
      const name = `${link.node.prefix.text}.${tool.name}`;
      this.addTool(
        {
          name,
          args,
          effect: "execute",
          target: null,
          output: [],
          span: link.node.path.span,
          mcp: link,
          refinedBy: null,
        },
        link.node.path.span,
      );
    }
  }

  declareTool(decl: ast.ToolDecl, args: readonly ast.ArgDecl[]): void {
    const table = new Map<string, ArgEntry>();
    for (const arg of args) {
      const first = table.get(arg.name.text);
      if (first !== undefined) {
        this.sink.report("AARM3010", `argument \`${arg.name.text}\` is already declared`, arg.name.span, {
          notes: [note("first declared here", first.span)],
        });
        continue;
      }
      table.set(arg.name.text, {
        name: arg.name.text,
        type: typeFromExpr(arg.type),
        optional: arg.optional,
        span: arg.name.span,
      });
    }
    const entry: ToolEntry = {
      name: decl.name.text,
      args: table,
      effect: decl.effect?.effect ?? "execute",
      target: decl.target?.expr ?? null,
      output: decl.output?.labels ?? [],
      span: decl.name.span,
      mcp: null,
      refinedBy: null,
    };
    this.toolOfDecl.set(decl, this.addTool(entry, decl.name.span));
  }

  refineTool(decl: ast.ToolDecl): void {
    const tool = this.tools.get(decl.name.text);
    if (tool === undefined || tool.mcp === null) {
      const imported = [...this.tools.values()].filter((t) => t.mcp !== null).map((t) => t.name);
      const suggestion = tool === undefined ? closest(decl.name.text, imported) : null;
      const message =
        tool === undefined
          ? `no tool \`${decl.name.text}\` is imported from MCP to refine${didYouMean(suggestion)}`
          : `\`${decl.name.text}\` is declared with \`args\`; only tools imported from MCP are refined (a declaration without \`args\`)`;
      this.sink.report("AARM3020", message, decl.name.span, {
        notes: tool === undefined ? [] : [note("declared here", tool.span)],
        suggestion,
      });
      return;
    }
    this.toolOfDecl.set(decl, tool);
    if (tool.refinedBy !== null) {
      if (refinementKey(tool.refinedBy) !== refinementKey(decl)) {
        this.sink.report("AARM3010", `tool \`${tool.name}\` is already refined differently`, decl.name.span, {
          notes: [note("first refined here", tool.refinedBy.name.span)],
        });
      }
      return;
    }
    tool.refinedBy = decl;
    if (decl.effect !== null) tool.effect = decl.effect.effect;
    if (decl.target !== null) tool.target = decl.target.expr;
    if (decl.output !== null) tool.output = decl.output.labels;
  }

  /** A const or param that a fact or category would make ambiguous. */
  reportCollisions(): void {
    for (const unit of this.units) {
      for (const entry of unit.scope.values()) {
        const fact = this.facts.get(entry.name.text);
        const category = this.categories.get(entry.name.text);
        const clash =
          fact !== undefined
            ? { what: "fact", span: fact.decl.name.span }
            : category !== undefined
              ? { what: "category", span: category.decl.span }
              : null;
        if (clash === null) continue;
        this.sink.report(
          "AARM3010",
          `\`${entry.name.text}\` is already declared as a ${clash.what}; a name means one thing`,
          entry.name.span,
          { notes: [note(`the ${clash.what} is declared here`, clash.span)] },
        );
      }
    }
    for (const fact of this.facts.values()) {
      const category = this.categories.get(fact.name);
      if (category === undefined) continue;
      this.sink.report(
        "AARM3010",
        `\`${fact.name}\` is already declared as a category; a name means one thing`,
        fact.decl.name.span,
        { notes: [note("the category is declared here", category.decl.span)] },
      );
    }
  }
}

/** Builds the model of a loaded policy whose root loaded. */
export function declare(loaded: Loaded, root: LoadedFile, sink: Sink): Model {
  const d = new Declarer(sink);
  for (const file of loaded.files) d.addUnit(file.path, file.ast);
  for (const unit of d.units) d.declareItems(unit);
  for (const unit of d.units) {
    for (const item of unit.ast.items) {
      if (item.kind === "McpImport") {
        const link = loaded.mcp.find((l) => l.node === item);
        if (link !== undefined) d.declareMcpTools(link);
      } else if (item.kind === "ToolDecl" && item.args !== null) {
        d.declareTool(item, item.args);
      }
    }
  }
  for (const unit of d.units) {
    for (const item of unit.ast.items) if (item.kind === "ToolDecl" && item.args === null) d.refineTool(item);
  }
  d.reportCollisions();
  const rootUnit = d.unitByPath.get(root.path);
  if (rootUnit === undefined) throw new Error("the root file is not among the loaded files");
  return {
    root: rootUnit,
    units: d.units,
    unitByPath: d.unitByPath,
    modules: d.modules,
    imports: loaded.imports,
    mcp: loaded.mcp,
    tools: d.tools,
    toolOfDecl: d.toolOfDecl,
    facts: d.facts,
    categories: d.categories,
    consts: d.consts,
    rules: d.rules,
    classifiers: d.classifiers,
  };
}
