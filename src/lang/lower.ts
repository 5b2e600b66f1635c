/**
 * Lowering: the explicit CST → AST step. Every AST node gets the exact span
 * of the text it came from; literals get their values (strings unescaped,
 * durations in milliseconds); and the structural rules the grammar leaves
 * open are checked here: each clause at most once, clauses only on the rule
 * kinds that have them, known type, effect and risk names, the shapes of
 * session queries, non-chaining comparisons and the expression depth bound.
 *
 * A CST that error recovery left incomplete is lowered item by item: an item
 * with a missing piece is dropped (the parser has already said what is
 * missing), and the other items are still checked.
 *
 * @module
 */
import type { CstElement, CstNode, IToken, TokenType } from "chevrotain";
import * as ast from "./ast.ts";
import {
  didYouMean,
  type ProblemNote,
  problem,
  type SyntaxCode,
  type SyntaxProblem,
} from "./codes-syntax.ts";
import * as T from "./lexer.ts";

/** Deepest expression tree later phases are asked to walk (they recurse over it). */
export const MAX_EXPRESSION_DEPTH = 256;

/** Turns offsets into spans: file, offsets, and the 1-based line and column (UTF-16 units). */
export class LineMap {
  readonly file: string;
  readonly length: number;
  private readonly starts: number[] = [0];

  constructor(file: string, text: string) {
    this.file = file;
    this.length = text.length;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  span(start: number, end: number): ast.Span {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= start) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, start, end, line: lo + 1, column: start - (this.starts[lo] ?? 0) + 1 };
  }
}

/**
 * Lowers a file's CST. `file` is null when the file has no header (reported
 * here) or its header could not be parsed.
 */
export function lowerFile(
  cst: CstNode,
  comments: readonly IToken[],
  lines: LineMap,
): { readonly file: ast.SourceFile | null; readonly problems: readonly SyntaxProblem[] } {
  const cx: Context = { lines, problems: [], depth: new Map() };
  const items: ast.Item[] = [];
  for (const item of nodes(cst, "item")) {
    const lowered = attempt(() => lowerItem(cx, item));
    if (lowered !== null) items.push(lowered);
  }
  const headerNode = nodes(cst, "header")[0];
  const header = headerNode === undefined ? null : attempt(() => lowerHeader(cx, headerNode));
  if (headerNode === undefined) {
    const first = items[0]?.span.start ?? 0;
    cx.problems.push(
      problem(
        "AARM1003",
        'a file starts with a header: `policy <name> version "<version>"` for a policy, `module <name>` for a module',
        first,
        first,
      ),
    );
  }
  const kept = comments.map((c): ast.Comment => ({ kind: "Comment", text: c.image, span: tokenSpan(cx, c) }));
  const span = lines.span(0, lines.length);
  const file: ast.SourceFile | null =
    header === null
      ? null
      : header.kind === "PolicyHeader"
        ? { kind: "PolicyFile", header, items, comments: kept, span }
        : { kind: "ModuleFile", header, items, comments: kept, span };
  return { file, problems: cx.problems };
}

interface Context {
  readonly lines: LineMap;
  readonly problems: SyntaxProblem[];
  /**
   * The depth of every compound expression lowered so far (leaves are 1), to
   * bound it without walking the tree again. A Map, not a WeakMap: it lives
   * only as long as one file's lowering, and is much cheaper.
   */
  readonly depth: Map<ast.Expr, number>;
}

// ---------------------------------------------------------------------------
// Reading the CST

/**
 * Raised when an item cannot be lowered: error recovery left a required
 * piece out of the CST, or the item is malformed in a way already reported.
 * The enclosing item is dropped; the others are still lowered and checked.
 */
class Incomplete extends Error {}

function attempt<X>(lower: () => X): X | null {
  try {
    return lower();
  } catch (error) {
    if (error instanceof Incomplete) return null;
    throw error;
  }
}

function isToken(element: CstElement): element is IToken {
  return "image" in element;
}

/** A token that was read from the source, not invented by error recovery. */
function isReal(token: IToken): boolean {
  return token.isInsertedInRecovery !== true && Number.isFinite(token.startOffset) && token.startOffset >= 0;
}

const NONE: readonly never[] = [];

function isNode(element: CstElement): element is CstNode {
  return !isToken(element);
}

function isRealToken(element: CstElement): element is IToken {
  return isToken(element) && isReal(element);
}

// The two readers below return the CST's own array when nothing is filtered out (the usual case):
// lowering reads several such lists per CST node, and copying each was only garbage.

function nodes(node: CstNode, rule: string): readonly CstNode[] {
  const found = node.children[rule];
  if (found === undefined) return NONE;
  return found.every(isNode) ? found : found.filter(isNode);
}

function tokens(node: CstNode, type: TokenType): readonly IToken[] {
  const found = node.children[type.name];
  if (found === undefined) return NONE;
  return found.every(isRealToken) ? found : found.filter(isRealToken);
}

function child(node: CstNode, rule: string, index = 0): CstNode {
  const found = nodes(node, rule)[index];
  if (found === undefined || found.recoveredNode === true) throw new Incomplete();
  return found;
}

function optionalChild(node: CstNode, rule: string): CstNode | undefined {
  return nodes(node, rule).length === 0 ? undefined : child(node, rule);
}

