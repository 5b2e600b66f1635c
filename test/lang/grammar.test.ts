// The grammar artefacts in grammar/ stay in step with the parser: the EBNF
// has exactly the parser's rules and every token it consumes, the TextMate
// grammar highlights every keyword, and the railroad diagrams are current.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ISerializedGast } from "chevrotain";
import { describe, expect, it } from "vitest";
import { ALL_TOKENS, KEYWORDS } from "../../src/lang/lexer.ts";
import { grammarRuleNames, serializedGrammar } from "../../src/lang/parser.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const ebnf = readFileSync(join(ROOT, "grammar", "aarm.ebnf"), "utf8").replace(/\/\*[\s\S]*?\*\//g, " ");
const productions = new Map(
  [...ebnf.matchAll(/^(\w+)\s*::=([\s\S]*?)(?=^\w+\s*::=|(?![\s\S]))/gm)].map((m) => [
    m[1] ?? "",
    m[2] ?? "",
  ]),
);
const isRuleName = (name: string) => /^[a-z]/.test(name);

/** The names of every token the parser consumes. */
function terminals(): Set<string> {
  const found = new Set<string>();
  const visit = (node: ISerializedGast): void => {
    if (node.type === "Terminal") found.add((node as ISerializedGast & { name: string }).name);
    for (const child of node.definition ?? []) visit(child);
  };
  for (const rule of serializedGrammar()) visit(rule);
  return found;
}

describe("grammar/aarm.ebnf", () => {
  it("has one lowerCamelCase production per parser rule, and no other", () => {
    const ebnfRules = [...productions.keys()].filter(isRuleName).sort();
    expect(ebnfRules).toEqual(grammarRuleNames().sort());
  });

  it("defines every name it uses", () => {
    const used = new Set(
      [...productions.values()].flatMap((rhs) =>
        [...rhs.replace(/"[^"]*"|'[^']*'|\[[^\]]*\]|#x[0-9A-Fa-f]+/g, " ").matchAll(/\b[A-Za-z]\w*\b/g)].map(
          (m) => m[0],
        ),
      ),
    );
    expect([...used].filter((name) => !productions.has(name))).toEqual([]);
  });

  it("has every token the parser consumes: keywords and punctuation quoted, the others as productions", () => {
    const missing: string[] = [];
    for (const name of terminals()) {
      const pattern = ALL_TOKENS.find((t) => t.name === name)?.PATTERN;
      const present = typeof pattern === "string" ? ebnf.includes(`"${pattern}"`) : productions.has(name);
      if (!present) missing.push(name);
    }
    expect(missing).toEqual([]);
  });

  it("lists every keyword in its Keyword production", () => {
    const keywordRule = productions.get("Keyword") ?? "";
    const listed = [...keywordRule.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    expect(listed).toEqual([...KEYWORDS]);
  });
});

describe("grammar/aarm.tmLanguage.json", () => {
  const grammar = JSON.parse(readFileSync(join(ROOT, "grammar", "aarm.tmLanguage.json"), "utf8")) as {
    scopeName: string;
    repository: Record<string, unknown>;
  };
  const patterns: { name: string; regex: string }[] = [];
  const collect = (node: unknown, name: string): void => {
    if (typeof node !== "object" || node === null) return;
    const record = node as Record<string, unknown>;
    const scope = typeof record.name === "string" ? record.name : name;
    for (const key of ["match", "begin", "end"]) {
      const value = record[key];
      if (typeof value === "string") patterns.push({ name: scope, regex: value });
    }
    for (const value of Object.values(record)) collect(value, scope);
  };
  collect(grammar.repository, "");

  it("is the source.aarm grammar", () => {
    expect(grammar.scopeName).toBe("source.aarm");
  });

  it("has patterns that compile", () => {
    expect(patterns.length).toBeGreaterThan(20);
    for (const { regex } of patterns) expect(() => new RegExp(regex)).not.toThrow();
  });

  it("highlights every keyword", () => {
    const unhighlighted = KEYWORDS.filter(
      (keyword) => !patterns.some(({ regex }) => new RegExp(`^(?:${regex})$`).test(keyword)),
    );
    expect(unhighlighted).toEqual([]);
  });

  /** The scope of the first pattern matching all of `text`. */
  const scopeOf = (text: string): string | undefined =>
    patterns.find(({ regex }) => new RegExp(`^(?:${regex})$`).test(text))?.name;

  it("scopes literals, comments and operators", () => {
    expect(scopeOf("// a comment")).toBe("comment.line.double-slash.aarm");
    expect(scopeOf("/\\b\\d{3}[/]x/i")).toBe("string.regexp.aarm");
    expect(scopeOf("15m")).toBe("constant.numeric.duration.aarm");
    expect(scopeOf("500ms")).toBe("constant.numeric.duration.aarm");
    expect(scopeOf("1e3")).toBe("constant.numeric.aarm");
    expect(scopeOf("std/exfiltration")).toBe("entity.name.namespace.aarm");
    expect(scopeOf("\\u{1F600}")).toBe("constant.character.escape.aarm");
    expect(scopeOf("step_up")).toBe("storage.type.rule.aarm");
    expect(scopeOf("not")).toBe("keyword.operator.logical.aarm");
    expect(scopeOf("..")).toBe("keyword.operator.range.aarm");
    expect(scopeOf(">=")).toBe("keyword.operator.comparison.aarm");
  });
});

describe("grammar/railroad.html", () => {
  it("is what scripts/gen-grammar.ts generates from the parser now", () => {
    const run = spawnSync(process.execPath, [join(ROOT, "scripts", "gen-grammar.ts"), "--check"], {
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("draws every parser rule", () => {
    const html = readFileSync(join(ROOT, "grammar", "railroad.html"), "utf8");
    for (const rule of grammarRuleNames()) expect(html).toContain(`"name": "${rule}"`);
  });
});
