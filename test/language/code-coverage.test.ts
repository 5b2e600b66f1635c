/**
 * Every diagnostic code has a spec case (except the few that need inputs too
 * large to keep as files, or that no policy should trigger), and a
 * documentation page.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CHECK_CODES } from "../../src/lang/codes-check.ts";
import { SYNTAX_CODES } from "../../src/lang/codes-syntax.ts";
import { CASES_DIR } from "../support/cases.ts";

/** Codes without a case, each with its reason in spec-tests/language/README.md. */
const WITHOUT_CASE = ["AARM1030", "AARM1032", "AARM2002", "AARM3999"];

const codes = [...SYNTAX_CODES, ...CHECK_CODES].map((c) => c.code);

describe("diagnostic codes", () => {
  it("each has a spec case, but for the documented exceptions", () => {
    const used = new Set<string>();
    for (const file of readdirSync(CASES_DIR, { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".case")) continue;
      for (const match of readFileSync(`${CASES_DIR}/${file}`, "utf8").matchAll(/"code":\s*"(AARM\d{4})"/g)) {
        used.add(match[1] as string);
      }
    }
    expect(codes.filter((code) => !used.has(code))).toEqual(WITHOUT_CASE);
    const readme = readFileSync(`${CASES_DIR}/README.md`, "utf8");
    for (const code of WITHOUT_CASE) expect(readme).toContain(`| ${code} |`);
  });

  it("each has a documentation page", () => {
    const pages = new Set(readdirSync(new URL("../../docs/diagnostics/", import.meta.url)));
    expect(codes.filter((code) => !pages.has(`${code}.md`))).toEqual([]);
  });
});
