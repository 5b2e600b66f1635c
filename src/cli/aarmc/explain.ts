/**
 * `aarmc explain`: decide one action against a policy and explain why.
 *
 * @module
 */
import type { EvalInput } from "../../ir/contract.ts";
import { conformInput, evaluate } from "../../semantics/index.ts";
import type { Command } from "../command.ts";
import { decisionWord, explainLines } from "../decision-text.ts";
import { CliError, EXIT } from "../errors.ts";
import { readJson } from "../files.ts";
import { readAction, readSnapshot } from "../input.ts";
import { loadPolicy } from "../policy-loader.ts";

export const explain: Command = {
  name: "explain",
  summary: "decide one action against a policy and explain the decision",
  usage: "<policy> --action FILE [--context FILE] [--format human|json]",
  description:
    "The action file holds {tool, args, time?, identity?}; the context file holds the session snapshot\n" +
    "{intent?, scores?, facts?, history?}. Facts missing from the context are unknown, and a decision\n" +
    "that depends on them is DEFER with the facts listed as context needed.",
  options: {
    action: { type: "string", value: "FILE", description: "the proposed action (JSON)" },
    context: { type: "string", value: "FILE", description: "the session context snapshot (JSON)" },
    format: { type: "string", value: "FORMAT", description: "output format", choices: ["human", "json"] },
  },
  examples: [
    "aarmc explain policy.aarm --action send.json",
    "aarmc explain policy.aarm --action send.json --context session.json --format json",
  ],
  async run(positionals, values, io) {
    const [policyPath, ...extra] = positionals;
    if (policyPath === undefined) throw new CliError("explain: missing <policy>");
    if (extra.length > 0) throw new CliError(`explain: unexpected argument "${extra[0]}"`);
    if (typeof values.action !== "string") throw new CliError("explain: missing --action FILE");
    const policy = loadPolicy(io, policyPath);
    const action = readAction(readJson(values.action, io.cwd), values.action);
    const snapshot =
      typeof values.context === "string"
        ? readSnapshot(readJson(values.context, io.cwd), values.context)
        : readSnapshot({}, "(no context)");
    const input: EvalInput = { action, snapshot };
    if (!policy.tools.has(action.tool)) {
      // The evaluator would DENY it; for a user asking about an action, a tool the policy does not
      // declare is almost always a typo in the action file.
      throw new CliError(`${values.action}: /tool: the policy declares no tool "${action.tool}"`);
    }
    const conformance = conformInput(policy, input);
    if (!conformance.ok) throw new CliError(`${values.action}: ${conformance.problems.join("; ")}`);
    const decision = evaluate(policy, input);
    if (values.format === "json") {
      io.stdout(`${JSON.stringify(decision, null, 2)}\n`);
    } else {
      io.stdout(
        `${decisionWord(io, decision.decision)} ${action.tool}\n${explainLines(io, decision).join("\n")}\n`,
      );
    }
    return EXIT.ok;
  },
};
