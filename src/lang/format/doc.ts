/**
 * A small document algebra and its renderer, after Wadler's "prettier printer"
 * (the design Prettier uses): the printer describes what may break, the
 * renderer decides what does, so a construct is written flat when it fits in
 * the width and broken otherwise.
 *
 * Comments are documents of their own so that the renderer can keep two
 * promises whatever the layout: a `//` comment is always the last thing on its
 * line (it is deferred to the end of the line, as Prettier's `lineSuffix`),
 * and comments come out in the order they were printed. Which groups a comment
 * breaks is chosen so that the output, parsed and formatted again, comes out
 * the same.
 *
 * @module
 */

export type Doc =
  | string
  | readonly Doc[]
  | { readonly type: "indent"; readonly contents: Doc }
  | Group
  | { readonly type: "line"; readonly mode: LineMode }
  | { readonly type: "comment"; readonly text: string; readonly deferred: boolean }
  | { readonly type: "node"; readonly contents: Doc };

/**
 * `space`: a space when flat, a newline when broken; `soft`: nothing when flat;
 * `hard`: always a newline, which breaks the groups it falls inside (see
 * {@link scanBreaks}).
 */
type LineMode = "space" | "soft" | "hard";

interface Group {
  readonly type: "group";
  readonly contents: Doc;
  /** Set when a forced newline falls inside the group (see {@link scanBreaks}): it can never be flat. */
  readonly broken: boolean;
}

export const line: Doc = { type: "line", mode: "space" };
export const softline: Doc = { type: "line", mode: "soft" };
/**
 * A newline. On a line that holds nothing but indentation it only re-indents,
 * so consecutive hard lines never make a blank line: a printer can ask for
 * "start a new line" without knowing whether it is already at one.
 */
export const hardline: Doc = { type: "line", mode: "hard" };

/**
 * A node's text. A comment still waiting for the end of its line is written
 * before the node, and the node goes on a continuation line, indented one
 * step: deferring the comment past the node would attach it to the node when
 * the output is parsed again, and the next formatting would move it.
 */
export function node(contents: Doc): Doc {
  return { type: "node", contents };
}

export function indent(contents: Doc): Doc {
  return { type: "indent", contents };
}

export function group(contents: Doc): Doc {
  const state: BreakScan = { seenText: false, pending: "none", brokenAfterText: false, interior: false };
  scanBreaks(contents, state, true);
  return { type: "group", contents, broken: state.interior };
}

/**
 * A comment, verbatim. A deferred comment is written at the end of the line
 * it is on, after any code that follows it there: every `//` comment, and
 * block comments that end a line (keeping them there keeps them where they
 * attach when the output is parsed again). Other block comments sit inline.
 */
export function comment(text: string, deferred = text.startsWith("//")): Doc {
  return { type: "comment", text, deferred };
}

export function join(separator: Doc, docs: readonly Doc[]): Doc[] {
  return docs.flatMap((d, i) => (i === 0 ? [d] : [separator, d]));
}

/** The state of {@link scanBreaks} over one group. */
interface BreakScan {
  seenText: boolean;
  /** A deferred comment after code, not yet ended by a newline; `line` if it ends with `//`. */
  pending: "none" | "block" | "line";
  /** A forced newline has come after code: code from here on is on a later line. */
  brokenAfterText: boolean;
  interior: boolean;
}

/**
 * Whether a group must break: some forced newline (a hard line, a multi-line
 * block comment, the end of a deferred comment) falls between two pieces of
 * the group's code. A forced newline at the group's edge does not break it: a
 * comment written there belongs, once the output is parsed again, to a node
 * outside the group, and breaking the group for it would make the second
 * formatting differ from the first.
 *
 * A deferred comment ends at the first newline after it: the group's own next
 * line, a hard line, the next node or the next inline comment. Code before
 * that newline is written before the comment, on its line.
 *
 * `direct`: the lines met are the group's own (or a broken inner group's), so
 * they will be newlines.
 */
