/**
 * Reading JSON input as values of declared types: action arguments, facts and
 * the arguments of prior actions. Input that does not have the declared type
 * is a contract violation (callers check with `conformInput` first), so it
 * throws rather than guessing.
 *
 * @module
 */

import type { Json } from "../ir/contract.ts";
import { EFFECTS, type Effect } from "../lang/ast.ts";
import type { Type } from "../lang/checked.ts";
import { SemanticsTypeError } from "./errors.ts";
import { makeSet, type Value } from "./values.ts";

/** Why `json` is not a value of `type`, or null when it is. Durations arrive as milliseconds. */
export function typeProblem(json: Json, type: Type): string | null {
  switch (type.kind) {
    case "string":
      return typeof json === "string" ? null : "expected a string";
    case "number":
    case "duration":
      return typeof json === "number" && Number.isFinite(json) ? null : "expected a finite number";
    case "bool":
      return typeof json === "boolean" ? null : "expected a boolean";
    case "effect":
      return typeof json === "string" && isEffect(json) ? null : "expected an effect";
    case "label":
    case "level":
      return typeof json === "string" ? null : "expected a label";
    case "json":
      return null;
    case "empty_set":
      return Array.isArray(json) && json.length === 0 ? null : "expected an empty array";
    case "set": {
      if (!Array.isArray(json)) return "expected an array";
      for (const element of json as readonly Json[]) {
        const problem = typeProblem(element, type.element);
        if (problem !== null) return `element: ${problem}`;
      }
      return null;
    }
  }
}

export function isEffect(s: string): s is Effect {
  return (EFFECTS as readonly string[]).includes(s);
}

/** The value of `json` read as `type`; throws SemanticsTypeError when it does not conform. */
export function jsonToValue(json: Json, type: Type, where: string): Value {
  const problem = typeProblem(json, type);
  if (problem !== null) throw new SemanticsTypeError(`${where}: ${problem}`);
  return convert(json, type);
}

function convert(json: Json, type: Type): Value {
  switch (type.kind) {
    case "string":
      return { kind: "string", value: json as string };
    case "number":
      return { kind: "number", value: json as number };
    case "duration":
      return { kind: "duration", ms: json as number };
    case "bool":
      return { kind: "bool", value: json as boolean };
    case "effect":
      return { kind: "effect", value: json as Effect };
    case "label":
    case "level":
      return { kind: "label", value: json as string };
    case "json":
      return { kind: "json", value: json };
    case "empty_set":
      return makeSet([]);
    case "set":
      return makeSet((json as readonly Json[]).map((element) => convert(element, type.element)));
  }
}
