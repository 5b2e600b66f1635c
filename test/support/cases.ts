/**
 * The language spec cases (`spec-tests/language/**\/*.case`): a loader that
 * parses them, and a suite that runs them against any implementation of the
 * decision contract — the reference interpreter today, the IR evaluator and
 * the generated module later ("one test file against every implementation").
 * The format is documented in `spec-tests/language/README.md`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import type {
  EvalDecision,
  EvalIdentity,
  EvalInput,
  HistoryEntry,
  Json,
  Snapshot,
} from "../../src/ir/contract.ts";
import { checkPolicy } from "../../src/lang/check.ts";
import type { CheckedPolicy, CheckResult } from "../../src/lang/checked.ts";
import { sortDiagnostics } from "../../src/lang/diagnostic.ts";
import { memoryHost, stdlibHost } from "../../src/lang/host.ts";

export const CASES_DIR = fileURLToPath(new URL("../../spec-tests/language/", import.meta.url));

/** The fields of a decision a case may compare. */
const DECISION_FIELDS = [
  "decision",
  "classification",
  "rules",
  "reasons",
  "modifications",
  "approval",
  "deferral",
  "contextNeeded",
  "risk",
] as const satisfies readonly (keyof EvalDecision)[];

export interface DiagnosticExpectation {
  readonly code: string;
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
  readonly length: number | null;
}

export type CaseTest =
  | {
      readonly kind: "decision";
      readonly index: number;
      readonly input: EvalInput;
      readonly expect: Readonly<Partial<Record<(typeof DECISION_FIELDS)[number], unknown>>>;
    }
  | {
      readonly kind: "classify";
      readonly index: number;
      readonly tool: string;
      readonly args: { readonly [name: string]: Json };
      readonly output: string;
      readonly expect: { readonly labels: readonly string[] };
    }
  | {
      readonly kind: "diagnostics";
      readonly index: number;
      readonly expect: readonly DiagnosticExpectation[];
    };

export interface SpecCase {
  /** Path below `spec-tests/language/`, e.g. `precedence/forbid-beats-allow.case`. */
  readonly path: string;
  readonly description: string;
  /** Every file of the policy by name; `root` is the first one in the case. */
  readonly files: Readonly<Record<string, string>>;
  readonly root: string;
  readonly tests: readonly CaseTest[];
}

class CaseFormatError extends Error {}

function fail(path: string, message: string): never {
  throw new CaseFormatError(`${path}: ${message}`);
}

function parseJson(path: string, section: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return fail(path, `--- ${section} is not JSON: ${String(error)}`);
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function onlyKeys(
  path: string,
  where: string,
  value: unknown,
  keys: readonly string[],
): Record<string, unknown> {
  if (!isRecord(value)) fail(path, `${where} must be an object`);
  for (const key of Object.keys(value)) {
    if (!keys.includes(key))
      fail(path, `${where} has unknown field "${key}" (expected one of ${keys.join(", ")})`);
  }
  return value;
}

/** An input with the documented defaults filled in. */
function readInput(path: string, raw: unknown): EvalInput {
  const input = onlyKeys(path, "input", raw, ["action", "snapshot"]);
  const action = onlyKeys(path, "input.action", input.action, ["tool", "args", "time", "identity"]);
  if (typeof action.tool !== "string") fail(path, "input.action.tool must be a string");
  const identity = onlyKeys(path, "input.action.identity", action.identity ?? {}, [
    "human",
    "agent",
    "service",
    "session",
    "roles",
    "scope",
    "delegation",
  ]);
  const snapshot = onlyKeys(path, "input.snapshot", input.snapshot ?? {}, [
    "intent",
    "scores",
    "facts",
    "history",
  ]);
  const history = (snapshot.history ?? []) as readonly Record<string, unknown>[];
  return {
    action: {
      tool: action.tool,
      args: (action.args ?? {}) as { [name: string]: Json },
      time: (action.time ?? 0) as number,
      identity: { roles: [], scope: [], delegation: [], ...identity } as EvalIdentity,
    },
    snapshot: {
      ...(snapshot.intent === undefined
        ? {}
        : { intent: snapshot.intent as NonNullable<Snapshot["intent"]> }),
      scores: (snapshot.scores ?? {}) as Snapshot["scores"],
      facts: (snapshot.facts ?? {}) as Snapshot["facts"],
      history: history.map((raw, i): HistoryEntry => {
        const entry = onlyKeys(path, `history[${i}]`, raw, [
          "tool",
          "effect",
          "args",
          "target",
          "time",
          "labels",
        ]);
        return {
          tool: entry.tool as string,
          effect: entry.effect as string,
          args: (entry.args ?? {}) as { [name: string]: Json },
          ...(entry.target === undefined ? {} : { target: entry.target as string }),
          time: (entry.time ?? 0) as number,
          labels: (entry.labels ?? []) as string[],
        };
      }),
    },
  };
}

/** Splits a case file into its description and `--- name` sections, in order. */
function sections(path: string, text: string): { description: string; sections: [string, string][] } {
  const lines = text.split("\n");
  const first = lines[0] ?? "";
  if (!first.startsWith("# ")) fail(path, "the first line must be `# <description>`");
  const out: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (line.startsWith("--- ")) out.push([line.slice(4).trim(), ""]);
    else if (out.length > 0) (out[out.length - 1] as [string, string])[1] += `${line}\n`;
    else if (line.trim() !== "" && !line.startsWith("#")) fail(path, "text before the first `--- ` section");
  }
  return { description: first.slice(2).trim(), sections: out };
}

