/**
 * Telling approvers that a request waits for them: the notification
 * the approval desk sends when a request is raised, when it escalates to
 * backup approvers and when it settles, and a webhook notifier that POSTs it
 * as JSON signed with HMAC-SHA256.
 *
 * The webhook signs `<timestamp>.<body>` (the exact bytes sent) with a
 * shared secret and sends `X-Aarm-Timestamp` (Unix seconds) and
 * `X-Aarm-Signature: v1=<hex>`; a receiver checks both with
 * {@link verifyWebhookSignature}, which refuses stale timestamps so a
 * captured delivery cannot be replayed later. Notifying never blocks or
 * decides anything: a failed delivery is reported, and the request waits on.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { ApprovalRequest, ApprovalResult } from "../../schema/generated/types.ts";

/** What a notification is about. */
export type ApprovalNotificationType = "approval_requested" | "approval_escalated" | "approval_settled";

/** One notification, as sent. */
export interface ApprovalNotification {
  readonly type: ApprovalNotificationType;
  readonly request_id: string;
  /** `[APPROVAL REQUIRED]` for a STEP_UP, `[DEFER ESCALATION]` for an escalated deferral. */
  readonly label: string;
  /** The people (groups expanded) asked to answer now. */
  readonly approvers: readonly string[];
  /** True when the action's semantic distance from the request is above 0.5. */
  readonly drift_warning: boolean;
  /** The full request: action, identity chain, prior actions, classifications, risk, rules. */
  readonly request: ApprovalRequest;
  /** For `approval_settled`, how it ended. */
  readonly result?: ApprovalResult;
}

/** A channel approvers are reached on. */
export interface ApprovalNotifier {
  notify(notification: ApprovalNotification): Promise<void>;
}

/** The label a request is shown with. */
export function requestLabel(request: ApprovalRequest): string {
  return request.source === "defer_escalation" ? "[DEFER ESCALATION]" : "[APPROVAL REQUIRED]";
}

/** Header carrying the Unix time (seconds) the delivery was signed at. */
export const TIMESTAMP_HEADER = "x-aarm-timestamp";
/** Header carrying `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
export const SIGNATURE_HEADER = "x-aarm-signature";
/** Default tolerance of {@link verifyWebhookSignature}, seconds. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

function sign(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex")}`;
}

/** Options of {@link webhookNotifier}. */
export interface WebhookOptions {
  readonly url: string;
  /** The shared secret; at least 16 characters. Never logged or sent. */
  readonly secret: string;
  /** Bound on one delivery, ms; default 5000. */
  readonly timeoutMs?: number;
  readonly clock?: () => Date;
}

/** A notifier POSTing each notification to `url`, signed. Throws on unusable options. */
export function webhookNotifier(options: WebhookOptions): ApprovalNotifier {
  const url = new URL(options.url);
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new Error("the webhook URL must be http(s)");
  if (typeof options.secret !== "string" || options.secret.length < 16) {
    throw new Error("the webhook secret must have at least 16 characters");
  }
  const clock = options.clock ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    async notify(notification) {
      const body = JSON.stringify(notification);
      const timestamp = String(Math.floor(clock().getTime() / 1000));
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: sign(options.secret, timestamp, body),
        },
        body,
        redirect: "error",
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
    },
  };
}

/**
 * Whether a webhook delivery is authentic and fresh: `signature` is the
 * HMAC of `timestamp` and the exact `body` under `secret`, and `timestamp`
 * is within `toleranceSeconds` of `now`.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  timestamp: string | undefined,
  signature: string | undefined,
  now: Date,
  toleranceSeconds = DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
): boolean {
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, timestamp, body), "utf8");
  const given = Buffer.from(signature, "utf8");
  return expected.length === given.length && timingSafeEqual(expected, given);
}
