/**
 * The printer: AST → document, in the canonical layout of docs/style.md.
 *
 * The AST is printed as it is, never rearranged: items and clauses keep the
 * order they were written in, user parentheses (`Paren` nodes) are kept, and
 * parentheses are added only where precedence needs them (an AST built by a
 * program rather than parsed). Every comment attached by `comments.ts` is
 * written next to its node; a comment the printer failed to place is an
 * internal error, never a silent loss.
 *
 * @module
 */
import type * as ast from "../ast.ts";
import { type AttachedComment, type Attachments, attachComments, endLine, type Spanned } from "./comments.ts";
import {
  comment,
  type Doc,
  node as docNode,
  group,
  hardline,
  indent,
  join,
  line,
  type RenderedLine,
  render,
  softline,
} from "./doc.ts";
import { formatNumber, quoteString } from "./lexical.ts";

/** Lines are broken beyond this many columns. */
const WIDTH = 100;

const BLANK: RenderedLine = { code: "", comment: null, commentOnly: null };

/** Prints a whole file: the formatter's output text. */
export function printFile(file: ast.SourceFile): string {
  const printer = new Printer(attachComments(file));
  const lines = printer.file(file);
  printer.assertAllPrinted(file);
  return `${alignTrailingComments(lines).join("\n")}\n`;
}

/**
 * Where a node sits when printed, which decides where its leading comments go:
 * - `line`: at the start of a line; comments go on the lines above;
 * - `mid`: after other code on a line; comments start a continuation line;
 * - `hoisted`: the caller has already written them (above a clause keyword).
 */
type At = "line" | "mid" | "hoisted";

/** Binding strength, loosest first; the parser's grammar (`parser.ts`) in numbers. */
const PRECEDENCE: Readonly<Record<ast.BinaryOp, number>> = {
  or: 1,
  and: 2,
  "==": 4,
  "!=": 4,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  in: 4,
  "not in": 4,
  matches: 4,
  "+": 5,
  "-": 5,
  "*": 6,
};
const NOT_PRECEDENCE = 3;
const NEGATE_PRECEDENCE = 7;
const ATOM_PRECEDENCE = 8;
/** Comparisons do not chain, so a comparison operand binds tighter than a comparison. */
const COMPARISON_PRECEDENCE = 4;

function precedence(e: ast.Expr): number {
  if (e.kind === "Binary") return PRECEDENCE[e.op];
  if (e.kind === "Unary") return e.op === "not" ? NOT_PRECEDENCE : NEGATE_PRECEDENCE;
  return ATOM_PRECEDENCE;
}

/** Items of one of these classes sit together without blank lines when each is a single line. */
function itemClass(item: ast.Item): string | null {
  switch (item.kind) {
    case "Import":
    case "McpImport":
      return "import";
    case "FactDecl":
      return "fact";
    case "ConstDecl":
    case "ParamDecl":
    case "CategoryDecl":
      return "const";
    case "Rule":
      return "rule";
    default:
      return null;
  }
}

class Printer {
  private readonly attachments: Attachments;
  private readonly printed = new Set<ast.Comment>();

  constructor(attachments: Attachments) {
    this.attachments = attachments;
  }

  assertAllPrinted(file: ast.SourceFile): void {
    const lost = file.comments.filter((c) => !this.printed.has(c));
    if (lost.length > 0) {
      const where = lost.map((c) => `${c.span.line}:${c.span.column}`).join(", ");
      throw new Error(`formatter internal error: comments at ${where} were not printed`);
    }
  }

  // -- the file ----------------------------------------------------------------

  file(file: ast.SourceFile): RenderedLine[] {
    const out: RenderedLine[] = [];
    const header = file.header;
    out.push(...this.commentBlock(this.leadingOf(header), header.span.line));
    out.push(...this.topLevel(header, this.header(header)).lines);
    let previous: { readonly item: ast.Item; readonly single: boolean } | null = null;
    for (const item of file.items) {
      const leading = this.leadingOf(item);
      const { code, lines } = this.topLevel(item, this.item(item));
      const single = code === 1;
      const cls = itemClass(item);
      const together =
        previous?.single === true && single && cls !== null && cls === itemClass(previous.item);
      if (!together || leading.length > 0) out.push(BLANK);
      out.push(...this.commentBlock(leading, item.span.line), ...lines);
      previous = { item, single };
    }
    return out;
  }

