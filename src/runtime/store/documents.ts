/**
 * How approvals and deferrals are stored: each document as canonical JSON
 * text, validated against its schema when written (`invalid`) and again when
 * read back (`corrupt`), so a store never hands out a document of the wrong
 * shape, whatever happened to the rows in between.
 *
 * @module
 */
import { canonicalize } from "../../schema/canonical.ts";
import type { SchemaError } from "../../schema/errors.ts";
import type {
  ApprovalRequest,
  ApprovalResult,
  ApproverResponse,
  DeferralResolution,
  DeferredAction,
} from "../../schema/generated/types.ts";
import {
  type Validation,
  validateApprovalRequest,
  validateApprovalResult,
  validateDeferralResolution,
  validateDeferredAction,
} from "../../schema/validate.ts";
import { checkId, checkSize, failure, type StoreLimits, success } from "./checks.ts";
import type { ApprovalChange, ApprovalRecord, DeferralChange, DeferralRecord, StoreResult } from "./types.ts";
import { compileValidator } from "./validators.ts";

const validateResponses = compileValidator<ApproverResponse[]>({
  type: "array",
  items: { $ref: "https://aarm.dev/schema/v1/approval-result.schema.json#/$defs/ApproverResponse" },
  maxItems: 256,
});

/** An approval as a row: keys, flags and document texts. */
export interface ApprovalRow {
  readonly request_id: string;
  readonly session_id: string;
  readonly pending: boolean;
  readonly version: number;
  readonly request: string;
  readonly responses: string;
  readonly result: string | null;
}

/** A deferral as a row: keys, flags and document texts. */
export interface DeferralRow {
  readonly deferral_id: string;
  readonly session_id: string;
  readonly pending: boolean;
  readonly version: number;
  readonly deferred: string;
  readonly resolution: string | null;
}

function describe(errors: readonly SchemaError[]): string {
  return errors
    .slice(0, 3)
    .map((error) => `${error.path === "" ? "/" : error.path}: ${error.message}`)
    .join("; ");
}

function encode<T>(
  what: string,
  value: T,
  validate: (value: unknown) => Validation<T>,
  limits: StoreLimits,
): StoreResult<string> {
  const valid = validate(value);
  if (!valid.ok) return failure("invalid", `${what} does not match its schema: ${describe(valid.errors)}`);
  const text = canonicalize(value);
  if (!text.ok) return failure("invalid", `${what} has no canonical JSON form: ${text.error.message}`);
  const size = checkSize(what, text.value.length, limits);
  return size === null ? success(text.value) : { ok: false, error: size };
}

/** Parses and validates a stored document. */
function decode<T>(
  what: string,
  text: string,
  validate: (value: unknown) => Validation<T>,
  limits: StoreLimits,
): StoreResult<T> {
  if (text.length > limits.maxDocumentChars)
    return failure("corrupt", `stored ${what} exceeds the size bound`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return failure("corrupt", `stored ${what} is not JSON`);
  }
  const valid = validate(parsed);
  return valid.ok
    ? success(valid.value)
    : failure("corrupt", `stored ${what} is invalid: ${describe(valid.errors)}`);
}

/** The row for an approval, or why it cannot be stored. */
export function encodeApproval(record: ApprovalRecord, limits: StoreLimits): StoreResult<ApprovalRow> {
  const { request, result } = record;
  const idProblem = checkId("request id", request.request_id);
  if (idProblem !== null) return { ok: false, error: idProblem };
  if (result !== null && result.request_id !== request.request_id) {
    return failure("invalid", `result answers ${result.request_id}, not ${request.request_id}`);
  }
  const requestText = encode<ApprovalRequest>("approval request", request, validateApprovalRequest, limits);
  if (!requestText.ok) return requestText;
  const responsesText = encode("approver responses", [...record.responses], validateResponses, limits);
  if (!responsesText.ok) return responsesText;
  let resultText: string | null = null;
  if (result !== null) {
    const encoded = encode<ApprovalResult>("approval result", result, validateApprovalResult, limits);
    if (!encoded.ok) return encoded;
    resultText = encoded.value;
  }
  return success({
    request_id: request.request_id,
    session_id: request.action.identity.session,
    pending: result === null,
    version: record.version,
    request: requestText.value,
    responses: responsesText.value,
    result: resultText,
  });
}

