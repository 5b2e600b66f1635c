/**
 * Field readers for configuration files, shared by every deployment surface
 * that reads one (the gateway's file, and the telemetry and drift sections
 * any surface can embed): each checks one value and, when it is wrong,
 * throws a {@link ConfigProblem} naming where it is (a JSON-pointer-like
 * location such as `/telemetry/otlp/url`) and what was expected, so the
 * reader reports the first problem found.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";

/** A configuration value that is not what its field takes; the message starts with its location. */
export class ConfigProblem extends Error {}

/** A parsed object (not null, not a list). */
export type ConfigObject = { readonly [key: string]: unknown };

/** Whether `value` is an object, as opposed to null, a list or a scalar. */
export function isConfigObject(value: unknown): value is ConfigObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Throws the problem at `at`: `<at>: expected <expected>`. */
export function fail(at: string, expected: string): never {
  throw new ConfigProblem(`${at}: expected ${expected}`);
}

/** `value` as an object, or a problem at `at` saying it should be `expected`. */
export function object(value: unknown, at: string, expected = "an object"): ConfigObject {
  return isConfigObject(value) ? value : fail(at, expected);
}

/** A non-empty string. */
export function str(value: unknown, at: string): string {
  return typeof value === "string" && value.length > 0 ? value : fail(at, "a non-empty string");
}

/** A list of non-empty strings. */
export function strings(value: unknown, at: string): string[] {
  return Array.isArray(value) ? value.map((v, i) => str(v, `${at}/${i}`)) : fail(at, "a list of strings");
}

/** A map of strings, e.g. HTTP headers or environment variables. */
export function stringMap(value: unknown, at: string): Record<string, string> {
  if (!isConfigObject(value)) fail(at, "a map of strings");
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, typeof v === "string" ? v : fail(`${at}/${k}`, "a string")]),
  );
}

/** One of `choices`. */
export function oneOf<T extends string>(value: unknown, at: string, choices: readonly T[]): T {
  return choices.includes(value as T) ? (value as T) : fail(at, `one of ${choices.join(", ")}`);
}

/** A positive safe integer. */
export function count(value: unknown, at: string): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0
    ? value
    : fail(at, "a positive integer");
}

/** Refuses any field of `value` not in `keys`, so that a misspelt one is not silently ignored. */
export function only(value: ConfigObject, at: string, keys: readonly string[]): void {
  for (const key of Object.keys(value))
    if (!keys.includes(key)) throw new ConfigProblem(`${at}/${key}: unknown field`);
}

/** Resolves `path` against `base` (the configuration file's folder) unless it is absolute. */
export function under(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}
