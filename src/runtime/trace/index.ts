/**
 * The decision trace format (`docs/trace.md`): types, reader and writer, for
 * the runtime that records traces and the commands that replay them.
 *
 * @module
 */
export * from "./format.ts";
export type { JsonPath } from "./json-scan.ts";
export { type LineLimits, DEFAULT_LIMITS } from "./lines.ts";
export {
  parseTraceLine,
  type PointCheck,
  type PointResult,
  readTrace,
  readTraceText,
  type RecordResult,
  TraceAssembler,
} from "./reader.ts";
export { type TraceDecision, type TraceOutcome, TraceWriter, type WriteResult } from "./writer.ts";
export { evalDecisionOf, exportTrace, type TraceExport } from "./export.ts";