function token(node: CstNode, type: TokenType, index = 0): IToken {
  const found = tokens(node, type)[index];
  if (found === undefined) throw new Incomplete();
  return found;
}

/** The one child rule of a node that is a choice between rules. */
function choice(node: CstNode): CstNode {
  // Object.keys, not Object.values: CST children are dictionaries, and listing their keys is cheaper.
  for (const rule of Object.keys(node.children)) {
    const first = node.children[rule]?.[0];
    if (first !== undefined && !isToken(first)) {
      if (first.recoveredNode === true) throw new Incomplete();
      return first;
    }
  }
  throw new Incomplete();
}

function tokenSpan(cx: Context, t: IToken): ast.Span {
  return cx.lines.span(t.startOffset, t.startOffset + t.image.length);
}

function nodeSpan(cx: Context, node: CstNode): ast.Span {
  const start = node.location?.startOffset ?? Number.NaN;
  const end = (node.location?.endOffset ?? Number.NaN) + 1;
  if (!(start >= 0 && end >= start)) throw new Incomplete();
  return cx.lines.span(start, end);
}

function between(cx: Context, from: { readonly span: ast.Span }, to: { readonly span: ast.Span }): ast.Span {
  return cx.lines.span(from.span.start, to.span.end);
}

function report(
  cx: Context,
  code: SyntaxCode,
  message: string,
  at: ast.Span,
  extra: { notes?: readonly ProblemNote[]; suggestion?: string | null } = {},
): void {
  cx.problems.push(problem(code, message, at.start, at.end, extra));
}

function noteAt(message: string, at: ast.Span): ProblemNote {
  return { message, at: { start: at.start, end: at.end } };
}

// ---------------------------------------------------------------------------
// Names, literals and types

function name(cx: Context, t: IToken): ast.Name {
  return { kind: "Name", text: t.image, span: tokenSpan(cx, t) };
}

function qualifiedName(cx: Context, node: CstNode): ast.QualifiedName {
  const parts = [name(cx, token(node, T.Identifier)), ...tokens(node, T.AnyName).map((t) => name(cx, t))];
  return { kind: "QualifiedName", parts, text: parts.map((p) => p.text).join("."), span: nodeSpan(cx, node) };
}

function nameList(cx: Context, node: CstNode): ast.Name[] {
  return tokens(node, T.Identifier).map((t) => name(cx, t));
}

function stringLiteral(cx: Context, t: IToken): ast.StringLiteral {
  const { value } = T.decodeString(t.image, t.startOffset, t.tokenType !== T.UnterminatedString);
  return { kind: "StringLiteral", value, span: tokenSpan(cx, t) };
}

function stringList(cx: Context, node: CstNode): ast.StringLiteral[] {
  return tokens(node, T.StringLiteral).map((t) => stringLiteral(cx, t));
}

function numberLiteral(cx: Context, t: IToken): ast.NumberLiteral {
  return { kind: "NumberLiteral", value: T.numberValue(t.image), span: tokenSpan(cx, t) };
}

function durationLiteral(cx: Context, t: IToken): ast.DurationLiteral {
  return { kind: "DurationLiteral", text: t.image, ms: T.durationMs(t.image), span: tokenSpan(cx, t) };
}

function regexLiteral(cx: Context, t: IToken): ast.RegexLiteral {
  const { source, flags } = T.regexParts(t.image, t.tokenType === T.RegexLiteral);
  return { kind: "RegexLiteral", source, flags, span: tokenSpan(cx, t) };
}

const PRIMITIVE_TYPES: readonly ast.PrimitiveTypeName[] = ["string", "number", "bool", "duration"];

/** Type names from other languages, and the aarm type they mean. */
const TYPE_ALIASES: ReadonlyMap<string, ast.PrimitiveTypeName> = new Map([
  ["int", "number"],
  ["integer", "number"],
  ["float", "number"],
  ["double", "number"],
  ["boolean", "bool"],
  ["str", "string"],
  ["text", "string"],
]);

function typeExpr(cx: Context, node: CstNode): ast.TypeExpr {
  const span = nodeSpan(cx, node);
  const inner = nodes(node, "typeExpr")[0];
  if (inner !== undefined) return { kind: "SetType", element: typeExpr(cx, child(node, "typeExpr")), span };
  const written = token(node, T.Identifier).image;
  const primitive = PRIMITIVE_TYPES.find((p) => p === written);
  if (primitive !== undefined) return { kind: "PrimitiveType", name: primitive, span };
  const guess = TYPE_ALIASES.get(written) ?? didYouMean(written, PRIMITIVE_TYPES);
  report(
    cx,
    "AARM1024",
    `unknown type \`${written}\`; the types are string, number, bool, duration and set<T>`,
    span,
    {
      suggestion: guess,
    },
  );
  return { kind: "PrimitiveType", name: "string", span };
}

/** A name from a fixed list (an effect, a risk level); a wrong one is reported with the closest. */
function oneOf<N extends string>(
  cx: Context,
  t: IToken,
  allowed: readonly N[],
  code: SyntaxCode,
  what: string,
): N | null {
  const found = allowed.find((a) => a === t.image);
  if (found !== undefined) return found;
  report(
    cx,
    code,
    `unknown ${what} \`${t.image}\`; expected one of ${allowed.join(", ")}`,
    tokenSpan(cx, t),
    {
      suggestion: didYouMean(t.image, allowed),
    },
  );
  return null;
}

