/**
 * The lexer: the tokens of docs/language.md §2 and what their text means.
 *
 * Lexical mistakes (an unterminated string, a bad escape, `15min`) still
 * produce a token of the category the parser expects, so the parser carries
 * on and the mistake is reported once, here, rather than as a cascade of
 * syntax errors. Comments go to their own group: not in the token stream,
 * but kept for the AST and the formatter.
 *
 * @module
 */
import { createToken, type IToken, Lexer, type TokenType } from "chevrotain";
import { problem, type SyntaxProblem } from "./codes-syntax.ts";

// ---------------------------------------------------------------------------
// Categories: token types the parser consumes without caring which member it got.

/** Anything usable as a name after `.` and as an argument name: identifiers and every keyword. */
export const AnyName = createToken({ name: "AnyName", pattern: Lexer.NA, label: "a name" });
/** What can start a reference in an expression: identifiers and `tool effect target output`. */
export const RefHead = createToken({ name: "RefHead", pattern: Lexer.NA, label: "a name" });
export const CompareOp = createToken({ name: "CompareOp", pattern: Lexer.NA, label: "a comparison" });
export const AddOp = createToken({ name: "AddOp", pattern: Lexer.NA, label: "`+` or `-`" });
export const RuleKind = createToken({ name: "RuleKind", pattern: Lexer.NA, label: "a rule kind" });

// ---------------------------------------------------------------------------
// Trivia

const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\r\n\uFEFF]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\r\n]*/, group: "comments" });
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: "comments",
  line_breaks: true,
});
/** A `/*` with no `*\/`: it runs to the end of the file. */
export const UnterminatedBlockComment = createToken({
  name: "UnterminatedBlockComment",
  pattern: /\/\*[\s\S]*/,
  group: "comments",
  line_breaks: true,
});

// ---------------------------------------------------------------------------
// Literals

export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*"/,
  label: "a string",
});
/** A string cut off by the end of its line; the parser sees a string. */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*\\?/,
  categories: [StringLiteral],
  label: "a string",
});

/**
 * `/…/flags`. There is no division operator, so a `/` can only start a regex
 * (or a comment); `std/name` import paths are one token of their own. A `/`
 * inside a character class (`[/]`) does not end the regex.
 */
export const RegexLiteral = createToken({
  name: "RegexLiteral",
  pattern: /\/(?:[^/\\\r\n[]|\\[^\r\n]|\[(?:[^\]\\\r\n]|\\[^\r\n])*\])+\/[A-Za-z0-9_]*/,
  label: "a regular expression",
});
export const UnterminatedRegex = createToken({
  name: "UnterminatedRegex",
  pattern: /\/[^\r\n]*/,
  categories: [RegexLiteral],
  label: "a regular expression",
});

/** `std/exfiltration`: the standard-library import path, one token so `/` is no regex. */
export const StdPath = createToken({
  name: "StdPath",
  pattern: /std\/[A-Za-z_][A-Za-z0-9_]*/,
  label: "`std/<name>`",
});

const DIGITS = [..."0123456789"];

export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: { exec: (text, offset) => numericMatch(text, offset, "number") },
  start_chars_hint: DIGITS,
  line_breaks: false,
  label: "a number",
});
export const DurationLiteral = createToken({
  name: "DurationLiteral",
  pattern: { exec: (text, offset) => numericMatch(text, offset, "duration") },
  start_chars_hint: DIGITS,
  line_breaks: false,
  label: "a duration",
});
/**
 * A number run into letters (`15min`, `1.5h`, `0x1f`): one token, so the
 * lexer can say what is wrong with it, accepted by the parser as a number or
 * a duration.
 */
export const BadNumeric = createToken({
  name: "BadNumeric",
  pattern: { exec: (text, offset) => numericMatch(text, offset, "bad") },
  start_chars_hint: DIGITS,
  line_breaks: false,
  categories: [NumberLiteral, DurationLiteral],
  label: "a number",
});

// ---------------------------------------------------------------------------
// Identifiers and keywords