function scanBreaks(doc: Doc, s: BreakScan, direct: boolean): void {
  if (s.interior) return;
  if (typeof doc === "string") {
    if (doc.trim() === "") return;
    if (s.brokenAfterText) s.interior = true;
    s.seenText = true;
    return;
  }
  if (isDocArray(doc)) {
    for (const d of doc) scanBreaks(d, s, direct);
    return;
  }
  switch (doc.type) {
    case "indent":
      scanBreaks(doc.contents, s, direct);
      return;
    case "group":
      scanBreaks(doc.contents, s, doc.broken);
      return;
    case "line":
      if (doc.mode === "hard") forcedNewline(s);
      else if (direct) endPendingComment(s);
      return;
    case "node":
      endPendingComment(s);
      scanBreaks(doc.contents, s, direct);
      return;
    case "comment":
      if (doc.deferred) {
        // Deferred comments share the end of a line unless a `//` comment is already there;
        // then they wait for the next line, which that comment's end starts anyway.
        if (s.pending !== "line" && s.seenText) s.pending = doc.text.startsWith("//") ? "line" : "block";
      } else {
        // An inline comment must not overtake a deferred one: it starts a new line.
        endPendingComment(s);
        if (doc.text.includes("\n")) forcedNewline(s);
      }
      return;
  }
}

function endPendingComment(s: BreakScan): void {
  if (s.pending === "none") return;
  s.pending = "none";
  s.brokenAfterText = true;
}

function forcedNewline(s: BreakScan): void {
  endPendingComment(s);
  if (s.seenText) s.brokenAfterText = true;
}

function isDocArray(doc: Doc): doc is readonly Doc[] {
  return Array.isArray(doc);
}

// ---------------------------------------------------------------------------
// Rendering

/** One output line: its code (indentation included) and the comments deferred to its end, if any. */
export interface RenderedLine {
  readonly code: string;
  readonly comment: string | null;
  /**
   * The line holds comments and no code: `start` where a comment begins,
   * `continued` for the further lines of a block comment that began so.
   */
  readonly commentOnly: "start" | "continued" | null;
}

type Mode = "flat" | "break";

interface Command {
  readonly indent: number;
  readonly mode: Mode;
  readonly doc: Doc;
}

/** Lays a document out in `width` columns. */
export function render(doc: Doc, width: number): RenderedLine[] {
  const out = new LineBuilder();
  const commands: Command[] = [{ indent: 0, mode: "break", doc }];
  for (let cmd = commands.pop(); cmd !== undefined; cmd = commands.pop()) {
    const { indent: ind, mode, doc: d } = cmd;
    if (typeof d === "string") {
      out.text(d);
    } else if (isDocArray(d)) {
      for (let i = d.length - 1; i >= 0; i--) commands.push({ indent: ind, mode, doc: d[i] as Doc });
    } else {
      switch (d.type) {
        case "indent":
          commands.push({ indent: ind + 2, mode, doc: d.contents });
          break;
        case "group": {
          const flat =
            !d.broken &&
            (mode === "flat" ||
              fits({ indent: ind, mode: "flat", doc: d.contents }, commands, width, out.column()));
          commands.push({ indent: ind, mode: flat ? "flat" : "break", doc: d.contents });
          break;
        }
        case "line":
          if (mode === "break" || d.mode === "hard") out.newline(ind);
          else if (d.mode === "space") out.text(" ");
          break;
        case "comment":
          if (d.deferred) out.deferredComment(d.text);
          else out.blockComment(d.text, ind);
          break;
        case "node":
          if (out.hasPendingComment()) {
            out.newline(ind + 2);
            commands.push({ indent: ind + 2, mode, doc: d.contents });
          } else {
            commands.push({ indent: ind, mode, doc: d.contents });
          }
          break;
      }
    }
  }
  return out.finish();
}

/**
 * Whether `next` laid flat, followed by the commands after it up to their
 * first newline, fits in `width` from `column`. A hard line inside a flat
 * group (a comment at its edge) starts a fresh line that must fit too.
 */
function fits(next: Command, rest: readonly Command[], width: number, column: number): boolean {
  const stack: Command[] = [next];
  let restIndex = rest.length;
  let remaining = width - column;
  while (remaining >= 0) {
    let item = stack.pop();
    if (item === undefined) {
      item = rest[--restIndex];
      if (item === undefined) return true;
    }
    const { indent: ind, mode, doc } = item;
    if (typeof doc === "string") {
      remaining -= doc.length;
    } else if (isDocArray(doc)) {
      for (let i = doc.length - 1; i >= 0; i--) stack.push({ indent: ind, mode, doc: doc[i] as Doc });
    } else {
      switch (doc.type) {
        case "indent":
          stack.push({ indent: ind + 2, mode, doc: doc.contents });
          break;
        case "group":
          stack.push({ indent: ind, mode: doc.broken ? "break" : mode, doc: doc.contents });
          break;
        case "line":
          if (mode === "break") return true;
          if (doc.mode === "hard") remaining = width - ind;
          else if (doc.mode === "space") remaining -= 1;
          break;
        case "comment":
          // A line comment is deferred to the end of the line and does not take room before it.
          if (!doc.deferred) {
            const lines = doc.text.split("\n");
            remaining -= lines[0]?.length ?? 0;
            if (lines.length > 1 && remaining >= 0) remaining = width - (lines.at(-1)?.length ?? 0);
          }
          break;
        case "node":
          stack.push({ indent: ind, mode, doc: doc.contents });
          break;
      }
    }
  }
  return false;
}