// ---------------------------------------------------------------------------
// Files and declarations

function lowerHeader(cx: Context, node: CstNode): ast.PolicyHeader | ast.ModuleHeader {
  const inner = choice(node);
  const span = nodeSpan(cx, inner);
  const headerName = qualifiedName(cx, child(inner, "qualifiedName"));
  if (inner.name === "policyHeader") {
    const version = stringLiteral(cx, token(inner, T.StringLiteral));
    return { kind: "PolicyHeader", name: headerName, version, span };
  }
  return { kind: "ModuleHeader", name: headerName, span };
}

function lowerItem(cx: Context, node: CstNode): ast.Item {
  const inner = choice(node);
  switch (inner.name) {
    case "importDecl":
      return lowerImport(cx, inner);
    case "toolDecl":
      return lowerTool(cx, inner);
    case "factDecl":
      return {
        kind: "FactDecl",
        name: name(cx, token(inner, T.Identifier)),
        type: typeExpr(cx, child(inner, "typeExpr")),
        span: nodeSpan(cx, inner),
      };
    case "constDecl":
      return {
        kind: "ConstDecl",
        name: name(cx, token(inner, T.Identifier)),
        value: expression(cx, child(inner, "expression")),
        span: nodeSpan(cx, inner),
      };
    case "paramDecl":
      return {
        kind: "ParamDecl",
        name: name(cx, token(inner, T.Identifier)),
        type: typeExpr(cx, child(inner, "typeExpr")),
        value: expression(cx, child(inner, "expression")),
        span: nodeSpan(cx, inner),
      };
    case "categoryDecl":
      return {
        kind: "CategoryDecl",
        names: nameList(cx, child(inner, "nameList")),
        span: nodeSpan(cx, inner),
      };
    case "classifyRule":
      return lowerClassify(cx, inner);
    case "ruleDecl":
      return lowerRule(cx, inner);
    default:
      return {
        kind: "DefaultDecl",
        posture: tokens(inner, T.Allow).length > 0 ? "allow" : "deny",
        span: nodeSpan(cx, inner),
      };
  }
}

function lowerImport(cx: Context, node: CstNode): ast.Import | ast.McpImport {
  const span = nodeSpan(cx, node);
  const inner = choice(node);
  if (inner.name === "mcpImport") {
    return {
      kind: "McpImport",
      path: stringLiteral(cx, token(inner, T.StringLiteral)),
      prefix: name(cx, token(inner, T.Identifier)),
      span,
    };
  }
  const std = tokens(inner, T.StdPath)[0];
  const source: ast.ImportSource =
    std === undefined
      ? {
          kind: "PathSource",
          path: stringLiteral(cx, token(inner, T.StringLiteral)),
          span: nodeSpan(cx, inner),
        }
      : stdSource(cx, std);
  const withNode = optionalChild(inner, "withClause");
  const bindings =
    withNode === undefined
      ? []
      : nodes(withNode, "paramBinding").map((b): ast.ParamBinding => ({
          kind: "ParamBinding",
          name: name(cx, token(b, T.Identifier)),
          value: expression(cx, child(b, "expression")),
          span: nodeSpan(cx, b),
        }));
  return { kind: "Import", source, bindings, span };
}

/** `std/exfiltration`: the module name is the part after `std/`. */
function stdSource(cx: Context, t: IToken): ast.ImportSource {
  const start = t.startOffset + "std/".length;
  const text = t.image.slice("std/".length);
  const part: ast.Name = { kind: "Name", text, span: cx.lines.span(start, start + text.length) };
  return {
    kind: "StdSource",
    name: { kind: "QualifiedName", parts: [part], text, span: part.span },
    span: tokenSpan(cx, t),
  };
}

/** Records the first clause of each kind; a second one is reported against the first. */
class Once {
  private readonly seen = new Map<string, ast.Span>();
  private readonly cx: Context;
  private readonly owner: string;

  constructor(cx: Context, owner: string) {
    this.cx = cx;
    this.owner = owner;
  }

  /**
   * True the first time `clause` is met. `key` tells apart clauses with the
   * same keyword (a `defer` rule's own `timeout` and its step-up's).
   */
  first(clause: string, at: ast.Span, extra: { key?: string; hint?: string } = {}): boolean {
    const key = extra.key ?? clause;
    const earlier = this.seen.get(key);
    if (earlier === undefined) {
      this.seen.set(key, at);
      return true;
    }
    report(this.cx, "AARM1020", `duplicate \`${clause}\` clause in ${this.owner}`, at, {
      notes: [
        noteAt(`the first \`${clause}\` is here`, earlier),
        ...(extra.hint === undefined ? [] : [{ message: extra.hint, at: null }]),
      ],
    });
    return false;
  }
}

