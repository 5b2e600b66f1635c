/**
 * Running test sessions against a compiled policy with the IR evaluator, the
 * one the runtime embeds.
 *
 * A session is played step by step. Before a step, its facts and scores join
 * the session's; the step's action is decided against the snapshot so far.
 * The session then moves on as the runtime would with the decision actually
 * made: an action that is released — ALLOW, MODIFY (with the modified
 * arguments), STEP_UP when the step says `approve: true`, DEFER when it says
 * `resolve: allow` — joins the history with the labels of its output, so
 * later steps see what it read. A step whose decision differs from the
 * expected one therefore changes what later steps see, exactly as it would
 * in production.
 *
 * @module
 */
import type { EvalDecision } from "../../ir/contract.ts";
import type { Ir } from "../../ir/types.ts";
import { type Explanation, explain } from "../../eval/explain.ts";
import { evaluate } from "../../eval/index.ts";
import type { PolicyCoverage } from "./coverage.ts";
import { SessionPlayback } from "./playback.ts";
import { compareDecision } from "./expect.ts";
import type { Expectation, JsonObject, Session, TestFile } from "./model.ts";

export interface StepResult {
  readonly index: number;
  readonly name: string | null;
  readonly line: number;
  readonly tool: string;
  readonly args: JsonObject;
  /** Epoch milliseconds of the action. */
  readonly time: number;
  readonly expected: Expectation;
  /** The decision made; null when the evaluator failed (see `error`). */
  readonly decision: EvalDecision | null;
  /** Differences between the expected and the actual decision; empty when the step passed. */
  readonly mismatches: readonly string[];
  /** An evaluator failure: a bug to report, never a pass. */
  readonly error: string | null;
  /** The labels the action's output was recorded with, when it was released. */
  readonly labels: readonly string[] | null;
  /** For a failing step: why the evaluator decided as it did (clauses, hints). */
  readonly explanation: Explanation | null;
  /** Time spent deciding the step, in milliseconds. */
  readonly durationMs: number;
}

export interface SessionResult {
  readonly name: string;
  readonly line: number;
  readonly steps: readonly StepResult[];
}

export interface FileResult {
  readonly file: string;
  /** The policy's path relative to the working directory. */
  readonly policy: string;
  readonly name: string;
  readonly version: string;
  readonly hash: string;
  readonly sessions: readonly SessionResult[];
}

export function stepPassed(step: StepResult): boolean {
  return step.error === null && step.mismatches.length === 0;
}

export function sessionPassed(session: SessionResult): boolean {
  return session.steps.every(stepPassed);
}

function runSession(
  ir: Ir,
  regexSources: readonly (string | null)[],
  session: Session,
  coverage: PolicyCoverage | null,
): SessionResult {
  const playback = new SessionPlayback(ir, session);
  const steps = session.steps.map((step): StepResult => {
    const input = playback.input(step);
    const time = input.action.time;
    const base = {
      index: step.index,
      name: step.name,
      line: step.loc.line,
      tool: step.tool,
      args: step.args.value,
      time,
      expected: step.expect,
    };
    let decision: EvalDecision;
    const started = performance.now();
    try {
      decision = evaluate(ir, input);
    } catch (thrown) {
      const error = `the evaluator failed: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
      const durationMs = performance.now() - started;
      return { ...base, decision: null, mismatches: [], error, labels: null, explanation: null, durationMs };
    }
    const durationMs = performance.now() - started;
    coverage?.record(input, decision);
    const labels = playback.settle(step, input, decision);
    const mismatches = compareDecision(step.expect, decision);
    const explanation = mismatches.length === 0 ? null : explain(ir, input, decision, { regexSources });
    return { ...base, decision, mismatches, error: null, labels, explanation, durationMs };
  });
  return { name: session.name, line: session.loc.line, steps };
}

/** The policy under test: its path, IR, and the source of each regex (for explanations). */
export interface PolicyUnderTest {
  readonly path: string;
  readonly ir: Ir;
  readonly regexSources: readonly (string | null)[];
}

/** Runs every session of `file` against the policy, recording coverage when asked. */
export function runTestFile(
  file: TestFile,
  policy: PolicyUnderTest,
  coverage: PolicyCoverage | null,
): FileResult {
  const { ir } = policy;
  return {
    file: file.file,
    policy: policy.path,
    name: ir.policy.name,
    version: ir.policy.version,
    hash: ir.hash,
    sessions: file.sessions.map((session) => runSession(ir, policy.regexSources, session, coverage)),
  };
}
