/**
 * Renders diagnostics: for people, rustc/esbuild style with a code frame;
 * for tools, as a stable JSON array.
 *
 * ```text
 * payments.aarm:7:30: error[AARM1001]: expected `=` after `set args.limit`, found `100`
 *    |
 *  7 |   set args.limit 100
 *    |                  ^^^
 *    = help: did you mean `==`?
 * ```
 *
 * @module
 */
import type { Span } from "./ast.ts";
import type { Diagnostic, DiagnosticNote, Severity } from "./diagnostic.ts";

export interface RenderOptions {
  /** ANSI colours; only when asked (a terminal that wants them). */
  readonly color: boolean;
}

/** Longest source line shown whole; longer ones are cut to a window around the span. */
const MAX_LINE = 160;
const TAB = "  ";

const ANSI = {
  bold: "\x1b[1m",
  red: "\x1b[31m",
  yellow: "\x1b[33m",
  blue: "\x1b[34m",
  cyan: "\x1b[36m",
  green: "\x1b[32m",
  reset: "\x1b[0m",
} as const;

type Style = "bold" | "red" | "yellow" | "blue" | "cyan" | "green";

/**
 * Renders diagnostics for a terminal or a log. `readSource` gives the text
 * of a file named in a span, or undefined (then the frame is left out).
 */
export function renderHuman(
  diagnostics: readonly Diagnostic[],
  readSource: (file: string) => string | undefined,
  options: RenderOptions,
): string {
  const paint = (styles: readonly Style[], text: string): string =>
    options.color && text !== "" ? `${styles.map((s) => ANSI[s]).join("")}${text}${ANSI.reset}` : text;
  const sources = new Map<string, string | undefined>();
  const source = (file: string): string | undefined => {
    if (!sources.has(file)) sources.set(file, readSource(file));
    return sources.get(file);
  };
  return diagnostics.map((d) => renderOne(d, source, paint)).join("\n");
}

function renderOne(
  d: Diagnostic,
  source: (file: string) => string | undefined,
  paint: (styles: readonly Style[], text: string) => string,
): string {
  const colour: Style = severityColour(d.severity);
  const frames = [d.span, ...d.notes.map((n) => n.span)].filter((s): s is Span => s !== null);
  const gutter = Math.max(...frames.map((s) => String(s.line).length), 1);
  const out: string[] = [];
  const head = `${paint([colour, "bold"], `${d.severity}[${d.code}]`)}: ${paint(["bold"], d.message)}`;
  out.push(d.span === null ? head : `${paint(["bold"], location(d.span))}: ${head}`);
  if (d.span !== null) out.push(...frame(d.span, source(d.span.file), gutter, colour, paint));
  for (const note of d.notes) out.push(...renderNote(note, source, gutter, paint));
  if (d.suggestion !== null) {
    const help = `did you mean \`${d.suggestion}\`?`;
    out.push(`${" ".repeat(gutter + 1)}${paint(["blue"], "=")} ${paint(["green", "bold"], "help")}: ${help}`);
  }
  return `${out.join("\n")}\n`;
}

function renderNote(
  note: DiagnosticNote,
  source: (file: string) => string | undefined,
  gutter: number,
  paint: (styles: readonly Style[], text: string) => string,
): string[] {
  if (note.span === null) {
    return [
      `${" ".repeat(gutter + 1)}${paint(["blue"], "=")} ${paint(["cyan", "bold"], "note")}: ${note.message}`,
    ];
  }
  return [
    `${paint(["bold"], location(note.span))}: ${paint(["cyan", "bold"], "note")}: ${note.message}`,
    ...frame(note.span, source(note.span.file), gutter, "cyan", paint),
  ];
}

function severityColour(severity: Severity): Style {
  return severity === "error" ? "red" : "yellow";
}

function location(span: Span): string {
  return `${span.file}:${span.line}:${span.column}`;
}

/**
 * The source line of `span` with a caret under its extent (to the end of
 * the line if the span runs on; one caret for an empty span).
 */
function frame(
  span: Span,
  text: string | undefined,
  gutter: number,
  colour: Style,
  paint: (styles: readonly Style[], text: string) => string,
): string[] {
  if (text === undefined || span.start > text.length) return [];
  let lineStart = span.start;
  while (lineStart > 0 && !isLineBreak(text.charCodeAt(lineStart - 1))) lineStart--;
  let lineEnd = span.start;
  while (lineEnd < text.length && !isLineBreak(text.charCodeAt(lineEnd))) lineEnd++;
  let line = text.slice(lineStart, lineEnd);
  let from = span.start - lineStart;
  let to = Math.max(Math.min(span.end, lineEnd) - lineStart, from + 1);
  if (line.length > MAX_LINE) {
    // Keep a window around the span so a minified or hostile line stays readable.
    const windowStart = Math.max(0, from - MAX_LINE / 2);
    const windowEnd = Math.min(line.length, windowStart + MAX_LINE);
    const lead = windowStart > 0 ? "…" : "";
    line = lead + line.slice(windowStart, windowEnd) + (windowEnd < line.length ? "…" : "");
    from = from - windowStart + lead.length;
    to = Math.min(to - windowStart + lead.length, line.length + 1);
  }
  const shownLine = line.replaceAll("\t", TAB);
  const pad = line.slice(0, from).replace(/[^\t]/g, " ").replaceAll("\t", TAB);
  const carets = "^".repeat(Math.max(1, line.slice(from, to).replaceAll("\t", TAB).length));
  const bar = paint(["blue"], "|");
  const number = paint(["blue"], String(span.line).padStart(gutter));
  return [
    `${" ".repeat(gutter + 1)}${bar}`,
    `${number} ${bar} ${shownLine}`,
    `${" ".repeat(gutter + 1)}${bar} ${pad}${paint([colour, "bold"], carets)}`,
  ];
}

function isLineBreak(c: number): boolean {
  return c === 10 || c === 13;
}

/** One diagnostic (or note) location in the JSON form; null fields when there is no span. */
interface JsonLocation {
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
  readonly length: number | null;
}

function jsonLocation(span: Span | null): JsonLocation {
  return span === null
    ? { file: null, line: null, column: null, length: null }
    : { file: span.file, line: span.line, column: span.column, length: span.end - span.start };
}

/**
 * Renders diagnostics as a JSON array for tools. The shape is stable: every
 * key is always present (null when it has no value), in this order.
 */
export function renderJson(diagnostics: readonly Diagnostic[]): string {
  return JSON.stringify(
    diagnostics.map((d) => ({
      code: d.code,
      severity: d.severity,
      message: d.message,
      ...jsonLocation(d.span),
      notes: d.notes.map((n) => ({ message: n.message, ...jsonLocation(n.span) })),
      suggestion: d.suggestion,
    })),
    null,
    2,
  );
}
