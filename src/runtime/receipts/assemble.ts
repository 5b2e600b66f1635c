/**
 * Building the consolidated receipt (spec §5.4, `receipt.schema.json`) from
 * the documents the runtime already has: the canonical action with its bound
 * identity, the policy decision, the context pointer, and whatever approval,
 * deferral and execution records apply. Sensitive parameters are replaced by
 * their hashes here, in both the requested and the modified parameters, so
 * no code path can sign a receipt with them in clear.
 *
 * The result is a draft: the chain link and the signature are added by the
 * issuer, under the session's lock.
 *
 * @module
 */
import type {
  Action,
  ApprovalResult,
  Decision,
  Execution,
  Receipt,
  ReceiptContext,
  ReceiptDeferral,
} from "../../schema/generated/types.ts";
import { type RedactionError, redactParameters } from "./redact.ts";

/** What a receipt is made of. */
export interface ReceiptParts {
  /** The receipt's id; the issuer generates one when absent. */
  readonly receipt_id?: string;
  /** For a follow-up (an approval outcome, a deferral resolution): the STEP_UP or DEFER receipt it follows. */
  readonly related_receipt_id?: string;
  /** The action as mediated, with the identity bound at interception. */
  readonly action: Action;
  /** When the identity claims were last verified, or null if they were not. */
  readonly identity_verified_at: string | null;
  readonly decision: Decision;
  /** The context the decision was made in: snapshot hash, context-log sequence number, summary. */
  readonly context: ReceiptContext;
  /** The approval outcome, in a STEP_UP follow-up. */
  readonly approval?: ApprovalResult;
  /** The deferral, in a DEFER receipt and in its follow-up (with the resolution). */
  readonly deferral?: ReceiptDeferral;
  /** What happened when the action ran. */
  readonly execution?: Execution;
  /** JSON Pointers into the parameters whose values are recorded by hash only (e.g. `/body`). */
  readonly sensitive?: readonly string[];
}

/** A receipt before it is chained and signed. */
export type ReceiptDraft = Omit<Receipt, "prev_receipt_hash" | "signature">;

/** The draft, or the redaction that failed. */
export type AssembleResult =
  | { readonly ok: true; readonly value: ReceiptDraft }
  | { readonly ok: false; readonly error: RedactionError };

/** `{ [key]: value }` when the value is present, `{}` otherwise: absent stays absent in the receipt. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]: V });
}

/** The receipt draft for `parts`, identified and timed as given. */
export function assembleReceipt(
  parts: ReceiptParts,
  identity: { readonly receipt_id: string; readonly issued_at: string },
): AssembleResult {
  const { action, decision } = parts;
  const sensitive = parts.sensitive ?? [];
  const parameters = redactParameters(action.parameters, sensitive);
  if (!parameters.ok) return parameters;
  let modified: ReceiptDraft["action"]["modified_parameters"] = null;
  if (decision.modifications !== null) {
    const redacted = redactParameters(decision.modifications.parameters, sensitive);
    if (!redacted.ok) return redacted;
    modified = redacted.value;
  }
  const who = action.identity;
  return {
    ok: true,
    value: {
      receipt_id: identity.receipt_id,
      version: "1.0",
      issued_at: identity.issued_at,
      related_receipt_id: parts.related_receipt_id ?? null,
      action: {
        action_id: action.action_id,
        timestamp: action.timestamp,
        tool: action.tool,
        ...optional("original_tool", action.original_tool),
        operation: action.operation,
        effect: action.effect,
        targets: action.targets,
        parameters: parameters.value,
        modified_parameters: modified,
      },
      requester_context: {
        ...optional("human", who.human),
        ...optional("service", who.service),
        ...optional("agent", who.agent),
        session: who.session,
        roles: who.roles,
        scope: who.scope,
        delegation_chain: who.delegation_chain,
        identity_verified_at: parts.identity_verified_at,
      },
      decision: {
        result: decision.result,
        classification: decision.classification,
        policy: {
          policy_id: decision.policy.name,
          rule_ids: decision.rules,
          version: decision.policy.version,
          hash: decision.policy.hash,
        },
        reasons: decision.reasons,
        risk_level: decision.risk_level,
        ...optional("confidence", decision.confidence),
        ...optional("alignment", decision.alignment),
        ...optional("semantic_distance", decision.semantic_distance),
        ...optional("scorer", decision.scorer),
        ...optional("deferral_trigger", decision.deferral?.trigger),
      },
      context: parts.context,
      approval: parts.approval ?? null,
      deferral: parts.deferral ?? null,
      execution: parts.execution ?? null,
    },
  };
}
