// The schema documents themselves: identified, documented, closed and bounded,
// so that what reaches the engine from an agent or a network is limited in size
// and every field says what it means.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allSchemas } from "../../src/schema/index.ts";
import { isSchema, type Schema } from "./walk.ts";

const jsonDir = join(import.meta.dirname, "..", "..", "src", "schema", "json");

/** Every subschema with its location, conditionals included. */
function subschemas(): { schema: Schema; location: string; inConditional: boolean }[] {
  const out: { schema: Schema; location: string; inConditional: boolean }[] = [];
  const walk = (node: unknown, location: string, inConditional: boolean): void => {
    if (Array.isArray(node))
      for (const [i, child] of node.entries()) walk(child, `${location}/${i}`, inConditional);
    if (!isSchema(node)) return;
    out.push({ schema: node, location, inConditional });
    for (const [key, child] of Object.entries(node)) {
      if (key === "enum" || key === "const" || key === "default") continue;
      walk(child, `${location}/${key}`, inConditional || ["if", "then", "else", "not"].includes(key));
    }
  };
  for (const doc of allSchemas) walk(doc, `${doc.$id.replace(/^.*\//, "")}#`, false);
  return out;
}

/** Property-name maps are schemas of schemas; only their values are subschemas. */
const schemaNodes = () => subschemas().filter(({ location }) => !/\/(properties|\$defs)$/.test(location));

describe("schema documents", () => {
  it("ships every file in src/schema/json, each with a v1 $id, draft 2020-12, a title and a description", () => {
    const files = readdirSync(jsonDir).filter((f) => f.endsWith(".schema.json"));
    expect(allSchemas.map((s) => s.$id).sort()).toEqual(
      files.map((f) => `https://aarm.dev/schema/v1/${f}`).sort(),
    );
    for (const doc of allSchemas) {
      expect(doc.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
      expect(typeof doc.title).toBe("string");
      expect(typeof doc.description).toBe("string");
    }
  });

  it("describes every property and every shared definition", () => {
    const undocumented = subschemas().flatMap(({ schema, location, inConditional }) => {
      if (inConditional) return [];
      const props = isSchema(schema.properties) ? Object.entries(schema.properties) : [];
      const defs = isSchema(schema.$defs) ? Object.entries(schema.$defs) : [];
      return [...props, ...defs]
        .filter(([, sub]) => !isSchema(sub) || typeof sub.description !== "string" || sub.description === "")
        .map(([name]) => `${location}/${name}`);
    });
    expect(undocumented).toEqual([]);
  });

  it("closes every object it defines (discriminated unions close each branch)", () => {
    const open = schemaNodes()
      .filter(({ schema, inConditional }) => !inConditional && isSchema(schema.properties))
      .filter(({ schema }) => schema.additionalProperties !== false && schema.discriminator === undefined)
      .map(({ location }) => location);
    expect(open).toEqual([]);
  });

  it("bounds every string, array and free-form object", () => {
    const unbounded = schemaNodes()
      .filter(({ inConditional }) => !inConditional)
      .filter(({ schema }) => {
        const types = Array.isArray(schema.type) ? schema.type : [schema.type];
        // An enumeration, or an anchored pattern without repetition, fixes the length by itself.
        const fixed =
          Array.isArray(schema.enum) ||
          (typeof schema.pattern === "string" && !/[+*]|\{\d+,\}/.test(schema.pattern));
        if (types.includes("string") && schema.maxLength === undefined && !fixed) return true;
        if (types.includes("array") && schema.maxItems === undefined) return true;
        return types.includes("object") && !isSchema(schema.properties) && schema.maxProperties === undefined;
      })
      .map(({ location }) => location);
    expect(unbounded).toEqual([]);
  });

  it("requires only properties that the object declares", () => {
    // ajv's strictRequired is off (it rejects the "human or service" anyOf), so check names here.
    const unknown: string[] = [];
    const check = (names: unknown, props: Schema, location: string) => {
      if (Array.isArray(names))
        for (const n of names) if (!(String(n) in props)) unknown.push(`${location}: ${n}`);
    };
    for (const { schema, location } of schemaNodes()) {
      if (!isSchema(schema.properties)) continue;
      const props = schema.properties;
      check(schema.required, props, location);
      for (const branch of [schema.anyOf, schema.allOf].flatMap((b) => (Array.isArray(b) ? b : []))) {
        if (!isSchema(branch)) continue;
        check(branch.required, props, `${location} (branch)`);
        for (const part of [branch.if, branch.then])
          if (isSchema(part)) check(part.required, props, location);
      }
    }
    expect(unknown).toEqual([]);
  });
});