  /**
   * A top-level node with the comments after it, and how many lines its
   * code takes. Comments that end up on lines of their own below its code
   * (written after the last item, or pushed off its last line by a `//`
   * comment) are where the next parse finds them, between items: so they are
   * written as the file writes such comments, a blank line below the code.
   */
  private topLevel(n: Spanned, body: Doc): { readonly code: number; readonly lines: RenderedLine[] } {
    const trailing = this.attachments.trailing.get(n) ?? [];
    const sameLine = trailing
      .filter((c) => c.placement !== "ownLine")
      .map((c) => this.comment(c.comment, true));
    const below = trailing.filter((c) => c.placement === "ownLine");
    const lines = render([body, sameLine], WIDTH);
    let cut = lines.length;
    while (cut > 0 && lines[cut - 1]?.commentOnly !== null) cut--;
    const pushedOff = lines
      .slice(cut)
      .map((l) => (l.commentOnly === "start" ? { ...l, code: l.code.trimStart() } : l));
    const closing = [...pushedOff, ...this.commentBlock(below, Number.NEGATIVE_INFINITY)];
    return { code: cut, lines: closing.length === 0 ? lines : [...lines.slice(0, cut), BLANK, ...closing] };
  }

  /**
   * Comments on lines of their own at the top level: comments written on one
   * line stay on one line, and blank lines written between them are kept, as
   * is one after the last if the code that follows on `nextLine` was written
   * a blank line below.
   */
  private commentBlock(comments: readonly AttachedComment[], nextLine: number): RenderedLine[] {
    const out: RenderedLine[] = [];
    let line: Doc[] = [];
    comments.forEach((c, i) => {
      line.push(line.length === 0 ? "" : " ", this.comment(c.comment));
      const following = comments[i + 1];
      if (following !== undefined && following.comment.span.line === endLine(c.comment)) return;
      const next = following?.comment.span.line ?? nextLine;
      out.push(...render(line, WIDTH));
      line = [];
      if (next - endLine(c.comment) >= 2) out.push(BLANK);
    });
    return out;
  }

  private header(h: ast.PolicyHeader | ast.ModuleHeader): Doc {
    if (h.kind === "ModuleHeader") return ["module ", this.qualifiedName(h.name)];
    return ["policy ", this.qualifiedName(h.name), " version ", this.string(h.version)];
  }

  private item(item: ast.Item): Doc {
    switch (item.kind) {
      case "Import":
        return this.import(item);
      case "McpImport":
        return ["import mcp ", this.string(item.path), " as ", this.name(item.prefix)];
      case "ToolDecl":
        return this.tool(item);
      case "FactDecl":
        return ["fact ", this.name(item.name), ": ", this.type(item.type)];
      case "ConstDecl":
        return ["const ", this.name(item.name), " = ", this.expr(item.value)];
      case "ParamDecl":
        return ["param ", this.name(item.name), ": ", this.type(item.type), " = ", this.expr(item.value)];
      case "CategoryDecl":
        return ["category ", this.nameList(item.names)];
      case "ClassifyRule":
        return this.classify(item);
      case "Rule":
        return this.rule(item);
      case "DefaultDecl":
        return `default ${item.posture}`;
    }
  }

  private import(item: ast.Import): Doc {
    // `std/name` is one token: no comment may come between `std/` and the name. (Comments are
    // never attached to the source itself: see TRANSPARENT_KINDS in comments.ts.)
    const source =
      item.source.kind === "StdSource"
        ? this.node(item.source.name, `std/${item.source.name.text}`)
        : this.string(item.source.path);
    if (item.bindings.length === 0) return ["import ", source];
    const bindings = item.bindings.map((b) =>
      this.node(b, [this.name(b.name), " = ", this.expr(b.value)], "line"),
    );
    return [
      "import ",
      source,
      " with ",
      group(["{", indent([line, join([",", line], bindings)]), line, "}"]),
    ];
  }

  // -- tools -------------------------------------------------------------------

  private tool(t: ast.ToolDecl): Doc {
    const clauses: { readonly at: number; readonly doc: Doc }[] = [];
    if (t.args !== null) clauses.push({ at: t.args[0]?.span.start ?? -1, doc: this.args(t.args) });
    if (t.effect !== null) {
      clauses.push({
        at: t.effect.span.start,
        doc: this.node(t.effect, `effect ${t.effect.effect}`, "line"),
      });
    }
    if (t.target !== null) {
      clauses.push({
        at: t.target.span.start,
        doc: this.node(t.target, ["target ", this.expr(t.target.expr)], "line"),
      });
    }
    if (t.output !== null) {
      clauses.push({
        at: t.output.span.start,
        doc: this.node(t.output, ["output ", this.nameList(t.output.labels)], "line"),
      });
    }
    const head = ["tool ", this.qualifiedName(t.name), " {"];
    if (clauses.length === 0) return [head, "}"];
    const body = inSourceOrder(clauses).map((c) => [hardline, c.doc]);
    return [head, indent(body), hardline, "}"];
  }

