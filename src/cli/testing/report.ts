/**
 * Reporting test results: for people (every session and step marked pass or
 * fail, failures explained, coverage) and for machines (`--format json`).
 *
 * A failing step shows where it is written, the action, each difference
 * between expected and actual, and the explanation of the decision actually
 * made — deciding rules with their reasons, approval, deferral and context
 * needed, and whatever further explanation the caller supplies.
 *
 * @module
 */
import type { ExplainedRule, Explanation } from "../../eval/explain.ts";
import type { Json } from "../../ir/contract.ts";
import { decisionWord, explainLines } from "../decision-text.ts";
import { type Io, paint } from "../io.ts";
import type { CoverageReport } from "./coverage.ts";
import type { Expectation } from "./model.ts";
import { type FileResult, type SessionResult, type StepResult, sessionPassed, stepPassed } from "./runner.ts";

export interface Summary {
  readonly files: number;
  readonly sessions: number;
  readonly sessionsFailed: number;
  readonly steps: number;
  readonly passed: number;
  readonly failed: number;
}

export function summarize(results: readonly FileResult[]): Summary {
  const sessions = results.flatMap((f) => f.sessions);
  const steps = sessions.flatMap((s) => s.steps);
  const failed = steps.filter((s) => !stepPassed(s)).length;
  return {
    files: results.length,
    sessions: sessions.length,
    sessionsFailed: sessions.filter((s) => !sessionPassed(s)).length,
    steps: steps.length,
    passed: steps.length - failed,
    failed,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** A one-line label of a step: its number, its name if any, and its tool. */
export function stepLabel(step: StepResult): string {
  return `step ${step.index}: ${step.tool}${step.name === null ? "" : ` — ${step.name}`}`;
}

const MARK: Readonly<Record<string, string>> = { true: "✓", false: "✗", unknown: "?" };

/** The clauses of a rule, each marked held (✓), failed (✗) or unknown (?). */
function clauseLines(rule: ExplainedRule): string[] {
  return rule.clauses.map(
    (c) =>
      `  ${MARK[String(c.value)] ?? "?"} ${c.text}${c.missing.length === 0 ? "" : ` (missing: ${c.missing.join(", ")})`}`,
  );
}

/** The explanation of a decision: the deciding rules' clauses, near misses and hints. */
export function explanationLines(e: Explanation): string[] {
  const lines: string[] = [];
  for (const rule of e.deciding) {
    const on = rule.modified ? " on the modified action" : "";
    lines.push(
      rule.clauses.length === 0
        ? `${rule.rule} (${rule.kind}) matches every ${e.tool} action${on}`
        : `${rule.rule} (${rule.kind})${on}:`,
      ...clauseLines(rule),
    );
  }
  for (const rule of e.nearMisses)
    lines.push(`near miss: ${rule.rule} (${rule.kind}):`, ...clauseLines(rule));
  for (const hint of e.hints) lines.push(`hint: ${hint.text}`);
  return lines;
}

/** Colour never: for text written to files. */
const PLAIN: Io = { stdout: () => {}, stderr: () => {}, cwd: "", color: false };

/** Why a step failed, for people: where, the action, each difference, and the actual decision explained. */
export function failureLines(
  file: string,
  session: SessionResult,
  step: StepResult,
  io: Io = PLAIN,
): string[] {
  const lines = [
    `at ${file}:${step.line}, session "${session.name}", ${stepLabel(step)}`,
    `action: ${step.tool} ${JSON.stringify(step.args)} at ${new Date(step.time).toISOString()}`,
  ];
  if (step.error !== null) return [...lines, paint(io, "red", step.error)];
  lines.push(...step.mismatches.map((m) => paint(io, "red", m)));
  const d = step.decision;
  if (d !== null) {
    lines.push(`the actual decision, ${decisionWord(io, d.decision)}:`);
    lines.push(...explainLines(io, d, "  "));
    if (step.explanation !== null) lines.push(...explanationLines(step.explanation).map((l) => `  ${l}`));
  }
  return lines;
}

/** The human report of the test results. */
export function renderHuman(io: Io, results: readonly FileResult[]): string {
  const ok = paint(io, "green", "✓");
  const bad = paint(io, "red", "✗");
  const out: string[] = [];
  for (const file of results) {
    out.push(`${paint(io, "bold", file.file)} — policy ${file.name} ${file.version} (${file.policy})`);
    for (const session of file.sessions) {
      out.push(`  ${sessionPassed(session) ? ok : bad} ${session.name}`);
      for (const step of session.steps) {
        const actual =
          step.decision === null ? paint(io, "red", "error") : decisionWord(io, step.decision.decision);
        const expected =
          step.decision?.decision === step.expected.decision ? "" : `, expected ${step.expected.decision}`;
        out.push(`      ${stepPassed(step) ? ok : bad} ${stepLabel(step)} → ${actual}${expected}`);
        if (!stepPassed(step)) {
          for (const line of failureLines(file.file, session, step, io)) out.push(`          ${line}`);
        }
      }
    }
    out.push("");
  }
  const s = summarize(results);
  const line =
    `${plural(s.files, "file")}, ${plural(s.sessions, "session")} (${s.sessionsFailed} failed), ` +
    `${plural(s.steps, "step")}: ${s.passed} passed, ${s.failed} failed`;
  out.push(s.failed > 0 ? paint(io, "red", line) : paint(io, "green", line));
  return `${out.join("\n")}\n`;
}

/** The human coverage report; `minimum` marks policies below it. */
export function renderCoverage(io: Io, reports: readonly CoverageReport[], minimum: number | null): string {
  const out = ["", paint(io, "bold", "coverage")];
  for (const r of reports) {
    if (!r.tested) {
      out.push(`  ${paint(io, "red", r.policy)}: no test file tests this policy`);
      continue;
    }
    const below = minimum !== null && r.ruleCoverage.covered * 100 < minimum * r.ruleCoverage.total;
    const rules = `rules ${r.ruleCoverage.covered}/${r.ruleCoverage.total} (${r.ruleCoverage.percent}%)`;
    out.push(
      `  ${r.policy} (${r.name ?? ""}): ${below ? paint(io, "red", rules) : rules}, ` +
        `branches ${r.branchCoverage.covered}/${r.branchCoverage.total} (${r.branchCoverage.percent}%)`,
    );
    for (const rule of r.rules.filter((x) => !x.covered)) {
      out.push(
        `    not covered: ${rule.kind} ${rule.id}${rule.reachable ? "" : " (never a candidate for any tool)"}`,
      );
    }
    for (const branch of r.branches.filter((b) => !b.reached)) out.push(`    not reached: ${branch.label}`);
  }
  return `${out.join("\n")}\n`;
}

function expectationJson(e: Expectation): Json {
  const out: { [key: string]: Json } = { decision: e.decision };
  if (e.rules !== undefined) out.rules = [...e.rules.names];
  if (e.reason !== undefined)
    out.reason = e.reason.exact ? { exact: e.reason.text } : { contains: e.reason.text };
  if (e.args !== undefined) out.args = e.args;
  if (e.modifications !== undefined) out.modifications = e.modifications.map((m) => ({ ...m }));
  if (e.approval !== undefined) {
    const a = e.approval;
    out.approval =
      typeof a === "boolean"
        ? a
        : {
            ...(a.approvers === undefined ? {} : { approvers: [...a.approvers] }),
            ...(a.quorum === undefined ? {} : { quorum: a.quorum }),
            ...(a.timeoutMs === undefined ? {} : { timeoutMs: a.timeoutMs }),
            ...(a.selfApproval === undefined ? {} : { selfApproval: a.selfApproval }),
            ...(a.escalation === undefined
              ? {}
              : {
                  escalation:
                    a.escalation === null
                      ? null
                      : {
                          ...(a.escalation.afterMs === undefined ? {} : { afterMs: a.escalation.afterMs }),
                          ...(a.escalation.to === undefined ? {} : { to: [...a.escalation.to] }),
                        },
                }),
          };
  }
  if (e.deferral !== undefined) out.deferral = { ...e.deferral };
  if (e.contextNeeded !== undefined) out.contextNeeded = [...e.contextNeeded];
  if (e.classification !== undefined) out.classification = e.classification;
  if (e.risk !== undefined) out.risk = e.risk;
  return out;
}

/** The machine report: every file, session and step with the expected and the actual decision. */
export function renderJson(
  results: readonly FileResult[],
  coverage: {
    readonly reports: readonly CoverageReport[];
    readonly minimum: number | null;
    readonly met: boolean;
  } | null,
): string {
  const files = results.map((f) => ({
    file: f.file,
    policy: f.policy,
    name: f.name,
    version: f.version,
    hash: f.hash,
    sessions: f.sessions.map((s) => ({
      name: s.name,
      line: s.line,
      passed: sessionPassed(s),
      steps: s.steps.map((step) => ({
        index: step.index,
        name: step.name,
        line: step.line,
        tool: step.tool,
        args: step.args,
        time: new Date(step.time).toISOString(),
        passed: stepPassed(step),
        expected: expectationJson(step.expected),
        decision: step.decision,
        mismatches: step.mismatches,
        error: step.error,
        labels: step.labels,
        explanation: step.explanation,
      })),
    })),
  }));
  return `${JSON.stringify({ files, summary: summarize(results), ...(coverage === null ? {} : { coverage }) }, null, 2)}\n`;
}
