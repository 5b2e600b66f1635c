/**
 * Walks a schema and a valid example of it together, listing every value the
 * example has (its JSON pointer and the schema that governs it), so tests can
 * break each value in turn without a hand-written case per field. Also lists
 * every property every schema declares, to check the examples reach them all.
 */
import { allSchemas } from "../../src/schema/index.ts";

export type Schema = { readonly [keyword: string]: unknown };

/** A schema with the document URI its `$ref`s resolve against. */
export interface Located {
  readonly schema: Schema;
  readonly base: string;
}

/** One value inside an example. */
export interface Site {
  readonly pointer: string;
  /** The governing schema, `$ref`s followed. */
  readonly at: Located;
  /** Whether the enclosing object's schema lists it in `required`. */
  readonly required: boolean;
  /** The example's value there. */
  readonly value: unknown;
}

export function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const byUri = new Map<string, Schema>();
for (const doc of allSchemas) {
  byUri.set(doc.$id, doc);
  if (isSchema(doc.$defs)) {
    for (const [key, def] of Object.entries(doc.$defs))
      if (isSchema(def)) byUri.set(`${doc.$id}#/$defs/${key}`, def);
  }
}

export function resolve(schema: Schema, base: string): Located {
  if (typeof schema.$ref !== "string") return { schema, base };
  const uri = new URL(schema.$ref, base).href;
  const target = byUri.get(uri);
  if (target === undefined) throw new Error(`unresolvable $ref ${schema.$ref} from ${base}`);
  return resolve(target, uri.split("#")[0] ?? uri);
}

function branches(located: Located, keyword: "anyOf" | "oneOf"): Located[] {
  const list = located.schema[keyword];
  return Array.isArray(list) ? list.filter(isSchema).map((b) => resolve(b, located.base)) : [];
}

/** The branches of an `anyOf` that describe a value: not the null alternative, not a required-only branch. */
function valueBranches(located: Located): Located[] {
  return branches(located, "anyOf").filter(
    ({ schema }) => schema.type !== "null" && !Object.keys(schema).every((k) => k === "required"),
  );
}

/** The schema describing a non-null value at this site: through a nullable `anyOf` to its value branch. */
export function effective(located: Located): Located {
  const [only, ...rest] = valueBranches(located);
  return only !== undefined && rest.length === 0 ? effective(only) : located;
}

/** The JSON types a value here may have, or null when any value is allowed. */
export function allowedTypes(located: Located): Set<string> | null {
  const { schema } = located;
  const types = new Set<string>();
  const add = (value: unknown) =>
    types.add(value === null ? "null" : Array.isArray(value) ? "array" : typeof value);
  if (typeof schema.type === "string") types.add(schema.type);
  if (Array.isArray(schema.type)) for (const t of schema.type) types.add(String(t));
  if ("const" in schema) add(schema.const);
  if (Array.isArray(schema.enum)) for (const value of schema.enum) add(value);
  for (const branch of [...branches(located, "anyOf"), ...branches(located, "oneOf")]) {
    const inner = allowedTypes(branch);
    if (inner === null) return null;
    for (const t of inner) types.add(t);
  }
  if (types.has("integer")) types.add("number");
  return types.size === 0 ? null : types;
}

function discriminated(located: Located, value: Record<string, unknown>): Located | undefined {
  const discriminator = located.schema.discriminator;
  if (!isSchema(discriminator) || typeof discriminator.propertyName !== "string") return undefined;
  const tag = discriminator.propertyName;
  return branches(located, "oneOf").find((b) => {
    const props = b.schema.properties;
    return isSchema(props) && isSchema(props[tag]) && props[tag].const === value[tag];
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Every value of `example` under `root`, the root included. `visited` collects,
 * per object schema, the property names the example actually has.
 */
export function sites(root: Located, example: unknown, visited: Map<Schema, Set<string>>): Site[] {
  const found: Site[] = [{ pointer: "", at: root, required: false, value: example }];
  const walk = (located: Located, value: unknown, pointer: string): void => {
    if (value === null) return;
    for (const branch of valueBranches(located)) walk(branch, value, pointer);
    if (!isRecord(value) && !Array.isArray(value)) return;
    const { schema, base } = located;
    if (isRecord(value)) {
      const branch = discriminated(located, value);
      if (branch !== undefined) walk(branch, value, pointer);
    }
    if (isSchema(schema.properties) && isRecord(value)) {
      const required = Array.isArray(schema.required) ? schema.required : [];
      const seen = visited.get(schema) ?? new Set<string>();
      visited.set(schema, seen);
      for (const [name, sub] of Object.entries(schema.properties)) {
        if (!(name in value) || !isSchema(sub)) continue;
        seen.add(name);
        const child = resolve(sub, base);
        const childPointer = `${pointer}/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`;
        found.push({
          pointer: childPointer,
          at: child,
          required: required.includes(name),
          value: value[name],
        });
        walk(child, value[name], childPointer);
      }
    }
    if (isSchema(schema.items) && Array.isArray(value)) {
      const item = resolve(schema.items, base);
      value.forEach((element: unknown, i) => {
        found.push({ pointer: `${pointer}/${i}`, at: item, required: false, value: element });
        walk(item, element, `${pointer}/${i}`);
      });
    }
  };
  walk(root, example, "");
  return found;
}

/** Every object schema that declares properties, with where it is, skipping conditionals (they only constrain). */
export function declaredObjects(): { schema: Schema; location: string }[] {
  const out: { schema: Schema; location: string }[] = [];
  const walk = (node: unknown, location: string): void => {
    if (Array.isArray(node)) for (const [i, child] of node.entries()) walk(child, `${location}/${i}`);
    if (!isSchema(node)) return;
    if (isSchema(node.properties)) out.push({ schema: node, location });
    for (const [key, child] of Object.entries(node)) {
      if (!["if", "then", "else", "not"].includes(key)) walk(child, `${location}/${key}`);
    }
  };
  for (const doc of allSchemas) walk(doc, doc.$id.replace(/^.*\//, "") + "#");
  return out;
}

/** A deep copy of `value` with the value at `pointer` replaced (or removed, for `undefined`). */
export function withValueAt(value: unknown, pointer: string, replacement: unknown): unknown {
  const copy: unknown = structuredClone(value);
  const tokens = pointer
    .split("/")
    .slice(1)
    .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
  const last = tokens.pop();
  if (last === undefined) return replacement;
  let parent: unknown = copy;
  for (const token of tokens)
    parent = isRecord(parent) || Array.isArray(parent) ? Reflect.get(parent, token) : null;
  if (replacement === undefined && isRecord(parent)) delete parent[last];
  else if (isRecord(parent) || Array.isArray(parent)) Reflect.set(parent, last, replacement);
  return copy;
}