  /**
   * `args { a: string, b?: number }`, or one argument per line. The block has
   * no node of its own, so comments above it belong to the first argument and
   * are written above `args`.
   */
  private args(args: readonly ast.ArgDecl[]): Doc {
    const [first] = args;
    if (first === undefined) return "args {}";
    const decls = args.map((a) =>
      this.node(
        a,
        [this.name(a.name), a.optional ? "?" : "", ": ", this.type(a.type)],
        a === first ? "hoisted" : "line",
      ),
    );
    return [this.above(first), group(["args {", indent([line, join([",", line], decls)]), line, "}"])];
  }

  private type(t: ast.TypeExpr): Doc {
    return this.node(t, typeText(t));
  }

  // -- rules -------------------------------------------------------------------

  private classify(c: ast.ClassifyRule): Doc {
    const head = [
      "classify ",
      this.name(c.name),
      c.on.length > 0 ? [" on ", this.qualifiedNameList(c.on)] : "",
    ];
    const first = c.labels[0];
    const labels = [
      first === undefined ? "" : this.above(first),
      "label ",
      this.nameList(c.labels, "hoisted"),
    ];
    return [head, indent([hardline, this.clause("when ", c.when), hardline, labels])];
  }

  private rule(r: ast.Rule): Doc {
    const head = [
      r.ruleKind,
      " ",
      this.name(r.name),
      r.on.length > 0 ? [" on ", this.qualifiedNameList(r.on)] : "",
    ];
    const clauses: Clause[] = [];
    if (r.when !== null) {
      clauses.push({ at: r.when.span.start, doc: this.clause("when ", r.when), family: null });
    }
    if (r.unless !== null) {
      clauses.push({ at: r.unless.span.start, doc: this.clause("unless ", r.unless), family: null });
    }
    if (r.deferral !== null) clauses.push(...this.deferral(r.deferral, r.approval));
    if (r.approval !== null) clauses.push(...this.approval(r.approval));
    for (const op of r.modifications) {
      clauses.push({ at: op.span.start, doc: this.node(op, this.modOp(op), "line"), family: null });
    }
    if (r.risk !== null) {
      clauses.push({
        at: r.risk.span.start,
        doc: this.node(r.risk, `risk ${r.risk.level}`, "line"),
        family: null,
      });
    }
    if (r.because !== null) {
      clauses.push({ at: r.because.span.start, doc: this.clause("because ", r.because), family: null });
    }
    const lines = clauseLines(clauses);
    const [only] = lines;
    if (lines.length === 1 && only !== undefined && r.when !== null && clauses.length === 1) {
      // `allow reads when effect == read`: a rule with nothing but a condition stays on one line if it fits.
      return group([head, indent([line, only])]);
    }
    return [head, indent(lines.map((l) => [hardline, l]))];
  }

  /** A clause whose keyword is not part of its node: the node's comments go above the keyword. */
  private clause(keyword: string, node: ast.Expr | ast.StringLiteral): Doc {
    return [this.above(node), keyword, this.expr(node, "hoisted")];
  }

  /**
   * `needs a, b`, `timeout 5m`, `then step_up`. `then deny` is the default
   * and is written only where the source wrote it after the other deferral
   * clauses, the one place where dropping it could move a comment out of the
   * rule. `then step_up` comes after the deferral's timeout and before the
   * step-up's clauses, as it must.
   */
  private deferral(d: ast.DeferralClause, approval: ast.ApprovalClause | null): Clause[] {
    const parts: Clause[] = [];
    const firstNeed = d.needs[0];
    if (firstNeed !== undefined) {
      const doc = [this.above(firstNeed), "needs ", this.nameList(d.needs, "hoisted")];
      parts.push({ at: firstNeed.span.start, doc, family: "deferral" });
    }
    if (d.timeout !== null) {
      parts.push({
        at: d.timeout.span.start,
        doc: this.keyed("timeout ", d.timeout, d.timeout.text),
        family: "deferral",
      });
    }
    if (d.then === "step_up" && approval !== null) {
      // Between the deferral's timeout and the step-up's clauses, whatever the spans (an AST built
      // by a program may have none that mean anything; equal positions keep the order pushed).
      const at = Math.max(approval.span.start - 0.5, d.timeout?.span.start ?? Number.NEGATIVE_INFINITY);
      parts.push({ at, doc: "then step_up", family: "deferral" });
    } else {
      const lastEnd = Math.max(d.needs.at(-1)?.span.end ?? d.span.start, d.timeout?.span.end ?? d.span.start);
      if (d.span.end > lastEnd) parts.push({ at: d.span.end - 0.5, doc: "then deny", family: "deferral" });
    }
    return parts;
  }

