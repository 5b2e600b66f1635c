/**
 * Literals for IR values: any string becomes a literal that means exactly
 * that string, written in printable ASCII without `<` or `>`; numbers keep
 * `-0`; data keeps `__proto__` keys as data.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsData, jsNumber, jsString } from "../../src/codegen/literal.ts";
import { propertyParams } from "../support/property.ts";

/** Evaluates a JavaScript expression the code generator wrote. */
function run(expression: string): unknown {
  return new Function(`"use strict"; return (${expression});`)() as unknown;
}

describe("jsString", () => {
  it("means the string it was given, in printable ASCII without < or >", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary" }), { maxLength: 50 }), (strings) => {
        const literals = strings.map(jsString);
        expect(literals.filter((l) => !/^[\x20-\x7e]*$/.test(l) || /[<>]/.test(l))).toEqual([]);
        expect(run(`[${literals.join(", ")}]`)).toEqual(strings);
      }),
      propertyParams(200),
    );
  });

  it("escapes what could end a comment, a script element or a line", () => {
    for (const s of ["*/", "</script>", "<!--", "\u2028", "\u2029", "${x}", "`", "\\", '"']) {
      const literal = jsString(s);
      expect(literal).not.toMatch(/<|\u2028|\u2029/);
      expect(run(literal)).toBe(s);
    }
  });
});

describe("jsNumber", () => {
  it("keeps -0 and cannot fuse with a preceding minus", () => {
    expect(Object.is(run(`1 - ${jsNumber(-0)} - 1`), 0)).toBe(true);
    expect(Object.is(run(jsNumber(-0)), -0)).toBe(true);
    expect(run(`1 -${jsNumber(-5)}`)).toBe(6);
    expect(run(jsNumber(1e308))).toBe(1e308);
    expect(run(jsNumber(5e-324))).toBe(5e-324);
  });
});

describe("jsData", () => {
  it("builds the same JSON value, keeping __proto__ as a key", () => {
    const value = JSON.parse('{"__proto__": {"x": 1}, "b": ["</script>", "\\u2028"], "a": -1.5}') as unknown;
    const built = run(jsData(value, "test")) as Record<string, unknown>;
    expect(built).toEqual(value);
    expect(Object.getPrototypeOf(built)).toBe(Object.prototype);
    expect(Object.hasOwn(built, "__proto__")).toBe(true);
  });

  it("does not depend on key order", () => {
    expect(jsData({ a: 1, b: { c: 2, d: 3 } }, "x")).toBe(jsData({ b: { d: 3, c: 2 }, a: 1 }, "x"));
  });

  it("refuses what JSON cannot hold", () => {
    expect(() => jsData({ a: Number.NaN }, "the IR")).toThrow(/the IR is not JSON/);
  });
});