/** Accumulates output lines; owns trailing-space trimming and the deferral of line comments. */
class LineBuilder {
  private readonly lines: RenderedLine[] = [];
  private current = "";
  /** What the current line holds if it holds comments only (see {@link RenderedLine}). */
  private currentKind: RenderedLine["commentOnly"] = null;
  /** The deferred comments waiting for the end of the current line. */
  private pending: string | null = null;
  /** The pending comments end with a `//` comment. */
  private pendingEndsLine = false;
  /** Comments that could not join a line ending with `//`: each starts the next line. */
  private queued: string[] = [];

  column(): number {
    return this.current.length;
  }

  hasPendingComment(): boolean {
    return this.pending !== null;
  }

  text(s: string): void {
    if (s.trim() === "") {
      this.current += s;
      return;
    }
    this.emitQueued(s);
    this.currentKind = null;
    this.current += s;
  }

  newline(indent: number): void {
    const blank = this.current.trim() === "";
    if (blank && this.pending === null) {
      this.emitQueued(null);
      this.current = " ".repeat(indent);
      return;
    }
    const [first = "", ...more] = this.pending?.split("\n") ?? [];
    let kind = this.currentKind;
    if (this.pending !== null && blank) {
      // A comment alone on its line is the line's code, not a trailing comment.
      kind = "start";
      this.lines.push({ code: this.current + first, comment: null, commentOnly: kind });
    } else {
      this.lines.push({
        code: this.current.trimEnd(),
        comment: this.pending === null ? null : first,
        commentOnly: kind,
      });
    }
    // The further lines of a deferred block comment, verbatim.
    const further = kind === null ? null : "continued";
    for (const verbatim of more) this.lines.push({ code: verbatim, comment: null, commentOnly: further });
    this.pending = null;
    this.pendingEndsLine = false;
    this.currentKind = null;
    this.current = " ".repeat(indent);
  }

  deferredComment(text: string): void {
    if (this.pendingEndsLine) {
      // Nothing can follow a `//` comment on its line: this one starts the next line.
      this.queued.push(text);
      return;
    }
    this.emitQueued(null);
    this.pending = this.pending === null ? text : `${this.pending} ${text}`;
    this.pendingEndsLine = text.startsWith("//");
  }

  blockComment(text: string, indent: number): void {
    // An inline comment must not overtake a deferred one: it starts a new line.
    if (this.pending !== null) this.newline(indent);
    this.emitQueued(null);
    if (this.current.trim() === "") this.currentKind = "start";
    const parts = text.split("\n");
    // Lines inside a block comment are verbatim: no trimming, no re-indentation.
    for (let i = 0; i < parts.length - 1; i++) {
      this.lines.push({
        code: this.current + (parts[i] ?? ""),
        comment: null,
        commentOnly: this.currentKind,
      });
      this.current = "";
      if (this.currentKind !== null) this.currentKind = "continued";
    }
    this.current += parts[parts.length - 1] ?? "";
  }

  /**
   * Writes the comments pushed off the previous line, each on a line of its
   * own, before what starts this line (`next`, or nothing): indented as this
   * line, or one step deeper when it closes a bracket, inside which they are.
   */
  private emitQueued(next: string | null): void {
    if (this.queued.length === 0 || this.pending !== null) return;
    const queued = this.queued;
    this.queued = [];
    const depth = this.current.length + (next !== null && /^\s*[)\]}]/.test(next) ? 2 : 0);
    const resume = this.current;
    for (const text of queued) {
      this.current = " ".repeat(depth);
      this.pending = text;
      this.pendingEndsLine = text.startsWith("//");
      this.newline(0);
    }
    this.current = resume;
  }

  finish(): RenderedLine[] {
    if (this.current.trim() !== "" || this.pending !== null) this.newline(0);
    this.emitQueued(null);
    return this.lines;
  }
}