  /**
   * `approvers […]`, `quorum 1`, `timeout 15m`, `escalate after 5m to […]`,
   * `self_approval` (which has no position in the AST: placed at the end).
   */
  private approval(a: ast.ApprovalClause): Clause[] {
    const first = a.approvers[0];
    const approvers = [
      first === undefined ? "" : this.above(first),
      "approvers ",
      this.stringList(a.approvers, true),
    ];
    const parts: Clause[] = [{ at: first?.span.start ?? a.span.start, doc: approvers, family: "approval" }];
    if (a.quorum !== null) {
      const doc = this.keyed("quorum ", a.quorum, formatNumber(a.quorum.value));
      parts.push({ at: a.quorum.span.start, doc, family: "approval" });
    }
    if (a.timeout !== null) {
      parts.push({
        at: a.timeout.span.start,
        doc: this.keyed("timeout ", a.timeout, a.timeout.text),
        family: "approval",
      });
    }
    if (a.escalation !== null) {
      const e = a.escalation;
      const doc = this.node(
        e,
        ["escalate after ", this.node(e.after, e.after.text), " to ", this.stringList(e.to)],
        "line",
      );
      parts.push({ at: e.span.start, doc, family: "approval" });
    }
    if (a.selfApproval) parts.push({ at: a.span.end, doc: "self_approval", family: "approval" });
    return parts;
  }

  /** `keyword value` where the value is a node: its comments go above the keyword. */
  private keyed(keyword: string, node: Spanned, body: Doc): Doc {
    return [this.above(node), keyword, this.node(node, body, "hoisted")];
  }

  private modOp(op: ast.ModOp): Doc {
    const path = this.argPath(op.path);
    switch (op.kind) {
      case "SetOp":
        return ["set ", path, " = ", this.expr(op.value)];
      case "RemoveOp":
        return ["remove ", path];
      case "ClampOp":
        return ["clamp ", path, " to ", this.expr(op.min), "..", this.expr(op.max)];
      case "RedactOp":
        return [
          "redact ",
          path,
          op.pattern === null ? "" : [" matching ", this.node(op.pattern, regexText(op.pattern))],
        ];
    }
  }

  // -- expressions -------------------------------------------------------------

  /** An expression with its comments, parenthesized if it binds looser than `min`. */
  private expr(e: ast.Expr, at: At = "mid", min = 0): Doc {
    const doc = this.node(e, this.exprBody(e), at);
    return precedence(e) < min ? ["(", doc, ")"] : doc;
  }

  private exprBody(e: ast.Expr): Doc {
    switch (e.kind) {
      case "StringLiteral":
        return quoteString(e.value);
      case "NumberLiteral":
        return formatNumber(e.value);
      case "BoolLiteral":
        return e.value ? "true" : "false";
      case "DurationLiteral":
        return e.text;
      case "RegexLiteral":
        return regexText(e);
      case "SetLiteral":
        return this.bracketed(
          "{",
          "}",
          e.elements.map((x) => this.expr(x, "line")),
        );
      case "ListLiteral":
        return this.bracketed(
          "[",
          "]",
          e.elements.map((x) => this.expr(x, "line")),
        );
      case "Ref":
        return refText(e);
      case "ArgPath":
        return argPathText(e);
      case "Unary":
        return e.op === "not"
          ? ["not ", this.expr(e.operand, "mid", NOT_PRECEDENCE)]
          : // `- -x`, not `--x`: two operators, so written as two.
            [
              e.operand.kind === "Unary" && e.operand.op === "-" ? "- " : "-",
              this.expr(e.operand, "mid", NEGATE_PRECEDENCE),
            ];
      case "Binary":
        return e.op === "and" || e.op === "or" ? this.chain(e) : this.binary(e);
      case "Call":
        return [
          this.node(e.callee, refText(e.callee)),
          this.bracketed(
            "(",
            ")",
            e.args.map((x) => this.expr(x, "line")),
          ),
        ];
      case "SeenQuery": {
        const [first, ...rest] = e.steps;
        const steps = [
          first === undefined ? "" : this.expr(first, "line"),
          ...rest.map((s) => [line, this.above(s), "then ", this.expr(s, "hoisted")]),
        ];
        return this.query("session.seen", [group(steps)], e.within);
      }
      case "CountQuery":
        return this.query("session.count", [this.expr(e.where, "line")], e.within);
      case "SumQuery":
        return this.query("session.sum", [this.string(e.tool, "line"), this.name(e.arg, "line")], e.within);
      case "Paren":
        return ["(", this.expr(e.expr), ")"];
    }
  }

