// Realistic policy patterns against subjects that should and should not match: each verdict is checked
// against re2js and against the expectation written here.
import { describe, expect, it } from "vitest";
import { regexTest } from "../../src/eval/regex.ts";
import { program, re2 } from "./oracle.ts";

interface Case {
  readonly source: string;
  readonly flags?: string;
  readonly matching: readonly string[];
  readonly notMatching: readonly string[];
}

const CORPUS: readonly Case[] = [
  {
    source: String.raw`(?i)\bdrop\s+(table|database)\b`,
    matching: ["DROP TABLE users;", "please drop\tdatabase prod", "x; Drop  Table t", "drop\ntable"],
    notMatching: ["dropped table", "drop tables", "backdrop table", "DROP VIEW v", "droptable"],
  },
  {
    source: String.raw`\b\d{3}-\d{2}-\d{4}\b`,
    matching: ["SSN: 123-45-6789", "123-45-6789", "id 000-00-0000."],
    notMatching: ["1234-45-6789", "123-456-789", "123-45-67890", "a123-45-6789", "１２３-45-6789"],
  },
  {
    source: String.raw`(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b`,
    matching: ["mail alice@example.com now", "Bob.Smith+tag@Mail.Example.ORG", "x@y.io"],
    notMatching: ["alice@example", "@example.com", "alice at example dot com", "a@b.c"],
  },
  {
    source: "^https://",
    matching: ["https://example.com", "https://"],
    notMatching: ["http://example.com", " https://x", "see https://x", "HTTPS://x"],
  },
  {
    source: "^https://",
    flags: "i",
    matching: ["HTTPS://example.com", "Https://x"],
    notMatching: ["http://example.com", "x\nhttps://y"],
  },
  {
    source: String.raw`\b(?:4\d{3}|5[1-5]\d{2})[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}\b`,
    matching: ["card 4111 1111 1111 1111", "5500-0000-0000-0004", "4111111111111111"],
    notMatching: ["4111 1111 1111", "6011 1111 1111 1117", "41111111111111112", "card 3400 0000 0000 009"],
  },
  {
    source: String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`,
    matching: ["key=AKIAIOSFODNN7EXAMPLE", "ASIAABCDEFGHIJKLMNOP rest"],
    notMatching: [
      "AKIAIOSFODNN7EXAMPL",
      "AKIAIOSFODNN7EXAMPLEX",
      "akiaiosfodnn7example",
      "XAKIAIOSFODNN7EXAMPLE",
    ],
  },
  {
    source: String.raw`\bgh[pousr]_[A-Za-z0-9]{36}\b`,
    matching: ["token ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
    notMatching: ["ghp_short", "ghx_abcdefghijklmnopqrstuvwxyz0123456789"],
  },
  {
    source: "-----BEGIN (?:RSA |EC |OPENSSH )?PRIVATE KEY-----",
    matching: ["-----BEGIN RSA PRIVATE KEY-----\nMII", "-----BEGIN PRIVATE KEY-----"],
    notMatching: ["-----BEGIN PUBLIC KEY-----", "BEGIN RSA PRIVATE KEY"],
  },
  {
    source: String.raw`(?:^|/)\.\.(?:/|$)`,
    matching: ["../etc/passwd", "a/../b", "a/..", ".."],
    notMatching: ["a/..b/c", "...", "a/b..c"],
  },
  {
    source: "^/(?:home|tmp)/[^/]+/?$",
    // A negated class matches `\n` in RE2, so the last one matches: `$` is the end of the text.
    matching: ["/home/alice", "/tmp/x/", "/home/alice\n"],
    notMatching: ["/home/alice/docs", "/etc/passwd", "/home//", "/home/alice/\n"],
  },
  {
    source: String.raw`(?m)^\s*rm\s+-rf\s+/\s*$`,
    matching: ["echo hi\nrm -rf /\n", "  rm   -rf / "],
    notMatching: ["rm -rf /tmp", "echo rm -rf /"],
  },
  {
    source: "(?i)ignore (?:all |any )?(?:previous|prior) instructions",
    matching: ["Please IGNORE ALL PREVIOUS INSTRUCTIONS.", "ignore prior instructions"],
    notMatching: ["ignore the previous instructions", "follow previous instructions"],
  },
  {
    source: String.raw`\A[\w.-]+\z`,
    matching: ["report-2024.pdf", "a"],
    notMatching: ["report 2024.pdf", "", "name\n", "naïve.txt"],
  },
  {
    source: String.raw`(?i)straße|\x{1F600}+`,
    matching: ["STRAßE", "Straße", "hi 😀😀"],
    notMatching: ["STRASSE", "strase", "🙂"],
  },
  {
    source: String.raw`(?i)[[:upper:]]{2}\d`,
    matching: ["ab1", "AB1", "\u212a\u017f9"],
    notMatching: ["a1", "ab", "é1x"],
  },
];

describe("realistic policy patterns", () => {
  for (const { source, flags = "", matching, notMatching } of CORPUS) {
    it(`/${source}/${flags}`, () => {
      const compiled = program(source, flags);
      const reference = re2(source, flags);
      if (typeof reference === "string") throw new Error(reference);
      for (const text of matching) {
        expect(regexTest(compiled, text), `matches ${JSON.stringify(text)}`).toBe(true);
        expect(reference.test(text), `re2js matches ${JSON.stringify(text)}`).toBe(true);
      }
      for (const text of notMatching) {
        expect(regexTest(compiled, text), `does not match ${JSON.stringify(text)}`).toBe(false);
        expect(reference.test(text), `re2js does not match ${JSON.stringify(text)}`).toBe(false);
      }
    });
  }
});