function lowerTool(cx: Context, node: CstNode): ast.ToolDecl {
  const toolName = qualifiedName(cx, child(node, "qualifiedName"));
  const once = new Once(cx, `tool \`${toolName.text}\``);
  let args: ast.ArgDecl[] | null = null;
  let effect: ast.EffectClause | null = null;
  let target: ast.TargetClause | null = null;
  let output: ast.OutputClause | null = null;
  for (const clauseNode of nodes(node, "toolClause")) {
    const clause = choice(clauseNode);
    const span = nodeSpan(cx, clause);
    switch (clause.name) {
      case "argsBlock": {
        const decls = nodes(clause, "argDecl").map((a) => argDecl(cx, a));
        missingCommas(cx, decls, tokens(clause, T.Comma));
        if (once.first("args", span)) args = decls;
        break;
      }
      case "effectClause": {
        const chosen = oneOf(cx, token(clause, T.Identifier), ast.EFFECTS, "AARM1025", "effect");
        if (once.first("effect", span) && chosen !== null)
          effect = { kind: "EffectClause", effect: chosen, span };
        break;
      }
      case "targetClause": {
        const expr = expression(cx, child(clause, "expression"));
        if (once.first("target", span)) target = { kind: "TargetClause", expr, span };
        break;
      }
      default: {
        const labels = nameList(cx, child(clause, "nameList"));
        if (once.first("output", span)) output = { kind: "OutputClause", labels, span };
      }
    }
  }
  return { kind: "ToolDecl", name: toolName, args, effect, target, output, span: nodeSpan(cx, node) };
}

/** Reports each argument not followed by a comma before the next one (see the parser's `argsBlock`). */
function missingCommas(cx: Context, decls: readonly ast.ArgDecl[], commas: readonly IToken[]): void {
  decls.slice(0, -1).forEach((decl, i) => {
    const next = decls[i + 1];
    if (next === undefined) return;
    const separated = commas.some((c) => c.startOffset >= decl.span.end && c.startOffset < next.span.start);
    if (!separated) {
      const at = cx.lines.span(decl.span.end, decl.span.end);
      report(
        cx,
        "AARM1001",
        `expected \`,\` between arguments \`${decl.name.text}\` and \`${next.name.text}\``,
        at,
        {
          suggestion: ",",
        },
      );
    }
  });
}

function argDecl(cx: Context, node: CstNode): ast.ArgDecl {
  return {
    kind: "ArgDecl",
    name: name(cx, token(node, T.AnyName)),
    optional: tokens(node, T.Question).length > 0,
    type: typeExpr(cx, child(node, "typeExpr")),
    span: nodeSpan(cx, node),
  };
}

function onClause(cx: Context, node: CstNode): ast.QualifiedName[] {
  const on = optionalChild(node, "onClause");
  return on === undefined ? [] : nodes(on, "qualifiedName").map((q) => qualifiedName(cx, q));
}

function lowerClassify(cx: Context, node: CstNode): ast.ClassifyRule {
  return {
    kind: "ClassifyRule",
    name: name(cx, token(node, T.Identifier)),
    on: onClause(cx, node),
    when: expression(cx, child(node, "expression")),
    labels: nameList(cx, child(node, "nameList")),
    span: nodeSpan(cx, node),
  };
}

// ---------------------------------------------------------------------------
// Rules

const APPROVAL_CLAUSES: ReadonlyMap<string, string> = new Map([
  ["approversClause", "approvers"],
  ["quorumClause", "quorum"],
  ["escalateClause", "escalate"],
  ["selfApprovalClause", "self_approval"],
]);

const MOD_OPS: ReadonlyMap<string, string> = new Map([
  ["setOp", "set"],
  ["removeOp", "remove"],
  ["clampOp", "clamp"],
  ["redactOp", "redact"],
]);

/** The approval clauses of a rule, collected in source order. */
interface ApprovalParts {
  approvers: ast.StringLiteral[] | null;
  quorum: ast.NumberLiteral | null;
  timeout: ast.DurationLiteral | null;
  escalation: ast.ApprovalClause["escalation"];
  selfApproval: boolean;
  spans: ast.Span[];
}

interface DeferralParts {
  needs: ast.Name[];
  timeout: ast.DurationLiteral | null;
  ending: { readonly to: "deny" | "step_up"; readonly span: ast.Span } | null;
  spans: ast.Span[];
}

/**
 * A rule's clauses may come in any order, each at most once (modification
 * operations excepted). In a `defer` rule, approval clauses, including a
 * `timeout`, belong to the step-up and so must follow `then step_up`; a
 * `timeout` before it is the deferral's.
 */
