/**
 * Canonical JSON (RFC 8785, JCS) and SHA-256: the bytes every hash and
 * signature in aarm is computed over.
 *
 * Two parties that hold the same JSON value must produce the same bytes, or a
 * receipt signed by one cannot be verified by the other. JCS fixes the three
 * degrees of freedom JSON leaves open: key order (UTF-16 code units), number
 * spelling (ECMAScript `Number.prototype.toString`, which `JSON.stringify`
 * already implements, `-0` included) and string escaping (that of
 * `JSON.stringify`). Values JSON cannot represent faithfully are refused
 * rather than coerced, because coercion would make two different inputs sign
 * alike: non-finite numbers, lone surrogates (I-JSON, RFC 7493), `undefined`
 * in arrays, functions, symbols, bigints, non-plain objects and cycles. Depth
 * and output size are bounded so attacker-shaped input cannot exhaust the
 * stack or memory. Failures are values; the caller decides how to fail closed.
 *
 * Hashing uses the host's native SHA-256 where there is one (Node's
 * `crypto.hash`, found at run time so that bundlers for browsers never see a
 * `node:` import) and @noble/hashes elsewhere; both hash the same bytes, so
 * the digests are the same.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/** SHA-256 of `data` (a string as UTF-8), as 64 lowercase hex digits. */
type Sha256Hex = (data: Uint8Array | string) => string;

const portableSha256: Sha256Hex = (data) =>
  bytesToHex(sha256(typeof data === "string" ? utf8ToBytes(data) : data));

/** Node's one-shot native hash (over 10× faster on receipt-sized input), or null off Node. */
function nativeSha256(): Sha256Hex | null {
  const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const crypto = host?.getBuiltinModule?.("node:crypto") as
    { hash?: (algorithm: string, data: Uint8Array | string, encoding: "hex") => string } | undefined;
  const hash = crypto?.hash;
  return typeof hash === "function" ? (data) => hash("sha256", data, "hex") : null;
}

const sha256HexImpl: Sha256Hex = nativeSha256() ?? portableSha256;

/** Why a value has no canonical form. */
export type CanonicalizationErrorCode =
  | "non_finite_number"
  | "lone_surrogate"
  | "undefined_value"
  | "unsupported_type"
  | "cycle"
  | "too_deep"
  | "too_large";

export interface CanonicalizationError {
  readonly code: CanonicalizationErrorCode;
  /** Where in the value the problem is, as a JSONPath (`$`, `$.args.items[3]`, `$["a b"]`). */
  readonly path: string;
  readonly message: string;
}

export type CanonicalResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CanonicalizationError };

export interface CanonicalOptions {
  /** Most arrays/objects nested inside one another; default {@link DEFAULT_MAX_DEPTH}. */
  readonly maxDepth?: number;
  /** Longest output, in UTF-16 code units; default {@link DEFAULT_MAX_CHARS}. */
  readonly maxChars?: number;
}

export const DEFAULT_MAX_DEPTH = 128;
export const DEFAULT_MAX_CHARS = 16 * 1024 * 1024;

/** A SHA-256 digest as aarm writes it in documents: `sha256:<64 lowercase hex>`. */
export type Sha256Digest = `sha256:${string}`;

// In unicode mode a well-formed surrogate pair is one code point, so this matches only lone halves.
const LONE_SURROGATE = /\p{Cs}/u;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** True for objects JSON can describe: created by `{}`, `JSON.parse` or `Object.create(null)`. */
export function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Thrown inside {@link canonicalize} to unwind the recursion; never escapes it. */
class Failure {
  readonly code: CanonicalizationErrorCode;
  readonly message: string;
  constructor(code: CanonicalizationErrorCode, message: string) {
    this.code = code;
    this.message = message;
  }
}