export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [AnyName, RefHead],
  label: "a name",
});

function keyword(text: string, ...categories: TokenType[]): TokenType {
  const name = text.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
  return createToken({
    name,
    pattern: text,
    longer_alt: Identifier,
    categories: [AnyName, ...categories],
    label: `\`${text}\``,
  });
}

export const Policy = keyword("policy");
export const Module = keyword("module");
export const Version = keyword("version");
export const Import = keyword("import");
export const With = keyword("with");
export const Mcp = keyword("mcp");
export const As = keyword("as");
export const Tool = keyword("tool", RefHead);
export const Args = keyword("args");
export const Effect = keyword("effect", RefHead);
export const Target = keyword("target", RefHead);
export const Output = keyword("output", RefHead);
export const Fact = keyword("fact");
export const Const = keyword("const");
export const Param = keyword("param");
export const Category = keyword("category");
export const Classify = keyword("classify");
export const Label = keyword("label");
export const Forbid = keyword("forbid", RuleKind);
export const Deny = keyword("deny", RuleKind);
export const Defer = keyword("defer", RuleKind);
export const StepUp = keyword("step_up", RuleKind);
export const Modify = keyword("modify", RuleKind);
export const Allow = keyword("allow", RuleKind);
export const Default = keyword("default");
export const On = keyword("on");
export const When = keyword("when");
export const Unless = keyword("unless");
export const Because = keyword("because");
export const Approvers = keyword("approvers");
export const Quorum = keyword("quorum");
export const Timeout = keyword("timeout");
export const Escalate = keyword("escalate");
export const After = keyword("after");
export const To = keyword("to");
export const SelfApproval = keyword("self_approval");
export const Needs = keyword("needs");
export const Then = keyword("then");
/** `set` (named so as not to shadow the global `Set`). */
export const SetKw = keyword("set");
export const Remove = keyword("remove");
export const Clamp = keyword("clamp");
export const Redact = keyword("redact");
export const Matching = keyword("matching");
export const Risk = keyword("risk");
export const And = keyword("and");
export const Or = keyword("or");
export const Not = keyword("not");
export const In = keyword("in");
export const Matches = keyword("matches");
export const True = keyword("true");
export const False = keyword("false");
export const Within = keyword("within");

/** Every keyword token, in the order of docs/language.md §2. */
export const KEYWORD_TOKENS: readonly TokenType[] = [
  Policy,
  Module,
  Version,
  Import,
  With,
  Mcp,
  As,
  Tool,
  Args,
  Effect,
  Target,
  Output,
  Fact,
  Const,
  Param,
  Category,
  Classify,
  Label,
  Forbid,
  Deny,
  Defer,
  StepUp,
  Modify,
  Allow,
  Default,
  On,
  When,
  Unless,
  Because,
  Approvers,
  Quorum,
  Timeout,
  Escalate,
  After,
  To,
  SelfApproval,
  Needs,
  Then,
  SetKw,
  Remove,
  Clamp,
  Redact,
  Matching,
  Risk,
  And,
  Or,
  Not,
  In,
  Matches,
  True,
  False,
  Within,
];

/** The keyword texts: reserved, never identifiers. */
export const KEYWORDS: readonly string[] = KEYWORD_TOKENS.map((t) => String(t.PATTERN));

// ---------------------------------------------------------------------------
// Operators and punctuation

function punct(name: string, text: string, ...categories: TokenType[]): TokenType {
  return createToken({ name, pattern: text, categories, label: `\`${text}\`` });
}

