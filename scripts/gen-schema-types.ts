/**
 * Generates `src/schema/generated/types.ts` from `src/schema/json/*.schema.json`.
 *
 *   node scripts/gen-schema-types.ts                         write the file
 *   node scripts/gen-schema-types.ts --check                 exit 1 if the checked-in file is stale
 *   node scripts/gen-schema-types.ts --check --against <f>   compare with <f> instead
 *
 * Exits 2 on a bad argument or a schema it cannot turn into types.
 *
 * Every schema document and every `$defs` entry becomes one named type (its
 * `title`), compiled on its own by json-schema-to-typescript. Before
 * compiling, each `$ref` is replaced by a `tsType` naming its target, so a
 * shared definition is declared once and referred to by name everywhere, the
 * description next to a `$ref` still documents the property, and nothing is
 * resolved over the network. Keywords that only validate (if/then/else, not,
 * discriminator, required-only branches) are dropped: they narrow values, not
 * shapes. A schema that constrains nothing becomes `unknown`. Output follows
 * file-name and `$defs` order, so it is deterministic.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { compile } from "json-schema-to-typescript";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Named {
  /** The type name: the schema's `title`. */
  readonly name: string;
  /** The document's `$id`, against which the schema's `$ref`s resolve. */
  readonly base: string;
  readonly schema: JsonObject;
}

const root = join(import.meta.dirname, "..");
const schemaDir = join(root, "src", "schema", "json");
const outFile = join(root, "src", "schema", "generated", "types.ts");

const BANNER = `/**
 * Types of the canonical aarm schemas. GENERATED: do not edit.
 *
 * Source: src/schema/json/*.schema.json. Regenerate with \`npm run gen:types\`
 * (node scripts/gen-schema-types.ts); CI fails when this file is stale
 * (\`npm run check:types-drift\`).
 *
 * @module
 */
`;

/** Keywords that constrain values without changing their shape. */
const VALIDATION_ONLY = new Set(["if", "then", "else", "not", "discriminator", "$comment"]);
/** Keywords a combinator branch may carry and still say nothing about the type. */
const TYPELESS_BRANCH = new Set(["required", "description", "title"]);
/** Keywords that only annotate; a schema with nothing else accepts any JSON value. */
const ANNOTATIONS = new Set(["description", "title", "default", "examples"]);

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

class SchemaSourceError extends Error {}

function loadDocuments(): { file: string; doc: JsonObject }[] {
  return readdirSync(schemaDir)
    .filter((file) => file.endsWith(".schema.json"))
    .sort()
    .map((file) => {
      const doc: Json = JSON.parse(readFileSync(join(schemaDir, file), "utf8"));
      if (!isObject(doc) || typeof doc.$id !== "string" || typeof doc.title !== "string") {
        throw new SchemaSourceError(`${file}: a schema document needs an $id and a title`);
      }
      return { file, doc };
    });
}

/** Every document that describes a value, and every `$defs` entry, in file order. */
function namedSchemas(documents: { file: string; doc: JsonObject }[]): Named[] {
  const named: Named[] = [];
  for (const { file, doc } of documents) {
    const base = String(doc.$id);
    const $defs = doc.$defs;
    const body = Object.fromEntries(
      Object.entries(doc).filter(([key]) => !["$defs", "$id", "$schema"].includes(key)),
    );
    // A document with nothing but definitions (common.schema.json) is not itself a type.
    if ("type" in body || "oneOf" in body || "anyOf" in body) {
      named.push({ name: String(doc.title), base, schema: body });
    }
    if (isObject($defs)) {
      for (const [key, def] of Object.entries($defs)) {
        if (!isObject(def) || typeof def.title !== "string") {
          throw new SchemaSourceError(`${file}: $defs/${key} needs a title (it names the generated type)`);
        }
        named.push({ name: def.title, base, schema: def });
      }
    }
  }
  return named;
}

/** Maps each absolute schema URI a `$ref` can point at to the name of its type. */
function refTargets(documents: { doc: JsonObject }[]): Map<string, string> {
  const targets = new Map<string, string>();
  for (const { doc } of documents) {
    targets.set(String(doc.$id), String(doc.title));
    if (isObject(doc.$defs)) {
      for (const [key, def] of Object.entries(doc.$defs)) {
        if (isObject(def)) targets.set(`${String(doc.$id)}#/$defs/${key}`, String(def.title));
      }
    }
  }
  return targets;
}

function withoutValidation(schema: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => !VALIDATION_ONLY.has(key)));
}

function typeless(branch: Json): boolean {
  return isObject(branch) && Object.keys(branch).every((key) => TYPELESS_BRANCH.has(key));
}

