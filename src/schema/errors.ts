/**
 * Turns ajv's raw errors into the errors users see: one per problem, located
 * by the JSON pointer of the offending value, in plain words, sorted.
 *
 * ajv reports some problems several times over (every failing branch of a
 * nullable `anyOf`, an `if` next to the `then` that failed, a discriminator
 * next to the tag's enum); those echoes are folded into the one error that
 * says what is wrong.
 *
 * @module
 */
import type { ErrorObject } from "ajv/dist/2020.js";

/** One validation failure. */
export interface SchemaError {
  /**
   * JSON pointer (RFC 6901) of the failing value, e.g. `/identity/session`;
   * for a missing or disallowed property, the pointer of that property; `""`
   * for the whole value.
   */
  readonly path: string;
  readonly message: string;
}

/** The most errors reported for one value; hostile input can fail in unboundedly many places. */
export const MAX_ERRORS = 100;

/**
 * For every subschema inside the `then` of a conditional, the description of
 * the conditional ("approval is null unless result is STEP_UP"), which says
 * why a value failed better than the bare constraint does.
 */
export type ConditionNotes = WeakMap<object, string>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function conditionNotes(documents: readonly unknown[]): ConditionNotes {
  const notes: ConditionNotes = new WeakMap();
  const mark = (node: unknown, note: string): void => {
    if (isRecord(node)) notes.set(node, note);
    if (Array.isArray(node) || isRecord(node)) for (const child of Object.values(node)) mark(child, note);
  };
  const walk = (node: unknown): void => {
    if (isRecord(node) && typeof node.description === "string" && "then" in node) {
      mark(node.then, node.description.replace(/\.$/, ""));
    }
    if (Array.isArray(node) || isRecord(node)) for (const child of Object.values(node)) walk(child);
  };
  for (const document of documents) walk(document);
  return notes;
}

/** RFC 6901 escaping of one reference token. */
function token(name: string): string {
  return name.replaceAll("~", "~0").replaceAll("/", "~1");
}

function stringParam(error: ErrorObject, name: string): string {
  const value: unknown = error.params[name];
  return typeof value === "string" ? value : String(value);
}

/** `anyOf: [X, {type: "null"}]`: a value that may be null. */
function isNullable(branches: unknown): boolean {
  return Array.isArray(branches) && branches.some((b) => isRecord(b) && b.type === "null");
}

/** `anyOf: [{required: [a]}, {required: [b]}]`: at least one of several properties. The names, or null. */
function atLeastOneOf(branches: unknown): string[] | null {
  if (!Array.isArray(branches)) return null;
  const names: string[] = [];
  for (const branch of branches) {
    if (!isRecord(branch) || Object.keys(branch).length !== 1 || !Array.isArray(branch.required)) return null;
    names.push(...branch.required.map(String));
  }
  return names;
}

const CONSEQUENCES_OF_TYPE = new Set(["enum", "const", "pattern", "format", "minLength", "maxLength"]);
const BRANCH_REQUIRED = /\/anyOf\/\d+\/required$/;
const BRANCH_TYPE = /\/anyOf\/\d+\/type$/;

function describe(error: ErrorObject, nullableAt: ReadonlySet<string>): SchemaError | null {
  const at = error.instancePath;
  switch (error.keyword) {
    case "if":
    case "discriminator":
      // Echoes: the failing `then`, or the tag's own enum, reports the problem with its location.
      return null;
    case "anyOf": {
      // Of a nullable value, the failing non-null branch says what is wrong.
      if (isNullable(error.schema)) return null;
      const names = atLeastOneOf(error.schema);
      if (names !== null) return { path: at, message: `must have at least one of: ${names.join(", ")}` };
      return { path: at, message: error.message ?? "must match a schema in anyOf" };
    }
    case "required":
      if (BRANCH_REQUIRED.test(error.schemaPath) && atLeastOneOf([error.parentSchema]) !== null) return null;
      return { path: `${at}/${token(stringParam(error, "missingProperty"))}`, message: "is required" };
    case "additionalProperties":
      return { path: `${at}/${token(stringParam(error, "additionalProperty"))}`, message: "is not allowed" };
    case "type": {
      const nullAlternative = nullableAt.has(at) && BRANCH_TYPE.test(error.schemaPath);
      if (nullAlternative && error.params.type === "null") return null;
      const types = Array.isArray(error.params.type)
        ? error.params.type.map(String)
        : [stringParam(error, "type")];
      if (nullableAt.has(at) && !error.schemaPath.includes("/then/") && !types.includes("null"))
        types.push("null");
      return { path: at, message: `must be ${types.join(" or ")}` };
    }
    case "enum": {
      const allowed: unknown = error.params.allowedValues;
      const values = Array.isArray(allowed) ? allowed.map((v) => JSON.stringify(v)).join(", ") : "";
      return { path: at, message: `must be one of: ${values}` };
    }
    case "const":
      return { path: at, message: `must be ${JSON.stringify(error.params.allowedValue)}` };
    case "format":
      return { path: at, message: `must be a valid ${stringParam(error, "format")}` };
    case "pattern": {
      // A named definition's description says in words what its pattern says in regex.
      const named = error.parentSchema;
      if (isRecord(named) && typeof named.title === "string" && typeof named.description === "string") {
        return { path: at, message: `must be a valid ${named.title}: ${named.description}` };
      }
      return { path: at, message: `must match the pattern ${stringParam(error, "pattern")}` };
    }
    default:
      return { path: at, message: error.message ?? `fails "${error.keyword}"` };
  }
}

/** The user-facing errors for ajv's `errors`: folded, explained, sorted, unique, at most `MAX_ERRORS`. */
export function formatErrors(raw: readonly ErrorObject[], notes: ConditionNotes): SchemaError[] {
  const nullableAt = new Set(
    raw.filter((e) => e.keyword === "anyOf" && isNullable(e.schema)).map((e) => e.instancePath),
  );
  // A value of the wrong type fails its enum, pattern and bounds too; the type error says it all.
  const wrongTypeAt = new Set(
    raw.filter((e) => e.keyword === "type" && e.params.type !== "null").map((e) => e.instancePath),
  );
  const byKey = new Map<string, SchemaError>();
  for (const error of raw) {
    if (wrongTypeAt.has(error.instancePath) && CONSEQUENCES_OF_TYPE.has(error.keyword)) continue;
    const described = describe(error, nullableAt);
    if (described === null) continue;
    const note = isRecord(error.parentSchema) ? notes.get(error.parentSchema) : undefined;
    const final =
      note === undefined ? described : { ...described, message: `${described.message} (${note})` };
    byKey.set(`${final.path}\u0000${final.message}`, final);
  }
  const errors = [...byKey.values()].sort((a, b) =>
    a.path === b.path ? compare(a.message, b.message) : compare(a.path, b.path),
  );
  // A failed validation always explains itself, even if every raw error was an echo.
  return errors.length === 0 ? [{ path: "", message: "is invalid" }] : errors.slice(0, MAX_ERRORS);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
