/**
 * The parser: the grammar of docs/language.md as a Chevrotain CST parser, and
 * the messages of its syntax errors.
 *
 * Each grammar rule is small and named for what it parses; the names are the
 * production names of `grammar/aarm.ebnf` (a test keeps the two in step).
 * Error recovery is on, so one run reports several errors; the CST it builds
 * is lowered to the AST by `lower.ts`, never interpreted directly.
 *
 * @module
 */
import {
  type CstNode,
  CstParser,
  EOF,
  type IParserErrorMessageProvider,
  type IRecognitionException,
  type ISerializedGast,
  type IToken,
  type TokenType,
} from "chevrotain";
import { didYouMean, problem, type SyntaxProblem } from "./codes-syntax.ts";
import * as T from "./lexer.ts";

/** Syntax errors after which the parser gives up on a file. */
export const MAX_SYNTAX_ERRORS = 50;

/** What the message provider knows about one error, kept beside Chevrotain's string message. */
interface ErrorDetail {
  readonly code: "AARM1001" | "AARM1002";
  readonly message: string;
  readonly suggestion: string | null;
  readonly notes: readonly string[];
}

/** Thrown from the message provider once a file has too many errors: parsing stops. */
class TooManyErrors extends Error {}

/**
 * Builds the messages of syntax errors. Chevrotain only carries a string per
 * error, so the provider files the structured detail here and hands
 * Chevrotain its key.
 */
class ErrorMessages implements IParserErrorMessageProvider {
  tokens: readonly IToken[] = [];
  details: ErrorDetail[] = [];

  reset(tokens: readonly IToken[]): void {
    this.tokens = tokens;
    this.details = [];
  }

  detail(key: string): ErrorDetail | undefined {
    return this.details[Number(key)];
  }

  private file(detail: ErrorDetail): string {
    if (this.details.length >= MAX_SYNTAX_ERRORS) throw new TooManyErrors();
    this.details.push(detail);
    return String(this.details.length - 1);
  }

  buildMismatchTokenMessage(options: {
    expected: TokenType;
    actual: IToken;
    previous: IToken;
    ruleName: string;
  }): string {
    const { expected, actual, previous, ruleName } = options;
    if (expected === EOF) return this.file(this.unexpected(actual));
    if ((expected === T.Identifier || expected === T.RefHead) && isKeyword(actual.tokenType)) {
      return this.file({
        code: "AARM1002",
        message: `expected a name${this.after(previous)}, found the keyword \`${actual.image}\``,
        suggestion: null,
        notes: ["keywords are reserved and cannot name declarations or rules (docs/language.md §2)"],
      });
    }
    // A list that did not close may just be missing a separator or an element.
    const instead = CLOSERS.has(expected) ? LIST_RULES.get(ruleName) : undefined;
    const expectations = instead === undefined ? [expected] : [instead, expected];
    return this.file(this.expected(expectations, actual, previous));
  }

  buildNotAllInputParsedMessage(options: { firstRedundant: IToken }): string {
    return this.file(this.unexpected(options.firstRedundant));
  }

  buildNoViableAltMessage(options: {
    expectedPathsPerAlt: TokenType[][][];
    actual: IToken[];
    previous: IToken;
    ruleName: string;
  }): string {
    const first = options.expectedPathsPerAlt.flatMap((alt) => alt.map((path) => path[0]).filter(isDefined));
    const actual = options.actual[0] ?? options.previous;
    return this.file(this.expected(first, actual, options.previous, RULE_PHRASES.get(options.ruleName)));
  }

  buildEarlyExitMessage(options: {
    expectedIterationPaths: TokenType[][];
    actual: IToken[];
    previous: IToken;
  }): string {
    const first = options.expectedIterationPaths.map((path) => path[0]).filter(isDefined);
    return this.file(this.expected(first, options.actual[0] ?? options.previous, options.previous));
  }

  /** A token where no declaration or rule can start. */
  private unexpected(actual: IToken): ErrorDetail {
    const itemKeywords = ITEM_KEYWORDS.map((t) => String(t.PATTERN));
    const guess =
      actual.tokenType === T.Identifier ? didYouMean(actual.image, [...itemKeywords, ...T.KEYWORDS]) : null;
    const habit = habits(actual, true);
    return {
      code: "AARM1001",
      message: `expected a declaration or rule, found ${describeToken(actual)}`,
      suggestion: guess ?? habit.suggestion,
      notes: habit.notes,
    };
  }