export function parseCase(path: string, text: string): SpecCase {
  const parsed = sections(path, text);
  const files: Record<string, string> = {};
  const tests: CaseTest[] = [];
  let pending: { kind: "input" | "classify"; value: unknown } | null = null;
  for (const [name, body] of parsed.sections) {
    if (name === "input" || name === "classify") {
      if (pending !== null) fail(path, `--- ${pending.kind} without --- expect`);
      pending = { kind: name, value: parseJson(path, name, body) };
    } else if (name === "expect") {
      const expectation = parseJson(path, name, body);
      const index = tests.length + 1;
      if (pending === null) {
        const diagnostics = onlyKeys(path, "expect", expectation, ["diagnostics"]).diagnostics;
        if (!Array.isArray(diagnostics)) fail(path, 'a lone --- expect must be {"diagnostics": [...]}');
        tests.push({ kind: "diagnostics", index, expect: diagnostics as DiagnosticExpectation[] });
      } else if (pending.kind === "input") {
        const expected = onlyKeys(path, "expect", expectation, DECISION_FIELDS);
        tests.push({ kind: "decision", index, input: readInput(path, pending.value), expect: expected });
      } else {
        const call = onlyKeys(path, "classify", pending.value, ["tool", "args", "output"]);
        const labels = onlyKeys(path, "expect", expectation, ["labels"]).labels;
        if (typeof call.tool !== "string" || typeof call.output !== "string" || !Array.isArray(labels)) {
          fail(path, 'classify needs a tool and an output, and its expect {"labels": [...]}');
        }
        const args = (call.args ?? {}) as { [name: string]: Json };
        tests.push({
          kind: "classify",
          index,
          tool: call.tool,
          args,
          output: call.output,
          expect: { labels },
        });
      }
      pending = null;
    } else {
      if (Object.hasOwn(files, name)) fail(path, `file ${name} appears twice`);
      files[name] = body;
    }
  }
  if (pending !== null) fail(path, `--- ${pending.kind} without --- expect`);
  const root = Object.keys(files)[0];
  if (root === undefined) fail(path, "no policy file");
  if (tests.length === 0) fail(path, "no --- expect");
  return { path, description: parsed.description, files, root, tests };
}

/** Every case below `dir`, sorted by path. */
export function loadCases(dir: string = CASES_DIR): SpecCase[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".case"))
    .map((file) => file.split("\\").join("/"))
    .sort()
    .map((file) => parseCase(file, readFileSync(join(dir, file), "utf8")));
}

/** Checks a case's policy as the CLI would: in-memory files, the standard library behind them. */
export function checkCase(c: SpecCase): CheckResult {
  return checkPolicy(c.root, memoryHost(c.files, stdlibHost()));
}

/** What an implementation of the decision contract offers the suite. */
export interface Implementation {
  readonly name: string;
  /** Prepares (compiles) a checked policy once per case file. */
  prepare(policy: CheckedPolicy): PreparedPolicy;
}

export interface PreparedPolicy {
  evaluate(input: EvalInput): EvalDecision;
  /** Optional: implementations without output labelling skip the classify tests. */
  labelOutput?(tool: string, args: { readonly [name: string]: Json }, output: string): string[];
}

function describeDiagnostics(result: CheckResult): DiagnosticExpectation[] {
  return sortDiagnostics(result.diagnostics).map((d) => ({
    code: d.code,
    file: d.span?.file ?? null,
    line: d.span?.line ?? null,
    column: d.span?.column ?? null,
    length: d.span === null ? null : d.span.end - d.span.start,
  }));
}

function pick(decision: EvalDecision, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, decision[key as keyof EvalDecision]]));
}

/**
 * Registers one vitest test per expectation of every case, run against `impl`. Diagnostics cases
 * are about the checker, not the evaluator; they run when `diagnostics` is set.
 */
export function describeCases(impl: Implementation, options: { diagnostics?: boolean } = {}): void {
  for (const c of loadCases()) {
    const tests = c.tests.filter((t) => options.diagnostics === true || t.kind !== "diagnostics");
    if (tests.length === 0) continue;
    describe(c.path, () => {
      let prepared: { result: CheckResult; policy: PreparedPolicy | null } | null = null;
      const prepare = () => {
        if (prepared === null) {
          const result = checkCase(c);
          prepared = { result, policy: result.policy === null ? null : impl.prepare(result.policy) };
        }
        return prepared;
      };
      const usable = () => {
        const { result, policy } = prepare();
        if (policy === null) {
          const lines = sortDiagnostics(result.diagnostics).map(
            (d) => `${d.code} ${d.span?.file ?? ""}:${d.span?.line ?? 0}:${d.span?.column ?? 0} ${d.message}`,
          );
          throw new Error(`policy does not check:\n${lines.join("\n")}`);
        }
        return policy;
      };
      for (const t of tests) {
        const name = `${c.path} #${t.index} [${impl.name}]: ${c.description}`;
        if (t.kind === "diagnostics") {
          test(name, () => {
            expect(describeDiagnostics(prepare().result)).toEqual(t.expect);
          });
        } else if (t.kind === "decision") {
          test(name, () => {
            const decision = usable().evaluate(t.input);
            expect(pick(decision, Object.keys(t.expect))).toEqual(t.expect);
          });
        } else {
          test(name, ({ skip }) => {
            const policy = usable();
            if (policy.labelOutput === undefined) return skip(`${impl.name} does not label outputs`);
            expect({ labels: policy.labelOutput(t.tool, t.args, t.output) }).toEqual(t.expect);
          });
        }
      }
    });
  }
}
