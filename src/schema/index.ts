/**
 * The canonical schemas: the data contract between every aarm component
 * (actions, context, decisions, receipts, approvals, deferrals, telemetry),
 * as JSON Schema documents, TypeScript types generated from them, and
 * validators.
 *
 * @module
 */
export * from "./documents.ts";
export { MAX_ERRORS, type SchemaError } from "./errors.ts";
export type * from "./generated/types.ts";
export * from "./validate.ts";
