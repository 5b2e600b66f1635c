/**
 * The compiler's diagnostic codes (AARM5xxx): problems found while lowering a
 * checked policy to the IR, and what lowering proves about it. Codes are
 * stable; each has a page in `docs/diagnostics/<code>.md`.
 *
 * @module
 */
import type { CodeInfo } from "../lang/codes-syntax.ts";

/** Every code the compiler reports, in numeric order. */
export const IR_CODES = [
  { code: "AARM5001", severity: "error", title: "construct the IR cannot express" },
  { code: "AARM5002", severity: "error", title: "policy over its cost budget" },
  { code: "AARM5003", severity: "warning", title: "rule never decides anything" },
] as const satisfies readonly CodeInfo[];

export type IrCode = (typeof IR_CODES)[number]["code"];
