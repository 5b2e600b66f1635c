/**
 * Every checker code has a page in docs/diagnostics, titled as in the code
 * table, whose example triggers exactly that code and renders as shown.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkPolicy } from "../../src/lang/check.ts";
import { CHECK_CODES } from "../../src/lang/codes-check.ts";
import { memoryHost } from "../../src/lang/host.ts";
import { renderHuman } from "../../src/lang/render.ts";

const DOCS = new URL("../../docs/diagnostics/", import.meta.url);

/** The example's files: the `aarm` (or `aarm invalid`) block is the root, `file=` blocks are further files. */
function example(page: string): Record<string, string> | null {
  const files: Record<string, string> = {};
  for (const match of page.matchAll(/```(?:aarm|json)(?: file=(\S+)| invalid)?\n([\s\S]*?)```/g)) {
    files[match[1] ?? "policy.aarm"] = match[2] ?? "";
  }
  return files["policy.aarm"] === undefined ? null : files;
}

/** Codes whose trigger cannot be written as a small example. */
const UNSHOWN = new Set(["AARM2002", "AARM2007", "AARM3999"]);

describe("diagnostic pages", () => {
  for (const { code, severity, title } of CHECK_CODES) {
    it(`${code} has a page whose example triggers it as shown`, () => {
      const page = readFileSync(new URL(`${code}.md`, DOCS), "utf8");
      expect(page.split("\n")[0]).toBe(`# ${code}: ${title}`);
      expect(page).toContain(`**Severity:** ${severity} · **Reported by:** the checker`);
      const files = example(page);
      if (UNSHOWN.has(code)) {
        expect(files).toBeNull();
        return;
      }
      if (files === null) throw new Error(`${code}.md has no example`);
      expect(page.includes("```aarm invalid\n")).toBe(severity === "error");
      const result = checkPolicy("policy.aarm", memoryHost(files));
      expect(result.diagnostics.map((d) => d.code)).toEqual([code]);
      const shown = /```text\n([\s\S]*?)```/.exec(page)?.[1];
      expect(shown).toBe(renderHuman(result.diagnostics, (file) => files[file], { color: false }));
    });
  }
});