function lowerRule(cx: Context, node: CstNode): ast.Rule {
  const kindToken = token(node, T.RuleKind);
  const ruleKind = ast.RULE_KINDS.find((k) => k === kindToken.image) ?? "deny";
  const ruleName = name(cx, token(node, T.Identifier));
  const span = nodeSpan(cx, node);
  const once = new Once(cx, `rule \`${ruleName.text}\``);
  const approval: ApprovalParts = {
    approvers: null,
    quorum: null,
    timeout: null,
    escalation: null,
    selfApproval: false,
    spans: [],
  };
  const deferral: DeferralParts = { needs: [], timeout: null, ending: null, spans: [] };
  const modifications: ast.ModOp[] = [];
  let when: ast.Expr | null = null;
  let unless: ast.Expr | null = null;
  let risk: ast.Rule["risk"] = null;
  let because: ast.StringLiteral | null = null;

  for (const clauseNode of nodes(node, "ruleClause")) {
    const clause = choice(clauseNode);
    const clauseSpan = nodeSpan(cx, clause);
    const approvalKeyword = APPROVAL_CLAUSES.get(clause.name);
    const modKeyword = MOD_OPS.get(clause.name);
    if (approvalKeyword !== undefined) {
      if (
        approvalAllowed(cx, ruleKind, deferral, approvalKeyword, clauseSpan) &&
        once.first(approvalKeyword, clauseSpan)
      ) {
        addApproval(cx, clause, approval, clauseSpan);
      }
    } else if (modKeyword !== undefined) {
      const op = modOp(cx, clause, clauseSpan);
      if (ruleKind === "modify") modifications.push(op);
      else notAllowed(cx, modKeyword, ruleKind, "modifications belong to `modify` rules", clauseSpan);
    } else {
      switch (clause.name) {
        case "whenClause": {
          const expr = expression(cx, child(clause, "expression"));
          if (
            once.first("when", clauseSpan, {
              hint: "write one `when`, joining the conditions with `and` or `or`",
            })
          )
            when = expr;
          break;
        }
        case "unlessClause": {
          const expr = expression(cx, child(clause, "expression"));
          if (
            once.first("unless", clauseSpan, {
              hint: "write one `unless`, joining the conditions with `or` or `and`",
            })
          )
            unless = expr;
          break;
        }
        case "timeoutClause": {
          const timeout = durationLiteral(cx, token(clause, T.DurationLiteral));
          if (ruleKind === "defer" && deferral.ending?.to !== "step_up") {
            if (once.first("timeout", clauseSpan)) {
              deferral.timeout = timeout;
              deferral.spans.push(clauseSpan);
            }
          } else if (approvalAllowed(cx, ruleKind, deferral, "timeout", clauseSpan)) {
            if (once.first("timeout", clauseSpan, { key: "approval timeout" })) {
              approval.timeout = timeout;
              approval.spans.push(clauseSpan);
            }
          }
          break;
        }
        case "needsClause": {
          const needs = nameList(cx, child(clause, "nameList"));
          if (ruleKind !== "defer")
            notAllowed(cx, "needs", ruleKind, "deferral clauses belong to `defer` rules", clauseSpan);
          else if (once.first("needs", clauseSpan)) {
            deferral.needs = needs;
            deferral.spans.push(clauseSpan);
          }
          break;
        }
        case "thenClause": {
          const to = tokens(clause, T.StepUp).length > 0 ? "step_up" : "deny";
          if (ruleKind !== "defer")
            notAllowed(cx, "then", ruleKind, "deferral clauses belong to `defer` rules", clauseSpan);
          else if (once.first("then", clauseSpan)) {
            deferral.ending = { to, span: clauseSpan };
            deferral.spans.push(clauseSpan);
          }
          break;
        }
        case "riskClause": {
          const level = oneOf(cx, token(clause, T.Identifier), ast.RISK_LEVELS, "AARM1026", "risk level");
          if (once.first("risk", clauseSpan) && level !== null) risk = { level, span: clauseSpan };
          break;
        }
        default: {
          const reason = stringLiteral(cx, token(clause, T.StringLiteral));
          if (once.first("because", clauseSpan)) because = reason;
        }
      }
    }
  }

  return {
    kind: "Rule",
    ruleKind,
    name: ruleName,
    on: onClause(cx, node),
    when,
    unless,
    approval: finishApproval(cx, ruleKind, ruleName, deferral, approval),
    deferral: ruleKind === "defer" ? finishDeferral(cx, deferral, span) : null,
    modifications: finishModifications(cx, ruleKind, ruleName, modifications),
    risk,
    because,
    span,
  };
}

/** Whether an approval clause may appear here; reports it where not. */
function approvalAllowed(
  cx: Context,
  ruleKind: ast.RuleKind,
  deferral: DeferralParts,
  keyword: string,
  at: ast.Span,
): boolean {
  if (ruleKind === "step_up") return true;
  if (ruleKind !== "defer") {
    notAllowed(
      cx,
      keyword,
      ruleKind,
      "approval clauses belong to `step_up` rules and to `defer … then step_up`",
      at,
    );
    return false;
  }
  if (deferral.ending?.to === "step_up") return true;
  report(
    cx,
    "AARM1021",
    deferral.ending === null
      ? `in a \`defer\` rule, \`${keyword}\` belongs to the step-up and must follow \`then step_up\``
      : `\`${keyword}\` needs \`then step_up\`; this rule's deferral ends in \`then deny\``,
    at,
    deferral.ending === null ? {} : { notes: [noteAt("`then deny` is here", deferral.ending.span)] },
  );
  return false;
}

function notAllowed(cx: Context, keyword: string, ruleKind: ast.RuleKind, why: string, at: ast.Span): void {
  const article = ruleKind === "allow" ? "an" : "a";
  report(cx, "AARM1021", `\`${keyword}\` is not allowed in ${article} \`${ruleKind}\` rule; ${why}`, at);
}

