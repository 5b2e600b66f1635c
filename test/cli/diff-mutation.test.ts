/**
 * The mutation test of `aarmc diff`: for single-rule mutants of sample
 * policies (the finance example, the policies of docs/language.md, and some
 * spec cases), the search engine behind `aarmc diff` — run in-process with
 * the command's default budget — must find a counterexample for at least 95%
 * of the mutants that change behaviour, each within 10 seconds.
 *
 * Whether a mutant changes behaviour is established without trusting the
 * engine under test: a mutant for which it finds a counterexample does (the
 * counterexample is checked again here); for the others, a reference search
 * with a larger budget decides — a brute-force generator that knows only the
 * declarations and the policies' constants, plus the engine with another seed
 * and twice the inputs. A mutant neither finds anything for counts as
 * equivalent.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_INPUTS, DEFAULT_SEED } from "../../src/cli/aarmc/diff.ts";
import { sameDecision } from "../../src/cli/search/compare.ts";
import { Random } from "../../src/cli/search/random.ts";
import { searchDifferences } from "../../src/cli/search/search.ts";
import { decide, type Subject, subjectOf } from "../../src/cli/search/subject.ts";
import type { EvalInput, HistoryEntry, Json } from "../../src/ir/contract.ts";
import type { Ir, IrType } from "../../src/ir/types.ts";
import { checkText } from "../../src/lang/check.ts";
import { parseCase } from "../support/cases.ts";
import { mutants } from "./diff-mutants.ts";

const ROOT = new URL("../../", import.meta.url);
const CASES = [
  "session/within-window-boundary.case",
  "session/sum.case",
  "session/three-step-sequence.case",
  "session/sensitivity-order.case",
  "intent/alignment.case",
  "intent/mentions.case",
  "identity/delegation-depth.case",
  "identity/roles-and-scope.case",
  "functions/in-cidr-ipv4.case",
  "functions/host.case",
  "functions/len.case",
  "functions/string-functions.case",
  "modify/clamp.case",
  "unknown/missing-fact-allow-defers.case",
  "aarm-9.3/28-low-confidence.case",
  "regex/matches.case",
];
const TIME_LIMIT_MS = 10_000;
const REFERENCE_INPUTS = 100_000;

interface Sample {
  readonly name: string;
  readonly root: string;
  readonly files: Readonly<Record<string, string>>;
}

function samples(): Sample[] {
  const read = (path: string): string => readFileSync(new URL(path, ROOT), "utf8");
  const out: Sample[] = [
    { name: "examples/finance-assistant", root: read("examples/finance-assistant/policy.aarm"), files: {} },
  ];
  [...read("docs/language.md").matchAll(/```aarm\n(policy[\s\S]*?)```/g)].forEach((m, i) => {
    out.push({ name: `docs/language.md #${i + 1}`, root: m[1] ?? "", files: {} });
  });
  for (const path of CASES) {
    const c = parseCase(path, read(`spec-tests/language/${path}`));
    const { [c.root]: root = "", ...files } = c.files;
    out.push({ name: path, root, files });
  }
  return out;
}

function subject(name: string, root: string, files: Readonly<Record<string, string>>): Subject {
  const checked = checkText(root, files).policy;
  if (checked === null) throw new Error(`${name} does not check`);
  const s = subjectOf(name, checked);
  if ("error" in s) throw new Error(`${name}: ${s.error}`);
  return s;
}

// ---------------------------------------------------------------------------
// The brute-force reference: uniform choices over the declared tools, argument types and the
// policies' constants (with their neighbours), no guidance, no corpus.

function constants(irs: readonly Ir[]): { strings: string[]; numbers: number[] } {
  const strings = new Set(["", "a", "x", "alice", "alice@example.com", "https://example.com/", "10.0.0.1"]);
  const numbers = new Set([0, 1, 1000]);
  for (const ir of irs) {
    for (const e of ir.exprs) {
      if (e.op !== "const") continue;
      for (const v of Array.isArray(e.value) ? e.value : [e.value]) {
        if (typeof v === "string") strings.add(v);
        if (typeof v === "number") for (const n of [v - 1, v, v + 1]) numbers.add(n);
      }
    }
  }
  return { strings: [...strings], numbers: [...numbers] };
}

function bruteForce(a: Subject, b: Subject, budget: number, seed: number): EvalInput | null {
  const r = new Random(seed);
  const { strings, numbers } = constants([a.ir, b.ir]);
  const tools = [...new Set([...Object.keys(a.ir.tools), ...Object.keys(b.ir.tools)])];
  const facts = { ...b.ir.facts, ...a.ir.facts };
  const labels = [
    "public",
    "internal",
    "confidential",
    "restricted",
    "untrusted",
    "pii",
    "secret",
    "financial",
    ...strings,
  ];
  const value = (type: IrType): Json => {
    switch (type) {
      case "string":
        return r.pick(strings);
      case "number":
      case "duration":
        return r.pick(numbers);
      case "bool":
        return r.chance(0.5);
      case "set<string>":
        return [...new Set(r.subset(strings, 0.2))];
      case "set<number>":
        return [...new Set(r.subset(numbers, 0.2))];
      default:
        return [];
    }
  };
  for (let i = 0; i < budget; i++) {
    const tool = r.pick(tools);
    const decl = a.ir.tools[tool] ?? b.ir.tools[tool];
    const args: { [name: string]: Json } = {};
    for (const [name, arg] of Object.entries(decl?.args ?? {}))
      if (!arg.optional || r.chance(0.5)) args[name] = value(arg.type);
    const now = 100_000_000;
    const history: HistoryEntry[] = Array.from({ length: r.int(0, 4) }, () => {
      const t = r.pick(tools);
      return {
        tool: t,
        effect: (a.ir.tools[t] ?? b.ir.tools[t])?.effect ?? "read",
        args: {},
        target: r.pick(strings),
        time: now - r.pick([0, ...numbers.filter((n) => n >= 0)]),
        labels: r.subset(labels, 0.15),
      };
    });
    const input: EvalInput = {
      action: {
        tool,
        args,
        time: now,
        identity: {
          ...(r.chance(0.5) ? { human: r.pick(strings) } : {}),
          roles: r.subset(strings, 0.1),
          scope: r.subset(strings, 0.1),
          delegation: Array.from({ length: r.int(0, 3) }, () => "agent"),
        },
      },
      snapshot: {
        ...(r.chance(0.7) ? { intent: { text: r.subset(strings, 0.2).join(" ") } } : {}),
        scores: {
          ...(r.chance(0.6) ? { alignment: r.pick([0, 0.2, 0.29, 0.3, 0.31, 0.5, 0.7, 1]) } : {}),
          ...(r.chance(0.6) ? { drift: r.pick([0, 0.2, 0.5, 0.69, 0.7, 0.71, 1]) } : {}),
        },
        facts: Object.fromEntries(
          Object.entries(facts)
            .filter(() => r.chance(0.6))
            .map(([n, t]) => [n, value(t)]),
        ),
        history,
      },
    };
    if (!sameDecision(decide(a, input), decide(b, input), "full")) return input;
  }
  return null;
}

// ---------------------------------------------------------------------------

interface Outcome {
  readonly sample: string;
  readonly mutant: string;
  readonly verdict: "found" | "missed" | "equivalent";
  readonly ms: number;
}

const outcomes: Outcome[] = [];

function classify(sample: Sample, base: Subject, description: string, source: string): Outcome {
  const mutant = subject(`${sample.name}: ${description}`, source, sample.files);
  const started = performance.now();
  const result = searchDifferences(base, mutant, {
    seed: DEFAULT_SEED,
    maxInputs: DEFAULT_MAX_INPUTS,
    timeLimitMs: TIME_LIMIT_MS,
    compare: "full",
    maxExamples: 1,
  });
  const ms = performance.now() - started;
  const found = result.differences[0];
  if (found !== undefined) {
    // The counterexample must hold up on its own.
    expect(sameDecision(decide(base, found.input), decide(mutant, found.input), "full")).toBe(false);
    return { sample: sample.name, mutant: description, verdict: "found", ms };
  }
  const reference =
    bruteForce(base, mutant, REFERENCE_INPUTS, 7) !== null ||
    searchDifferences(base, mutant, {
      seed: DEFAULT_SEED + 1,
      maxInputs: REFERENCE_INPUTS,
      timeLimitMs: 60_000,
      compare: "full",
      maxExamples: 1,
    }).differences.length > 0;
  return { sample: sample.name, mutant: description, verdict: reference ? "missed" : "equivalent", ms };
}

describe("aarmc diff finds the behaviour changes of single-rule mutants", () => {
  for (const sample of samples()) {
    it(
      sample.name,
      () => {
        const base = subject(sample.name, sample.root, sample.files);
        const list = mutants(sample.root, sample.files);
        expect(list.length).toBeGreaterThan(0);
        for (const m of list) outcomes.push(classify(sample, base, m.description, m.source));
      },
      120_000,
    );
  }

  it("reports a counterexample for at least 95% of behaviour-changing mutants, each within 10 s", () => {
    const changing = outcomes.filter((o) => o.verdict !== "equivalent");
    const found = outcomes.filter((o) => o.verdict === "found");
    const rate = found.length / changing.length;
    // A search that finds nothing runs to its budget (or the time limit); one that finds must do so in time.
    const slowest = Math.max(...found.map((o) => o.ms));
    const missed = outcomes.filter((o) => o.verdict === "missed").map((o) => `${o.sample}: ${o.mutant}`);
    const equivalent = outcomes
      .filter((o) => o.verdict === "equivalent")
      .map((o) => `${o.sample}: ${o.mutant}`);
    console.log(
      [
        `aarmc diff mutation test: ${outcomes.length} mutants, ${changing.length} change behaviour, ` +
          `${found.length} found (${(rate * 100).toFixed(1)}%), ${equivalent.length} equivalent; ` +
          `slowest search that found one ${(slowest / 1000).toFixed(2)} s`,
        ...missed.map((m) => `  missed: ${m}`),
        ...equivalent.map((m) => `  equivalent: ${m}`),
      ].join("\n"),
    );
    expect(changing.length).toBeGreaterThan(100);
    expect(rate).toBeGreaterThanOrEqual(0.95);
    expect(slowest).toBeLessThan(TIME_LIMIT_MS);
  });
});

afterAll(() => {
  outcomes.length = 0;
});
