/**
 * Turns user-written JSON (an action file, a context file) into the decision
 * contract's `EvalInput`, filling documented defaults and rejecting anything
 * malformed with the JSON path of the problem.
 *
 * @module
 */
import type { EvalAction, EvalIdentity, EvalInput, HistoryEntry, Json, Snapshot } from "../ir/contract.ts";
import { CliError } from "./errors.ts";

type JsonObject = { readonly [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

class Reader {
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }

  fail(path: string, expected: string): never {
    throw new CliError(`${this.file}: ${path || "/"}: expected ${expected}`);
  }

  object(value: unknown, path: string): JsonObject {
    return isObject(value) ? value : this.fail(path, "an object");
  }

  optionalString(value: unknown, path: string): string | undefined {
    if (value === undefined) return undefined;
    return typeof value === "string" ? value : this.fail(path, "a string");
  }

  string(value: unknown, path: string): string {
    return typeof value === "string" ? value : this.fail(path, "a string");
  }

  optionalNumber(value: unknown, path: string): number | undefined {
    if (value === undefined) return undefined;
    return typeof value === "number" && Number.isFinite(value) ? value : this.fail(path, "a finite number");
  }

  strings(value: unknown, path: string): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) return this.fail(path, "an array of strings");
    return value.map((item, i) => this.string(item, `${path}/${i}`));
  }

  /** A time: epoch milliseconds, or an ISO-8601 string. */
  time(value: unknown, path: string): number {
    if (value === undefined) return 0;
    if (typeof value === "number" && Number.isFinite(value)) return value;
    if (typeof value === "string") {
      const ms = Date.parse(value);
      if (!Number.isNaN(ms)) return ms;
    }
    return this.fail(path, "epoch milliseconds or an ISO-8601 timestamp");
  }
}

function readIdentity(r: Reader, value: unknown, path: string): EvalIdentity {
  const o = r.object(value ?? {}, path);
  const identity: {
    -readonly [K in keyof EvalIdentity]: EvalIdentity[K];
  } = {
    roles: r.strings(o.roles, `${path}/roles`),
    scope: r.strings(o.scope, `${path}/scope`),
    delegation: r.strings(o.delegation, `${path}/delegation`),
  };
  for (const field of ["human", "agent", "service", "session"] as const) {
    const v = r.optionalString(o[field], `${path}/${field}`);
    if (v !== undefined) identity[field] = v;
  }
  return identity;
}

/** Reads an action: `{ tool, args?, time?, identity? }`. */
export function readAction(value: unknown, file: string, path = ""): EvalAction {
  const r = new Reader(file);
  const o = r.object(value, path);
  return {
    tool: r.string(o.tool, `${path}/tool`),
    args: r.object(o.args ?? {}, `${path}/args`),
    time: r.time(o.time, `${path}/time`),
    identity: readIdentity(r, o.identity, `${path}/identity`),
  };
}

function readHistoryEntry(r: Reader, value: unknown, path: string): HistoryEntry {
  const o = r.object(value, path);
  const target = r.optionalString(o.target, `${path}/target`);
  return {
    tool: r.string(o.tool, `${path}/tool`),
    effect: r.string(o.effect, `${path}/effect`),
    args: r.object(o.args ?? {}, `${path}/args`),
    ...(target === undefined ? {} : { target }),
    time: r.time(o.time, `${path}/time`),
    labels: r.strings(o.labels, `${path}/labels`),
  };
}

/** Reads a context snapshot: `{ intent?, scores?, facts?, history? }`; everything defaults to empty. */
export function readSnapshot(value: unknown, file: string, path = ""): Snapshot {
  const r = new Reader(file);
  const o = r.object(value ?? {}, path);
  const scores = r.object(o.scores ?? {}, `${path}/scores`);
  const alignment = r.optionalNumber(scores.alignment, `${path}/scores/alignment`);
  const drift = r.optionalNumber(scores.drift, `${path}/scores/drift`);
  const history: readonly Json[] = Array.isArray(o.history)
    ? o.history
    : o.history === undefined
      ? []
      : r.fail(`${path}/history`, "an array");
  let intent: Snapshot["intent"];
  if (o.intent !== undefined) {
    const i = r.object(o.intent, `${path}/intent`);
    const scope = i.scope === undefined ? undefined : r.strings(i.scope, `${path}/intent/scope`);
    intent = { text: r.string(i.text, `${path}/intent/text`), ...(scope === undefined ? {} : { scope }) };
  }
  return {
    ...(intent === undefined ? {} : { intent }),
    scores: {
      ...(alignment === undefined ? {} : { alignment }),
      ...(drift === undefined ? {} : { drift }),
    },
    facts: r.object(o.facts ?? {}, `${path}/facts`),
    history: history.map((entry, i) => readHistoryEntry(r, entry, `${path}/history/${i}`)),
  };
}

/** Reads a whole evaluation input from an action and an optional snapshot. */
export function readInput(
  action: unknown,
  actionFile: string,
  snapshot: unknown,
  snapshotFile: string,
): EvalInput {
  return { action: readAction(action, actionFile), snapshot: readSnapshot(snapshot, snapshotFile) };
}