export const Range = punct("Range", "..");
export const Dot = punct("Dot", ".");
export const EqEq = punct("EqEq", "==", CompareOp);
export const NotEq = punct("NotEq", "!=", CompareOp);
export const LtEq = punct("LtEq", "<=", CompareOp);
export const Lt = punct("Lt", "<", CompareOp);
export const GtEq = punct("GtEq", ">=", CompareOp);
export const Gt = punct("Gt", ">", CompareOp);
export const Eq = punct("Eq", "=");
export const Plus = punct("Plus", "+", AddOp);
export const Minus = punct("Minus", "-", AddOp);
export const Star = punct("Star", "*");
export const Comma = punct("Comma", ",");
export const Colon = punct("Colon", ":");
/** Not part of any construct; lexed so that a stray `;` gets a precise message. */
export const Semicolon = punct("Semicolon", ";");
export const Question = punct("Question", "?");
export const LParen = punct("LParen", "(");
export const RParen = punct("RParen", ")");
export const LBrace = punct("LBrace", "{");
export const RBrace = punct("RBrace", "}");
export const LBracket = punct("LBracket", "[");
export const RBracket = punct("RBracket", "]");

/**
 * Operators and quotes borrowed from other languages. Each is reported, and
 * the parser reads it as what it surely means (`&&` as `and`, a single-quoted
 * string as a string), so one habit costs one diagnostic, not a cascade.
 */
const AmpAmp = createToken({ name: "AmpAmp", pattern: "&&", categories: [And], label: "`&&`" });
const PipePipe = createToken({ name: "PipePipe", pattern: "||", categories: [Or], label: "`||`" });
const Bang = createToken({ name: "Bang", pattern: "!", categories: [Not], label: "`!`" });
const SingleQuotedString = createToken({
  name: "SingleQuotedString",
  pattern: /'(?:[^'\\\r\n]|\\[^\r\n])*'/,
  categories: [StringLiteral],
  label: "a string",
});

/**
 * A run of characters that start no token. Matching them as one token keeps
 * the lexer linear on garbage (its own recovery retries every pattern at
 * every character); they are reported, and the parser never sees them.
 */
const UnknownCharacters = createToken({
  name: "UnknownCharacters",
  pattern: /[\x00-\x08\x0B\x0C\x0E-\x1F#$%&'@\\^`|~\x7F-\uFEFE\uFF00-\uFFFF]+/,
  group: "unknown",
  line_breaks: false,
});

/**
 * Every token type, in matching order: the first pattern that matches wins,
 * so comments precede regexes, error tokens follow the tokens they shadow,
 * longer keywords precede their prefixes (`tool` before `to`) and two-
 * character operators precede one-character ones.
 */
export const ALL_TOKENS: readonly TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedBlockComment,
  StringLiteral,
  UnterminatedString,
  RegexLiteral,
  UnterminatedRegex,
  StdPath,
  DurationLiteral,
  NumberLiteral,
  BadNumeric,
  ...[...KEYWORD_TOKENS].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Identifier,
  Range,
  Dot,
  EqEq,
  NotEq,
  LtEq,
  Lt,
  GtEq,
  Gt,
  Eq,
  Plus,
  Minus,
  Star,
  Comma,
  Colon,
  Semicolon,
  Question,
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  AmpAmp,
  PipePipe,
  Bang,
  SingleQuotedString,
  UnknownCharacters,
  AnyName,
  RefHead,
  CompareOp,
  AddOp,
  RuleKind,
];

// ---------------------------------------------------------------------------
// Numbers and durations

type NumericKind = "number" | "duration" | "bad";

export const DURATION_UNITS: ReadonlyMap<string, number> = new Map([
  ["ms", 1],
  ["s", 1000],
  ["m", 60_000],
  ["h", 3_600_000],
  ["d", 86_400_000],
]);

let scannedText = "";
let scannedOffset = -1;
let scanned: { readonly end: number; readonly kind: NumericKind } | null = null;

/**
 * Scans a numeric literal with whatever letters are glued to it. The three
 * numeric token types ask in turn at the same offset, so the last scan is
 * remembered.
 */
