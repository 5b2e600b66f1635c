// Breaks every value of every example in turn, driven by the schemas themselves:
// each required field removed, each value given a wrong type, an unknown field
// added to each closed object, each bound exceeded. The validator must reject
// every one and point at the value that is wrong.
import { describe, expect, it } from "vitest";
import { cases } from "./cases.ts";
import {
  allowedTypes,
  declaredObjects,
  effective,
  type Schema,
  type Site,
  sites,
  withValueAt,
} from "./walk.ts";

const visited = new Map<Schema, Set<string>>();
const perCase = cases.map((c) => ({
  ...c,
  sites: c.examples.map((example) => ({
    example,
    sites: sites({ schema: c.schema, base: c.schema.$id }, example, visited),
  })),
}));

/** A value of each JSON type, for "wrong type" mutations. */
const SAMPLES: readonly [string, unknown][] = [
  ["string", "not-the-right-type"],
  ["number", 12.5],
  ["boolean", true],
  ["null", null],
  ["array", []],
  ["object", {}],
];

interface Mutation {
  /** Where to write `value` (`undefined` removes); the site itself unless given. */
  readonly at?: string;
  readonly value: unknown;
  /** The pointer an error must name. */
  readonly path: string;
  readonly expect: (message: string) => boolean;
}

/** Applies each site's mutations to its example and returns a line for every one the validator missed. */
function missed(mutations: (site: Site) => Mutation[]): string[] {
  const misses: string[] = [];
  for (const c of perCase) {
    c.sites.forEach(({ example, sites: list }, index) => {
      for (const site of list) {
        for (const m of mutations(site)) {
          const result = c.validate(withValueAt(example, m.at ?? site.pointer, m.value));
          const hit = !result.ok && result.errors.some((e) => e.path === m.path && m.expect(e.message));
          if (!hit) {
            const got = result.ok ? "accepted" : JSON.stringify(result.errors);
            misses.push(
              `${c.name}[${index}] ${site.pointer} := ${JSON.stringify(m.value)?.slice(0, 60)}: ${got}`,
            );
          }
        }
      }
    });
  }
  return misses;
}

const any = () => true;

describe("every schema, value by value", () => {
  it("has examples that reach every declared property", () => {
    const unreached = declaredObjects().flatMap(({ schema, location }) =>
      Object.keys(schema.properties as object)
        .filter((name) => !visited.get(schema)?.has(name))
        .map((name) => `${location}/properties/${name}`),
    );
    expect(unreached).toEqual([]);
  });

  it("rejects each missing required property at the pointer of that property", () => {
    const misses = missed((site) =>
      site.required
        ? [{ value: undefined, path: site.pointer, expect: (m) => m.startsWith("is required") }]
        : [],
    );
    expect(misses).toEqual([]);
  });

  it("rejects each value of the wrong type at its pointer", () => {
    const misses = missed((site) => {
      const allowed = allowedTypes(site.at);
      if (allowed === null) return [];
      const wrong = SAMPLES.find(([type]) => !allowed.has(type));
      return wrong === undefined ? [] : [{ value: wrong[1], path: site.pointer, expect: any }];
    });
    expect(misses).toEqual([]);
  });

  it("rejects an unknown property in every closed object, at the pointer of the property", () => {
    const misses = missed((site) => {
      const closed = effective(site.at).schema.additionalProperties === false;
      if (!closed || typeof site.value !== "object" || site.value === null) return [];
      const path = `${site.pointer}/unexpected_field`;
      return [{ at: path, value: "surprise", path, expect: (m) => m === "is not allowed" }];
    });
    expect(misses).toEqual([]);
  });

  it("rejects each string, array, object and number just beyond its bounds", () => {
    const misses = missed((site) => {
      const { schema } = effective(site.at);
      const out: Mutation[] = [];
      const at = (value: unknown, words: string): Mutation => ({
        value,
        path: site.pointer,
        expect: (m) => m.includes(words),
      });
      if (typeof schema.maxLength === "number") out.push(at("x".repeat(schema.maxLength + 1), "more than"));
      if (typeof schema.minLength === "number" && schema.minLength > 0) out.push(at("", "fewer than"));
      if (typeof schema.maxItems === "number")
        out.push(at(Array(schema.maxItems + 1).fill("x"), "more than"));
      if (typeof schema.minItems === "number" && schema.minItems > 0) out.push(at([], "fewer than"));
      if (typeof schema.maxProperties === "number") {
        const big = Object.fromEntries(
          Array.from({ length: schema.maxProperties + 1 }, (_, i) => [`k${i}`, i]),
        );
        out.push(at(big, "more than"));
      }
      if (typeof schema.maximum === "number") out.push(at(schema.maximum + 1, "<="));
      if (typeof schema.minimum === "number") out.push(at(schema.minimum - 1, ">="));
      return out;
    });
    expect(misses).toEqual([]);
  });
});
