// RFC 8785 canonical JSON and SHA-256: the bytes every receipt hash and signature is computed over.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalHash, canonicalize, canonicalizeWithout, sha256Hex } from "../../src/schema/canonical.ts";
import { propertyParams } from "../support/property.ts";

function canon(value: unknown): string {
  const result = canonicalize(value);
  if (!result.ok) throw new Error(`unexpected canonicalization failure: ${result.error.message}`);
  return result.value;
}

function failure(value: unknown, options = {}) {
  const result = canonicalize(value, options);
  if (result.ok) throw new Error(`expected failure, got ${result.value}`);
  return result.error;
}

function fromIeeeHex(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

/** The same value with every object's keys inserted in a different, seed-chosen order. */
function reorder(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item) => reorder(item, seed));
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value);
  const shuffled = entries
    .map((entry, i) => ({ entry, rank: Math.imul(i + 1, seed) ^ (seed >>> 3) }))
    .sort((a, b) => a.rank - b.rank)
    .map(({ entry: [key, item] }) => [key, reorder(item, seed)] as const);
  return Object.fromEntries(shuffled);
}

const json = fc.jsonValue({ maxDepth: 4, stringUnit: "binary" });

describe("RFC 8785 number serialisation (Appendix B)", () => {
  // IEEE 754 bit patterns and their canonical spelling, from RFC 8785 Appendix B.
  const vectors: readonly [string, string][] = [
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ];

  it.each(vectors)("%s serialises as %s", (hex, expected) => {
    expect(canon(fromIeeeHex(hex))).toBe(expected);
  });

  it("spells the ES6 boundary cases as ECMAScript does", () => {
    expect(canon([1e21, 1e-7, 0.000001, 1e20, 333333333.3333333, 9007199254740992, -0, 4.5, 2e-3])).toBe(
      "[1e+21,1e-7,0.000001,100000000000000000000,333333333.3333333,9007199254740992,0,4.5,0.002]",
    );
  });

  it.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
  ])("refuses %s", (_name, value) => {
    expect(failure({ n: [value] })).toMatchObject({ code: "non_finite_number", path: "$.n[0]" });
  });
});

