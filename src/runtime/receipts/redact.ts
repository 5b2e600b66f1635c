/**
 * Receipt minimisation: sensitive parameters are recorded in receipts by
 * their hash, not their value.
 *
 * A sensitive value is replaced by the `sha256:` digest of its RFC 8785
 * canonical JSON, so an auditor who holds the value can show it is the one
 * the receipt speaks of, while the receipt (exported, shipped to a SIEM,
 * kept for years) does not carry it. A plain hash hides only what is hard to
 * guess: a short or predictable value (an amount, a PIN, a date) can be
 * recovered by trying candidates, so such values should be left out of the
 * parameters rather than hashed.
 *
 * @module
 */
import { canonicalHash, isPlainObject } from "../../schema/canonical.ts";
import type { ToolParameters } from "../../schema/generated/types.ts";

/** Why parameters could not be redacted. */
export interface RedactionError {
  /** The offending pointer, as given. */
  readonly pointer: string;
  readonly message: string;
}

/** The redacted parameters, or why they could not be redacted. */
export type RedactionResult =
  | { readonly ok: true; readonly value: ToolParameters }
  | { readonly ok: false; readonly error: RedactionError };

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** The reference tokens of an RFC 6901 JSON Pointer below the root, or null if it is not one. */
function parsePointer(pointer: string): string[] | null {
  if (!pointer.startsWith("/")) return null;
  const tokens = pointer.slice(1).split("/");
  if (tokens.some((token) => /~(?![01])/.test(token))) return null;
  return tokens.map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

type Step = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/** `value` with the member at `tokens[depth…]` replaced by its hash; unchanged when there is no such member. */
function redactAt(value: unknown, tokens: readonly string[], depth: number): Step {
  if (depth === tokens.length) {
    const digest = canonicalHash(value);
    return digest.ok ? { ok: true, value: digest.value } : { ok: false, message: digest.error.message };
  }
  const token = tokens[depth] as string;
  if (Array.isArray(value)) {
    if (!ARRAY_INDEX.test(token) || Number(token) >= value.length) return { ok: true, value };
    const inner = redactAt(value[Number(token)], tokens, depth + 1);
    if (!inner.ok) return inner;
    return { ok: true, value: value.map((item, index) => (index === Number(token) ? inner.value : item)) };
  }
  if (!isPlainObject(value) || !Object.hasOwn(value, token)) return { ok: true, value };
  const inner = redactAt(value[token], tokens, depth + 1);
  if (!inner.ok) return inner;
  // fromEntries defines properties, so a key such as `__proto__` stays an ordinary key.
  return {
    ok: true,
    value: Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, key === token ? inner.value : item]),
    ),
  };
}

/**
 * `params` with the value at each of the `sensitive` JSON Pointers (RFC 6901,
 * e.g. `/body`, `/card/number`, `/recipients/0`) replaced by the `sha256:`
 * hash of its canonical JSON. Pointers to members that are absent are
 * skipped (an optional parameter may not be there). A pointer below another
 * one is covered by it: the outer value is hashed whole, whatever the order
 * the pointers are given in. `params` itself is not changed.
 */
export function redactParameters(params: ToolParameters, sensitive: readonly string[]): RedactionResult {
  const parsed: { readonly pointer: string; readonly tokens: readonly string[] }[] = [];
  const seen = new Set<string>();
  for (const pointer of sensitive) {
    const tokens = parsePointer(pointer);
    if (tokens === null) {
      return {
        ok: false,
        error: { pointer, message: "not a JSON Pointer below the parameters (e.g. /body)" },
      };
    }
    // A value named twice is hashed once, not hashed and then its hash hashed again.
    if (seen.has(pointer)) continue;
    seen.add(pointer);
    parsed.push({ pointer, tokens });
  }
  // Outer members first: once hashed, the members inside them are no longer there to hash.
  parsed.sort((a, b) => a.tokens.length - b.tokens.length);
  let value: unknown = params;
  for (const { pointer, tokens } of parsed) {
    const step = redactAt(value, tokens, 0);
    if (!step.ok) return { ok: false, error: { pointer, message: step.message } };
    value = step.value;
  }
  return { ok: true, value: value as ToolParameters };
}
