/**
 * Loading a policy for a command: check it, and either return the checked
 * policy or fail with its diagnostics rendered (exit 2: the policy is input
 * the command cannot use).
 *
 * @module
 */
import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import { checkPolicy } from "../lang/check.ts";
import type { CheckedPolicy } from "../lang/checked.ts";
import type { Diagnostic } from "../lang/diagnostic.ts";
import { fileHost, type SourceHost } from "../lang/host.ts";
import { renderHuman } from "../lang/render.ts";
import { CliError, EXIT } from "./errors.ts";
import type { Io } from "./io.ts";

/** A host rooted at the command's working directory, so diagnostics name files as the user did. */
export function cwdHost(io: Io): SourceHost {
  return fileHost(io.cwd);
}

/** The path of a user-named file relative to the working directory, as hosts expect. */
export function hostPath(io: Io, path: string): string {
  return relative(io.cwd, resolve(io.cwd, path)) || path;
}

/** Renders diagnostics for a human, reading sources through the host. */
export function renderDiagnostics(io: Io, host: SourceHost, diagnostics: readonly Diagnostic[]): string {
  return renderHuman(diagnostics, (file) => host.read(file), { color: io.color });
}

/**
 * A host and root path for a policy file: rooted at the working directory when the file is inside it
 * (so diagnostics name files as the user does), otherwise at the file's own folder.
 */
function policyHost(io: Io, path: string): { host: SourceHost; root: string } {
  const full = resolve(io.cwd, path);
  const inside = relative(io.cwd, full);
  if (!inside.startsWith("..") && !isAbsolute(inside)) return { host: cwdHost(io), root: inside || path };
  return { host: fileHost(dirname(full)), root: basename(full) };
}

/** Checks the policy at `path`; prints warnings; fails with the rendered errors when it has any. */
export function loadPolicy(io: Io, path: string): CheckedPolicy {
  const { host, root } = policyHost(io, path);
  if (host.read(root) === undefined) throw new CliError(`${path}: no such file or not readable`);
  const result = checkPolicy(root, host);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (result.policy === null || errors.length > 0) {
    io.stderr(renderDiagnostics(io, host, result.diagnostics));
    const first = errors[0];
    const where = first?.span ? `${first.span.file}:${first.span.line}:${first.span.column}: ` : `${path}: `;
    throw new CliError(
      `${where}policy has ${errors.length} error${errors.length === 1 ? "" : "s"}${first ? ` (first: ${first.message})` : ""}`,
      EXIT.invalid,
    );
  }
  return result.policy;
}
