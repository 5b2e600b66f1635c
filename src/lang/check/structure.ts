/**
 * Structural identity of syntax: a key that is equal for two pieces of AST
 * exactly when they are written the same way up to layout, spans and
 * comments. References are keyed by a caller-supplied function, so two
 * references to the same declaration compare equal even across files.
 *
 * @module
 */
import type * as ast from "../ast.ts";

function isRef(value: object): value is ast.Ref {
  return "kind" in value && value.kind === "Ref";
}

/** A canonical string for `value`, ignoring every `span`. */
export function structuralKey(value: unknown, refKey: (ref: ast.Ref) => string): string {
  const key = JSON.stringify(value, (name: string, v: unknown) => {
    if (name === "span") return undefined;
    return v !== null && typeof v === "object" && isRef(v) ? `ref(${refKey(v)})` : v;
  });
  return key ?? "undefined";
}

/** References keyed by how they are written. */
export function refText(ref: ast.Ref): string {
  return ref.path.map((n) => n.text).join(".");
}
