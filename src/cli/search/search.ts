/**
 * The counterexample search behind `aarmc diff`: evaluates two policies on
 * inputs — first those given (test files, traces), then generated ones — and
 * collects the inputs on which they decide differently, one shrunk example
 * per kind of difference.
 *
 * Generation is guided: an input on which the pair of decisions (kind and
 * deciding rules, under each policy) is one not seen before joins a corpus,
 * and half of the later inputs are mutations of corpus members, so the
 * search keeps exploring near the places where rules start or stop matching.
 * Everything is driven by one seeded generator: the same seed and budget give
 * the same inputs.
 *
 * @module
 */
import type { EvalDecision, EvalInput } from "../../ir/contract.ts";
import { changeKey, changeKind, type CompareLevel, sameDecision } from "./compare.ts";
import { InputGenerator } from "./generate.ts";
import { collectHints } from "./hints.ts";
import { Random } from "./random.ts";
import { shrink } from "./shrink.ts";
import { decide, type Subject } from "./subject.ts";

/** An input from a test file or trace, with where it came from (`file:line`). */
export interface SeedInput {
  readonly input: EvalInput;
  readonly source: string;
}

export interface SearchOptions {
  readonly seed: number;
  /** Inputs to evaluate at most, given ones included. */
  readonly maxInputs: number;
  readonly timeLimitMs: number;
  readonly compare: CompareLevel;
  /** Stop once this many different kinds of difference are found. */
  readonly maxExamples: number;
  readonly seeds?: Iterable<SeedInput>;
  /** Called after each input with the inputs tried and the kinds of difference found so far. */
  readonly onProgress?: (tried: number, differences: number) => void;
  /** Milliseconds, monotonic; `performance.now` unless a test substitutes it. */
  readonly clock?: () => number;
}

export interface Difference {
  /** `ALLOW→DENY`, or `DENY→DENY (rules)` for a change within one decision. */
  readonly kind: string;
  /** How many of the inputs tried differ this way. */
  readonly count: number;
  /** Where the first input that differed this way came from: `generated`, or the `file:line` of a given input. */
  readonly source: string;
  /** That input, shrunk. */
  readonly input: EvalInput;
  readonly old: EvalDecision;
  readonly new: EvalDecision;
}

export interface SearchResult {
  readonly tried: number;
  /** How many of them were given (test files, traces). */
  readonly given: number;
  /** `identical`: the policies compile to the same IR, so nothing was tried. */
  readonly stoppedBy: "max-inputs" | "time" | "max-examples" | "identical";
  readonly differences: readonly Difference[];
}

const CORPUS_SIZE = 1024;

interface Group {
  readonly kind: string;
  count: number;
  readonly source: string;
  readonly input: EvalInput;
}

/** Searches for inputs on which `a` and `b` decide differently. */
export function searchDifferences(a: Subject, b: Subject, options: SearchOptions): SearchResult {
  if (a.ir.hash === b.ir.hash) return { tried: 0, given: 0, stoppedBy: "identical", differences: [] };
  const clock = options.clock ?? (() => performance.now());
  const deadline = clock() + options.timeLimitMs;
  const rng = new Random(options.seed);
  const generator = new InputGenerator(collectHints([a.ir, b.ir]), rng.fork());
  const corpus: EvalInput[] = [];
  const coverage = new Set<string>();
  const groups = new Map<string, Group>();
  let tried = 0;
  let given = 0;

  const stopReason = (): SearchResult["stoppedBy"] | null => {
    if (tried >= options.maxInputs) return "max-inputs";
    if (groups.size >= options.maxExamples) return "max-examples";
    if (clock() >= deadline) return "time";
    return null;
  };

  const consider = (input: EvalInput, source: string): void => {
    const x = decide(a, input);
    const y = decide(b, input);
    tried++;
    options.onProgress?.(tried, groups.size);
    const signature = `${x.decision}:${x.rules.join(",")}|${y.decision}:${y.rules.join(",")}`;
    if (!coverage.has(signature)) {
      coverage.add(signature);
      if (corpus.length < CORPUS_SIZE) corpus.push(input);
      else corpus[rng.int(0, CORPUS_SIZE - 1)] = input;
    }
    if (sameDecision(x, y, options.compare)) return;
    const key = changeKey(x, y, options.compare);
    const group = groups.get(key);
    if (group === undefined)
      groups.set(key, { kind: changeKind(x, y, options.compare), count: 1, source, input });
    else group.count++;
  };

  let stoppedBy: SearchResult["stoppedBy"] | null = null;
  for (const seed of options.seeds ?? []) {
    stoppedBy = stopReason();
    if (stoppedBy !== null) break;
    given++;
    consider(seed.input, seed.source);
  }
  while (stoppedBy === null) {
    stoppedBy = stopReason();
    if (stoppedBy !== null) break;
    const input =
      corpus.length > 0 && rng.chance(0.5) ? generator.mutate(rng.pick(corpus)) : generator.next();
    consider(input, "generated");
  }

  const differences = [...groups.entries()].map(([key, group]): Difference => {
    const small = shrink(group.input, (candidate) => {
      const x = decide(a, candidate);
      const y = decide(b, candidate);
      return !sameDecision(x, y, options.compare) && changeKey(x, y, options.compare) === key;
    });
    return {
      kind: group.kind,
      count: group.count,
      source: group.source,
      input: small,
      old: decide(a, small),
      new: decide(b, small),
    };
  });
  return { tried, given, stoppedBy, differences };
}