function addApproval(cx: Context, clause: CstNode, approval: ApprovalParts, at: ast.Span): void {
  approval.spans.push(at);
  switch (clause.name) {
    case "approversClause":
      approval.approvers = stringList(cx, child(clause, "stringList"));
      break;
    case "quorumClause":
      approval.quorum = numberLiteral(cx, token(clause, T.NumberLiteral));
      break;
    case "escalateClause":
      approval.escalation = {
        after: durationLiteral(cx, token(clause, T.DurationLiteral)),
        to: stringList(cx, child(clause, "stringList")),
        span: at,
      };
      break;
    default:
      approval.selfApproval = true;
  }
}

function finishApproval(
  cx: Context,
  ruleKind: ast.RuleKind,
  ruleName: ast.Name,
  deferral: DeferralParts,
  approval: ApprovalParts,
): ast.ApprovalClause | null {
  const stepsUp = ruleKind === "step_up" || (ruleKind === "defer" && deferral.ending?.to === "step_up");
  if (!stepsUp) return null;
  if (approval.approvers === null) {
    const at = ruleKind === "step_up" ? ruleName.span : (deferral.ending?.span ?? ruleName.span);
    report(
      cx,
      "AARM1022",
      ruleKind === "step_up"
        ? `step_up rule \`${ruleName.text}\` needs \`approvers [...]\`: who approves the action`
        : `\`then step_up\` needs \`approvers [...]\`: who approves the action once the deferral times out`,
      at,
    );
  }
  const first = approval.spans[0] ?? ruleName.span;
  const last = approval.spans.reduce((a, b) => (b.end > a.end ? b : a), first);
  return {
    kind: "ApprovalClause",
    approvers: approval.approvers ?? [],
    quorum: approval.quorum,
    timeout: approval.timeout,
    escalation: approval.escalation,
    selfApproval: approval.selfApproval,
    span: cx.lines.span(Math.min(...approval.spans.map((s) => s.start), first.start), last.end),
  };
}

/** The deferral of a `defer` rule; with no deferral clauses, an empty span at the rule's end. */
function finishDeferral(cx: Context, deferral: DeferralParts, ruleSpan: ast.Span): ast.DeferralClause {
  const starts = deferral.spans.map((s) => s.start);
  const ends = deferral.spans.map((s) => s.end);
  const span =
    starts.length === 0
      ? cx.lines.span(ruleSpan.end, ruleSpan.end)
      : cx.lines.span(Math.min(...starts), Math.max(...ends));
  return {
    kind: "DeferralClause",
    needs: deferral.needs,
    timeout: deferral.timeout,
    then: deferral.ending?.to ?? "deny",
    span,
  };
}

function finishModifications(
  cx: Context,
  ruleKind: ast.RuleKind,
  ruleName: ast.Name,
  modifications: ast.ModOp[],
): ast.ModOp[] {
  if (ruleKind === "modify" && modifications.length === 0) {
    report(
      cx,
      "AARM1022",
      `modify rule \`${ruleName.text}\` needs at least one operation: \`set\`, \`remove\`, \`clamp\` or \`redact\``,
      ruleName.span,
    );
  }
  return modifications;
}

function modOp(cx: Context, node: CstNode, span: ast.Span): ast.ModOp {
  const path = argPath(cx, child(node, "argPath"));
  switch (node.name) {
    case "setOp":
      return { kind: "SetOp", path, value: expression(cx, child(node, "expression")), span };
    case "removeOp":
      return { kind: "RemoveOp", path, span };
    case "clampOp":
      return {
        kind: "ClampOp",
        path,
        min: expression(cx, child(node, "expression", 0)),
        max: expression(cx, child(node, "expression", 1)),
        span,
      };
    default: {
      const pattern = tokens(node, T.RegexLiteral)[0];
      return {
        kind: "RedactOp",
        path,
        pattern: pattern === undefined ? null : regexLiteral(cx, pattern),
        span,
      };
    }
  }
}

function argPath(cx: Context, node: CstNode): ast.ArgPath {
  const segments = tokens(node, T.AnyName).map((t) => name(cx, t));
  if (segments.length === 0) throw new Incomplete();
  return measured(cx, { kind: "ArgPath", segments, span: nodeSpan(cx, node) }, []);
}

// ---------------------------------------------------------------------------
// Expressions

/**
 * Records an expression's depth from its children's and reports the node
 * where an expression first grows deeper than {@link MAX_EXPRESSION_DEPTH}.
 */
function measured<E extends ast.Expr>(cx: Context, expr: E, children: readonly ast.Expr[]): E {
  if (children.length === 0) return expr;
  let depth = 1;
  for (const c of children) depth = Math.max(depth, (cx.depth.get(c) ?? 1) + 1);
  cx.depth.set(expr, depth);
  if (depth === MAX_EXPRESSION_DEPTH + 1) {
    report(
      cx,
      "AARM1031",
      `this expression is nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels of operators)`,
      cx.lines.span(expr.span.start, expr.span.start),
      { notes: [{ message: "split it into named constants, or test set membership with `in`", at: null }] },
    );
  }
  return expr;
}

function binary(cx: Context, op: ast.BinaryOp, left: ast.Expr, right: ast.Expr): ast.Binary {
  return measured(cx, { kind: "Binary", op, left, right, span: between(cx, left, right) }, [left, right]);
}

