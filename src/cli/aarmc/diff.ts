/**
 * `aarmc diff`: search for inputs on which two policies decide differently,
 * and print concrete counterexamples — the action and snapshot, ready for
 * `aarmc explain`, with both decisions and their deciding rules.
 *
 * @module
 */
import type { EvalDecision } from "../../ir/contract.ts";
import type { Command } from "../command.ts";
import { decisionWord } from "../decision-text.ts";
import { CliError, EXIT } from "../errors.ts";
import { type Io, paint } from "../io.ts";
import { startProgress } from "../progress.ts";
import { type CompareLevel, fieldChanges } from "../search/compare.ts";
import { COMPARE_HELP, COMPARE_OPTION, compareLevel, integerFlag } from "../search/flags.ts";
import { givenFiles, givenInputs } from "../search/given.ts";
import { type Difference, type SearchResult, searchDifferences } from "../search/search.ts";
import { loadSubject, policyLabel, policyRef, type Subject } from "../search/subject.ts";
import { printable } from "../trace/printable.ts";

export const DEFAULT_MAX_INPUTS = 50_000;
const DEFAULT_TIMEOUT_SECONDS = 10;
const DEFAULT_MAX_EXAMPLES = 10;
export const DEFAULT_SEED = 1;

const STOPPED: Record<SearchResult["stoppedBy"], string> = {
  "max-inputs": "input budget reached",
  time: "time limit reached",
  "max-examples": "enough kinds of difference found",
  identical: "the policies compile to identical IR (same hash), so no input can tell them apart",
};

function decisionLine(io: Io, d: EvalDecision): string {
  const reasons = d.reasons.length > 0 ? ` — ${d.reasons.join("; ")}` : "";
  return `${decisionWord(io, d.decision)} by ${printable(`${d.rules.join(", ")}${reasons}`)}`;
}

function renderHuman(
  io: Io,
  old: Subject,
  next: Subject,
  result: SearchResult,
  seed: number,
  level: CompareLevel,
): string {
  const lines = [
    `diff ${old.path} → ${next.path}`,
    `  old: ${policyLabel(policyRef(old))}`,
    `  new: ${policyLabel(policyRef(next))}`,
  ];
  const given = result.given > 0 ? ` (${result.given} from --tests)` : "";
  const found = result.differences.length;
  lines.push(
    result.stoppedBy === "identical"
      ? STOPPED.identical
      : `searched ${result.tried} inputs${given} with seed ${seed}; ${STOPPED[result.stoppedBy]}`,
  );
  result.differences.forEach((d: Difference, i) => {
    const { action, snapshot } = d.input;
    lines.push(
      "",
      paint(io, "bold", `${i + 1}. ${d.kind}`) +
        `  (${d.count} of ${result.tried} inputs; first seen ${d.source === "generated" ? "in a generated input" : `at ${d.source}`}; shrunk)`,
      `   action:   ${printable(JSON.stringify(action))}`,
      `   snapshot: ${printable(JSON.stringify(snapshot))}`,
      `   old: ${decisionLine(io, d.old)}`,
      `   new: ${decisionLine(io, d.new)}`,
      ...fieldChanges(d.old, d.new, level).map((line) => `   ${printable(line)}`),
    );
  });
  lines.push(
    "",
    found === 0
      ? "no difference found"
      : paint(io, "yellow", `${found} kind${found === 1 ? "" : "s"} of difference found`),
  );
  return `${lines.join("\n")}\n`;
}

