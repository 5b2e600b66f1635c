/**
 * Comment attachment: which node each comment belongs to, and how it sat
 * next to it. The printer then writes every comment with its node, so
 * comments follow the code they explain through any change of layout.
 *
 * The method is Prettier's (`src/main/comments/attach.js`): descend to the
 * smallest node enclosing the comment, find the children just before and
 * just after it, and choose by where the comment sat on its line. Only the
 * AST is available, not the text, so "on its own line" is judged from spans:
 * a comment is on its own line when no node ends on that line before it.
 *
 * @module
 */
import type { Comment, SourceFile, Span } from "../ast.ts";

/** Anything in the AST with a span: the nodes, and the `risk` and `escalation` parts of rules. */
export interface Spanned {
  readonly span: Span;
}

/**
 * - `ownLine`: nothing before the comment on its line;
 * - `endOfLine`: code before it and nothing after it;
 * - `remaining`: code on both sides.
 */
type Placement = "ownLine" | "endOfLine" | "remaining";

export interface AttachedComment {
  readonly comment: Comment;
  readonly placement: Placement;
  /** A node starts on the line where the comment ends (so a block comment may stay inline before it). */
  readonly followedOnLine: boolean;
}

export interface Attachments {
  readonly leading: ReadonlyMap<Spanned, readonly AttachedComment[]>;
  readonly trailing: ReadonlyMap<Spanned, readonly AttachedComment[]>;
}

/**
 * Nodes the printer writes as one run of tokens: a comment inside one
 * (between the parts of a dotted name, say) is written before it.
 */
const ATOMIC_KINDS: ReadonlySet<string> = new Set([
  "Name",
  "QualifiedName",
  "Ref",
  "ArgPath",
  "StringLiteral",
  "NumberLiteral",
  "BoolLiteral",
  "DurationLiteral",
  "RegexLiteral",
  "PrimitiveType",
  "SetType",
  "EffectClause",
  "DefaultDecl",
]);

/** Attaches every comment of `file` to a node. */
export function attachComments(file: SourceFile): Attachments {
  const leading = new Map<Spanned, AttachedComment[]>();
  const trailing = new Map<Spanned, AttachedComment[]>();
  const add = (map: Map<Spanned, AttachedComment[]>, node: Spanned, c: AttachedComment) => {
    const list = map.get(node);
    if (list === undefined) map.set(node, [c]);
    else list.push(c);
  };
  const comments = [...file.comments].sort((a, b) => a.span.start - b.span.start);
  const starts = nodeStarts(file);
  let previous: AttachedComment | null = null;
  for (const comment of comments) {
    previous = attach(comment, previous);
  }
  return { leading, trailing };

  function attach(comment: Comment, previous: AttachedComment | null): AttachedComment {
    const { enclosing, inside, preceding, following } = locate(file, comment.span);
    if (inside !== null) {
      // Written before the atomic node: a line comment on a line of its own, a block comment inline.
      // The node that starts there is where the comment attaches when the output is parsed again.
      const before = locate(file, { ...inside.span, end: inside.span.start }).following ?? inside;
      const line = comment.text.startsWith("//");
      const inserted: AttachedComment = {
        comment,
        placement: line ? "ownLine" : "remaining",
        followedOnLine: !line,
      };
      add(leading, before, inserted);
      return inserted;
    }
    const followedOnLine = following !== null && following.span.line === endLine(comment);
    // Comments with no node between them go the same way, so that they keep their order. Right
    // after another on the same line, a comment sits where that one sits (as in Prettier, where
    // only a newline before a comment makes it own-line): after a multi-line block comment's last
    // line, say. Right after a `//` comment, it cannot share that comment's line in the output: it
    // goes on a line of its own there, and is one here.
    const adjacent =
      previous !== null && !startsBetween(starts, previous.comment.span.end, comment.span.start)
        ? previous
        : null;
    const ownLine =
      adjacent?.comment.text.startsWith("//") === true ||
      (adjacent !== null && endLine(adjacent.comment) === comment.span.line
        ? adjacent.placement === "ownLine"
        : !precededOnLine(comment, preceding));
    const attached: AttachedComment = {
      comment,
      placement: ownLine ? "ownLine" : followedOnLine ? "remaining" : "endOfLine",
      followedOnLine,
    };
    if (attached.placement === "endOfLine") {
      if (preceding !== null) add(trailing, preceding, attached);
      else if (following !== null) add(leading, following, attached);
      else add(trailing, enclosing, attached);
    } else if (following !== null) {
      add(leading, following, attached);
    } else if (preceding !== null) {
      add(trailing, preceding, attached);
    } else {
      add(trailing, enclosing, attached);
    }
    return attached;
  }
}