function scanNumeric(
  text: string,
  offset: number,
): { readonly end: number; readonly kind: NumericKind } | null {
  if (text === scannedText && offset === scannedOffset) return scanned;
  scannedText = text;
  scannedOffset = offset;
  scanned = null;
  let i = offset;
  while (isDigit(text.charCodeAt(i))) i++;
  if (i === offset) return null;
  let whole = true;
  // A fraction needs a digit after the dot, so `0..100` is `0`, `..`, `100`.
  if (text[i] === "." && isDigit(text.charCodeAt(i + 1))) {
    i += 2;
    while (isDigit(text.charCodeAt(i))) i++;
    whole = false;
  }
  if (text[i] === "e" || text[i] === "E") {
    const sign = text[i + 1] === "+" || text[i + 1] === "-" ? 1 : 0;
    if (isDigit(text.charCodeAt(i + 1 + sign))) {
      i += 1 + sign;
      while (isDigit(text.charCodeAt(i))) i++;
      whole = false;
    }
  }
  const suffixStart = i;
  while (isNameChar(text.charCodeAt(i))) i++;
  const suffix = text.slice(suffixStart, i);
  const kind: NumericKind =
    suffix === "" ? "number" : whole && DURATION_UNITS.has(suffix) ? "duration" : "bad";
  scanned = { end: i, kind };
  return scanned;
}

function numericMatch(text: string, offset: number, kind: NumericKind): [string] | null {
  const found = scanNumeric(text, offset);
  return found !== null && found.kind === kind ? [text.slice(offset, found.end)] : null;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** The value of a number token; not finite when out of range (reported by {@link lex}). */
export function numberValue(image: string): number {
  return Number(image);
}

/** The milliseconds of a duration token such as `15m`. */
export function durationMs(image: string): number {
  const unit = image.endsWith("ms") ? "ms" : image.slice(-1);
  return Number(image.slice(0, image.length - unit.length)) * (DURATION_UNITS.get(unit) ?? Number.NaN);
}

/** Writes a whole number of milliseconds with the largest unit that divides it. */
function durationText(ms: number): string | null {
  if (!Number.isSafeInteger(ms) || ms <= 0) return null;
  for (const [unit, size] of [...DURATION_UNITS].reverse()) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return null;
}

/** Unit spellings people reach for, with their size in milliseconds. */
const UNIT_ALIASES: ReadonlyMap<string, number> = new Map([
  ["msec", 1],
  ["msecs", 1],
  ["millis", 1],
  ["sec", 1000],
  ["secs", 1000],
  ["second", 1000],
  ["seconds", 1000],
  ["min", 60_000],
  ["mins", 60_000],
  ["minute", 60_000],
  ["minutes", 60_000],
  ["hr", 3_600_000],
  ["hrs", 3_600_000],
  ["hour", 3_600_000],
  ["hours", 3_600_000],
  ["day", 86_400_000],
  ["days", 86_400_000],
  ["w", 604_800_000],
  ["week", 604_800_000],
  ["weeks", 604_800_000],
]);

/** Why a {@link BadNumeric} token is wrong, with the literal the user probably meant. */
function badNumericProblem(image: string, start: number): SyntaxProblem {
  const end = start + image.length;
  const compound = /^(?:\d+(?:ms|s|m|h|d))+$/.exec(image);
  if (compound !== null) {
    let total = 0;
    for (const part of image.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
      total += Number(part[1]) * (DURATION_UNITS.get(part[2] ?? "") ?? 0);
    }
    const better = durationText(total);
    return problem("AARM1017", `a duration has one unit: \`${image}\` is not a duration`, start, end, {
      suggestion: better,
    });
  }
  const parts = /^(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)([A-Za-z_][A-Za-z0-9_]*)$/.exec(image);
  const amount = Number(parts?.[1]);
  const unit = parts?.[2] ?? "";
  const size = DURATION_UNITS.get(unit) ?? UNIT_ALIASES.get(unit);
  if (size !== undefined) {
    const better = durationText(amount * size);
    const message = DURATION_UNITS.has(unit)
      ? `a duration is a whole number of units: \`${image}\` is not a duration`
      : `\`${unit}\` is not a duration unit; the units are ms, s, m, h and d`;
    return problem("AARM1017", message, start, end, { suggestion: better });
  }
  return problem(
    "AARM1016",
    `\`${image}\` is not a number; numbers are decimal, like \`12\`, \`0.5\` or \`1e3\`, and a duration is a whole number followed by ms, s, m, h or d`,
    start,
    end,
  );
}

// ---------------------------------------------------------------------------
// Strings

const SIMPLE_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['"', '"'],
  ["\\", "\\"],
  ["n", "\n"],
  ["t", "\t"],
  ["r", "\r"],
]);