/** The schema as json-schema-to-typescript should see it: `$ref`s named, validation-only parts dropped. */
function forGenerator(schema: JsonObject, base: string, targets: Map<string, string>): JsonObject {
  const source: JsonObject = isObject(schema.discriminator)
    ? // The discriminated union is the type; the tag's enum next to it only restates the branches.
      Object.fromEntries(
        Object.entries(schema).filter(([key]) => ["oneOf", "title", "description"].includes(key)),
      )
    : schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(source)) {
    if (VALIDATION_ONLY.has(key) || key === "$defs") continue;
    if (key === "$ref") {
      const uri = new URL(String(value), base).href;
      const name = targets.get(uri);
      if (name === undefined) throw new SchemaSourceError(`unresolvable $ref ${String(value)} in ${base}`);
      out.tsType = name;
    } else if (key === "properties" && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([prop, sub]) => [
          prop,
          isObject(sub) ? forGenerator(sub, base, targets) : sub,
        ]),
      );
    } else if ((key === "items" || key === "additionalProperties") && isObject(value)) {
      out[key] = forGenerator(value, base, targets);
    } else if ((key === "allOf" || key === "anyOf" || key === "oneOf") && Array.isArray(value)) {
      const branches = value
        .map((branch) => (isObject(branch) ? withoutValidation(branch) : branch))
        .filter((branch) => !typeless(branch))
        .map((branch) => (isObject(branch) ? forGenerator(branch, base, targets) : branch));
      if (branches.length > 0) out[key] = branches;
    } else {
      out[key] = value;
    }
  }
  // json-schema-to-typescript would type an unconstrained schema as an object.
  if (Object.keys(out).every((key) => ANNOTATIONS.has(key))) out.tsType = "unknown";
  return out;
}

async function generate(): Promise<string> {
  const documents = loadDocuments();
  const targets = refTargets(documents);
  const named = namedSchemas(documents);
  const seen = new Set<string>();
  const parts: string[] = [BANNER];
  for (const { name, base, schema } of named) {
    if (seen.has(name))
      throw new SchemaSourceError(`two schemas are titled ${name}; type names must be unique`);
    seen.add(name);
    const ts = await compile(forGenerator(schema, base, targets), name, {
      bannerComment: "",
      declareExternallyReferenced: false,
      unknownAny: true,
      // Bounded arrays stay plain arrays: tuples for every allowed length would be unusable.
      ignoreMinAndMaxItems: true,
      strictIndexSignatures: false,
      format: true,
      style: { printWidth: 110, trailingComma: "all", semi: true, singleQuote: false },
    });
    parts.push(ts.trim(), "");
  }
  const output = parts.join("\n");
  const declared = [...output.matchAll(/^export (?:interface|type) (\w+)/gm)].map((match) => match[1]);
  const duplicate = declared.find((name, index) => declared.indexOf(name) !== index);
  if (duplicate !== undefined) {
    throw new SchemaSourceError(`type ${duplicate} is declared twice; give the inline schema a $defs entry`);
  }
  return output;
}

const USAGE = "usage: node scripts/gen-schema-types.ts [--check [--against <file>]]";

function parseArgs(argv: string[]): { check: boolean; against: string } | string {
  let check = false;
  let against: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = argv[i + 1];
    if (arg === "--check") check = true;
    else if (arg === "--against" && next !== undefined) {
      against = resolve(next);
      i++;
    } else return `unexpected argument ${String(arg)}; ${USAGE}`;
  }
  if (against !== null && !check) return `--against only makes sense with --check; ${USAGE}`;
  return { check, against: against ?? outFile };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === "string") {
    console.error(`gen-schema-types: ${args}`);
    return 2;
  }
  let generated: string;
  try {
    generated = await generate();
  } catch (error) {
    if (!(error instanceof SchemaSourceError)) throw error;
    console.error(`gen-schema-types: ${error.message}`);
    return 2;
  }
  const target = relative(process.cwd(), args.against);
  if (!args.check) {
    writeFileSync(args.against, generated);
    console.log(`gen-schema-types: wrote ${target}`);
    return 0;
  }
  let current: string | null;
  try {
    current = readFileSync(args.against, "utf8");
  } catch {
    current = null;
  }
  if (current === generated) {
    console.log(`gen-schema-types: ${target} is up to date`);
    return 0;
  }
  console.error(
    current === null
      ? `gen-schema-types: ${target} is missing; run \`npm run gen:types\` and commit it`
      : `gen-schema-types: ${target} is out of date with src/schema/json/*.schema.json; run \`npm run gen:types\` and commit it`,
  );
  return 1;
}

process.exitCode = await main();
