/**
 * Validators for the canonical schemas.
 *
 * One Ajv instance holds every document, so cross-document `$ref`s resolve
 * locally; it is created on first use and each validator is compiled the
 * first time it is called, then reused. Validation never throws: it returns
 * the value, typed, or the reasons it was rejected.
 *
 * @module
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsMod from "ajv-formats";
import {
  actionSchema,
  allSchemas,
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
} from "./documents.ts";
import { type ConditionNotes, conditionNotes, formatErrors, type SchemaError } from "./errors.ts";
import type {
  Action,
  ApprovalRequest,
  ApprovalResult,
  Decision,
  DeferralResolution,
  DeferredAction,
  Intent,
  Receipt,
  SessionContext,
  TelemetryEvent,
} from "./generated/types.ts";

/** The outcome of validating an untrusted value against a schema. */
export type Validation<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly SchemaError[] };

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsMod.default;

let shared: { readonly ajv: Ajv2020; readonly notes: ConditionNotes } | null = null;

function engine(): { readonly ajv: Ajv2020; readonly notes: ConditionNotes } {
  if (shared === null) {
    const ajv = new Ajv2020({
      schemas: [...allSchemas],
      allErrors: true,
      strict: true,
      // "at least one of human or service" is `anyOf: [{required: [human]}, …]`, which strictRequired
      // rejects because the branch does not repeat the properties; the schema tests check names instead.
      strictRequired: false,
      discriminator: true,
      // Errors then carry their schema, which turns raw errors into readable ones.
      verbose: true,
    });
    addFormats(ajv);
    shared = { ajv, notes: conditionNotes(allSchemas) };
  }
  return shared;
}

/** A validator for `schema`, compiled on its first call and reused after. */
function validator<T>(schema: SchemaDocument): (value: unknown) => Validation<T> {
  let compiled: ValidateFunction<T> | null = null;
  return (value) => {
    const { ajv, notes } = engine();
    compiled ??= ajv.compile<T>(schema);
    if (compiled(value)) return { ok: true, value };
    return { ok: false, errors: formatErrors(compiled.errors ?? [], notes) };
  };
}

/** A canonical action (`action.schema.json`). */
export const validateAction: (value: unknown) => Validation<Action> = validator(actionSchema);
/** A user's original request (`intent.schema.json`). */
export const validateIntent: (value: unknown) => Validation<Intent> = validator(intentSchema);
/** A session's accumulated context (`session-context.schema.json`). */
export const validateSessionContext: (value: unknown) => Validation<SessionContext> =
  validator(sessionContextSchema);
/** A policy decision (`decision.schema.json`). */
export const validateDecision: (value: unknown) => Validation<Decision> = validator(decisionSchema);
/** A signed receipt (`receipt.schema.json`); checks the shape only, not the signature or the chain. */
export const validateReceipt: (value: unknown) => Validation<Receipt> = validator(receiptSchema);
/** An approval request (`approval-request.schema.json`). */
export const validateApprovalRequest: (value: unknown) => Validation<ApprovalRequest> =
  validator(approvalRequestSchema);
/** An approval result (`approval-result.schema.json`). */
export const validateApprovalResult: (value: unknown) => Validation<ApprovalResult> =
  validator(approvalResultSchema);
/** A deferred action (`deferred-action.schema.json`). */
export const validateDeferredAction: (value: unknown) => Validation<DeferredAction> =
  validator(deferredActionSchema);
/** A deferral resolution (`deferral-resolution.schema.json`). */
export const validateDeferralResolution: (value: unknown) => Validation<DeferralResolution> =
  validator(deferralResolutionSchema);
/** A telemetry event of any type (`telemetry-event.schema.json`). */
export const validateTelemetryEvent: (value: unknown) => Validation<TelemetryEvent> =
  validator(telemetryEventSchema);