  private expected(
    expected: readonly TokenType[],
    actual: IToken,
    previous: IToken,
    phrase?: string,
  ): ErrorDetail {
    const what = phrase ?? describeExpected(expected);
    const keywords = expected.filter(isKeyword).map((t) => String(t.PATTERN));
    const guess = actual.tokenType === T.Identifier ? didYouMean(actual.image, keywords) : null;
    const closing = expected.every((t) => CLOSERS.has(t) || t === T.Comma);
    const habit = habits(actual, closing);
    return {
      code: "AARM1001",
      message: `expected ${what}${this.after(previous)}, found ${describeToken(actual)}`,
      suggestion: guess ?? habit.suggestion,
      notes: habit.notes,
    };
  }

  /**
   * ` after \`set args.limit\``: the previous token, widened to the dotted
   * name it ends and the keyword before that name.
   */
  private after(previous: IToken): string {
    const tokens = this.tokens;
    let last = indexOfToken(tokens, previous);
    if (last < 0) return "";
    let first = last;
    const isName = (i: number) => tokens[i]?.tokenType.CATEGORIES?.includes(T.AnyName) === true;
    while (isName(first) && tokens[first - 1]?.tokenType === T.Dot && isName(first - 2)) first -= 2;
    if (first !== last || !isKeyword(tokens[last]?.tokenType)) {
      if (isKeyword(tokens[first - 1]?.tokenType)) first -= 1;
    }
    if (last - first > 8) last = first + 8;
    const text = tokens
      .slice(first, last + 1)
      .map((t, i, all) => {
        const prev = all[i - 1];
        return prev !== undefined && prev.startOffset + prev.image.length < t.startOffset
          ? ` ${t.image}`
          : t.image;
      })
      .join("");
    return ` after \`${T.truncate(text)}\``;
  }
}

/**
 * Notes and a fix for tokens that people carry over from other languages.
 * `=` is taken for a comparison only where an expression could have ended
 * (not, say, in `param n = 1`, where the type is missing).
 */
function habits(
  actual: IToken,
  afterExpression: boolean,
): { readonly notes: string[]; readonly suggestion: string | null } {
  if (actual.tokenType === T.Semicolon) {
    return { notes: ["aarm does not end declarations with `;`; remove it"], suggestion: null };
  }
  if (actual.tokenType === T.Eq && afterExpression) {
    return {
      notes: ["`=` gives a value (`set`, `const`, `param`, `with`); to compare, write `==`"],
      suggestion: "==",
    };
  }
  return { notes: [], suggestion: null };
}

function isDefined<X>(x: X | undefined): x is X {
  return x !== undefined;
}

function isKeyword(type: TokenType | undefined): boolean {
  return type !== undefined && T.KEYWORD_TOKENS.includes(type);
}

