/**
 * `aarmc replay`: decide every decision point of a recorded trace again —
 * under the policy it was recorded with, to check that recorded decisions
 * replay exactly, or under two policies (`--against`), to preview the impact
 * of a policy change on real sessions before it ships.
 *
 * @module
 */
import { openSync, readSync, closeSync } from "node:fs";
import { resolve } from "node:path";
import type { DecisionKind, EvalDecision } from "../../ir/contract.ts";
import type { Command } from "../command.ts";
import { decisionWord } from "../decision-text.ts";
import { CliError, EXIT } from "../errors.ts";
import { type Io, paint } from "../io.ts";
import { type Progress, startProgress } from "../progress.ts";
import {
  changeKind,
  type CompareLevel,
  differingFields,
  fieldChanges,
  sameDecision,
} from "../search/compare.ts";
import { COMPARE_HELP, COMPARE_OPTION, compareLevel } from "../search/flags.ts";
import { decide, foreignTool, loadSubject, policyLabel, policyRef, type Subject } from "../search/subject.ts";
import type { TracePolicyRef } from "../../runtime/trace/index.ts";
import { readTraceFile } from "../trace/load.ts";
import { printable } from "../trace/printable.ts";

/** What is kept of one decision point once it is decided: enough to print it, not its input. */
interface Row {
  readonly line: number;
  readonly session: string;
  readonly step: number;
  readonly tool: string;
  readonly recorded: EvalDecision;
  readonly decision: EvalDecision;
  /** Under the `--against` policy. */
  readonly against: EvalDecision | null;
}

const ORDER: readonly DecisionKind[] = ["ALLOW", "MODIFY", "STEP_UP", "DEFER", "DENY"];
/** Notes about other policies the trace was recorded under, at most. */
const MAX_NOTES = 3;