/** `a op b op c` from a CST list of operands and operator tokens: left-associative. */
function foldLeft(
  cx: Context,
  operands: readonly CstNode[],
  operators: readonly IToken[],
  lowerOperand: (cx: Context, node: CstNode) => ast.Expr,
  op: (t: IToken) => ast.BinaryOp,
): ast.Expr {
  const first = operands[0];
  if (first === undefined || operands.length - 1 !== operators.length) throw new Incomplete();
  let result = lowerOperand(cx, first);
  for (let i = 1; i < operands.length; i++) {
    const operator = operators[i - 1];
    if (operator === undefined) throw new Incomplete();
    result = binary(cx, op(operator), result, lowerOperand(cx, operands[i] as CstNode));
  }
  return result;
}

/** Wraps an operand in prefix operators, innermost last: `not not x`, `- -x`. */
function prefixed(cx: Context, operators: readonly IToken[], operand: ast.Expr, op: "not" | "-"): ast.Expr {
  let result = operand;
  for (let i = operators.length - 1; i >= 0; i--) {
    const at = operators[i];
    if (at === undefined) continue;
    result = measured(
      cx,
      { kind: "Unary", op, operand: result, span: cx.lines.span(at.startOffset, result.span.end) },
      [result],
    );
  }
  return result;
}

const orOp = (): ast.BinaryOp => "or";
const andOp = (): ast.BinaryOp => "and";
const addOp = (t: IToken): ast.BinaryOp => (t.image === "+" ? "+" : "-");
const mulOp = (): ast.BinaryOp => "*";

function expression(cx: Context, node: CstNode): ast.Expr {
  return foldLeft(cx, nodes(node, "andExpr"), tokens(node, T.Or), andExpr, orOp);
}

function andExpr(cx: Context, node: CstNode): ast.Expr {
  return foldLeft(cx, nodes(node, "notExpr"), tokens(node, T.And), notExpr, andOp);
}

function notExpr(cx: Context, node: CstNode): ast.Expr {
  return prefixed(cx, tokens(node, T.Not), comparison(cx, child(node, "comparison")), "not");
}

const COMPARE_OPS: ReadonlyMap<string, ast.BinaryOp> = new Map([
  ["==", "=="],
  ["!=", "!="],
  ["<", "<"],
  ["<=", "<="],
  [">", ">"],
  [">=", ">="],
]);

/** Comparisons are non-associative: a second operator is reported, and the chain still lowered. */
function comparison(cx: Context, node: CstNode): ast.Expr {
  let result = additive(cx, child(node, "additive"));
  nodes(node, "comparisonTail").forEach((tail, i) => {
    const { op, right, opToken } = comparisonTail(cx, tail);
    if (i === 1) {
      report(
        cx,
        "AARM1023",
        `comparisons do not chain: \`${opToken.image}\` cannot follow another comparison`,
        tokenSpan(cx, opToken),
        { notes: [{ message: "write `a < b and b < c`, or add parentheses to compare a result", at: null }] },
      );
    }
    result = binary(cx, op, result, right);
  });
  return result;
}

function comparisonTail(cx: Context, node: CstNode): { op: ast.BinaryOp; right: ast.Expr; opToken: IToken } {
  const regex = tokens(node, T.Matches)[0];
  if (regex !== undefined) {
    const right = measured(cx, regexLiteral(cx, token(node, T.RegexLiteral)), []);
    return { op: "matches", right, opToken: regex };
  }
  const right = additive(cx, child(node, "additive"));
  const compare = tokens(node, T.CompareOp)[0];
  if (compare !== undefined) return { op: COMPARE_OPS.get(compare.image) ?? "==", right, opToken: compare };
  const not = tokens(node, T.Not)[0];
  return not === undefined
    ? { op: "in", right, opToken: token(node, T.In) }
    : { op: "not in", right, opToken: not };
}

function additive(cx: Context, node: CstNode): ast.Expr {
  return foldLeft(cx, nodes(node, "multiplicative"), tokens(node, T.AddOp), multiplicative, addOp);
}

function multiplicative(cx: Context, node: CstNode): ast.Expr {
  return foldLeft(cx, nodes(node, "unary"), tokens(node, T.Star), unary, mulOp);
}

function unary(cx: Context, node: CstNode): ast.Expr {
  return prefixed(cx, tokens(node, T.Minus), primary(cx, child(node, "primary")), "-");
}

function primary(cx: Context, node: CstNode): ast.Expr {
  const inner = choice(node);
  const span = nodeSpan(cx, inner);
  switch (inner.name) {
    case "literal":
      return measured(cx, literal(cx, inner), []);
    case "setLiteral": {
      const elements = nodes(inner, "expression").map((e) => expression(cx, e));
      return measured(cx, { kind: "SetLiteral", elements, span }, elements);
    }
    case "listLiteral": {
      const elements = nodes(inner, "expression").map((e) => expression(cx, e));
      return measured(cx, { kind: "ListLiteral", elements, span }, elements);
    }
    case "parenExpr": {
      const expr = expression(cx, child(inner, "expression"));
      return measured(cx, { kind: "Paren", expr, span }, [expr]);
    }
    case "argPath":
      return argPath(cx, inner);
    default:
      return reference(cx, inner);
  }
}

function firstRealToken(node: CstNode): IToken | undefined {
  for (const rule of Object.keys(node.children)) {
    for (const e of node.children[rule] ?? NONE) if (isToken(e) && isReal(e)) return e;
  }
  return undefined;
}