  private binary(e: ast.Binary): Doc {
    const p = PRECEDENCE[e.op];
    const leftMin = p === COMPARISON_PRECEDENCE ? p + 1 : p;
    return [this.expr(e.left, "mid", leftMin), " ", e.op, " ", this.expr(e.right, "mid", p + 1)];
  }

  /**
   * `a and b and c`: flat if it fits, else broken before each operator with
   * the operators indented one step. An `and` chain that opens an `or` chain
   * is indented one step further, so the nesting shows:
   *
   *     when a
   *         and b
   *       or c
   *         and d
   */
  private chain(e: ast.Binary): Doc {
    const spine: ast.Binary[] = [];
    let first: ast.Expr = e;
    while (first.kind === "Binary" && first.op === e.op) {
      spine.unshift(first);
      first = first.left;
    }
    const p = PRECEDENCE[e.op];
    const firstDoc = this.expr(first, "mid", p);
    const nested = first.kind === "Binary" && (first.op === "and" || first.op === "or");
    const rest = spine.map((b) => [
      line,
      this.above(b.right),
      e.op,
      " ",
      this.expr(b.right, "hoisted", p + 1),
      // The outermost link's own trailing comments are written by its caller.
      b === e ? "" : this.trailing(b),
    ]);
    return group([nested ? indent(firstDoc) : firstDoc, indent(rest)]);
  }

  private query(name: string, args: Doc[], within: ast.DurationLiteral | null): Doc {
    if (within !== null) args.push(this.keyed("within ", within, within.text));
    return [name, this.bracketed("(", ")", args)];
  }

  /** `{a, b}`, `[a, b]`, `f(a, b)`: one line if it fits, else one element per line. */
  private bracketed(open: string, close: string, elements: readonly Doc[]): Doc {
    if (elements.length === 0) return open + close;
    return group([open, indent([softline, join([",", line], elements)]), softline, close]);
  }

  // -- names and literals ------------------------------------------------------

  private name(n: ast.Name, at: At = "mid"): Doc {
    return this.node(n, n.text, at);
  }

  private qualifiedName(n: ast.QualifiedName): Doc {
    return this.node(n, n.text);
  }

  private string(s: ast.StringLiteral, at: At = "mid"): Doc {
    return this.node(s, quoteString(s.value), at);
  }

  private argPath(p: ast.ArgPath): Doc {
    return this.node(p, argPathText(p));
  }

  /** `a, b, c` after a keyword: one line if it fits, else one per line, indented two steps. */
  private nameList(names: readonly ast.Name[], firstAt: At = "mid"): Doc {
    return this.list(names.map((n, i) => this.name(n, i === 0 ? firstAt : "line")));
  }

  private qualifiedNameList(names: readonly ast.QualifiedName[]): Doc {
    return this.list(names.map((n, i) => this.node(n, n.text, i === 0 ? "mid" : "line")));
  }

  private list(docs: readonly Doc[]): Doc {
    return group(indent(indent(join([",", line], docs))));
  }

  /** `["a", "b"]`; with `hoistFirst`, the first string's leading comments are the caller's. */
  private stringList(strings: readonly ast.StringLiteral[], hoistFirst = false): Doc {
    return this.bracketed(
      "[",
      "]",
      strings.map((s, i) => this.string(s, hoistFirst && i === 0 ? "hoisted" : "line")),
    );
  }

  // -- comments ----------------------------------------------------------------

  /** A node's document with its comments around it. */
  private node(n: Spanned, body: Doc, at: At = "mid"): Doc {
    const above = at === "hoisted" ? [] : this.above(n);
    const inline = this.inline(n);
    const trailing = this.trailing(n);
    if (above.length === 0 || at === "line") return docNode([above, inline, body, trailing]);
    // Own-line comments in the middle of a line: break the line, and indent the node under them.
    // (The hard line ends any comment pending on the line, as `docNode` would.)
    return indent([hardline, above, inline, body, trailing]);
  }

