/**
 * The entries of a session's context log, and their schema.
 *
 * An entry is one fact the context accumulator learned, in the order it
 * learned it: the user's original request, a proposed action, the decision on
 * it, what came back when it ran (with the labels the policy gave the
 * output), the outcome of an approval, the resolution of a deferral. Entries
 * embed the canonical documents (`Action`, `Decision`, `ApprovalResult`, …)
 * rather than re-describing them. The log keeps full parameters, unlike
 * receipts: session queries need them, and the log stays in the store.
 *
 * Every entry carries its place in the chain: `session_id`, `seq` (0, 1, 2,
 * …), `time` (when it was appended), `prev_hash` (the previous entry's `hash`,
 * or {@link GENESIS_HASH} for seq 0) and `hash`, the `sha256:` digest of the
 * entry's RFC 8785 canonical JSON without its `hash` member.
 *
 * @module
 */
import type {
  Action,
  ApprovalResult,
  Decision,
  DeferralResolution,
  Intent,
} from "../../schema/generated/types.ts";
import type { Json } from "../../ir/contract.ts";
import type { Validation } from "../../schema/validate.ts";
import { compileValidator } from "../store/validators.ts";

/** `prev_hash` of every log's first entry: no previous entry. */
export const GENESIS_HASH = `sha256:${"0".repeat(64)}`;

/** The user's original request, which later actions are compared with. */
export interface IntentEntryBody {
  readonly type: "intent";
  readonly intent: Intent;
}

/** An action the agent proposed, as mediated, before any decision. */
export interface ActionEntryBody {
  readonly type: "action";
  readonly action: Action;
}

/**
 * The inputs of a decision that the log alone does not determine, frozen
 * when it was made: with them and the log up to the action's entry, the
 * decision can be replayed exactly.
 */
export interface DecisionSignals {
  /** Hash of the frozen evaluation input; the decision's receipt carries the same `context_hash`. */
  readonly context_hash: string;
  /** Scores computed before the decision; absent ones were not computed. */
  readonly scores: { readonly alignment?: number; readonly drift?: number };
  /** The scorer that computed them, or null when none ran. */
  readonly scorer: { readonly id: string; readonly version: string } | null;
  /** The facts populated for the decision, by name. */
  readonly facts: { readonly [name: string]: Json };
}

/** The policy decision on an action. */
export interface DecisionEntryBody {
  readonly type: "decision";
  readonly action_id: string;
  readonly decision: Decision;
  /** The receipt recording the decision; null if none was issued. */
  readonly receipt_id: string | null;
  /** What the decision was made on, when the policy was evaluated (absent for a refusal before it). */
  readonly signals?: DecisionSignals;
}

/** What came back when a released action ran. */
export interface OutcomeEntryBody {
  readonly type: "outcome";
  readonly action_id: string;
  readonly completed_at: string;
  readonly success: boolean;
  /**
   * The labels the policy gave the output, as evaluators read them: a
   * sensitivity level, categories such as `pii`, and provenance such as
   * `untrusted`.
   */
  readonly labels: readonly string[];
  /** `sha256:` of the output, or null when there was none. */
  readonly output_hash: string | null;
}

/** How an approval request for an action ended. */
export interface ApprovalEntryBody {
  readonly type: "approval";
  readonly action_id: string;
  readonly result: ApprovalResult;
}

/** How a deferred action was resolved (the resolution names its action). */
export interface DeferralResolutionEntryBody {
  readonly type: "deferral_resolution";
  readonly resolution: DeferralResolution;
}

/** What an entry says, discriminated by `type`. */
export type ContextEntryBody =
  | IntentEntryBody
  | ActionEntryBody
  | DecisionEntryBody
  | OutcomeEntryBody
  | ApprovalEntryBody
  | DeferralResolutionEntryBody;

/** Where an entry sits in its session's chain. */
export interface ContextEntryHeader {
  readonly session_id: string;
  readonly seq: number;
  /** When the entry was appended (UTC, `Z`). */
  readonly time: string;
  readonly prev_hash: string;
  readonly hash: string;
}

/** One entry of a context log, as stored and as verified. */
export type ContextEntry = ContextEntryBody & ContextEntryHeader;

const COMMON = "https://aarm.dev/schema/v1/common.schema.json#/$defs";
const IDENTIFIER = { $ref: `${COMMON}/Identifier` };
const DIGEST = { $ref: `${COMMON}/Sha256Digest` };
const TIMESTAMP = { $ref: `${COMMON}/Timestamp` };

const HEADER = {
  session_id: IDENTIFIER,
  seq: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  time: TIMESTAMP,
  prev_hash: DIGEST,
  hash: DIGEST,
};

/** One branch of the union: the header, the `type` tag and the body's own members (and `optional` ones), closed. */
function variant(
  type: ContextEntryBody["type"],
  members: Record<string, object>,
  optional: Record<string, object> = {},
): object {
  return {
    type: "object",
    additionalProperties: false,
    required: [...Object.keys(HEADER), "type", ...Object.keys(members)],
    properties: { ...HEADER, type: { const: type }, ...members, ...optional },
  };
}

const SCORE = { $ref: `${COMMON}/Score` };

const SIGNALS = {
  type: "object",
  additionalProperties: false,
  required: ["context_hash", "scores", "scorer", "facts"],
  properties: {
    context_hash: DIGEST,
    scores: {
      type: "object",
      additionalProperties: false,
      properties: { alignment: SCORE, drift: SCORE },
    },
    scorer: {
      anyOf: [
        {
          type: "object",
          additionalProperties: false,
          required: ["id", "version"],
          properties: { id: IDENTIFIER, version: IDENTIFIER },
        },
        { type: "null" },
      ],
    },
    facts: { type: "object", maxProperties: 1024 },
  },
};

/** JSON Schema (2020-12) of a context entry. */
export const contextEntrySchema = {
  $id: "https://aarm.dev/schema/v1/runtime/context-entry.schema.json",
  title: "ContextEntry",
  type: "object",
  required: ["type"],
  properties: {
    type: { enum: ["intent", "action", "decision", "outcome", "approval", "deferral_resolution"] },
  },
  discriminator: { propertyName: "type" },
  oneOf: [
    variant("intent", { intent: { $ref: "https://aarm.dev/schema/v1/intent.schema.json" } }),
    variant("action", { action: { $ref: "https://aarm.dev/schema/v1/action.schema.json" } }),
    variant(
      "decision",
      {
        action_id: IDENTIFIER,
        decision: { $ref: "https://aarm.dev/schema/v1/decision.schema.json" },
        receipt_id: { anyOf: [IDENTIFIER, { type: "null" }] },
      },
      { signals: SIGNALS },
    ),
    variant("outcome", {
      action_id: IDENTIFIER,
      completed_at: TIMESTAMP,
      success: { type: "boolean" },
      labels: { type: "array", items: IDENTIFIER, uniqueItems: true, maxItems: 256 },
      output_hash: { anyOf: [DIGEST, { type: "null" }] },
    }),
    variant("approval", {
      action_id: IDENTIFIER,
      result: { $ref: "https://aarm.dev/schema/v1/approval-result.schema.json" },
    }),
    variant("deferral_resolution", {
      resolution: { $ref: "https://aarm.dev/schema/v1/deferral-resolution.schema.json" },
    }),
  ],
} as const;

/** Checks that a value is a well-formed context entry (its shape, not its place in a chain). */
export const validateContextEntry: (value: unknown) => Validation<ContextEntry> =
  compileValidator<ContextEntry>(contextEntrySchema);
