/**
 * Loading: from the root file, parse every file the policy imports (standard
 * library, relative files) and read every MCP tool list, once each, in
 * evaluation order: a file's imports before the file itself. Reports missing
 * files, cycles, files of the wrong kind and malformed MCP documents.
 *
 * @module
 */
import type * as ast from "../ast.ts";
import { dirnamePath, MAX_SOURCE_BYTES, normalizePath, type SourceHost, stdPath } from "../host.ts";
import { parseSource } from "../parse.ts";
import type { Sink } from "./context.ts";
import { readMcpTools } from "./mcp.ts";
import type { ImportLink, McpLink } from "./model.ts";

export interface LoadedFile {
  readonly path: string;
  readonly ast: ast.SourceFile;
}

export interface Loaded {
  /** Null when the root could not be read, parsed, or is not a policy. */
  readonly root: LoadedFile | null;
  /** Every loaded file in evaluation order (the root last). */
  readonly files: readonly LoadedFile[];
  readonly imports: readonly ImportLink[];
  readonly mcp: readonly McpLink[];
}

/** Where an import points, or why it cannot point anywhere. */
function importPath(importer: string, source: ast.ImportSource): { path: string } | { problem: string } {
  if (source.kind === "StdSource") {
    const name = source.name.text.startsWith("std/") ? source.name.text.slice(4) : source.name.text;
    return { path: stdPath(name) };
  }
  return relativePath(importer, source.path.value);
}

function relativePath(importer: string, spec: string): { path: string } | { problem: string } {
  if (spec.startsWith("/") || /^[A-Za-z]:[\\/]/.test(spec) || spec.includes("\\")) {
    return { problem: `import paths are relative to the importing file and use \`/\`; \`${spec}\` is not` };
  }
  const path = normalizePath(`${dirnamePath(importer)}/${spec}`);
  if (path.startsWith("std/")) {
    return { problem: `\`${path}\` is reserved for the standard library; import it as \`std/<name>\`` };
  }
  return { path };
}

const SIZE_MESSAGE = "larger than 1 MiB";

class Loader {
  private readonly state = new Map<string, "active" | "done">();
  private readonly stack: string[] = [];
  readonly files: LoadedFile[] = [];
  readonly imports: ImportLink[] = [];
  readonly mcp: McpLink[] = [];

  private readonly host: SourceHost;
  private readonly sink: Sink;

  constructor(host: SourceHost, sink: Sink) {
    this.host = host;
    this.sink = sink;
  }

  /** Reads a file, reporting a missing or oversized one at `at` (null for the root). */
  private read(path: string, at: ast.Span | null): string | undefined {
    const text = this.host.read(path);
    if (text === undefined) {
      const message = path.startsWith("std/")
        ? `the standard library has no module \`${path.slice("std/".length, -".aarm".length)}\``
        : `cannot read \`${path}\`: no such file, or it is unreadable or ${SIZE_MESSAGE}`;
      this.sink.report("AARM2001", message, at);
      return undefined;
    }
    if (Buffer.byteLength(text, "utf8") > MAX_SOURCE_BYTES) {
      this.sink.report("AARM2002", `\`${path}\` is ${SIZE_MESSAGE}`, at);
      return undefined;
    }
    return text;
  }

  /** Loads `path` and, depth first, what it imports; true when the file is (or was) loaded. */
  visit(path: string, via: ast.Span | null, expect: "PolicyFile" | "ModuleFile"): boolean {
    const state = this.state.get(path);
    if (state === "done") return this.files.some((f) => f.path === path);
    if (state === "active") {
      const cycle = [...this.stack.slice(this.stack.indexOf(path)), path].join(" → ");
      this.sink.report("AARM2003", `import cycle: ${cycle}`, via);
      return false;
    }
    this.state.set(path, "active");
    const file = this.parse(path, via, expect);
    if (file !== null) {
      this.stack.push(path);
      for (const item of file.items) {
        if (item.kind === "Import") this.followImport(path, item);
        else if (item.kind === "McpImport") this.readMcp(path, item);
      }
      this.stack.pop();
      this.files.push({ path, ast: file });
    }
    this.state.set(path, "done");
    return file !== null;
  }

  private parse(
    path: string,
    via: ast.Span | null,
    expect: "PolicyFile" | "ModuleFile",
  ): ast.SourceFile | null {
    const text = this.read(path, via);
    if (text === undefined) return null;
    const parsed = parseSource(text, path);
    this.sink.diagnostics.push(...parsed.diagnostics);
    const file = parsed.file;
    if (file === null) return null;
    if (file.kind !== expect) {
      if (expect === "PolicyFile") {
        this.sink.report(
          "AARM2004",
          `\`${path}\` is a module; the root file must begin with \`policy\``,
          file.header.span,
        );
      } else {
        this.sink.report("AARM2005", `\`${path}\` is a policy; only a \`module\` can be imported`, via, {
          notes: [{ message: "its header", span: file.header.span }],
        });
      }
      return null;
    }
    return file;
  }

  private followImport(importer: string, node: ast.Import): void {
    const at = node.source.span;
    const target = importPath(importer, node.source);
    if ("problem" in target) {
      this.sink.report("AARM2012", target.problem, at);
      return;
    }
    if (this.visit(target.path, at, "ModuleFile")) this.imports.push({ node, importer, target: target.path });
  }

  private readMcp(importer: string, node: ast.McpImport): void {
    const at = node.path.span;
    const target = relativePath(importer, node.path.value);
    if ("problem" in target) {
      this.sink.report("AARM2012", target.problem, at);
      return;
    }
    const text = this.read(target.path, at);
    if (text === undefined) return;
    const result = readMcpTools(text);
    if (result.ok) this.mcp.push({ node, importer, tools: result.tools });
    else
      this.sink.report(
        result.tooLarge ? "AARM2007" : "AARM2006",
        `\`${target.path}\`: ${result.message}`,
        at,
      );
  }
}

/** Loads the policy rooted at `root` and everything it imports. */
export function load(root: string, host: SourceHost, sink: Sink): Loaded {
  const loader = new Loader(host, sink);
  const rootPath = normalizePath(root);
  const ok = loader.visit(rootPath, null, "PolicyFile");
  const rootFile = ok ? (loader.files.find((f) => f.path === rootPath) ?? null) : null;
  return { root: rootFile, files: loader.files, imports: loader.imports, mcp: loader.mcp };
}