  private leadingOf(n: Spanned): readonly AttachedComment[] {
    return this.attachments.leading.get(n) ?? [];
  }

  /**
   * Leading comments up to the last one that cannot stay inline, each on its
   * own line. Callers that write a node after a keyword put these above the
   * keyword, at a line start.
   */
  private above(n: Spanned): Doc[] {
    const all = this.attachments.leading.get(n) ?? [];
    const cut = this.inlineFrom(all);
    return all.slice(0, cut).flatMap((c) => [this.comment(c.comment), hardline]);
  }

  /** Leading block comments that shared the node's line: `/* … *\/ node`. */
  private inline(n: Spanned): Doc[] {
    const all = this.attachments.leading.get(n) ?? [];
    return all.slice(this.inlineFrom(all)).flatMap((c) => [this.comment(c.comment), " "]);
  }

  /**
   * Where the run of inline comments at the end of `all` starts: block
   * comments followed by the node on their line. A comment before a
   * multi-line one would not be, so the run stops there.
   */
  private inlineFrom(all: readonly AttachedComment[]): number {
    let cut = all.length;
    while (cut > 0) {
      const c = all[cut - 1];
      if (c === undefined || c.comment.text.startsWith("//") || !c.followedOnLine) break;
      cut--;
      if (c.comment.text.includes("\n")) break;
    }
    return cut;
  }

  private trailing(n: Spanned, ownLine = true): Doc[] {
    const all = (this.attachments.trailing.get(n) ?? []).filter((c) => ownLine || c.placement !== "ownLine");
    return all.map((c) =>
      c.placement === "ownLine"
        ? [hardline, this.comment(c.comment), hardline]
        : this.comment(c.comment, true),
    );
  }

  private comment(c: ast.Comment, endsLine = false): Doc {
    this.printed.add(c);
    // No trailing spaces after a line comment (as Prettier); LF only, inside block comments too.
    const text = c.text.startsWith("//") ? c.text.trimEnd() : c.text.replace(/\r\n?/g, "\n");
    return endsLine ? comment(text, true) : comment(text);
  }
}

/** Clauses in the order they were written; the sort is stable for clauses without a position. */
function inSourceOrder<T extends { readonly at: number }>(clauses: readonly T[]): T[] {
  return [...clauses].sort((a, b) => a.at - b.at);
}

/**
 * A rule clause or one part of its approval or deferral, with where it was
 * written. Parts of one family written next to each other share a line:
 * `approvers ["ops"] quorum 2 timeout 15m`.
 */
interface Clause {
  readonly at: number;
  readonly doc: Doc;
  readonly family: "approval" | "deferral" | null;
}

function clauseLines(clauses: readonly Clause[]): Doc[] {
  const lines: Doc[][] = [];
  let family: Clause["family"] = null;
  for (const c of inSourceOrder(clauses)) {
    const last = lines.at(-1);
    if (last !== undefined && c.family !== null && c.family === family) last.push(c.doc);
    else lines.push([c.doc]);
    family = c.family;
  }
  // Too long for one line: one part per line.
  return lines.map((parts) => (parts.length === 1 ? (parts[0] as Doc) : group(join(line, parts))));
}

function typeText(t: ast.TypeExpr): string {
  return t.kind === "PrimitiveType" ? t.name : `set<${typeText(t.element)}>`;
}

function refText(r: ast.Ref): string {
  return r.path.map((n) => n.text).join(".");
}

function argPathText(p: ast.ArgPath): string {
  return ["args", ...p.segments.map((n) => n.text)].join(".");
}

function regexText(r: ast.RegexLiteral): string {
  return `/${r.source}/${r.flags}`;
}

/**
 * Aligns the trailing comments of consecutive lines into one column, one
 * space after the longest code among them (as gofmt does, and as the
 * examples in docs/language.md are written).
 */
function alignTrailingComments(lines: readonly RenderedLine[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    let j = i;
    let column = 0;
    for (; j < lines.length && lines[j]?.comment !== null && lines[j]?.comment !== undefined; j++)
      column = Math.max(column, lines[j]?.code.length ?? 0);
    if (j === i) {
      out.push(lines[i]?.code ?? "");
      i++;
      continue;
    }
    for (; i < j; i++) out.push(`${lines[i]?.code.padEnd(column)} ${lines[i]?.comment}`);
  }
  return out;
}
