/**
 * JavaScript literals for values taken from an IR document.
 *
 * IR text is hostile: policy authors choose names, reasons, constants and
 * regex sources, and an IR may be written by hand. Nothing from it reaches
 * generated code except through these functions. Strings become JSON string
 * literals with everything outside printable ASCII escaped, and `<` and `>`
 * too, so a literal cannot hold a line terminator, end a comment, or end a
 * `<script>` element the module is inlined into, and the module stays ASCII.
 * Structured data becomes `JSON.parse` of such a literal, because an object
 * literal would turn a `"__proto__"` key into a prototype.
 *
 * @module
 */
import { canonicalize } from "../schema/canonical.ts";

/** An IR document that cannot be turned into a module: the message says what is malformed. */
export class CodegenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CodegenError";
  }
}

/** A double-quoted string literal whose text is printable ASCII other than `<` and `>`. */
export function jsString(text: string): string {
  return JSON.stringify(text).replace(
    /[^\x20-\x7e]|[<>]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A number literal that keeps `-0`, parenthesised when negative so no operator can fuse with its sign. */
export function jsNumber(n: number): string {
  if (Object.is(n, -0)) return "(-0)";
  return n < 0 ? `(${String(n)})` : String(n);
}

/** A scalar of the IR: string, number or boolean. */
export function jsScalar(value: unknown, where: string): string {
  if (typeof value === "string") return jsString(value);
  if (typeof value === "number") return jsNumber(value);
  if (typeof value === "boolean") return String(value);
  throw new CodegenError(`${where}: expected a string, number or boolean`);
}

/** An expression that builds a fresh copy of JSON `data`, in canonical (RFC 8785) form so key order never matters. */
export function jsData(data: unknown, where: string): string {
  const canonical = canonicalize(data);
  if (!canonical.ok) throw new CodegenError(`${where} is not JSON: ${canonical.error.message}`);
  return `JSON.parse(${jsString(canonical.value)})`;
}
