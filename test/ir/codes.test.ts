/**
 * The compiler's codes (AARM5xxx) and their pages: every code in the table has
 * a page titled as in the table, every AARM5xxx page is in the table, and each
 * page's example triggers exactly its code and renders as shown.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileText, IR_CODES, renderHuman } from "../../src/compiler.ts";
import { CHECK_CODES } from "../../src/lang/codes-check.ts";
import { SYNTAX_CODES } from "../../src/lang/codes-syntax.ts";

const DOCS = new URL("../../docs/diagnostics/", import.meta.url);

describe("compiler diagnostic codes", () => {
  it("are AARM5xxx, in numeric order, distinct from the checker's", () => {
    const codes = IR_CODES.map((c) => c.code);
    expect(codes.every((c) => /^AARM5\d{3}$/.test(c))).toBe(true);
    expect(codes).toEqual([...codes].sort());
    const others = new Set<string>([...SYNTAX_CODES, ...CHECK_CODES].map((c) => c.code));
    expect(codes.filter((c) => others.has(c))).toEqual([]);
  });

  it("every AARM5xxx page is in the table", () => {
    const pages = readdirSync(DOCS)
      .filter((f) => /^AARM5\d{3}\.md$/.test(f))
      .map((f) => f.slice(0, -3));
    expect(pages.sort()).toEqual(IR_CODES.map((c) => c.code));
  });

  for (const { code, severity, title } of IR_CODES) {
    it(`${code} has a page whose example triggers it as shown`, () => {
      const page = readFileSync(new URL(`${code}.md`, DOCS), "utf8");
      expect(page.split("\n")[0]).toBe(`# ${code}: ${title}`);
      expect(page).toContain(`**Severity:** ${severity} · **Reported by:** the compiler`);
      const source = /```aarm\n([\s\S]*?)```/.exec(page)?.[1];
      if (source === undefined) throw new Error(`${code}.md has no example`);
      const budget = /with `maxCost: (\d+)`/.exec(page)?.[1];
      const result = compileText(source, {}, budget === undefined ? {} : { maxCost: Number(budget) });
      expect(result.diagnostics.map((d) => d.code)).toEqual([code]);
      expect(result.ir === null).toBe(severity === "error");
      const shown = /```text\n([\s\S]*?)```/.exec(page)?.[1];
      expect(shown).toBe(renderHuman(result.diagnostics, () => source, { color: false }));
    });
  }
});
