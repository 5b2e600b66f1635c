/**
 * The front door of the front end: source text in, AST and diagnostics out.
 *
 * Phases, each knowing only the one before it: bounds on the raw input →
 * lexer (`lexer.ts`) → bracket-depth bound → parser (`parser.ts`, CST) →
 * lowering (`lower.ts`, AST with spans). Every phase reports problems by
 * offset; they become diagnostics with spans here, once.
 *
 * `parseSource` never throws: hostile input gets a diagnostic, not a stack
 * overflow or a hang (lexing and parsing are linear in the input, and the
 * limits below bound memory and recursion).
 *
 * @module
 */
import type { IToken, TokenType } from "chevrotain";
import type { SourceFile } from "./ast.ts";
import { problem, SYNTAX_CODES, type SyntaxProblem } from "./codes-syntax.ts";
import { type Diagnostic, diagnostic, sortDiagnostics } from "./diagnostic.ts";
import * as T from "./lexer.ts";
import { LineMap, lowerFile } from "./lower.ts";
import { parseTokens } from "./parser.ts";

/** Limits on one source file. */
export const PARSE_LIMITS = {
  /** Largest source, in UTF-8 bytes. */
  maxSourceBytes: 1024 * 1024,
  /** Most tokens (comments excluded). */
  maxTokens: 200_000,
  /**
   * Deepest nesting of brackets `( [ {` and `set<`: bounds the parser's
   * recursion. The costliest input is a file of unclosed brackets, where
   * error recovery also walks the grammar along the whole rule stack; at 16
   * it parses in about a third of Node's default stack, even before the JIT
   * has warmed up (test/lang/parse-limits.test.ts checks half).
   */
  maxNesting: 16,
  /** Most diagnostics reported for one file; the rest are summarised in one. */
  maxDiagnostics: 100,
} as const;

export interface ParseResult {
  /** The AST, or null when there is any error. */
  readonly file: SourceFile | null;
  /** Every problem found, sorted by position. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Parses one `.aarm` file. `file` names it in spans and diagnostics. */
export function parseSource(text: string, file: string): ParseResult {
  const lines = new LineMap(file, text);
  const bytes = utf8Length(text);
  if (bytes > PARSE_LIMITS.maxSourceBytes) {
    const tooLarge = problem(
      "AARM1030",
      `the file is ${bytes} bytes; the largest source the parser reads is ${PARSE_LIMITS.maxSourceBytes} bytes (1 MiB)`,
      0,
      0,
    );
    return failed(lines, [tooLarge]);
  }
  const lexed = T.lex(text);
  if (lexed.tokens.length > PARSE_LIMITS.maxTokens) {
    const at = lexed.tokens[PARSE_LIMITS.maxTokens]?.startOffset ?? 0;
    const tooMany = problem(
      "AARM1032",
      `the file has ${lexed.tokens.length} tokens; the most the parser reads is ${PARSE_LIMITS.maxTokens}`,
      at,
      at,
    );
    return failed(lines, [...lexed.problems, tooMany]);
  }
  const tooDeep = nestingProblem(lexed.tokens);
  if (tooDeep !== null) return failed(lines, [...lexed.problems, tooDeep]);

  const parsed = parseTokens(lexed.tokens, text.length);
  const problems = [...lexed.problems, ...parsed.problems];
  if (parsed.cst === null) return failed(lines, problems);
  const lowered = lowerFile(parsed.cst, lexed.comments, lines);
  problems.push(...lowered.problems);
  const diagnostics = toDiagnostics(lines, problems);
  return { file: diagnostics.some((d) => d.severity === "error") ? null : lowered.file, diagnostics };
}

function failed(lines: LineMap, problems: readonly SyntaxProblem[]): ParseResult {
  return { file: null, diagnostics: toDiagnostics(lines, problems) };
}

const SEVERITY = new Map(SYNTAX_CODES.map((c) => [c.code, c.severity]));

function toDiagnostics(lines: LineMap, problems: readonly SyntaxProblem[]): Diagnostic[] {
  const sorted = sortDiagnostics(
    problems.map((p) =>
      diagnostic(p.code, SEVERITY.get(p.code) ?? "error", p.message, lines.span(p.start, p.end), {
        notes: p.notes.map((n) => ({
          message: n.message,
          span: n.at === null ? null : lines.span(n.at.start, n.at.end),
        })),
        suggestion: p.suggestion,
      }),
    ),
  );
  if (sorted.length <= PARSE_LIMITS.maxDiagnostics) return sorted;
  const shown = sorted.slice(0, PARSE_LIMITS.maxDiagnostics);
  const last = shown.at(-1)?.span ?? lines.span(0, 0);
  const more = sorted.length - shown.length;
  return [
    ...shown,
    diagnostic(
      "AARM1004",
      "error",
      `too many errors: ${more} more not shown`,
      lines.span(last.end, last.end),
    ),
  ];
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair is one 4-byte code point.
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

const OPENERS: ReadonlySet<TokenType> = new Set([T.LParen, T.LBracket, T.LBrace]);
const CLOSERS: ReadonlySet<TokenType> = new Set([T.RParen, T.RBracket, T.RBrace]);

/**
 * The first bracket nested deeper than the limit, as a problem. The parser
 * recurses once per open bracket (and per `set<`), so this bounds its stack
 * before it runs; everything else it repeats iteratively.
 */
function nestingProblem(tokens: readonly IToken[]): SyntaxProblem | null {
  const open: TokenType[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined) continue;
    const type = t.tokenType;
    const opensType = type === T.Lt && tokens[i - 1]?.tokenType === T.SetKw;
    if (OPENERS.has(type) || opensType) {
      open.push(type);
      if (open.length > PARSE_LIMITS.maxNesting) {
        return problem(
          "AARM1031",
          `brackets are nested more than ${PARSE_LIMITS.maxNesting} deep`,
          t.startOffset,
          t.startOffset + t.image.length,
          { notes: [{ message: "split the expression into named constants", at: null }] },
        );
      }
    } else if (CLOSERS.has(type) || (type === T.Gt && open.at(-1) === T.Lt)) {
      open.pop();
    }
  }
  return null;
}
