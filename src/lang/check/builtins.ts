/**
 * The names the language defines: labels, effects, the action, identity,
 * intent and session references, and the names no declaration may take.
 *
 * @module
 */
import { EFFECTS, type Effect } from "../ast.ts";
import type { Resolution, Type } from "../checked.ts";

/** Sensitivity levels, lowest first. */
export const LEVELS = ["public", "internal", "confidential", "restricted"] as const;
export const BUILTIN_CATEGORIES = ["pii", "phi", "secret", "credential", "financial"] as const;
export const PROVENANCE_LABELS = ["untrusted", "trusted"] as const;

export function isLevel(name: string): boolean {
  return (LEVELS as readonly string[]).includes(name);
}

export function levelRank(name: string): number {
  return (LEVELS as readonly string[]).indexOf(name);
}

export function isEffect(name: string): name is Effect {
  return (EFFECTS as readonly string[]).includes(name);
}

export function isBuiltinLabel(name: string): boolean {
  return (
    isLevel(name) ||
    (BUILTIN_CATEGORIES as readonly string[]).includes(name) ||
    (PROVENANCE_LABELS as readonly string[]).includes(name)
  );
}

const STRING: Type = { kind: "string" };
const NUMBER: Type = { kind: "number" };
const BOOL: Type = { kind: "bool" };
const STRINGS: Type = { kind: "set", element: STRING };

/** A dotted built-in reference (`identity.roles`) with what it denotes and its type. */
export interface BuiltinRef {
  readonly resolution: Resolution;
  readonly type: Type;
}

function identity(field: Extract<Resolution, { kind: "identity" }>["field"], type: Type): BuiltinRef {
  return { resolution: { kind: "identity", field }, type };
}

/** `identity.*`, `intent.*` and `session.*` references, by their dotted text. */
export const DOTTED_REFS: ReadonlyMap<string, BuiltinRef> = new Map<string, BuiltinRef>([
  ["identity.human", identity("human", STRING)],
  ["identity.agent", identity("agent", STRING)],
  ["identity.service", identity("service", STRING)],
  ["identity.session", identity("session", STRING)],
  ["identity.roles", identity("roles", STRINGS)],
  ["identity.scope", identity("scope", STRINGS)],
  ["identity.delegation_depth", identity("delegation_depth", NUMBER)],
  ["intent.text", { resolution: { kind: "intent", field: "text" }, type: STRING }],
  ["intent.scope", { resolution: { kind: "intent", field: "scope" }, type: STRINGS }],
  ["intent.alignment", { resolution: { kind: "intent", field: "alignment" }, type: NUMBER }],
  ["session.tainted", { resolution: { kind: "session", field: "tainted" }, type: BOOL }],
  ["session.sensitivity", { resolution: { kind: "session", field: "sensitivity" }, type: { kind: "level" } }],
  ["session.drift", { resolution: { kind: "session", field: "drift" }, type: NUMBER }],
]);

/** The fields of the action (or, inside a session query, of the prior entry). */
export const ACTION_FIELDS: ReadonlyMap<string, Type> = new Map<string, Type>([
  ["tool", STRING],
  ["effect", { kind: "effect" }],
  ["target", STRING],
]);

/**
 * Names no fact, const, param or category may take: they are built-in values
 * or references, and a declaration would shadow them.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set<string>([
  ...EFFECTS,
  ...LEVELS,
  ...BUILTIN_CATEGORIES,
  ...PROVENANCE_LABELS,
  "identity",
  "intent",
  "session",
  "labels",
  "output",
  "tool",
  "effect",
  "target",
  "args",
]);

/** Rule names the engine itself uses as deciding rules. */
export const RESERVED_RULE_NAMES: ReadonlySet<string> = new Set(["unknown_tool", "default"]);

/** First names a module may not take: they would make `<module>.<const>` ambiguous. */
export const RESERVED_MODULE_ROOTS: ReadonlySet<string> = new Set([
  "identity",
  "intent",
  "session",
  "args",
  "std",
]);
