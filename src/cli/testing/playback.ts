/**
 * Playing a test session step by step, as production would: facts and scores
 * arrive before their step, each step is decided on the context so far, and
 * an action the decision released joins the history with its output's
 * labels. `aarmc test` and the input search of `aarmc diff` both play
 * sessions through this one mechanism.
 *
 * @module
 */
import { labelOutput } from "../../eval/index.ts";
import { actionTarget } from "../../eval/target.ts";
import type { EvalDecision, EvalInput, HistoryEntry, Json } from "../../ir/contract.ts";
import type { Ir } from "../../ir/types.ts";
import type { JsonObject, Session, Step } from "./model.ts";

/** Whether a decision released the action: ALLOW, MODIFY, or STEP_UP / DEFER that the step approves or resolves. */
function released(step: Step, decision: EvalDecision): boolean {
  switch (decision.decision) {
    case "ALLOW":
    case "MODIFY":
      return true;
    case "STEP_UP":
      return step.approve;
    case "DEFER":
      return step.resolve === "allow";
    case "DENY":
      return false;
  }
}

function outputLabels(ir: Ir, step: Step, args: JsonObject): string[] {
  const output = step.output;
  if (output?.kind === "labels") return [...new Set(output.labels)].sort();
  return labelOutput(ir, step.tool, args, output?.text ?? "");
}

/** One session's context as its steps are played. */
export class SessionPlayback {
  readonly #ir: Ir;
  readonly #session: Session;
  readonly #facts: { [name: string]: Json };
  readonly #scores: { alignment?: number; drift?: number };
  readonly #history: HistoryEntry[] = [];

  constructor(ir: Ir, session: Session) {
    this.#ir = ir;
    this.#session = session;
    this.#facts = { ...session.facts?.value };
    this.#scores = { ...session.scores };
  }

  /** The evaluation input of `step`, after the facts and scores that arrive with it. */
  input(step: Step): EvalInput {
    Object.assign(this.#facts, step.facts?.value);
    Object.assign(this.#scores, step.scores);
    const session = this.#session;
    return {
      action: {
        tool: step.tool,
        args: step.args.value,
        time: session.start + step.offsetMs,
        identity: session.identity,
      },
      snapshot: {
        ...(session.intent === null ? {} : { intent: session.intent }),
        scores: { ...this.#scores },
        facts: { ...this.#facts },
        history: [...this.#history],
      },
    };
  }

  /**
   * Records the decision of `step` (decided on `input`): a released action joins the history.
   * Returns its output's labels, or null when the action did not run.
   */
  settle(step: Step, input: EvalInput, decision: EvalDecision): string[] | null {
    if (!released(step, decision)) return null;
    const ir = this.#ir;
    const args = decision.modifications?.args ?? step.args.value;
    const labels = outputLabels(ir, step, args);
    const target = actionTarget(ir, step.tool, args);
    this.#history.push({
      tool: step.tool,
      effect: ir.tools[step.tool]?.effect ?? "execute",
      args,
      ...(target === null ? {} : { target }),
      time: input.action.time,
      labels,
    });
    return labels;
  }
}
