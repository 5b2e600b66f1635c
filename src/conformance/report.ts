/**
 * The conformance report in its two forms: JSON for machines (the evidence
 * package as data) and Markdown for people (a table per requirement, then
 * every scenario with its evidence).
 *
 * @module
 */
import type { ConformanceReport } from "./types.ts";

const MARK = { pass: "pass", fail: "FAIL", not_applicable: "n/a", not_covered: "not covered" } as const;

/** The report as JSON text. */
export function reportJson(report: ConformanceReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Escapes text for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** The report as Markdown. */
export function reportMarkdown(report: ConformanceReport): string {
  const lines = [
    `# AARM conformance: ${report.passed ? "PASSED" : "FAILED"}`,
    "",
    `- deployment: **${report.deployment.kind}** — ${report.deployment.description}`,
    `- aarm ${report.aarm_version}, run started ${report.started_at}`,
    "",
    "| requirement | | verdict | scenarios |",
    "|---|---|---|---|",
    ...report.requirements.map(
      (r) => `| ${r.requirement} | ${cell(r.title)} | ${MARK[r.status]} | ${r.scenarios.join(", ")} |`,
    ),
    "",
    "## Scenarios",
    "",
  ];
  for (const s of report.scenarios) {
    lines.push(`### ${s.id} (${s.requirement}): ${MARK[s.status]}`, "", cell(s.title), "");
    if (s.reason !== null) lines.push(`- ${s.status === "fail" ? "failure" : "why"}: ${cell(s.reason)}`);
    for (const o of s.evidence.observations) lines.push(`- ${cell(o)}`);
    if (s.evidence.receipts.length > 0)
      lines.push(`- receipts: ${s.evidence.receipts.map((id) => `\`${id}\``).join(", ")}`);
    for (const v of s.evidence.verification)
      lines.push(
        `- verification: ${v.ok ? "ok" : "FAILED"}, ${v.verified} of ${v.checked} receipts, ${v.sessions} session chain(s)`,
      );
    for (const sample of s.evidence.telemetry) lines.push(`- telemetry: \`${sample.replace(/`/g, "'")}\``);
    lines.push("");
  }
  return lines.join("\n");
}
