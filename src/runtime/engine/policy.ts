/**
 * The policy a runtime decides with: a compiled IR handed over as is, or a
 * policy file compiled here and hot-reloaded when it (or a file it imports)
 * changes.
 *
 * Reloading polls: every interval the sources the last compilation read are
 * read again and compared, and only a difference triggers a compilation.
 * Polling content, rather than watching the file system, sees atomic
 * replacements by editors and deployment tools and costs a few small reads.
 * A new policy takes effect for decisions that start after it was loaded;
 * each decision takes the policy once, at its start, so it is made and
 * recorded under one version and hash. A reload that fails to compile keeps
 * the policy in force and is reported: a broken edit never leaves the
 * runtime without a policy, nor with half of one.
 *
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import { compile } from "../../compiler.ts";
import type { Ir } from "../../ir/types.ts";
import type { Diagnostic } from "../../lang/diagnostic.ts";
import { fileHost, type SourceHost } from "../../lang/host.ts";
import type { PolicyRef } from "../../schema/generated/types.ts";

/** Where the policy comes from. */
export type PolicySource =
  | { readonly ir: Ir }
  | {
      /** The root `.aarm` file; it may import files in its folder and below, and the standard library. */
      readonly path: string;
      /** How often to look for changes; default 1000 ms. 0 turns polling off (reload by hand). */
      readonly reloadIntervalMs?: number;
    };

/** A policy in force: its IR and how receipts cite it. */
export interface LoadedPolicy {
  readonly ir: Ir;
  readonly ref: PolicyRef;
}

/** The outcome of loading a policy file. */
export type PolicyLoad =
  | { readonly ok: true; readonly policy: LoadedPolicy; readonly changed: boolean }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Thrown by `createRuntime` when the initial policy cannot be compiled: nothing was decided yet. */
export class PolicyLoadError extends Error {
  readonly problems: readonly string[];
  constructor(path: string, problems: readonly string[]) {
    super(`${path}: the policy does not compile: ${problems[0] ?? "unknown problem"}`);
    this.name = "PolicyLoadError";
    this.problems = problems;
  }
}

export const DEFAULT_RELOAD_INTERVAL_MS = 1000;

/** The policy as receipts cite it. */
export function policyRef(ir: Ir): PolicyRef {
  return { name: ir.policy.name, version: ir.policy.version, hash: ir.hash };
}

function describe(d: Diagnostic): string {
  const where = d.span === null ? "" : `${d.span.file}:${d.span.line}:${d.span.column}: `;
  return `${where}${d.code} ${d.message}`;
}

/** A policy file: its name in its folder, and a host over that folder. */
interface PolicyFile {
  readonly root: string;
  readonly host: SourceHost;
  readonly path: string;
}

type Reads = ReadonlyMap<string, string | undefined>;

type Compiled =
  | { readonly ok: true; readonly policy: LoadedPolicy; readonly reads: Reads }
  | { readonly ok: false; readonly problems: readonly string[]; readonly reads: Reads };

/** A host that remembers what it read, so that a later poll can tell whether any source changed. */
function recording(host: SourceHost): {
  readonly host: SourceHost;
  readonly reads: Map<string, string | undefined>;
} {
  const reads = new Map<string, string | undefined>();
  return {
    reads,
    host: {
      read(path) {
        const text = host.read(path);
        reads.set(path, text);
        return text;
      },
    },
  };
}

/** Holds the policy in force and replaces it on a successful reload. */
export class PolicyHolder {
  #current: LoadedPolicy;
  readonly #file: PolicyFile | null;
  #reads: Reads = new Map();
  #timer: ReturnType<typeof setInterval> | null = null;

  private constructor(current: LoadedPolicy, file: PolicyFile | null) {
    this.#current = current;
    this.#file = file;
  }

  /**
   * A holder for `source`; for a file, compiled now. Throws
   * {@link PolicyLoadError} when the file does not compile.
   */
  static open(source: PolicySource): PolicyHolder {
    if ("ir" in source) return new PolicyHolder({ ir: source.ir, ref: policyRef(source.ir) }, null);
    const full = resolve(source.path);
    const file = { root: basename(full), host: fileHost(dirname(full)), path: source.path };
    const compiled = PolicyHolder.#compile(file);
    if (!compiled.ok) throw new PolicyLoadError(source.path, compiled.problems);
    const holder = new PolicyHolder(compiled.policy, file);
    holder.#reads = compiled.reads;
    return holder;
  }

  static #compile(file: PolicyFile): Compiled {
    const { host, reads } = recording(file.host);
    if (host.read(file.root) === undefined) {
      return { ok: false, problems: [`${file.root}: no such file or not readable`], reads };
    }
    const result = compile(file.root, host);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (result.ir === null || errors.length > 0) {
      return { ok: false, problems: (errors.length > 0 ? errors : result.diagnostics).map(describe), reads };
    }
    return { ok: true, policy: { ir: result.ir, ref: policyRef(result.ir) }, reads };
  }

  /** The policy in force. */
  get current(): LoadedPolicy {
    return this.#current;
  }

  /** The policy file, or null when the policy was given compiled. */
  get path(): string | null {
    return this.#file?.path ?? null;
  }

  /** Whether any source the policy was compiled from reads differently now. */
  #stale(): boolean {
    const file = this.#file;
    if (file === null) return false;
    for (const [path, text] of this.#reads) if (file.host.read(path) !== text) return true;
    return false;
  }

  /**
   * Compiles the file again if a source changed (or always, with `force`).
   * On success the new policy is in force; on failure the old one stays and
   * the problems are returned.
   */
  reload(force = false): PolicyLoad {
    const file = this.#file;
    if (file === null || (!force && !this.#stale()))
      return { ok: true, policy: this.#current, changed: false };
    const compiled = PolicyHolder.#compile(file);
    // Remember what this attempt read, so a broken edit is reported once, not at every poll.
    this.#reads = compiled.reads;
    if (!compiled.ok) return { ok: false, problems: compiled.problems };
    const changed = compiled.policy.ir.hash !== this.#current.ir.hash;
    if (changed) this.#current = compiled.policy;
    return { ok: true, policy: this.#current, changed };
  }

  /** Polls for changes every `intervalMs`, passing each reload's outcome to `report`. */
  watch(intervalMs: number, report: (load: PolicyLoad) => void): void {
    if (this.#file === null || intervalMs <= 0 || this.#timer !== null) return;
    this.#timer = setInterval(() => {
      const load = this.reload();
      if (!load.ok || load.changed) report(load);
    }, intervalMs);
    // Polling alone must not keep a process alive.
    this.#timer.unref();
  }

  /** Stops polling. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