/** Binary search by offset: tokens are in source order. */
function indexOfToken(tokens: readonly IToken[], token: IToken): number {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = tokens[mid]?.startOffset ?? 0;
    if (at === token.startOffset) return tokens[mid] === token ? mid : -1;
    if (at < token.startOffset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return "the end of the file";
  if (isKeyword(token.tokenType)) return `the keyword \`${token.image}\``;
  return `\`${T.truncate(token.image)}\``;
}

const ITEM_KEYWORDS: readonly TokenType[] = [
  T.Import,
  T.Tool,
  T.Fact,
  T.Const,
  T.Param,
  T.Category,
  T.Classify,
  T.Forbid,
  T.Deny,
  T.Defer,
  T.StepUp,
  T.Modify,
  T.Allow,
  T.Default,
];

/** Rules that parse bracketed lists, and what else could come where their closing bracket is missing. */
const LIST_RULES: ReadonlyMap<string, TokenType> = new Map([
  ["withClause", T.Comma],
  ["stringList", T.Comma],
  ["setLiteral", T.Comma],
  ["listLiteral", T.Comma],
  ["callArgs", T.Comma],
  ["argsBlock", T.AnyName],
]);
const CLOSERS: ReadonlySet<TokenType> = new Set([T.RBrace, T.RBracket, T.RParen]);

/**
 * Choices whose alternatives read better as one phrase than as a list of
 * tokens. (Other choices are only entered once their lookahead matched.)
 */
const RULE_PHRASES: ReadonlyMap<string, string> = new Map([
  ["primary", "an expression"],
  ["typeExpr", "a type (`string`, `number`, `bool`, `duration` or `set<T>`)"],
  ["importDecl", "`std/<name>`, a file path string or `mcp`"],
  ["callArg", "an expression or `within <duration>`"],
]);

function describeExpected(expected: readonly TokenType[]): string {
  const labels = [...new Set(expected.map((t) => t.LABEL ?? t.name))];
  if (labels.length <= 1) return labels[0] ?? "something else";
  return `${labels.slice(0, -1).join(", ")} or ${labels.at(-1)}`;
}

const messages = new ErrorMessages();

/** The grammar. Rule names are the EBNF production names. */
class AarmParser extends CstParser {
  constructor() {
    super([...T.ALL_TOKENS], {
      recoveryEnabled: true,
      maxLookahead: 3,
      nodeLocationTracking: "onlyOffset",
      errorMessageProvider: messages,
    });
    this.performSelfAnalysis();
  }

  // -- files ----------------------------------------------------------------

  readonly sourceFile = this.RULE("sourceFile", () => {
    this.OPTION(() => this.SUBRULE(this.header));
    this.MANY(() => this.SUBRULE(this.item));
  });

  readonly header = this.RULE("header", () => {
    this.OR([{ ALT: () => this.SUBRULE(this.policyHeader) }, { ALT: () => this.SUBRULE(this.moduleHeader) }]);
  });

  readonly policyHeader = this.RULE("policyHeader", () => {
    this.CONSUME(T.Policy);
    this.SUBRULE(this.qualifiedName);
    this.CONSUME(T.Version);
    this.CONSUME(T.StringLiteral);
  });

  readonly moduleHeader = this.RULE("moduleHeader", () => {
    this.CONSUME(T.Module);
    this.SUBRULE(this.qualifiedName);
  });

  readonly item = this.RULE("item", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.toolDecl) },
      { ALT: () => this.SUBRULE(this.factDecl) },
      { ALT: () => this.SUBRULE(this.constDecl) },
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.categoryDecl) },
      { ALT: () => this.SUBRULE(this.classifyRule) },
      { ALT: () => this.SUBRULE(this.ruleDecl) },
      { ALT: () => this.SUBRULE(this.defaultDecl) },
    ]);
  });

  // -- imports --------------------------------------------------------------

  readonly importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.OR([{ ALT: () => this.SUBRULE(this.mcpImport) }, { ALT: () => this.SUBRULE(this.moduleImport) }]);
  });

  readonly moduleImport = this.RULE("moduleImport", () => {
    this.OR([{ ALT: () => this.CONSUME(T.StdPath) }, { ALT: () => this.CONSUME(T.StringLiteral) }]);
    this.OPTION(() => this.SUBRULE(this.withClause));
  });

  readonly mcpImport = this.RULE("mcpImport", () => {
    this.CONSUME(T.Mcp);
    this.CONSUME(T.StringLiteral);
    this.CONSUME(T.As);
    this.CONSUME(T.Identifier);
  });

  readonly withClause = this.RULE("withClause", () => {
    this.CONSUME(T.With);
    this.CONSUME(T.LBrace);
    this.OPTION(() => {
      this.SUBRULE(this.paramBinding);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.paramBinding);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  readonly paramBinding = this.RULE("paramBinding", () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Eq);
    this.SUBRULE(this.expression);
  });

  // -- declarations ---------------------------------------------------------

  readonly toolDecl = this.RULE("toolDecl", () => {
    this.CONSUME(T.Tool);
    this.SUBRULE(this.qualifiedName);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.toolClause));
    this.CONSUME(T.RBrace);
  });

  readonly toolClause = this.RULE("toolClause", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.argsBlock) },
      { ALT: () => this.SUBRULE(this.effectClause) },
      { ALT: () => this.SUBRULE(this.targetClause) },
      { ALT: () => this.SUBRULE(this.outputClause) },
    ]);
  });

  /**
   * Commas between arguments are required, but a missing one is reported by
   * the lowering rather than here: argument lists are often written one per
   * line, and this way the rest of the tool still parses.
   */
  readonly argsBlock = this.RULE("argsBlock", () => {
    this.CONSUME(T.Args);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.argDecl);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  readonly argDecl = this.RULE("argDecl", () => {
    this.CONSUME(T.AnyName);
    this.OPTION(() => this.CONSUME(T.Question));
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  readonly effectClause = this.RULE("effectClause", () => {
    this.CONSUME(T.Effect);
    this.CONSUME(T.Identifier);
  });

  readonly targetClause = this.RULE("targetClause", () => {
    this.CONSUME(T.Target);
    this.SUBRULE(this.expression);
  });

  readonly outputClause = this.RULE("outputClause", () => {
    this.CONSUME(T.Output);
    this.SUBRULE(this.nameList);
  });

  readonly factDecl = this.RULE("factDecl", () => {
    this.CONSUME(T.Fact);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  readonly constDecl = this.RULE("constDecl", () => {
    this.CONSUME(T.Const);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Eq);
    this.SUBRULE(this.expression);
  });

  readonly paramDecl = this.RULE("paramDecl", () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
    this.CONSUME(T.Eq);
    this.SUBRULE(this.expression);
  });

  readonly categoryDecl = this.RULE("categoryDecl", () => {
    this.CONSUME(T.Category);
    this.SUBRULE(this.nameList);
  });

  readonly classifyRule = this.RULE("classifyRule", () => {
    this.CONSUME(T.Classify);
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.onClause));
    this.CONSUME(T.When);
    this.SUBRULE(this.expression);
    this.CONSUME(T.Label);
    this.SUBRULE(this.nameList);
  });

  readonly defaultDecl = this.RULE("defaultDecl", () => {
    this.CONSUME(T.Default);
    this.OR([{ ALT: () => this.CONSUME(T.Deny) }, { ALT: () => this.CONSUME(T.Allow) }]);
  });

  // -- rules ----------------------------------------------------------------

  readonly ruleDecl = this.RULE("ruleDecl", () => {
    this.CONSUME(T.RuleKind);
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.onClause));
    this.MANY(() => this.SUBRULE(this.ruleClause));
  });

  readonly onClause = this.RULE("onClause", () => {
    this.CONSUME(T.On);
    this.SUBRULE(this.qualifiedName);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.qualifiedName);
    });
  });

  readonly ruleClause = this.RULE("ruleClause", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.whenClause) },
      { ALT: () => this.SUBRULE(this.unlessClause) },
      { ALT: () => this.SUBRULE(this.approversClause) },
      { ALT: () => this.SUBRULE(this.quorumClause) },
      { ALT: () => this.SUBRULE(this.timeoutClause) },
      { ALT: () => this.SUBRULE(this.escalateClause) },
      { ALT: () => this.SUBRULE(this.selfApprovalClause) },
      { ALT: () => this.SUBRULE(this.needsClause) },
      { ALT: () => this.SUBRULE(this.thenClause) },
      { ALT: () => this.SUBRULE(this.setOp) },
      { ALT: () => this.SUBRULE(this.removeOp) },
      { ALT: () => this.SUBRULE(this.clampOp) },
      { ALT: () => this.SUBRULE(this.redactOp) },
      { ALT: () => this.SUBRULE(this.riskClause) },
      { ALT: () => this.SUBRULE(this.becauseClause) },
    ]);
  });

  readonly whenClause = this.RULE("whenClause", () => {
    this.CONSUME(T.When);
    this.SUBRULE(this.expression);
  });

  readonly unlessClause = this.RULE("unlessClause", () => {
    this.CONSUME(T.Unless);
    this.SUBRULE(this.expression);
  });

  readonly approversClause = this.RULE("approversClause", () => {
    this.CONSUME(T.Approvers);
    this.SUBRULE(this.stringList);
  });

  readonly quorumClause = this.RULE("quorumClause", () => {
    this.CONSUME(T.Quorum);
    this.CONSUME(T.NumberLiteral);
  });

  readonly timeoutClause = this.RULE("timeoutClause", () => {
    this.CONSUME(T.Timeout);
    this.CONSUME(T.DurationLiteral);
  });

  readonly escalateClause = this.RULE("escalateClause", () => {
    this.CONSUME(T.Escalate);
    this.CONSUME(T.After);
    this.CONSUME(T.DurationLiteral);
    this.CONSUME(T.To);
    this.SUBRULE(this.stringList);
  });

  readonly selfApprovalClause = this.RULE("selfApprovalClause", () => {
    this.CONSUME(T.SelfApproval);
  });

  readonly needsClause = this.RULE("needsClause", () => {
    this.CONSUME(T.Needs);
    this.SUBRULE(this.nameList);
  });

  readonly thenClause = this.RULE("thenClause", () => {
    this.CONSUME(T.Then);
    this.OR([{ ALT: () => this.CONSUME(T.Deny) }, { ALT: () => this.CONSUME(T.StepUp) }]);
  });

  readonly setOp = this.RULE("setOp", () => {
    this.CONSUME(T.SetKw);
    this.SUBRULE(this.argPath);
    this.CONSUME(T.Eq);
    this.SUBRULE(this.expression);
  });

  readonly removeOp = this.RULE("removeOp", () => {
    this.CONSUME(T.Remove);
    this.SUBRULE(this.argPath);
  });

  readonly clampOp = this.RULE("clampOp", () => {
    this.CONSUME(T.Clamp);
    this.SUBRULE(this.argPath);
    this.CONSUME(T.To);
    this.SUBRULE(this.expression);
    this.CONSUME(T.Range);
    this.SUBRULE2(this.expression);
  });

  readonly redactOp = this.RULE("redactOp", () => {
    this.CONSUME(T.Redact);
    this.SUBRULE(this.argPath);
    this.OPTION(() => {
      this.CONSUME(T.Matching);
      this.CONSUME(T.RegexLiteral);
    });
  });

  readonly riskClause = this.RULE("riskClause", () => {
    this.CONSUME(T.Risk);
    this.CONSUME(T.Identifier);
  });

  readonly becauseClause = this.RULE("becauseClause", () => {
    this.CONSUME(T.Because);
    this.CONSUME(T.StringLiteral);
  });

  // -- names, lists and types ------------------------------------------------

  readonly qualifiedName = this.RULE("qualifiedName", () => {
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.AnyName);
    });
  });

  readonly nameList = this.RULE("nameList", () => {
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.CONSUME2(T.Identifier);
    });
  });

  readonly stringList = this.RULE("stringList", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.CONSUME(T.StringLiteral);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.CONSUME2(T.StringLiteral);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  readonly argPath = this.RULE("argPath", () => {
    this.CONSUME(T.Args);
    this.AT_LEAST_ONE(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.AnyName);
    });
  });

  readonly typeExpr = this.RULE("typeExpr", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.SetKw);
          this.CONSUME(T.Lt);
          this.SUBRULE(this.typeExpr);
          this.CONSUME(T.Gt);
        },
      },
    ]);
  });

  // -- expressions, loosest binding first ---------------------------------------

  readonly expression = this.RULE("expression", () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  readonly andExpr = this.RULE("andExpr", () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  readonly notExpr = this.RULE("notExpr", () => {
    this.MANY(() => this.CONSUME(T.Not));
    this.SUBRULE(this.comparison);
  });

  /** Comparisons do not chain; the lowering reports a second operator. */
  readonly comparison = this.RULE("comparison", () => {
    this.SUBRULE(this.additive);
    this.MANY(() => this.SUBRULE(this.comparisonTail));
  });

  readonly comparisonTail = this.RULE("comparisonTail", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.CompareOp);
          this.SUBRULE(this.additive);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.In);
          this.SUBRULE2(this.additive);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.CONSUME2(T.In);
          this.SUBRULE3(this.additive);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Matches);
          this.CONSUME(T.RegexLiteral);
        },
      },
    ]);
  });

  readonly additive = this.RULE("additive", () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.CONSUME(T.AddOp);
      this.SUBRULE2(this.multiplicative);
    });
  });

  readonly multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.CONSUME(T.Star);
      this.SUBRULE2(this.unary);
    });
  });

  readonly unary = this.RULE("unary", () => {
    this.MANY(() => this.CONSUME(T.Minus));
    this.SUBRULE(this.primary);
  });

  readonly primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.literal) },
      { ALT: () => this.SUBRULE(this.setLiteral) },
      { ALT: () => this.SUBRULE(this.listLiteral) },
      { ALT: () => this.SUBRULE(this.parenExpr) },
      { ALT: () => this.SUBRULE(this.argPath) },
      { ALT: () => this.SUBRULE(this.reference) },
    ]);
  });

  readonly literal = this.RULE("literal", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.DurationLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
    ]);
  });

  readonly setLiteral = this.RULE("setLiteral", () => {
    this.CONSUME(T.LBrace);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  readonly listLiteral = this.RULE("listLiteral", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  readonly parenExpr = this.RULE("parenExpr", () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  /** `identity.roles`, `lower(x)`, `session.count(…)`: a dotted name, perhaps called. */
  readonly reference = this.RULE("reference", () => {
    this.CONSUME(T.RefHead);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.AnyName);
    });
    this.OPTION(() => this.SUBRULE(this.callArgs));
  });

  readonly callArgs = this.RULE("callArgs", () => {
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.callArg);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.callArg);
      });
    });
    this.CONSUME(T.RParen);
  });

  /** An argument; `within D` and `P then P` only mean something in session queries. */
  readonly callArg = this.RULE("callArg", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Within);
          this.CONSUME(T.DurationLiteral);
        },
      },
      {
        ALT: () => {
          this.SUBRULE(this.expression);
          this.MANY(() => {
            this.CONSUME(T.Then);
            this.SUBRULE2(this.expression);
          });
        },
      },
    ]);
  });
}

