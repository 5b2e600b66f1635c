// Differential tests: compiled programs run by src/eval/regex.ts agree with re2js on every subject, and
// compileRegex accepts exactly the patterns re2js accepts (outside the deliberate restrictions).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { regexTest } from "../../src/eval/regex.ts";
import { compileRegex } from "../../src/ir/regex/compile.ts";
import { propertyParams } from "../support/property.ts";
import { flags, patterns, soup, subjects } from "./grammar.ts";
import { deliberateRejection, re2 } from "./oracle.ts";

describe("compiled programs agree with re2js", () => {
  it("on generated patterns of the supported syntax, accepted by both, over code-point subjects", () => {
    fc.assert(
      fc.property(patterns, flags, subjects, (source, f, texts) => {
        const reference = re2(source, f);
        if (typeof reference === "string")
          throw new Error(`generator produced a pattern re2js rejects: ${source}`);
        const ours = compileRegex(source, f);
        if (!ours.ok) throw new Error(`/${source}/${f} rejected: ${ours.message} at ${ours.offset}`);
        for (const text of texts) {
          expect(regexTest(ours.program, text), `/${source}/${f} on ${JSON.stringify(text)}`).toBe(
            reference.test(text),
          );
        }
      }),
      propertyParams(400, 25),
    );
  });
});

describe("compileRegex accepts what re2js accepts", () => {
  it("on token soup: the same verdict, and the same matches when both accept", () => {
    fc.assert(
      fc.property(soup, fc.constantFrom("", "i"), subjects, (source, f, texts) => {
        const reference = re2(source, f);
        const ours = compileRegex(source, f);
        if (!ours.ok && deliberateRejection(ours.message)) return;
        const verdict = ours.ok ? "accepted" : `rejected (${ours.message} at ${ours.offset})`;
        expect(
          verdict.startsWith("accepted"),
          `/${source}/${f}: ours ${verdict}, re2js ${String(reference)}`,
        ).toBe(typeof reference !== "string");
        if (!ours.ok || typeof reference === "string") return;
        for (const text of texts) {
          expect(regexTest(ours.program, text), `/${source}/${f} on ${JSON.stringify(text)}`).toBe(
            reference.test(text),
          );
        }
      }),
      propertyParams(1500, 20),
    );
  });
});
