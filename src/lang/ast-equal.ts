/**
 * Structural AST comparison that ignores where things were written: spans,
 * and the comment lists of files (comments are compared on their own, as
 * text, by whoever cares). The formatter's AST-preservation check is
 * `astEqual(parse(x), parse(format(parse(x))))`, after Prettier's
 * `massage-ast`; the compiler and other tests reuse it.
 *
 * Generic over every node kind: it walks plain objects and arrays, so a node
 * kind added to `ast.ts` is compared without a change here.
 *
 * @module
 */

/** Properties that record position or trivia, not meaning. */
const IGNORED: ReadonlySet<string> = new Set(["span", "comments"]);

/** A value with every `span` and `comments` property removed, recursively. */
export type WithoutSpans<T> = T extends readonly (infer E)[]
  ? readonly WithoutSpans<E>[]
  : T extends object
    ? { readonly [K in keyof T as K extends "span" | "comments" ? never : K]: WithoutSpans<T[K]> }
    : T;

/** A deep copy of `node` without spans or comment lists. */
export function stripSpans<T>(node: T): WithoutSpans<T> {
  return strip(node) as WithoutSpans<T>;
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (!IGNORED.has(key)) out[key] = strip(v);
  return out;
}

/** Whether two ASTs (or parts of ASTs) are the same apart from spans and comments. */
export function astEqual<T>(a: T, b: T): boolean {
  return firstDifference(a, b) === null;
}

/**
 * Where two ASTs first differ, as a path such as `items[3].when.right.value`
 * (`""` for the roots themselves); null when they are equal. For test
 * failure messages.
 */
export function firstDifference(a: unknown, b: unknown, path = ""): string | null {
  if (Object.is(a, b)) return null;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return path;
  if (Array.isArray(a) !== Array.isArray(b)) return path;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}.length`;
    for (let i = 0; i < a.length; i++) {
      const found = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (found !== null) return found;
    }
    return null;
  }
  // Different kinds of node: say so, rather than name a field one of them lacks.
  const kindA = (a as { kind?: unknown }).kind;
  if (kindA !== (b as { kind?: unknown }).kind) return join(path, "kind");
  const keysA = Object.keys(a).filter((k) => !IGNORED.has(k));
  const keysB = Object.keys(b).filter((k) => !IGNORED.has(k));
  const missing = keysA.find((k) => !Object.hasOwn(b, k)) ?? keysB.find((k) => !Object.hasOwn(a, k));
  if (missing !== undefined) return join(path, missing);
  for (const key of keysA) {
    const found = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      join(path, key),
    );
    if (found !== null) return found;
  }
  return null;
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}