/** The approval a row holds, or `corrupt`. */
export function decodeApproval(row: ApprovalRow, limits: StoreLimits): StoreResult<ApprovalRecord> {
  const request = decode("approval request", row.request, validateApprovalRequest, limits);
  if (!request.ok) return request;
  const responses = decode("approver responses", row.responses, validateResponses, limits);
  if (!responses.ok) return responses;
  let result: ApprovalResult | null = null;
  if (row.result !== null) {
    const decoded = decode("approval result", row.result, validateApprovalResult, limits);
    if (!decoded.ok) return decoded;
    result = decoded.value;
  }
  if (request.value.request_id !== row.request_id || (result === null) !== row.pending) {
    return failure("corrupt", `stored approval ${row.request_id} disagrees with its key columns`);
  }
  return success({ request: request.value, responses: responses.value, result, version: row.version });
}

/** The row for a deferral, or why it cannot be stored. */
export function encodeDeferral(record: DeferralRecord, limits: StoreLimits): StoreResult<DeferralRow> {
  const { deferred, resolution } = record;
  const idProblem = checkId("deferral id", deferred.deferral_id);
  if (idProblem !== null) return { ok: false, error: idProblem };
  if (resolution !== null && resolution.deferral_id !== deferred.deferral_id) {
    return failure("invalid", `resolution is for ${resolution.deferral_id}, not ${deferred.deferral_id}`);
  }
  const deferredText = encode<DeferredAction>("deferred action", deferred, validateDeferredAction, limits);
  if (!deferredText.ok) return deferredText;
  let resolutionText: string | null = null;
  if (resolution !== null) {
    const encoded = encode<DeferralResolution>(
      "deferral resolution",
      resolution,
      validateDeferralResolution,
      limits,
    );
    if (!encoded.ok) return encoded;
    resolutionText = encoded.value;
  }
  return success({
    deferral_id: deferred.deferral_id,
    session_id: deferred.action.identity.session,
    pending: resolution === null,
    version: record.version,
    deferred: deferredText.value,
    resolution: resolutionText,
  });
}

/** The deferral a row holds, or `corrupt`. */
export function decodeDeferral(row: DeferralRow, limits: StoreLimits): StoreResult<DeferralRecord> {
  const deferred = decode("deferred action", row.deferred, validateDeferredAction, limits);
  if (!deferred.ok) return deferred;
  let resolution: DeferralResolution | null = null;
  if (row.resolution !== null) {
    const decoded = decode("deferral resolution", row.resolution, validateDeferralResolution, limits);
    if (!decoded.ok) return decoded;
    resolution = decoded.value;
  }
  if (deferred.value.deferral_id !== row.deferral_id || (resolution === null) !== row.pending) {
    return failure("corrupt", `stored deferral ${row.deferral_id} disagrees with its key columns`);
  }
  return success({ deferred: deferred.value, resolution, version: row.version });
}

/** Why a stored record may not be updated from `expectedVersion`, or null. */
function updateConflict(
  what: string,
  row: { readonly version: number; readonly pending: boolean },
  expectedVersion: number,
): string | null {
  if (row.version !== expectedVersion) {
    return `${what} is at version ${row.version}, not ${expectedVersion}`;
  }
  return row.pending ? null : `${what} is already settled`;
}

/** The row replacing `row` after `change`, or why the update is refused. */
export function nextApproval(
  row: ApprovalRow,
  expectedVersion: number,
  change: ApprovalChange,
  limits: StoreLimits,
): StoreResult<ApprovalRow> {
  const conflict = updateConflict(`approval ${row.request_id}`, row, expectedVersion);
  if (conflict !== null) return failure("conflict", conflict);
  const current = decodeApproval(row, limits);
  if (!current.ok) return current;
  return encodeApproval({ request: current.value.request, ...change, version: expectedVersion + 1 }, limits);
}

/** The row replacing `row` after `change`, or why the update is refused. */
export function nextDeferral(
  row: DeferralRow,
  expectedVersion: number,
  change: DeferralChange,
  limits: StoreLimits,
): StoreResult<DeferralRow> {
  if (change.deferred.deferral_id !== row.deferral_id) {
    return failure("invalid", `cannot turn deferral ${row.deferral_id} into ${change.deferred.deferral_id}`);
  }
  const conflict = updateConflict(`deferral ${row.deferral_id}`, row, expectedVersion);
  if (conflict !== null) return failure("conflict", conflict);
  const current = decodeDeferral(row, limits);
  if (!current.ok) return current;
  // The suspended action is what the deferral is about; only its state may move.
  const before = canonicalize(current.value.deferred.action);
  const after = canonicalize(change.deferred.action);
  if (!before.ok || !after.ok || before.value !== after.value) {
    return failure("invalid", `deferral ${row.deferral_id} cannot change its action`);
  }
  return encodeDeferral({ ...change, version: expectedVersion + 1 }, limits);
}
