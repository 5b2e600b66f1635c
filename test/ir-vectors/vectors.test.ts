/**
 * The IR test vectors (`spec-tests/ir/vectors/`) hold for every implementation
 * of the IR here — the evaluator (`src/eval`) and the generated module — read
 * from their JSON as an implementer in another language reads them; they
 * cover every node kind, feature, rule kind, modification and kind of
 * decision; and they are up to date with the compiler
 * (`node scripts/gen-ir-vectors.ts --check`).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { generateModule } from "../../src/compiler.ts";
import { evaluate, labelOutput } from "../../src/eval/index.ts";
import type { EvalDecision, EvalInput, Json } from "../../src/ir/contract.ts";
import { loadModule, removeModules } from "../codegen/load.ts";
import { coverage, loadVectors, REQUIRED, type Vector } from "./vectors.ts";

const vectors = loadVectors();

/** A value as JSON sees it, which is how the vectors compare: `-0` is `0`, absent and undefined alike. */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

interface Runner {
  evaluate(input: EvalInput): EvalDecision;
  labelOutput(tool: string, args: { readonly [name: string]: Json }, output: string): string[];
}

/** The first expectation `runner` does not meet, or null. */
function firstFailure(vector: Vector, runner: Runner): string | null {
  for (const [i, { input, expect }] of vector.decisions.entries()) {
    const actual = asJson(runner.evaluate(input));
    if (!isDeepStrictEqual(actual, expect))
      return `decisions[${i}]: expected ${JSON.stringify(expect)}, got ${JSON.stringify(actual)}`;
  }
  for (const [i, { tool, args, output, expect }] of vector.labels.entries()) {
    const actual = runner.labelOutput(tool, args, output);
    if (!isDeepStrictEqual(actual, expect))
      return `labels[${i}]: expected ${JSON.stringify(expect)}, got ${JSON.stringify(actual)}`;
  }
  return null;
}

describe("IR test vectors", () => {
  it("exist", () => {
    expect(vectors.length).toBeGreaterThan(100);
  });

  describe.each(vectors.map((v) => [v.path, v] as const))("%s", (_, vector) => {
    it("hold for src/eval", () => {
      const runner: Runner = {
        evaluate: (input) => evaluate(vector.ir, input),
        labelOutput: (tool, args, output) => labelOutput(vector.ir, tool, args, output),
      };
      expect(firstFailure(vector, runner)).toBeNull();
    });

    it("hold for the generated module", () => {
      expect(firstFailure(vector, loadModule(generateModule(vector.ir)))).toBeNull();
    });
  });

  it("cover every node kind, feature, rule kind, modification and kind of decision", () => {
    const covered = coverage(vectors);
    expect(REQUIRED.filter((item) => !covered.has(item))).toEqual([]);
  });

  it("are up to date", () => {
    const script = join(import.meta.dirname, "..", "..", "scripts", "gen-ir-vectors.ts");
    const run = spawnSync(process.execPath, [script, "--check"], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  afterAll(removeModules);
});
