/**
 * The OpenAPI document the service serves: structurally OpenAPI 3.1, every
 * reference resolves (within the document, or to a schema it includes by
 * `$id`), every schema compiles as JSON Schema 2020-12, and its operations
 * are exactly the server's route table.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsMod from "ajv-formats";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../../src/adapters/http/openapi.ts";
import { PROBLEMS } from "../../../src/adapters/http/problem.ts";
import { matchRoute, ROUTES } from "../../../src/adapters/http/routes.ts";
import { allSchemas } from "../../../src/schema/documents.ts";

const addFormats = addFormatsMod.default;
type Node = { readonly [key: string]: unknown };
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

const doc = openApiDocument() as Node & {
  readonly paths: { readonly [path: string]: { readonly [method: string]: Node } };
  readonly components: { readonly schemas: { readonly [name: string]: Node } };
};

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every `$ref` in the document, with the `$id` of the schema resource it appears in. */
function references(node: unknown, base: string | null, out: { ref: string; base: string | null }[] = []) {
  if (Array.isArray(node)) for (const item of node) references(item, base, out);
  if (!isNode(node)) return out;
  const here = typeof node.$id === "string" ? node.$id : base;
  if (typeof node.$ref === "string") out.push({ ref: node.$ref, base: here });
  for (const value of Object.values(node)) references(value, here, out);
  return out;
}

/** Follows a JSON Pointer fragment. */
function follow(root: unknown, pointer: string): unknown {
  if (pointer === "" || pointer === "/") return root;
  let at: unknown = root;
  for (const token of pointer.slice(1).split("/")) {
    const key = decodeURIComponent(token).replaceAll("~1", "/").replaceAll("~0", "~");
    at = isNode(at) ? at[key] : undefined;
  }
  return at;
}

describe("the OpenAPI document", () => {
  it("is structurally OpenAPI 3.1", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith("/")).toBe(true);
      const declared = new Set(
        [...((item.parameters as Node[] | undefined) ?? [])].map((p) => {
          const resolved = typeof p.$ref === "string" ? follow(doc, p.$ref.slice(1)) : p;
          return isNode(resolved) && resolved.in === "path" ? resolved.name : null;
        }),
      );
      for (const name of path.matchAll(/\{([^}]+)\}/g))
        expect(declared, `${path} declares ${name[1]}`).toContain(name[1]);
      for (const method of Object.keys(item).filter((key) => METHODS.includes(key))) {
        const operation = item[method]!;
        expect(typeof operation.operationId).toBe("string");
        expect(ids.has(operation.operationId as string)).toBe(false);
        ids.add(operation.operationId as string);
        expect(Object.keys(operation.responses as Node).length).toBeGreaterThan(0);
        for (const [status, response] of Object.entries(operation.responses as Node)) {
          expect(status).toMatch(/^(default|[1-5][0-9X]{2})$/);
          const resolved =
            isNode(response) && typeof response.$ref === "string"
              ? follow(doc, response.$ref.slice(1))
              : response;
          expect(isNode(resolved) && typeof resolved.description === "string", `${path} ${status}`).toBe(
            true,
          );
        }
        for (const requirement of (operation.security as Node[] | undefined) ?? []) {
          for (const scheme of Object.keys(requirement))
            expect(follow(doc, `/components/securitySchemes/${scheme}`)).toBeDefined();
        }
      }
    }
    for (const requirement of doc.security as Node[]) {
      for (const scheme of Object.keys(requirement))
        expect(follow(doc, `/components/securitySchemes/${scheme}`)).toBeDefined();
    }
    for (const [kind, entries] of Object.entries(doc.components)) {
      for (const name of Object.keys(entries as Node))
        expect(`${kind}/${name}`).toMatch(/^[a-zA-Z]+\/[a-zA-Z0-9._-]+$/);
    }
    for (const parameter of Object.values(follow(doc, "/components/parameters") as Node)) {
      expect(parameter).toMatchObject({
        name: expect.any(String),
        in: expect.stringMatching(/^(path|query|header|cookie)$/),
      });
      if (isNode(parameter) && parameter.in === "path") expect(parameter.required).toBe(true);
    }
  });

  it("resolves every reference, and includes the canonical schemas instead of copying them", () => {
    const byId = new Map<string, unknown>();
    for (const schema of Object.values(doc.components.schemas)) {
      if (typeof schema.$id === "string") byId.set(schema.$id, schema);
    }
    for (const schema of allSchemas) expect(byId.get(schema.$id)).toBe(schema);
    for (const { ref, base } of references(doc, null)) {
      const [address = "", fragment = ""] = ref.split("#");
      const target =
        address === ""
          ? base === null
            ? doc
            : byId.get(base)
          : byId.get(new URL(address, base ?? undefined).href);
      expect(target, `${ref} (in ${base ?? "the document"})`).toBeDefined();
      expect(follow(target, fragment), `${ref} (in ${base ?? "the document"})`).toBeDefined();
    }
  });

  it("has schemas that compile as JSON Schema 2020-12, and lists every problem code", () => {
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, discriminator: true });
    addFormats(ajv);
    for (const schema of Object.values(doc.components.schemas)) ajv.addSchema(schema);
    for (const schema of Object.values(doc.components.schemas)) {
      expect(() => ajv.compile(schema)).not.toThrow();
    }
    const codes = follow(doc, "/components/schemas/Problem/properties/code/enum");
    expect([...(codes as string[])].sort()).toEqual(Object.keys(PROBLEMS).sort());
  });

  it("describes exactly the routes the server answers", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => METHODS.includes(key))
        .map((method) => `${method.toUpperCase()} ${path} ${String(item[method]!.operationId)}`),
    );
    const served = ROUTES.map((route) => `${route.method} ${route.path} ${route.operationId}`);
    expect(documented.sort()).toEqual(served.sort());
    for (const route of ROUTES) {
      const concrete = route.path.replaceAll(/\{[^}]+\}/g, "x");
      const matched = matchRoute(route.method, concrete);
      expect(matched.kind === "route" && matched.route).toBe(route);
      const security =
        (doc.paths[route.path]![route.method.toLowerCase()]!.security as unknown[] | undefined) ?? null;
      expect(route.access === "public").toBe(Array.isArray(security) && security.length === 0);
    }
  });
});