const parser = new AarmParser();

export interface CstResult {
  /** The CST, or null when parsing stopped early (too many errors). */
  readonly cst: CstNode | null;
  readonly problems: readonly SyntaxProblem[];
}

/**
 * Parses a token stream into a CST. Every syntax error becomes a problem
 * positioned at the offending token (or just after the previous token when
 * the file ended too early); at most one per token.
 */
export function parseTokens(tokens: readonly IToken[], textLength: number): CstResult {
  messages.reset(tokens);
  // Chevrotain pads the array it is given with end-of-file tokens: give it its own.
  parser.input = [...tokens];
  let cst: CstNode | null = null;
  let stopped = false;
  try {
    cst = parser.sourceFile();
  } catch (error) {
    if (!(error instanceof TooManyErrors)) throw error;
    stopped = true;
  }
  const problems: SyntaxProblem[] = [];
  const seen = new Set<number>();
  for (const error of parser.errors) {
    const located = errorProblem(error, textLength);
    if (located === null || seen.has(located.start)) continue;
    seen.add(located.start);
    problems.push(located);
  }
  if (stopped) {
    const last = problems.at(-1);
    problems.push(
      problem(
        "AARM1004",
        `too many syntax errors; stopped after ${MAX_SYNTAX_ERRORS}`,
        last?.start ?? 0,
        last?.end ?? 0,
      ),
    );
  }
  return { cst: stopped ? null : cst, problems };
}

function errorProblem(error: IRecognitionException, textLength: number): SyntaxProblem | null {
  const detail = messages.detail(error.message);
  if (detail === undefined) return null;
  const { token } = error;
  const previous = (error as { previousToken?: IToken }).previousToken;
  let start = token.startOffset;
  let end = start + token.image.length;
  if (token.tokenType === EOF || !Number.isFinite(start)) {
    const after =
      previous !== undefined && Number.isFinite(previous.startOffset) && previous.startOffset >= 0
        ? previous.startOffset + previous.image.length
        : textLength;
    start = after;
    end = after;
  }
  return problem(detail.code, detail.message, start, end, {
    notes: detail.notes.map((message) => ({ message, at: null })),
    suggestion: detail.suggestion,
  });
}

/** The names of the grammar rules: the productions of `grammar/aarm.ebnf`. */
export function grammarRuleNames(): string[] {
  return Object.keys(parser.getGAstProductions());
}

/** The grammar in Chevrotain's serialized form, for the railroad diagrams. */
export function serializedGrammar(): ISerializedGast[] {
  return parser.getSerializedGastProductions();
}