/**
 * Decodes a string token. A bad escape is kept as written in the value and
 * reported in `problems` with the escape's own offsets.
 */
export function decodeString(
  image: string,
  start: number,
  terminated: boolean,
): { readonly value: string; readonly problems: readonly SyntaxProblem[] } {
  const body = image.slice(1, terminated ? -1 : undefined);
  const problems: SyntaxProblem[] = [];
  let value = "";
  let i = 0;
  while (i < body.length) {
    const c = body[i] ?? "";
    if (c !== "\\") {
      value += c;
      i++;
      continue;
    }
    const next = body[i + 1] ?? "";
    const simple = SIMPLE_ESCAPES.get(next);
    if (simple !== undefined) {
      value += simple;
      i += 2;
      continue;
    }
    const at = start + 1 + i;
    const unicode = next === "u" ? /^u\{([0-9A-Fa-f]{1,6})\}/.exec(body.slice(i + 1)) : null;
    const code = unicode === null ? Number.NaN : Number.parseInt(unicode[1] ?? "", 16);
    if (unicode !== null && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)) {
      value += String.fromCodePoint(code);
      i += 1 + unicode[0].length;
      continue;
    }
    const written = unicode !== null ? `\\${unicode[0]}` : next === "" ? "\\" : `\\${next}`;
    value += written;
    i += written.length;
    problems.push(badEscape(written, body.slice(i - written.length + 1), at));
  }
  return { value, problems };
}

function badEscape(written: string, rest: string, at: number): SyntaxProblem {
  const end = at + written.length;
  const escapes = 'the escapes are \\", \\\\, \\n, \\t, \\r and \\u{…}';
  if (written.startsWith("\\u{")) {
    return problem(
      "AARM1012",
      `\`${written}\` is not a Unicode scalar value (at most 10FFFF, no surrogates)`,
      at,
      end,
    );
  }
  const jsStyle = /^u([0-9A-Fa-f]{4})/.exec(rest);
  if (jsStyle !== null) {
    return problem(
      "AARM1012",
      `invalid escape \`\\u${jsStyle[1]}\`; write \`\\u{${jsStyle[1]}}\``,
      at,
      end + 4,
      {
        suggestion: `\\u{${jsStyle[1]}}`,
      },
    );
  }
  if (written === "\\") {
    return problem("AARM1012", `a string cannot end with \`\\\`; ${escapes}`, at, end);
  }
  return problem("AARM1012", `invalid escape \`${written}\` in a string; ${escapes}`, at, end, {
    suggestion: written === "\\'" ? "'" : null,
  });
}

// ---------------------------------------------------------------------------
// Regular expressions

/** The pattern and flags of a regex token, as written (RE2 validates the pattern later). */
export function regexParts(
  image: string,
  terminated: boolean,
): { readonly source: string; readonly flags: string } {
  if (!terminated) return { source: image.slice(1), flags: "" };
  const close = image.lastIndexOf("/");
  return { source: image.slice(1, close), flags: image.slice(close + 1) };
}

function regexFlagProblem(image: string, start: number): SyntaxProblem | null {
  const { flags } = regexParts(image, true);
  if (flags === "" || flags === "i") return null;
  const flagsStart = start + image.length - flags.length;
  return problem(
    "AARM1015",
    `invalid regular expression flags \`${flags}\`; the only flag is \`i\` (case-insensitive)`,
    flagsStart,
    start + image.length,
    { suggestion: flags.includes("i") ? "i" : null },
  );
}

// ---------------------------------------------------------------------------
// The lexer

const lexer = new Lexer([...ALL_TOKENS], { positionTracking: "onlyOffset", ensureOptimizations: true });

export interface LexResult {
  /** The tokens the parser reads. */
  readonly tokens: IToken[];
  /** Line and block comments, in source order. */
  readonly comments: readonly IToken[];
  readonly problems: readonly SyntaxProblem[];
}