function literal(cx: Context, node: CstNode): ast.Expr {
  const t = firstRealToken(node);
  if (t === undefined) throw new Incomplete();
  if (t.tokenType === T.True || t.tokenType === T.False) {
    return { kind: "BoolLiteral", value: t.tokenType === T.True, span: tokenSpan(cx, t) };
  }
  if (node.children[T.StringLiteral.name] !== undefined) return stringLiteral(cx, t);
  if (node.children[T.DurationLiteral.name] !== undefined) return durationLiteral(cx, t);
  return numberLiteral(cx, t);
}

/** One argument of a call: an expression (or a `then` sequence of them), or `within D`. */
type CallArg =
  | { readonly kind: "steps"; readonly steps: readonly ast.Expr[]; readonly span: ast.Span }
  | { readonly kind: "within"; readonly within: ast.DurationLiteral; readonly span: ast.Span };

function reference(cx: Context, node: CstNode): ast.Expr {
  const path = [name(cx, token(node, T.RefHead)), ...tokens(node, T.AnyName).map((t) => name(cx, t))];
  const last = path.at(-1) ?? path[0];
  if (last === undefined) throw new Incomplete();
  const ref: ast.Ref = measured(cx, { kind: "Ref", path, span: between(cx, path[0] ?? last, last) }, []);
  const callNode = optionalChild(node, "callArgs");
  if (callNode === undefined) return ref;
  const args = nodes(callNode, "callArg").map((a) => callArg(cx, a));
  const span = nodeSpan(cx, node);
  const callee = path.map((p) => p.text).join(".");
  if (callee === "session.seen" || callee === "session.count" || callee === "session.sum") {
    return sessionQuery(cx, callee, args, span);
  }
  for (const arg of args) {
    if (arg.kind === "within") {
      report(
        cx,
        "AARM1027",
        "`within` only bounds session queries: `session.seen`, `session.count`, `session.sum`",
        arg.span,
      );
    } else if (arg.steps.length > 1) {
      report(cx, "AARM1027", "`then` sequences only appear in `session.seen(…)`", arg.span);
    }
  }
  const plain = args.flatMap((a) => (a.kind === "steps" ? a.steps.slice(0, 1) : []));
  return measured(cx, { kind: "Call", callee: ref, args: plain, span }, plain);
}

function callArg(cx: Context, node: CstNode): CallArg {
  const span = nodeSpan(cx, node);
  if (tokens(node, T.Within).length > 0) {
    return { kind: "within", within: durationLiteral(cx, token(node, T.DurationLiteral)), span };
  }
  return { kind: "steps", steps: nodes(node, "expression").map((e) => expression(cx, e)), span };
}

const QUERY_SHAPES: ReadonlyMap<string, string> = new Map([
  ["session.seen", "`session.seen(P)`, `session.seen(P1 then P2 …)`, each with an optional `, within D`"],
  ["session.count", "`session.count(P)` with an optional `, within D`"],
  ["session.sum", '`session.sum("tool", argument)` with an optional `, within D`'],
]);

/** Checks a session query's arguments against its shape and builds the query node. */
function sessionQuery(cx: Context, callee: string, args: readonly CallArg[], span: ast.Span): ast.Expr {
  const malformed = (message: string, at: ast.Span): never => {
    report(cx, "AARM1027", `${message}; the form is ${QUERY_SHAPES.get(callee) ?? callee}`, at);
    throw new Incomplete();
  };
  const lastArg = args.at(-1);
  const within = lastArg?.kind === "within" ? lastArg.within : null;
  const positional = within === null ? args : args.slice(0, -1);
  const misplaced = positional.find((a) => a.kind === "within");
  if (misplaced !== undefined) return malformed("`within` must be the last argument", misplaced.span);
  const steps = positional.map((a) => (a.kind === "steps" ? a.steps : []));
  const spans = positional.map((a) => a.span);

  if (callee === "session.sum") {
    const [tool, arg] = steps;
    const toolExpr = tool?.length === 1 ? tool[0] : undefined;
    const argExpr = arg?.length === 1 ? arg[0] : undefined;
    if (
      steps.length !== 2 ||
      toolExpr?.kind !== "StringLiteral" ||
      argExpr?.kind !== "Ref" ||
      argExpr.path.length !== 1
    ) {
      return malformed(`\`${callee}\` takes a tool name string and an argument name`, spans[0] ?? span);
    }
    const argName = argExpr.path[0];
    if (argName === undefined) throw new Incomplete();
    return measured(cx, { kind: "SumQuery", tool: toolExpr, arg: argName, within, span }, [toolExpr]);
  }
  const pattern = steps[0];
  if (steps.length !== 1 || pattern === undefined || pattern.length === 0) {
    return malformed(`\`${callee}\` takes one pattern`, spans[1] ?? span);
  }
  if (callee === "session.count") {
    const where = pattern[0];
    if (pattern.length > 1 || where === undefined) {
      return malformed("`then` sequences only appear in `session.seen(…)`", spans[0] ?? span);
    }
    return measured(cx, { kind: "CountQuery", where, within, span }, [where]);
  }
  return measured(cx, { kind: "SeenQuery", steps: pattern, within, span }, pattern);
}