export const diff: Command = {
  name: "diff",
  summary: "search for inputs two policies decide differently; print counterexamples",
  usage:
    "<old-policy> <new-policy> [--tests PATH...] [--max-inputs N] [--seed S] [--timeout-seconds T] [--format human|json]",
  description:
    "Evaluates both policies on inputs from --tests (decision traces *.jsonl, docs/trace.md, and session\n" +
    "tests *.test.yaml, docs/testing.md), then on generated inputs: the declared tools with arguments\n" +
    "drawn from the constants both policies' conditions mention (and their neighbours, strings that\n" +
    "match and miss each regex, hosts, domains, CIDR edges), facts present and absent, intents that do\n" +
    "and do not mention the arguments, and histories with the labels, tools, counts and time windows the\n" +
    "session queries look for. Each kind of difference is reported once, with a shrunk example: the\n" +
    "action and snapshot as JSON (for aarmc explain --action/--context) and both decisions.\n" +
    "The search is deterministic for a seed when --max-inputs, not the time limit, ends it.\n" +
    COMPARE_HELP +
    "Exit status: 0 no difference found, 1 differences found, 2 bad input.",
  options: {
    tests: {
      type: "string",
      multiple: true,
      value: "PATH",
      description: "traces (*.jsonl) and session tests (*.test.yaml), or folders of them; repeatable",
    },
    "max-inputs": {
      type: "string",
      value: "N",
      description: `inputs to try at most, those from --tests first (default ${DEFAULT_MAX_INPUTS})`,
    },
    seed: {
      type: "string",
      value: "S",
      description: `seed of the input generator (default ${DEFAULT_SEED})`,
    },
    "timeout-seconds": {
      type: "string",
      value: "T",
      description: `stop searching after T seconds (default ${DEFAULT_TIMEOUT_SECONDS})`,
    },
    "max-examples": {
      type: "string",
      value: "N",
      description: `stop once N kinds of difference are found (default ${DEFAULT_MAX_EXAMPLES})`,
    },
    compare: COMPARE_OPTION,
    format: { type: "string", value: "FORMAT", description: "output format", choices: ["human", "json"] },
  },
  examples: [
    "aarmc diff policy.aarm policy.next.aarm",
    "aarmc diff policy.aarm policy.next.aarm --tests tests/ --tests traces/today.jsonl",
    "aarmc diff old.aarm new.aarm --max-inputs 200000 --timeout-seconds 60 --seed 7",
    "aarmc diff old.aarm new.aarm --compare decision --format json | jq '.differences[].kind'",
  ],
  async run(positionals, values, io) {
    const [oldPath, newPath, ...extra] = positionals;
    if (oldPath === undefined || newPath === undefined)
      throw new CliError("diff: expected <old-policy> <new-policy>");
    if (extra.length > 0) throw new CliError(`diff: unexpected argument "${extra[0]}"`);
    const maxInputs = integerFlag("diff", values, "max-inputs", DEFAULT_MAX_INPUTS, {
      min: 1,
      max: 100_000_000,
    });
    const seed = integerFlag("diff", values, "seed", DEFAULT_SEED, { min: 0, max: 2 ** 32 - 1 });
    const timeout = integerFlag("diff", values, "timeout-seconds", DEFAULT_TIMEOUT_SECONDS, {
      min: 1,
      max: 86_400,
    });
    const maxExamples = integerFlag("diff", values, "max-examples", DEFAULT_MAX_EXAMPLES, {
      min: 1,
      max: 1000,
    });
    const level = compareLevel(values);
    const old = loadSubject(io, oldPath);
    const next = loadSubject(io, newPath);
    const tests = Array.isArray(values.tests) ? values.tests : [];
    const seeds = tests.length === 0 ? [] : givenInputs(givenFiles(tests, io.cwd), io.cwd, old, next);

    const progress = startProgress(io, "searching", maxInputs);
    let result: SearchResult;
    try {
      result = searchDifferences(old, next, {
        seed,
        maxInputs,
        timeLimitMs: timeout * 1000,
        compare: level,
        maxExamples,
        seeds,
        onProgress: (_, found) => progress.advance(`${found} kind${found === 1 ? "" : "s"} of difference`),
      });
    } finally {
      progress.done();
    }

    if (values.format === "json") {
      io.stdout(
        `${JSON.stringify(
          {
            old: { path: oldPath, ...policyRef(old) },
            new: { path: newPath, ...policyRef(next) },
            seed,
            compare: level,
            maxInputs,
            tried: result.tried,
            given: result.given,
            stoppedBy: result.stoppedBy,
            differences: result.differences.map((d) => ({
              kind: d.kind,
              count: d.count,
              source: d.source,
              action: d.input.action,
              snapshot: d.input.snapshot,
              old: d.old,
              new: d.new,
            })),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      io.stdout(renderHuman(io, old, next, result, seed, level));
    }
    return result.differences.length > 0 ? EXIT.failure : EXIT.ok;
  },
};