/** Splits source text into tokens and comments, and reports every lexical problem. */
export function lex(text: string): LexResult {
  const result = lexer.tokenize(text);
  // Drop the numeric scanner's reference to the text, which may be large.
  scannedText = "";
  scannedOffset = -1;
  const comments = result.groups.comments ?? [];
  // Offset-only tracking is the fastest mode but leaves out end offsets, which the
  // parser needs for the extent of CST nodes.
  for (const token of result.tokens) token.endOffset = token.startOffset + token.image.length - 1;
  const problems: SyntaxProblem[] = [
    ...(result.groups.unknown ?? []).map((t) => unexpectedCharacters(t.image, t.startOffset)),
    ...result.errors.map((e) => unexpectedCharacters(text.slice(e.offset, e.offset + e.length), e.offset)),
  ];
  for (const list of [result.tokens, comments]) {
    for (const token of list) {
      const found = tokenProblems(token);
      if (found.length > 0) problems.push(...found);
    }
  }
  return { tokens: result.tokens, comments, problems };
}

/** What is wrong with one token's text, if anything. */
function tokenProblems(token: IToken): readonly SyntaxProblem[] {
  const { image, startOffset: start } = token;
  const end = start + image.length;
  switch (token.tokenType) {
    case StringLiteral:
      return decodeString(image, start, true).problems;
    case UnterminatedString:
      return [
        problem("AARM1011", 'unterminated string: a string ends with `"` on the same line', start, end, {
          notes: [{ message: "use `\\n` for a line break inside a string", at: null }],
        }),
        ...decodeString(image, start, false).problems,
      ];
    case UnterminatedBlockComment:
      return [problem("AARM1013", "unterminated block comment: `/*` has no closing `*/`", start, start + 2)];
    case UnterminatedRegex:
      return [
        problem(
          "AARM1014",
          "unterminated regular expression: `/` starts a regular expression that must end with `/` on the same line",
          start,
          end,
        ),
      ];
    case RegexLiteral: {
      const flagProblem = regexFlagProblem(image, start);
      return flagProblem === null ? [] : [flagProblem];
    }
    case NumberLiteral:
      return Number.isFinite(numberValue(image))
        ? []
        : [problem("AARM1016", `the number \`${truncate(image)}\` is too large`, start, end)];
    case DurationLiteral:
      return Number.isSafeInteger(durationMs(image))
        ? []
        : [problem("AARM1017", `the duration \`${truncate(image)}\` is too long`, start, end)];
    case BadNumeric:
      return [badNumericProblem(image, start)];
    case AmpAmp:
      return [foreignOperator(image, "and", start)];
    case PipePipe:
      return [foreignOperator(image, "or", start)];
    case Bang:
      return [foreignOperator(image, "not", start)];
    case SingleQuotedString: {
      const body = image.slice(1, -1);
      return [
        problem("AARM1010", "strings are written in double quotes", start, end, {
          suggestion: body.includes('"') || body.includes("\\") ? null : `"${body}"`,
        }),
      ];
    }
    default:
      return [];
  }
}

function foreignOperator(image: string, word: string, start: number): SyntaxProblem {
  return problem(
    "AARM1010",
    `\`${image}\` is not an aarm operator; write \`${word}\``,
    start,
    start + image.length,
    {
      notes: [{ message: "the logical operators are the words `and`, `or` and `not`", at: null }],
      suggestion: word,
    },
  );
}

/** Characters that start no token. */
function unexpectedCharacters(chars: string, start: number): SyntaxProblem {
  const end = start + chars.length;
  const shown = [...chars].length === 1 ? describeChar(chars) : `\`${truncate(chars)}\``;
  return problem("AARM1010", `unexpected character${chars.length > 1 ? "s" : ""} ${shown}`, start, end);
}

function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return code > 0x20 && code < 0x7f ? `\`${c}\`` : hex;
}

/** Shortens long token text for messages. */
export function truncate(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
