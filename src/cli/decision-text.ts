/**
 * Human rendering of a decision and its explanation, shared by every command
 * that shows decisions (`aarmc explain`, `aarm demo`).
 *
 * @module
 */
import type { DecisionKind, EvalDecision, Json } from "../ir/contract.ts";
import { type Io, paint } from "./io.ts";

const STYLE: Record<DecisionKind, "green" | "red" | "yellow" | "cyan"> = {
  ALLOW: "green",
  DENY: "red",
  MODIFY: "cyan",
  STEP_UP: "yellow",
  DEFER: "yellow",
};

function formatMs(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** The decision word, coloured. */
export function decisionWord(io: Io, decision: DecisionKind): string {
  return paint(io, STYLE[decision], decision);
}

/** Indented lines explaining a decision: deciding rules with reasons, and what the decision asks for. */
export function explainLines(io: Io, d: EvalDecision, indent = "  "): string[] {
  const lines: string[] = [];
  d.rules.forEach((rule, i) => {
    lines.push(`${indent}${paint(io, "bold", rule)}: ${d.reasons[i] ?? ""}`);
  });
  if (d.classification !== null) lines.push(`${indent}classification: ${d.classification}`);
  if (d.risk !== null) lines.push(`${indent}risk: ${d.risk}`);
  if (d.modifications !== null) {
    for (const m of d.modifications.applied) {
      const path = `args.${m.path.join(".")}`;
      const what =
        m.op === "set"
          ? `set ${path} = ${JSON.stringify(m.value)}`
          : m.op === "remove"
            ? `remove ${path}`
            : m.op === "clamp"
              ? `clamp ${path} to ${m.min}..${m.max}`
              : `redact ${path}${m.pattern === null ? "" : ` matching /${m.pattern}/`}`;
      lines.push(`${indent}${what} (${m.rule})`);
    }
    lines.push(`${indent}arguments after modification: ${JSON.stringify(d.modifications.args as Json)}`);
  }
  if (d.approval !== null) {
    const a = d.approval;
    lines.push(
      `${indent}needs approval: ${a.quorum} of [${a.approvers.join(", ")}] within ${formatMs(a.timeoutMs)}` +
        (a.escalation === null
          ? ""
          : `, escalating after ${formatMs(a.escalation.afterMs)} to [${a.escalation.to.join(", ")}]`),
    );
  }
  if (d.deferral !== null) {
    lines.push(`${indent}deferred for at most ${formatMs(d.deferral.timeoutMs)}, then ${d.deferral.then}`);
  }
  if (d.contextNeeded.length > 0) lines.push(`${indent}context needed: ${d.contextNeeded.join(", ")}`);
  return lines;
}
