/**
 * The canonical JSON Schema documents, as data.
 *
 * Imported as JSON modules so that the build copies them next to the
 * compiled code and they ship unchanged (`aarm/schema/<name>.schema.json`).
 *
 * @module
 */
import actionJson from "./json/action.schema.json" with { type: "json" };
import approvalRequestJson from "./json/approval-request.schema.json" with { type: "json" };
import approvalResultJson from "./json/approval-result.schema.json" with { type: "json" };
import commonJson from "./json/common.schema.json" with { type: "json" };
import decisionJson from "./json/decision.schema.json" with { type: "json" };
import deferralResolutionJson from "./json/deferral-resolution.schema.json" with { type: "json" };
import deferredActionJson from "./json/deferred-action.schema.json" with { type: "json" };
import intentJson from "./json/intent.schema.json" with { type: "json" };
import receiptJson from "./json/receipt.schema.json" with { type: "json" };
import sessionContextJson from "./json/session-context.schema.json" with { type: "json" };
import telemetryEventJson from "./json/telemetry-event.schema.json" with { type: "json" };

/** A JSON Schema 2020-12 document with its `$id` (`https://aarm.dev/schema/v1/<name>.schema.json`). */
export interface SchemaDocument {
  readonly $id: string;
  readonly title: string;
  readonly [keyword: string]: unknown;
}

/** Shared definitions (identity, delegation, decision vocabulary, …), referenced by the others. */
export const commonSchema: SchemaDocument = commonJson;
export const actionSchema: SchemaDocument = actionJson;
export const intentSchema: SchemaDocument = intentJson;
export const sessionContextSchema: SchemaDocument = sessionContextJson;
export const decisionSchema: SchemaDocument = decisionJson;
export const receiptSchema: SchemaDocument = receiptJson;
export const approvalRequestSchema: SchemaDocument = approvalRequestJson;
export const approvalResultSchema: SchemaDocument = approvalResultJson;
export const deferredActionSchema: SchemaDocument = deferredActionJson;
export const deferralResolutionSchema: SchemaDocument = deferralResolutionJson;
export const telemetryEventSchema: SchemaDocument = telemetryEventJson;

/** Every document, so that cross-document `$ref`s resolve locally. */
export const allSchemas: readonly SchemaDocument[] = [
  commonSchema,
  actionSchema,
  intentSchema,
  sessionContextSchema,
  decisionSchema,
  receiptSchema,
  approvalRequestSchema,
  approvalResultSchema,
  deferredActionSchema,
  deferralResolutionSchema,
  telemetryEventSchema,
];