/** The RFC 8785 canonical form of `value`, or why it has none. */
export function canonicalize(value: unknown, options: CanonicalOptions = {}): CanonicalResult<string> {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  // Appended to one string (a rope in V8), cheaper than collecting parts and joining them.
  let out = "";
  const path: (string | number)[] = [];
  const open = new Set<object>();
  let size = 0;

  const emit = (text: string): void => {
    size += text.length;
    if (size > maxChars) throw new Failure("too_large", `canonical form exceeds ${maxChars} characters`);
    out += text;
  };

  const emitString = (text: string): void => {
    // The escaped form is at least two characters longer; refuse before allocating it.
    if (size + text.length + 2 > maxChars) {
      throw new Failure("too_large", `canonical form exceeds ${maxChars} characters`);
    }
    if (LONE_SURROGATE.test(text)) {
      throw new Failure("lone_surrogate", "string contains a lone UTF-16 surrogate (not valid I-JSON)");
    }
    emit(JSON.stringify(text));
  };

  const enter = (container: object): void => {
    if (open.has(container)) throw new Failure("cycle", "value contains a reference cycle");
    if (open.size >= maxDepth) throw new Failure("too_deep", `nesting exceeds ${maxDepth} levels`);
    open.add(container);
  };

  const write = (v: unknown): void => {
    switch (typeof v) {
      case "string":
        emitString(v);
        return;
      case "number":
        if (!Number.isFinite(v)) throw new Failure("non_finite_number", `${v} has no JSON representation`);
        emit(JSON.stringify(v));
        return;
      case "boolean":
        emit(v ? "true" : "false");
        return;
      case "undefined":
        throw new Failure("undefined_value", "undefined has no JSON representation");
      case "bigint":
      case "function":
      case "symbol":
        throw new Failure("unsupported_type", `a ${typeof v} has no JSON representation`);
    }
    if (v === null) {
      emit("null");
    } else if (Array.isArray(v)) {
      enter(v);
      emit("[");
      for (let i = 0; i < v.length; i++) {
        if (i > 0) emit(",");
        path.push(i);
        // A hole in a sparse array reads as undefined, which JSON cannot hold.
        write(i in v ? v[i] : undefined);
        path.pop();
      }
      emit("]");
      open.delete(v);
    } else if (isPlainObject(v)) {
      enter(v);
      emit("{");
      // Array.prototype.sort without a comparator orders by UTF-16 code units, as RFC 8785 §3.2.3 requires.
      const keys = Object.keys(v).sort();
      let first = true;
      for (const key of keys) {
        const member = v[key];
        // Absent and undefined are the same thing in JSON, as in JSON.stringify.
        if (member === undefined) continue;
        path.push(key);
        if (!first) emit(",");
        first = false;
        emitString(key);
        emit(":");
        write(member);
        path.pop();
      }
      emit("}");
      open.delete(v);
    } else {
      const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
      throw new Failure(
        "unsupported_type",
        `${typeof name === "string" && name !== "" ? name : "object"} is not a plain object or array`,
      );
    }
  };

  try {
    write(value);
  } catch (caught) {
    if (caught instanceof Failure) {
      return { ok: false, error: { code: caught.code, path: renderPath(path), message: caught.message } };
    }
    throw caught;
  }
  return { ok: true, value: out };
}

function renderPath(path: readonly (string | number)[]): string {
  let text = "$";
  for (const step of path) {
    if (typeof step === "number") text += `[${step}]`;
    else if (IDENTIFIER.test(step)) text += `.${step}`;
    else text += `[${JSON.stringify(step)}]`;
  }
  return text;
}

/**
 * The canonical form of the object `doc` without its member `key`, and a way
 * to the canonical form of `doc` with `key` set to a value known only later:
 * a signature over the first text, for instance. Each of `doc`'s members is
 * serialised once for both. An object's canonical form is its members in key
 * order (UTF-16 code units, RFC 8785 §3.2.3), so the members before `key` and
 * those after it are two canonical objects that the member is joined between.
 */
export interface CanonicalWithout {
  /** The canonical form of `doc` without `key`. */
  readonly text: string;
  /** The canonical form of `doc` with `key` set to `value`. */
  withMember(value: unknown): CanonicalResult<string>;
}

export function canonicalizeWithout(
  doc: Readonly<Record<string, unknown>>,
  key: string,
  options: CanonicalOptions = {},
): CanonicalResult<CanonicalWithout> {
  // Object.fromEntries defines own members, so a `__proto__` member stays a member.
  const members = Object.entries(doc).filter(([name]) => name !== key);
  const before = Object.fromEntries(members.filter(([name]) => name < key));
  const after = Object.fromEntries(members.filter(([name]) => name > key));
  const head = canonicalize(before, options);
  if (!head.ok) return head;
  const tail = canonicalize(after, options);
  if (!tail.ok) return tail;
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  // The members of a canonical object's text, without its braces.
  const inner = (text: string): string => text.slice(1, -1);
  const join = (...parts: string[]): string => `{${parts.filter((part) => part !== "").join(",")}}`;
  const tooLarge = (): CanonicalResult<never> => ({
    ok: false,
    error: { code: "too_large", path: "$", message: `canonical form exceeds ${maxChars} characters` },
  });
  const text = join(inner(head.value), inner(tail.value));
  if (text.length > maxChars) return tooLarge();
  return {
    ok: true,
    value: {
      text,
      withMember(value) {
        if (value === undefined) return { ok: true, value: text };
        const member = canonicalize(value, options);
        if (!member.ok) return member;
        const whole = join(inner(head.value), `${JSON.stringify(key)}:${member.value}`, inner(tail.value));
        return whole.length > maxChars ? tooLarge() : { ok: true, value: whole };
      },
    },
  };
}

/** SHA-256 of `data` (a string is hashed as UTF-8), as 64 lowercase hex digits. */
export function sha256Hex(data: Uint8Array | string): string {
  return sha256HexImpl(data);
}

/** `sha256:<hex>` of the UTF-8 bytes of the canonical form of `value`. */
export function canonicalHash(value: unknown, options: CanonicalOptions = {}): CanonicalResult<Sha256Digest> {
  const canonical = canonicalize(value, options);
  if (!canonical.ok) return canonical;
  return { ok: true, value: `sha256:${sha256Hex(canonical.value)}` };
}
