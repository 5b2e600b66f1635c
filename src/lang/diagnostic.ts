/**
 * Diagnostics: the one shape every phase reports problems in.
 *
 * Modelled on esbuild's messages: a stable code (documented in
 * `docs/diagnostics/<code>.md`), a message, a location, notes pointing at
 * related places, and an optional suggestion.
 *
 * @module
 */
import type { Span } from "./ast.ts";

export type Severity = "error" | "warning";

/** A secondary location that helps explain a diagnostic ("first declared here"). */
export interface DiagnosticNote {
  readonly message: string;
  readonly span: Span | null;
}

export interface Diagnostic {
  /** Stable code, e.g. `AARM1001`. Never reused for a different problem. */
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** Where the problem is; null only for problems with no location (an unreadable file). */
  readonly span: Span | null;
  readonly notes: readonly DiagnosticNote[];
  /** A replacement the user probably meant ("did you mean `egress`?"). */
  readonly suggestion: string | null;
}

/** Builds a diagnostic, filling the optional parts. */
export function diagnostic(
  code: string,
  severity: Severity,
  message: string,
  span: Span | null,
  extra: { notes?: readonly DiagnosticNote[]; suggestion?: string | null } = {},
): Diagnostic {
  return { code, severity, message, span, notes: extra.notes ?? [], suggestion: extra.suggestion ?? null };
}

/** Orders diagnostics by file, then position, then code, so output is stable. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      (a.span?.file ?? "").localeCompare(b.span?.file ?? "") ||
      (a.span?.start ?? -1) - (b.span?.start ?? -1) ||
      a.code.localeCompare(b.code),
  );
}
