/**
 * The checker's diagnostic codes: AARM2xxx loading and imports, AARM3xxx
 * names and types, AARM4xxx warnings (lints). Codes are stable: a code is
 * never reused for a different problem. Each has a page in
 * `docs/diagnostics/<code>.md`.
 *
 * @module
 */
import type { CodeInfo } from "./codes-syntax.ts";
import type { Severity } from "./diagnostic.ts";

/** Every code the checker reports, in numeric order. */
export const CHECK_CODES = [
  { code: "AARM2001", severity: "error", title: "file not found" },
  { code: "AARM2002", severity: "error", title: "file too large" },
  { code: "AARM2003", severity: "error", title: "import cycle" },
  { code: "AARM2004", severity: "error", title: "root file is not a policy" },
  { code: "AARM2005", severity: "error", title: "imported file is not a module" },
  { code: "AARM2006", severity: "error", title: "invalid MCP tool list" },
  { code: "AARM2007", severity: "error", title: "MCP tool list too large" },
  { code: "AARM2008", severity: "error", title: "unknown module parameter" },
  { code: "AARM2009", severity: "error", title: "module parameters bound differently" },
  { code: "AARM2010", severity: "error", title: "duplicate module name" },
  { code: "AARM2011", severity: "error", title: "parameter bound twice" },
  { code: "AARM2012", severity: "error", title: "invalid import path" },
  { code: "AARM3001", severity: "error", title: "unknown name" },
  { code: "AARM3002", severity: "error", title: "unknown tool" },
  { code: "AARM3003", severity: "error", title: "unknown argument" },
  { code: "AARM3004", severity: "error", title: "argument types differ between tools" },
  { code: "AARM3005", severity: "error", title: "arguments not available here" },
  { code: "AARM3006", severity: "error", title: "optional argument without presence test" },
  { code: "AARM3007", severity: "error", title: "type mismatch" },
  { code: "AARM3008", severity: "error", title: "invalid regular expression" },
  { code: "AARM3009", severity: "error", title: "invalid function call" },
  { code: "AARM3010", severity: "error", title: "duplicate declaration" },
  { code: "AARM3011", severity: "error", title: "reserved name" },
  { code: "AARM3012", severity: "error", title: "constant cycle" },
  { code: "AARM3013", severity: "error", title: "not a constant expression" },
  { code: "AARM3014", severity: "error", title: "default posture missing or misplaced" },
  { code: "AARM3015", severity: "error", title: "forbid rule depends on context" },
  { code: "AARM3016", severity: "error", title: "invalid approvers or quorum" },
  { code: "AARM3017", severity: "error", title: "invalid timeout" },
  { code: "AARM3018", severity: "error", title: "invalid modification" },
  { code: "AARM3019", severity: "error", title: "argument modified twice in one rule" },
  { code: "AARM3020", severity: "error", title: "refinement of a tool not imported from MCP" },
  { code: "AARM3021", severity: "error", title: "invalid tool target" },
  { code: "AARM3022", severity: "error", title: "not a label" },
  { code: "AARM3023", severity: "error", title: "more than one sensitivity level" },
  { code: "AARM3024", severity: "error", title: "invalid session query" },
  { code: "AARM3025", severity: "error", title: "reference not available here" },
  { code: "AARM3026", severity: "error", title: "invalid CIDR prefix" },
  { code: "AARM3027", severity: "error", title: "session query predicate reads context" },
  { code: "AARM3999", severity: "error", title: "internal checker error" },
  { code: "AARM4001", severity: "warning", title: "unused fact" },
  { code: "AARM4002", severity: "warning", title: "unused constant" },
  { code: "AARM4003", severity: "warning", title: "unused parameter" },
  { code: "AARM4004", severity: "warning", title: "unused category" },
  { code: "AARM4005", severity: "warning", title: "constant condition" },
  { code: "AARM4006", severity: "warning", title: "rule never matches" },
  { code: "AARM4007", severity: "warning", title: "rule shadowed by a forbid" },
  { code: "AARM4008", severity: "warning", title: "duplicate rule" },
  { code: "AARM4009", severity: "warning", title: "conflicting modifications" },
  { code: "AARM4010", severity: "warning", title: "MCP tool never refined" },
  { code: "AARM4011", severity: "warning", title: "comparison with an undeclared tool" },
] as const satisfies readonly CodeInfo[];

/** A code the checker may report. */
export type CheckCode = (typeof CHECK_CODES)[number]["code"];

const SEVERITY = new Map<string, Severity>(CHECK_CODES.map((c) => [c.code, c.severity]));

/** The severity of a checker code. */
export function severityOf(code: CheckCode): Severity {
  return SEVERITY.get(code) ?? "error";
}
