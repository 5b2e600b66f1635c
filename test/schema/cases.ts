/**
 * Every top-level schema with its validator and its valid examples, so that
 * each test runs over all of them.
 */
import {
  actionSchema,
  approvalRequestSchema,
  approvalResultSchema,
  decisionSchema,
  deferralResolutionSchema,
  deferredActionSchema,
  intentSchema,
  receiptSchema,
  type SchemaDocument,
  sessionContextSchema,
  telemetryEventSchema,
  type Validation,
  validateAction,
  validateApprovalRequest,
  validateApprovalResult,
  validateDecision,
  validateDeferralResolution,
  validateDeferredAction,
  validateIntent,
  validateReceipt,
  validateSessionContext,
  validateTelemetryEvent,
} from "../../src/schema/index.ts";
import * as fixtures from "./fixtures.ts";

export interface SchemaCase {
  readonly name: string;
  readonly schema: SchemaDocument;
  readonly validate: (value: unknown) => Validation<unknown>;
  readonly examples: readonly unknown[];
}

export const cases: readonly SchemaCase[] = [
  { name: "Action", schema: actionSchema, validate: validateAction, examples: fixtures.actions },
  { name: "Intent", schema: intentSchema, validate: validateIntent, examples: fixtures.intents },
  {
    name: "SessionContext",
    schema: sessionContextSchema,
    validate: validateSessionContext,
    examples: fixtures.sessionContexts,
  },
  { name: "Decision", schema: decisionSchema, validate: validateDecision, examples: fixtures.decisions },
  { name: "Receipt", schema: receiptSchema, validate: validateReceipt, examples: fixtures.receipts },
  {
    name: "ApprovalRequest",
    schema: approvalRequestSchema,
    validate: validateApprovalRequest,
    examples: fixtures.approvalRequests,
  },
  {
    name: "ApprovalResult",
    schema: approvalResultSchema,
    validate: validateApprovalResult,
    examples: fixtures.approvalResults,
  },
  {
    name: "DeferredAction",
    schema: deferredActionSchema,
    validate: validateDeferredAction,
    examples: fixtures.deferredActions,
  },
  {
    name: "DeferralResolution",
    schema: deferralResolutionSchema,
    validate: validateDeferralResolution,
    examples: fixtures.deferralResolutions,
  },
  {
    name: "TelemetryEvent",
    schema: telemetryEventSchema,
    validate: validateTelemetryEvent,
    examples: fixtures.telemetryEvents,
  },
];
