/**
 * `aarm demo`: a scripted agent session decided step by step under a policy,
 * printing every decision with its explanation. The default script is the
 * finance assistant of `examples/finance-assistant/`, whose invoice carries an
 * injected instruction.
 *
 * @module
 */
import { join } from "node:path";
import type { DecisionKind, EvalAction, HistoryEntry, Json, Snapshot } from "../../ir/contract.ts";
import { conformInput, evaluate, labelOutput } from "../../semantics/index.ts";
import type { Command } from "../command.ts";
import { decisionWord, explainLines } from "../decision-text.ts";
import { CliError, EXIT } from "../errors.ts";
import { readJson } from "../files.ts";
import { readAction, readSnapshot } from "../input.ts";
import { paint } from "../io.ts";
import { PACKAGE_ROOT } from "../package-info.ts";
import { loadPolicy } from "../policy-loader.ts";

interface Step {
  readonly note: string;
  readonly action: EvalAction;
  readonly output: string;
}

interface Script {
  readonly description: string;
  readonly snapshot: Snapshot;
  readonly steps: readonly Step[];
}

/** Steps are one minute apart from a fixed start, so every run decides identically. */
const START = Date.parse("2026-11-22T09:00:00Z");
const STEP_MS = 60_000;

function readScript(path: string, cwd: string): Script {
  const raw = readJson(path, cwd);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new CliError(`${path}: expected an object`);
  const o = raw as { [key: string]: Json };
  if (!Array.isArray(o.steps)) throw new CliError(`${path}: /steps: expected an array`);
  const snapshot = readSnapshot({ intent: o.intent }, path);
  const steps = o.steps.map((value, i): Step => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new CliError(`${path}: /steps/${i}: expected an object`);
    }
    const step = value as { [key: string]: Json };
    const action = readAction(
      { ...(step.action as object), identity: o.identity ?? {}, time: START + i * STEP_MS },
      path,
      `/steps/${i}/action`,
    );
    return {
      note: typeof step.note === "string" ? step.note : `step ${i + 1}`,
      action,
      output: typeof step.output === "string" ? step.output : "",
    };
  });
  return { description: typeof o.description === "string" ? o.description : "", snapshot, steps };
}

export const demo: Command = {
  name: "demo",
  summary: "run a scripted agent session under a policy and show every decision",
  usage: "[--policy FILE --session FILE]",
  description:
    "Decides each step of a scripted session in order. Steps that are allowed (or modified) run, and\n" +
    "their outputs are labelled and added to the session's context, so later decisions see what earlier\n" +
    "steps read. By default runs the finance assistant of examples/finance-assistant/.",
  options: {
    policy: { type: "string", value: "FILE", description: "the policy (default: the finance assistant's)" },
    session: { type: "string", value: "FILE", description: "the scripted session (JSON)" },
  },
  examples: ["aarm demo", "aarm demo --policy my.aarm --session my-session.json"],
  async run(positionals, values, io) {
    if (positionals.length > 0) throw new CliError(`demo: unexpected argument "${positionals[0]}"`);
    const example = join(PACKAGE_ROOT, "examples", "finance-assistant");
    const policyPath = typeof values.policy === "string" ? values.policy : join(example, "policy.aarm");
    const sessionPath = typeof values.session === "string" ? values.session : join(example, "session.json");
    const policy = loadPolicy(io, policyPath);
    const script = readScript(sessionPath, io.cwd);

    io.stdout(`${paint(io, "bold", `policy ${policy.name} ${policy.version}`)}\n`);
    if (script.description !== "") io.stdout(`${script.description}\n`);
    if (script.snapshot.intent !== undefined) io.stdout(`user request: "${script.snapshot.intent.text}"\n`);

    const history: HistoryEntry[] = [];
    const counts = new Map<DecisionKind, number>();
    for (const [i, step] of script.steps.entries()) {
      const input = { action: step.action, snapshot: { ...script.snapshot, history: [...history] } };
      io.stdout(`\n[${i + 1}] ${step.note}\n    ${step.action.tool} ${JSON.stringify(step.action.args)}\n`);
      const conformance = conformInput(policy, input);
      if (!conformance.ok) {
        counts.set("DENY", (counts.get("DENY") ?? 0) + 1);
        io.stdout(`    ${decisionWord(io, "DENY")} malformed action: ${conformance.problems.join("; ")}\n`);
        continue;
      }
      const decision = evaluate(policy, input);
      counts.set(decision.decision, (counts.get(decision.decision) ?? 0) + 1);
      io.stdout(
        `    ${decisionWord(io, decision.decision)}\n${explainLines(io, decision, "      ").join("\n")}\n`,
      );
      if (decision.decision === "ALLOW" || decision.decision === "MODIFY") {
        const args = decision.modifications?.args ?? step.action.args;
        const labels = labelOutput(policy, step.action.tool, args, step.output);
        const effect = policy.tools.get(step.action.tool)?.effect ?? "execute";
        history.push({ tool: step.action.tool, effect, args, time: step.action.time, labels });
        io.stdout(`      ran; output labelled ${labels.join(", ")}\n`);
      } else if (decision.decision === "STEP_UP" || decision.decision === "DEFER") {
        io.stdout("      not run: no approver or fact arrives in this script, so it times out to DENY\n");
      } else {
        io.stdout("      not run\n");
      }
    }
    const order: DecisionKind[] = ["ALLOW", "MODIFY", "STEP_UP", "DEFER", "DENY"];
    io.stdout(`\n${order.map((k) => `${counts.get(k) ?? 0} ${k}`).join(", ")}\n`);
    return EXIT.ok;
  },
};
