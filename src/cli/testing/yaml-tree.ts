/**
 * YAML text to a tree of JSON values that remember where they were written.
 *
 * The `yaml` package parses and reports syntax errors with offsets; this
 * resolves aliases and `<<` merge keys (so anchors can share an identity
 * between sessions) and keeps the line and column of every node, which the
 * schema reader needs to point at the exact place of a problem. Only JSON
 * values are accepted: a custom tag, a binary scalar or a non-string key is an
 * error here rather than a surprise later.
 *
 * @module
 */
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { Loc } from "./model.ts";

export type YamlValue =
  | { readonly kind: "map"; readonly loc: Loc; readonly entries: ReadonlyMap<string, YamlEntry> }
  | { readonly kind: "seq"; readonly loc: Loc; readonly items: readonly YamlValue[] }
  | { readonly kind: "scalar"; readonly loc: Loc; readonly value: string | number | boolean | null };

export interface YamlEntry {
  readonly keyLoc: Loc;
  readonly value: YamlValue;
}

export type YamlResult =
  | { readonly ok: true; readonly root: YamlValue | null }
  | { readonly ok: false; readonly errors: readonly { readonly loc: Loc; readonly message: string }[] };

/**
 * Nodes produced after resolving aliases, at most: a few aliases to large
 * anchors can otherwise expand a small file exponentially.
 */
const MAX_NODES = 200_000;

class Builder {
  private nodes = 0;
  readonly errors: { loc: Loc; message: string }[] = [];
  private readonly doc: Document.Parsed;
  private readonly lines: LineCounter;
  /** Anchored nodes being expanded, to reject an alias inside its own anchor. */
  private readonly expanding = new Set<Node>();

  constructor(doc: Document.Parsed, lines: LineCounter) {
    this.doc = doc;
    this.lines = lines;
  }

  loc(offset: number | undefined): Loc {
    const { line, col } = this.lines.linePos(offset ?? 0);
    return { line: Math.max(1, line), column: col };
  }

  fail(offset: number | undefined, message: string): null {
    this.errors.push({ loc: this.loc(offset), message });
    return null;
  }

  build(node: unknown): YamlValue | null {
    if (++this.nodes > MAX_NODES)
      return this.fail(0, `the document expands to more than ${MAX_NODES} values through aliases`);
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target === undefined) return this.fail(node.range?.[0], `unknown alias *${node.source}`);
      if (this.expanding.has(target))
        return this.fail(node.range?.[0], `alias *${node.source} refers to itself`);
      this.expanding.add(target);
      const value = this.build(target);
      this.expanding.delete(target);
      return value;
    }
    if (isScalar(node)) {
      const offset = node.range?.[0];
      const v = node.value;
      if (typeof v === "number" && !Number.isFinite(v))
        return this.fail(offset, "infinite and NaN numbers are not JSON values");
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v === null)
        return { kind: "scalar", loc: this.loc(offset), value: v };
      if (typeof v === "bigint") return this.fail(offset, "integer too large");
      return this.fail(offset, `not a JSON value${node.tag === undefined ? "" : ` (tag ${node.tag})`}`);
    }
    if (isSeq(node)) {
      const items: YamlValue[] = [];
      for (const item of node.items) {
        const value = this.build(item);
        if (value !== null) items.push(value);
      }
      return { kind: "seq", loc: this.loc(node.range?.[0]), items };
    }
    if (isMap(node)) {
      const entries = new Map<string, YamlEntry>();
      const merged: YamlValue[] = [];
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key) && typeof key.value === "symbol") {
          const source = this.build(pair.value);
          if (source !== null) merged.push(...(source.kind === "seq" ? source.items : [source]));
          continue;
        }
        const keyOffset = (key as { range?: [number, number, number] } | null)?.range?.[0];
        if (!isScalar(key) || (typeof key.value !== "string" && typeof key.value !== "number")) {
          this.fail(keyOffset ?? node.range?.[0], "a key must be a string");
          continue;
        }
        const value =
          pair.value === null
            ? { kind: "scalar" as const, loc: this.loc(keyOffset), value: null }
            : this.build(pair.value);
        if (value !== null) entries.set(String(key.value), { keyLoc: this.loc(keyOffset), value });
      }
      // Merge keys: the map's own entries win, then earlier merge sources over later ones.
      for (const source of merged) {
        if (source.kind !== "map") {
          this.errors.push({
            loc: source.loc,
            message: "a << merge key takes a mapping or a list of mappings",
          });
          continue;
        }
        for (const [key, entry] of source.entries) if (!entries.has(key)) entries.set(key, entry);
      }
      return { kind: "map", loc: this.loc(node.range?.[0]), entries };
    }
    return this.fail(0, "unsupported YAML node");
  }
}

/** Parses one YAML document into located JSON values; an empty document gives `root: null`. */
export function parseYaml(text: string): YamlResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  const builder = new Builder(doc, lines);
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      errors: problems.map((e) => ({ loc: builder.loc(e.pos[0]), message: e.message })),
    };
  }
  const root = doc.contents === null ? null : builder.build(doc.contents);
  return builder.errors.length > 0 ? { ok: false, errors: builder.errors } : { ok: true, root };
}