describe("RFC 8785 examples", () => {
  it("canonicalises the §3.2.2 example (literals, numbers, string escapes)", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        '"literals": [null, true, false]}',
    );
    expect(canon(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("orders keys by UTF-16 code units (§3.2.3 sorting example)", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    expect(canon(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it("orders integer-like keys as strings, not in JavaScript's numeric property order", () => {
    expect(canon({ a: 0, "10": 1, "9": 2, "1": 3 })).toBe('{"1":3,"10":1,"9":2,"a":0}');
  });

  it("escapes control characters as JSON.stringify does, with lowercase hex", () => {
    expect(canon('\u0000\u0008\t\n\u000b\f\r\u001f\u007f"\\/')).toBe(
      '"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\u007f\\"\\\\/"',
    );
  });

  it("writes no whitespace and omits undefined members as JSON does", () => {
    expect(canon({ b: [1, { d: null, c: true }], a: "x", skipped: undefined })).toBe(
      '{"a":"x","b":[1,{"c":true,"d":null}]}',
    );
  });
});

describe("values without a canonical form", () => {
  it("refuses lone surrogates in strings and keys, and accepts well-formed pairs", () => {
    expect(failure({ s: "a\ud800b" })).toMatchObject({ code: "lone_surrogate", path: "$.s" });
    expect(failure({ "k\udc00": 1 })).toMatchObject({ code: "lone_surrogate", path: '$["k\\udc00"]' });
    expect(failure(["\ude00\ud83d"])).toMatchObject({ code: "lone_surrogate", path: "$[0]" });
    expect(canon("\ud83d\ude00")).toBe('"\ud83d\ude00"');
  });

  it("refuses undefined in arrays, sparse arrays and at the top level", () => {
    expect(failure([1, undefined])).toMatchObject({ code: "undefined_value", path: "$[1]" });
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point of the test
    expect(failure({ list: [1, , 3] })).toMatchObject({ code: "undefined_value", path: "$.list[1]" });
    expect(failure(undefined)).toMatchObject({ code: "undefined_value", path: "$" });
  });

  it("refuses functions, symbols, bigints and non-plain objects", () => {
    expect(failure({ f: () => 1 })).toMatchObject({ code: "unsupported_type", path: "$.f" });
    expect(failure([Symbol("s")])).toMatchObject({ code: "unsupported_type" });
    expect(failure({ amount: 10n })).toMatchObject({ code: "unsupported_type", path: "$.amount" });
    expect(failure({ at: new Date(0) }).message).toContain("Date");
    expect(failure(new Map())).toMatchObject({ code: "unsupported_type" });
    expect(failure(new Uint8Array(2)).message).toContain("Uint8Array");
    expect(canon(Object.assign(Object.create(null), { b: 1, a: 2 }))).toBe('{"a":2,"b":1}');
  });

  it("refuses cycles but accepts a shared, acyclic reference", () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = { back: loop };
    expect(failure(loop)).toMatchObject({ code: "cycle", path: "$.self.back" });
    const shared = { x: 1 };
    expect(canon([shared, { shared }])).toBe('[{"x":1},{"shared":{"x":1}}]');
  });

  it("bounds nesting depth at 128 by default", () => {
    const nest = (levels: number): unknown => {
      let v: unknown = 0;
      for (let i = 0; i < levels; i++) v = [v];
      return v;
    };
    expect(canonicalize(nest(128)).ok).toBe(true);
    expect(failure(nest(129))).toMatchObject({ code: "too_deep" });
    expect(failure(nest(5), { maxDepth: 4 })).toMatchObject({ code: "too_deep" });
  });

  it("bounds the output size", () => {
    expect(canon({ s: "x".repeat(10) })).toHaveLength(18);
    expect(canonicalize({ s: "x".repeat(10) }, { maxChars: 18 }).ok).toBe(true);
    expect(failure({ s: "x".repeat(10) }, { maxChars: 17 })).toMatchObject({ code: "too_large" });
    expect(
      failure(
        Array.from({ length: 100 }, () => 1),
        { maxChars: 50 },
      ),
    ).toMatchObject({ code: "too_large" });
  });
});

describe("canonical form properties", () => {
  it("parses back to the same value", () => {
    fc.assert(
      fc.property(json, (value) => {
        // JSON has one zero; -0 and 0 are the same JSON value.
        expect(JSON.parse(canon(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      propertyParams(300),
    );
  });

  it("is idempotent through JSON.parse", () => {
    fc.assert(
      fc.property(json, (value) => {
        const once = canon(value);
        expect(canon(JSON.parse(once))).toBe(once);
      }),
      propertyParams(300),
    );
  });

  it("does not depend on key insertion order", () => {
    fc.assert(
      fc.property(json, fc.integer({ min: 1, max: 0x7fffffff }), (value, seed) => {
        expect(canon(reorder(value, seed))).toBe(canon(value));
      }),
      propertyParams(300),
    );
  });

  it("refuses every string with a lone surrogate and accepts every well-formed one", () => {
    const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        lone,
        fc.string({ unit: "binary" }),
        (before, half, after) => {
          expect(canonicalize(before + after).ok).toBe(true);
          // A half next to a complementary half would form a pair; keep it isolated with ASCII on both sides.
          expect(failure({ k: `${before}.${half}.${after}` }).code).toBe("lone_surrogate");
        },
      ),
      propertyParams(300),
    );
  });
});

describe("hashing", () => {
  it("matches the FIPS 180-2 SHA-256 vectors", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(sha256Hex("abc"));
  });

  it("hashes the UTF-8 bytes of the canonical form, prefixed sha256:", () => {
    fc.assert(
      fc.property(json, (value) => {
        const digest = createHash("sha256").update(canon(value), "utf8").digest("hex");
        expect(canonicalHash(value)).toEqual({ ok: true, value: `sha256:${digest}` });
      }),
      propertyParams(200),
    );
  });

  it("gives equal hashes to equal documents and passes failures through", () => {
    expect(canonicalHash({ a: 1, b: [2] })).toEqual(canonicalHash({ b: [2], a: 1 }));
    expect(canonicalHash({ a: Number.NaN })).toMatchObject({
      ok: false,
      error: { code: "non_finite_number" },
    });
  });
});

describe("canonicalizeWithout", () => {
  const key = fc.oneof(fc.constantFrom("signature", "", "a", "zz", "é"), fc.string({ unit: "binary" }));
  const object = fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), json, { maxKeys: 8 });

  it("is the canonical form of the object without the member, and with it once given", () => {
    fc.assert(
      fc.property(object, key, json, (doc, name, value) => {
        const split = canonicalizeWithout(doc, name);
        if (!split.ok) throw new Error(split.error.message);
        const { [name]: _, ...without } = doc;
        expect(split.value.text).toBe(canon(without));
        const joined = split.value.withMember(value);
        expect(joined).toEqual({ ok: true, value: canon({ ...without, [name]: value }) });
      }),
      propertyParams(300),
    );
  });

  it("keeps a __proto__ member a member", () => {
    const doc = JSON.parse('{"__proto__":{"x":1},"b":2}') as Record<string, unknown>;
    const split = canonicalizeWithout(doc, "signature");
    expect(split.ok && split.value.text).toBe(canon(doc));
    expect(split.ok && split.value.text).toBe('{"__proto__":{"x":1},"b":2}');
  });

  it("fails as canonicalize does, and bounds the whole form", () => {
    expect(canonicalizeWithout({ a: Number.NaN }, "signature")).toMatchObject({
      ok: false,
      error: { code: "non_finite_number", path: "$.a" },
    });
    const big = canonicalizeWithout({ a: "x".repeat(50) }, "b", { maxChars: 70 });
    if (!big.ok) throw new Error(big.error.message);
    expect(big.value.withMember("y".repeat(30))).toMatchObject({ ok: false, error: { code: "too_large" } });
  });
});
