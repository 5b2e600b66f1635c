/**
 * Structural equality of JSON values without recursion: arguments arrive from
 * the agent and may nest arbitrarily deep, so a recursive walk could exhaust
 * the stack on hostile input.
 *
 * @module
 */
import type { Json } from "../ir/contract.ts";

/** True when `a` and `b` are the same JSON value (object key order does not matter). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  const stack: [Json | undefined, Json | undefined][] = [[a, b]];
  for (let pair = stack.pop(); pair !== undefined; pair = stack.pop()) {
    const [x, y] = pair;
    if (x === y) continue;
    if (x === undefined || y === undefined || x === null || y === null) return false;
    if (typeof x !== "object" || typeof y !== "object") return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], y[i]]);
      continue;
    }
    const xo = x as { readonly [key: string]: Json };
    const yo = y as { readonly [key: string]: Json };
    const keys = Object.keys(xo);
    if (keys.length !== Object.keys(yo).length) return false;
    for (const key of keys) {
      if (!Object.hasOwn(yo, key)) return false;
      stack.push([xo[key], yo[key]]);
    }
  }
  return true;
}