interface Location {
  readonly enclosing: Spanned;
  /** The atomic node the span lies inside, if any. */
  readonly inside: Spanned | null;
  readonly preceding: Spanned | null;
  readonly following: Spanned | null;
}

/** The smallest node strictly around `span`, and its children on either side. */
function locate(root: Spanned, span: Span): Location {
  let enclosing = root;
  for (;;) {
    const children = childrenOf(enclosing);
    // Children are in source order and do not overlap: the one starting last before the span
    // either holds it or precedes it.
    const at = lastStartingBefore(children, span.start);
    const candidate = children[at];
    const container = candidate !== undefined && span.end <= candidate.span.end ? candidate : undefined;
    if (container !== undefined && childrenOf(container).length > 0) {
      enclosing = container;
      continue;
    }
    const preceding = container === undefined ? (candidate ?? null) : (children[at - 1] ?? null);
    const following = children[at + 1] ?? null;
    return { enclosing, inside: container ?? null, preceding, following };
  }
}

/** The index of the last child starting before `offset` (-1 if none). */
function lastStartingBefore(children: readonly Spanned[], offset: number): number {
  let lo = 0;
  let hi = children.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((children[mid]?.span.start ?? 0) < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Where every node starts, sorted. */
function nodeStarts(file: SourceFile): number[] {
  const starts: number[] = [];
  const walk = (node: Spanned) => {
    for (const child of childrenOf(node)) {
      starts.push(child.span.start);
      walk(child);
    }
  };
  walk(file);
  return starts.sort((a, b) => a - b);
}

/** Whether some node starts in `[from, to)`. */
function startsBetween(starts: readonly number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((starts[mid] ?? 0) < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < starts.length && (starts[lo] ?? 0) < to;
}

/** Whether a node ends on the comment's line before it. */
function precededOnLine(c: Comment, preceding: Spanned | null): boolean {
  const lineStart = c.span.start - (c.span.column - 1);
  return preceding !== null && preceding.span.end > lineStart;
}

/** The line a comment ends on. */
export function endLine(c: Comment): number {
  let lines = 0;
  for (const ch of c.text) if (ch === "\n") lines++;
  return c.span.line + lines;
}

/**
 * Nodes whose spans overlap their siblings': a rule's approval and deferral
 * are assembled from clauses that may be interleaved with its other clauses,
 * and an import's source spans its `with { … }` too. Their parts count as
 * children of the parent instead.
 */
const TRANSPARENT_KINDS: ReadonlySet<string> = new Set([
  "ApprovalClause",
  "DeferralClause",
  "PathSource",
  "StdSource",
]);

const childCache = new WeakMap<Spanned, readonly Spanned[]>();

/** The spanned values directly below a node, in source order. */
function childrenOf(node: Spanned): readonly Spanned[] {
  const cached = childCache.get(node);
  if (cached !== undefined) return cached;
  const children: Spanned[] = [];
  if (!ATOMIC_KINDS.has(kindOf(node))) {
    for (const [key, value] of Object.entries(node)) {
      if (key === "span" || key === "comments") continue;
      for (const element of Array.isArray(value) ? value : [value]) {
        if (!isSpanned(element)) continue;
        if (TRANSPARENT_KINDS.has(kindOf(element))) children.push(...childrenOf(element));
        else children.push(element);
      }
    }
    children.sort((a, b) => a.span.start - b.span.start);
  }
  childCache.set(node, children);
  return children;
}

function kindOf(node: Spanned): string {
  return "kind" in node && typeof node.kind === "string" ? node.kind : "";
}

function isSpanned(value: unknown): value is Spanned {
  return (
    typeof value === "object" &&
    value !== null &&
    "span" in value &&
    typeof value.span === "object" &&
    value.span !== null
  );
}