/** Lines of a trace file, counted for the progress display; null when it cannot be counted cheaply. */
function countLines(path: string, cwd: string): number | null {
  if (path === "-") return null;
  let fd: number;
  try {
    fd = openSync(resolve(cwd, path), "r");
  } catch {
    return null;
  }
  try {
    const buffer = new Uint8Array(1 << 16);
    let lines = 0;
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      for (let i = buffer.indexOf(10); i >= 0 && i < n; i = buffer.indexOf(10, i + 1)) lines++;
    }
    return lines + 1;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function progressFor(io: Io, path: string): Progress {
  const total = process.stderr.isTTY === true ? countLines(path, io.cwd) : null;
  return startProgress(io, "replaying", total ?? 0);
}

/** ` (what)` when two decisions of the same kind differ in other fields, else nothing. */
function sameKindDetail(a: EvalDecision, b: EvalDecision, level: CompareLevel): string {
  return a.decision === b.decision ? ` (${differingFields(a, b, level).join(", ")})` : "";
}

function rulesText(d: EvalDecision): string {
  return printable(d.rules.join(", "));
}

function reasonsText(d: EvalDecision): string {
  return d.reasons.length > 0 ? ` — ${printable(d.reasons.join("; "))}` : "";
}

/** Rows as aligned columns; `style` colours a padded cell (colour codes take no width). */
function table(
  rows: readonly (readonly string[])[],
  style: (row: number, column: number, cell: string) => string,
): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row, r) =>
    row
      .map((cell, i) => style(r, i, i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function countsText(counts: ReadonlyMap<string, number>): string {
  return [...counts].map(([k, n]) => `${n} ${k}`).join(", ");
}

/** Policies the trace recorded that are not `subject` (by hash), for a note. */
function otherPolicies(recorded: ReadonlyMap<string, TracePolicyRef>, subject: Subject): TracePolicyRef[] {
  return [...recorded.values()].filter((ref) => ref.hash !== subject.ir.hash);
}

function renderReplay(
  io: Io,
  trace: string,
  subject: Subject,
  rows: readonly Row[],
  level: CompareLevel,
  recorded: ReadonlyMap<string, TracePolicyRef>,
): string {
  const lines = [`replaying ${trace} under ${policyLabel(policyRef(subject))}`];
  const cells = rows.map((r) => {
    const mark = sameDecision(r.recorded, r.decision, level)
      ? ""
      : `≠ recorded ${r.recorded.decision} by ${rulesText(r.recorded)}${sameKindDetail(r.recorded, r.decision, level)}`;
    return [
      printable(r.session),
      String(r.step),
      printable(r.tool),
      r.decision.decision,
      rulesText(r.decision),
      mark,
    ];
  });
  const styled = table(
    [["session", "step", "tool", "decision", "rules", ""], ...cells],
    (row, column, cell) => {
      if (row === 0) return paint(io, "bold", cell);
      const decision = rows[row - 1]?.decision.decision;
      if (column === 3 && decision !== undefined) return cell.replace(decision, decisionWord(io, decision));
      return column === 5 ? paint(io, "yellow", cell) : cell;
    },
  );
  lines.push(...styled);
  const sessions = new Set(rows.map((r) => r.session)).size;
  const kinds = countBy(rows, (r) => r.decision.decision);
  const ordered = new Map(ORDER.filter((k) => kinds.has(k)).map((k) => [k, kinds.get(k) ?? 0]));
  const mismatches = rows.filter((r) => !sameDecision(r.recorded, r.decision, level)).length;
  const verdict =
    mismatches === 0
      ? "every decision matches the recorded one"
      : paint(
          io,
          "yellow",
          `${mismatches} ${mismatches === 1 ? "differs" : "differ"} from the recorded decision (≠)`,
        );
  lines.push(
    "",
    `${plural(rows.length, "decision point")} in ${plural(sessions, "session")}${rows.length > 0 ? `: ${countsText(ordered)}` : ""}; ${verdict}`,
  );
  const others = otherPolicies(recorded, subject);
  for (const ref of others.slice(0, MAX_NOTES)) {
    lines.push(`note: the trace has decisions recorded under ${printable(policyLabel(ref))}`);
  }
  if (others.length > MAX_NOTES) lines.push(`note: … and under ${others.length - MAX_NOTES} other policies`);
  return `${lines.join("\n")}\n`;
}

/** Rows whose decision changes under the `--against` policy. */
function changedRows(
  rows: readonly Row[],
  level: CompareLevel,
): (Row & { readonly against: EvalDecision })[] {
  return rows.filter(
    (r): r is Row & { readonly against: EvalDecision } =>
      r.against !== null && !sameDecision(r.decision, r.against, level),
  );
}

function renderAgainst(
  io: Io,
  trace: string,
  old: Subject,
  next: Subject,
  rows: readonly Row[],
  level: CompareLevel,
): string {
  const changed = changedRows(rows, level);
  const sessions = new Set(rows.map((r) => r.session)).size;
  const lines = [
    `replaying ${trace} (${plural(rows.length, "decision point")} in ${plural(sessions, "session")})`,
    `  old: ${policyLabel(policyRef(old))}`,
    `  new: ${policyLabel(policyRef(next))}`,
  ];
  for (const r of changed) {
    const after = r.against;
    lines.push(
      "",
      `${paint(io, "bold", `${printable(r.session)} step ${r.step}`)} ${printable(r.tool)} (line ${r.line}): ${decisionWord(io, r.decision.decision)} → ${decisionWord(io, after.decision)}${sameKindDetail(r.decision, after, level)}`,
      `  old: ${rulesText(r.decision)}${reasonsText(r.decision)}`,
      `  new: ${rulesText(after)}${reasonsText(after)}`,
      ...fieldChanges(r.decision, after, level).map((line) => `  ${printable(line)}`),
    );
  }
  const byKind = countBy(changed, (r) => changeKind(r.decision, r.against, level));
  lines.push(
    "",
    changed.length === 0
      ? `no decision changes (${plural(rows.length, "decision point")})`
      : paint(
          io,
          "yellow",
          `${changed.length} of ${plural(rows.length, "decision")} change: ${countsText(byKind)}`,
        ),
  );
  return `${lines.join("\n")}\n`;
}

function brief(d: EvalDecision): { decision: DecisionKind; rules: readonly string[] } {
  return { decision: d.decision, rules: d.rules };
}

/** Every decision point, compactly, and whether it matches the recorded decision. */
function replayJson(
  trace: string,
  subject: Subject,
  rows: readonly Row[],
  level: CompareLevel,
  recorded: ReadonlyMap<string, TracePolicyRef>,
): object {
  return {
    trace,
    policy: policyRef(subject),
    compare: level,
    recordedUnder: [...recorded.values()],
    points: rows.map((r) => {
      const matches = sameDecision(r.recorded, r.decision, level);
      return {
        line: r.line,
        session: r.session,
        step: r.step,
        tool: r.tool,
        ...brief(r.decision),
        matchesRecorded: matches,
        ...(matches ? {} : { recorded: brief(r.recorded) }),
      };
    }),
    summary: {
      points: rows.length,
      sessions: new Set(rows.map((r) => r.session)).size,
      decisions: Object.fromEntries(countBy(rows, (r) => r.decision.decision)),
      mismatches: rows.filter((r) => !sameDecision(r.recorded, r.decision, level)).length,
    },
  };
}

/** The decision points whose decision changes between the policies, with both decisions in full. */
function againstJson(
  trace: string,
  old: Subject,
  next: Subject,
  rows: readonly Row[],
  level: CompareLevel,
): object {
  const changed = changedRows(rows, level);
  return {
    trace,
    old: policyRef(old),
    new: policyRef(next),
    compare: level,
    points: rows.length,
    sessions: new Set(rows.map((r) => r.session)).size,
    changed: changed.length,
    summary: Object.fromEntries(countBy(changed, (r) => changeKind(r.decision, r.against, level))),
    changes: changed.map((r) => ({
      line: r.line,
      session: r.session,
      step: r.step,
      tool: r.tool,
      change: changeKind(r.decision, r.against, level),
      old: r.decision,
      new: r.against,
    })),
  };
}

export const replay: Command = {
  name: "replay",
  summary: "decide a recorded trace again, or preview a policy change on it (--against)",
  usage: "<policy> <trace.jsonl> [--against <other-policy>] [--compare LEVEL] [--format human|json]",
  description:
    "Reads a decision trace (JSON lines, docs/trace.md; '-' reads standard input) and decides every\n" +
    "decision point again under <policy>, with the exact action and context that was recorded. Without\n" +
    "--against, prints one line per decision point and marks (≠) those whose replayed decision differs\n" +
    "from the recorded one; exit 1 if any does. With --against, decides every point under both policies\n" +
    "and shows each decision that changes (old → new) with the rules responsible, then a summary by kind\n" +
    "of change; exit 1 if anything changes, so CI can gate a policy change on its impact.\n" +
    COMPARE_HELP +
    "Exit status: 0 nothing differs, 1 something differs, 2 bad input.",
  options: {
    against: {
      type: "string",
      value: "POLICY",
      description: "a second policy: show what changes from <policy> to it",
    },
    compare: COMPARE_OPTION,
    format: { type: "string", value: "FORMAT", description: "output format", choices: ["human", "json"] },
  },
  examples: [
    "aarmc replay policy.aarm traces/2026-11-22.jsonl",
    "aarmc replay policy.aarm traces/2026-11-22.jsonl --against policy.next.aarm",
    "aarmc replay policy.aarm trace.jsonl --against next.aarm --compare decision --format json | jq '.summary'",
  ],
  async run(positionals, values, io) {
    const [policyPath, tracePath, ...extra] = positionals;
    if (policyPath === undefined) throw new CliError("replay: missing <policy>");
    if (tracePath === undefined) throw new CliError("replay: missing <trace.jsonl>");
    if (extra.length > 0) throw new CliError(`replay: unexpected argument "${extra[0]}"`);
    const level = compareLevel(values);
    const subject = loadSubject(io, policyPath);
    const against = typeof values.against === "string" ? loadSubject(io, values.against) : null;
    const subjects = against === null ? [subject] : [subject, against];

    const rows: Row[] = [];
    const recorded = new Map<string, TracePolicyRef>();
    const progress = progressFor(io, tracePath);
    try {
      for (const point of readTraceFile(tracePath, io.cwd, foreignTool(subjects))) {
        progress.advance(`${printable(point.session)} step ${point.step}`);
        recorded.set(point.policy.hash, point.policy);
        rows.push({
          line: point.line,
          session: point.session,
          step: point.step,
          tool: point.input.action.tool,
          recorded: point.recorded,
          decision: decide(subject, point.input),
          against: against === null ? null : decide(against, point.input),
        });
      }
    } finally {
      progress.done();
    }

    if (against !== null) {
      if (values.format === "json") {
        io.stdout(`${JSON.stringify(againstJson(tracePath, subject, against, rows, level), null, 2)}\n`);
      } else {
        io.stdout(renderAgainst(io, tracePath, subject, against, rows, level));
      }
      return changedRows(rows, level).length > 0 ? EXIT.failure : EXIT.ok;
    }

    if (values.format === "json") {
      io.stdout(`${JSON.stringify(replayJson(tracePath, subject, rows, level, recorded), null, 2)}\n`);
    } else {
      io.stdout(renderReplay(io, tracePath, subject, rows, level, recorded));
    }
    return rows.some((r) => !sameDecision(r.recorded, r.decision, level)) ? EXIT.failure : EXIT.ok;
  },
};
