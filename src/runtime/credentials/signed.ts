/**
 * The reference credential broker: signed, scoped, short-lived tokens.
 *
 * A token is `aarmcred1.<payload>.<signature>`: the payload is the
 * base64url of the canonical JSON of the grant with its id, key id, issue
 * and expiry times; the signature is Ed25519 over the payload text, by the
 * broker's signer (a `Keyring`'s signer will do, or a dedicated one).
 * The verifier checks, in order: the form, the signature (by key id), the
 * validity window, the session, the scope (exactly the effect the tool is
 * about to have), the tool, the arguments when given, and single use: a token
 * works once.
 *
 * Every issue, use and refusal goes to the audit log, linked to the action
 * id; {@link memoryCredentialAudit} and {@link fileCredentialAudit} keep it
 * in memory or as a JSON-lines file. A credential whose issue cannot be
 * logged is not issued, a use that cannot be logged is refused.
 *
 * @module
 */
import { appendFileSync } from "node:fs";
import type { Json } from "../../ir/contract.ts";
import { canonicalHash, canonicalize, isPlainObject } from "../../schema/canonical.ts";
import type { Effect } from "../../schema/generated/types.ts";
import { decodeBase64url, encodeBase64url } from "../crypto/base64url.ts";
import type { KeyResolver } from "../crypto/keyring.ts";
import type { Signer } from "../crypto/signer.ts";
import type { AllowHandle } from "../engine/types.ts";
import type { Ir } from "../../ir/types.ts";
import type {
  CredentialAudit,
  CredentialAuditEntry,
  CredentialFailure,
  CredentialGrant,
  CredentialResult,
  CredentialUse,
  CredentialVerifier,
  IssuedCredential,
} from "./types.ts";

const PREFIX = "aarmcred1";

/** Default validity: long enough to run one tool call, short enough to be useless afterwards. */
export const DEFAULT_CREDENTIAL_TTL_MS = 60_000;

/** Longest token read, in characters. */
const MAX_TOKEN = 8192;

const EFFECTS: readonly Effect[] = ["read", "write", "delete", "egress", "execute"];

interface Payload extends CredentialGrant {
  readonly id: string;
  readonly kid: string;
  readonly iat: number;
  readonly exp: number;
}

/** Issues credentials for released actions. */
export interface CredentialBroker {
  /**
   * A credential for an action the runtime released: scoped to the tool's
   * declared effect in `runtime`'s policy, bound to the action, its
   * arguments and `session`. Refused for a replayed handle (the action was
   * already released once).
   */
  issueFor(
    handle: AllowHandle,
    session: { readonly id: string },
    runtime: { readonly ir: Ir },
  ): CredentialResult<IssuedCredential>;
  /** A credential for `grant`, when the caller has established it. */
  issue(grant: CredentialGrant): CredentialResult<IssuedCredential>;
}

/** How the reference broker issues. */
export interface SignedBrokerOptions {
  readonly signer: Signer;
  readonly audit: CredentialAudit;
  /** Validity in milliseconds; {@link DEFAULT_CREDENTIAL_TTL_MS} by default. */
  readonly ttlMs?: number;
  readonly clock?: () => Date;
}

/** Records `entry`; false when the log failed, and then nothing unlogged may go ahead. */
function record(audit: CredentialAudit, entry: CredentialAuditEntry): boolean {
  try {
    audit.record(entry);
    return true;
  } catch {
    return false;
  }
}

function failure<T>(failure: CredentialFailure, message: string): CredentialResult<T> {
  return { ok: false, failure, message };
}

/** The reference broker: Ed25519-signed scoped tokens. */
export function signedCredentialBroker(options: SignedBrokerOptions): CredentialBroker {
  const ttl = options.ttlMs ?? DEFAULT_CREDENTIAL_TTL_MS;
  if (!(Number.isInteger(ttl) && ttl > 0)) throw new RangeError("ttlMs must be a positive integer");
  const clock = options.clock ?? (() => new Date());
  const encoder = new TextEncoder();
  const issue = (grant: CredentialGrant): CredentialResult<IssuedCredential> => {
    const now = clock().getTime();
    const payload: Payload = {
      ...grant,
      id: `cred_${globalThis.crypto.randomUUID().replaceAll("-", "")}`,
      kid: options.signer.keyId,
      iat: now,
      exp: now + ttl,
    };
    const text = canonicalize(payload);
    if (!text.ok) return failure("malformed", text.error.message);
    const body = encodeBase64url(encoder.encode(text.value));
    let signature: Uint8Array;
    try {
      signature = options.signer.sign(encoder.encode(body));
    } catch (caught) {
      return failure("signer_failed", caught instanceof Error ? caught.message : String(caught));
    }
    const issued: IssuedCredential = {
      id: payload.id,
      token: `${PREFIX}.${body}.${encodeBase64url(signature)}`,
      grant,
      issued_at: new Date(now).toISOString(),
      expires_at: new Date(payload.exp).toISOString(),
    };
    const logged = record(options.audit, {
      time: issued.issued_at,
      event: "issued",
      credential_id: payload.id,
      action_id: grant.action_id,
      session_id: grant.session_id,
      tool: grant.tool,
      scope: grant.scope,
    });
    if (!logged) return failure("audit_failed", "the issue could not be logged");
    return { ok: true, value: issued };
  };
  return {
    issue,
    issueFor(handle, session, runtime) {
      if (handle.kind !== "allow" || handle.replay) {
        return failure("not_released", "only a first release of an action gets a credential");
      }
      const hash = canonicalHash(handle.args);
      if (!hash.ok) return failure("malformed", hash.error.message);
      // An undeclared tool has no declared effect: the broadest scope, which only the policy's allow grants.
      const effect = Object.hasOwn(runtime.ir.tools, handle.tool)
        ? (runtime.ir.tools[handle.tool]?.effect ?? "execute")
        : "execute";
      return issue({
        action_id: handle.actionId,
        session_id: session.id,
        tool: handle.tool,
        scope: effect,
        args_hash: hash.value,
        decision: handle.decision,
      });
    },
  };
}

/** How the reference verifier checks. */
export interface SignedVerifierOptions {
  /** The broker's public keys, by key id (a `VerificationKeyring`). */
  readonly keys: KeyResolver;
  readonly audit: CredentialAudit;
  readonly clock?: () => Date;
  /** Tolerated clock difference with the broker, in milliseconds; 0 by default. */
  readonly leewayMs?: number;
}

function parse(
  token: string,
): { readonly payload: Payload; readonly body: string; readonly signature: Uint8Array } | null {
  if (typeof token !== "string" || token.length > MAX_TOKEN) return null;
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX) return null;
  const [, body = "", sig = ""] = parts;
  const bytes = decodeBase64url(body);
  const signature = decodeBase64url(sig);
  if (bytes === null || signature === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return null;
  }
  if (!isPlainObject(value)) return null;
  const strings = ["id", "kid", "action_id", "session_id", "tool", "args_hash", "decision"] as const;
  if (strings.some((k) => typeof value[k] !== "string")) return null;
  if (typeof value.iat !== "number" || typeof value.exp !== "number") return null;
  if (!EFFECTS.includes(value.scope as Effect)) return null;
  return { payload: value as unknown as Payload, body, signature };
}

/** The reference verifier for {@link signedCredentialBroker}'s tokens. Tokens are single-use. */
export function signedCredentialVerifier(options: SignedVerifierOptions): CredentialVerifier {
  const clock = options.clock ?? (() => new Date());
  const leeway = options.leewayMs ?? 0;
  // Used ids until they expire; expired ones are refused on their expiry alone.
  const used = new Map<string, number>();
  const encoder = new TextEncoder();
  return {
    check(token: string, use: CredentialUse) {
      const now = clock().getTime();
      for (const [id, exp] of used) if (exp + leeway < now) used.delete(id);
      const parsed = parse(token);
      const refuse = (why: CredentialFailure, message: string): CredentialResult<never> => {
        const p = parsed?.payload;
        record(options.audit, {
          time: new Date(now).toISOString(),
          event: "refused",
          credential_id: p?.id ?? null,
          action_id: p?.action_id ?? null,
          session_id: use.session_id,
          tool: use.tool,
          scope: use.effect,
          failure: why,
        });
        return failure(why, message);
      };
      if (parsed === null) return refuse("malformed", "not a credential");
      const { payload } = parsed;
      const signed = options.keys.verify(payload.kid, encoder.encode(parsed.body), parsed.signature);
      if (!signed.ok)
        return refuse(signed.reason, `the credential's signature does not verify (${signed.reason})`);
      if (now < payload.iat - leeway) return refuse("not_yet_valid", "the credential is not valid yet");
      if (now >= payload.exp + leeway) {
        return refuse("expired", `the credential expired at ${new Date(payload.exp).toISOString()}`);
      }
      if (payload.session_id !== use.session_id)
        return refuse("wrong_session", "the credential is for another session");
      if (payload.scope !== use.effect) {
        return refuse("wrong_scope", `the credential allows ${payload.scope}, not ${use.effect}`);
      }
      if (payload.tool !== use.tool) return refuse("wrong_tool", `the credential is for ${payload.tool}`);
      if (use.args !== undefined) {
        const hash = canonicalHash(use.args as Json);
        if (!hash.ok || hash.value !== payload.args_hash) {
          return refuse("wrong_arguments", "the credential covers other arguments");
        }
      }
      if (used.has(payload.id)) return refuse("reused", "the credential was already used");
      const { id, action_id, session_id, tool, scope, args_hash, decision } = payload;
      const logged = record(options.audit, {
        time: new Date(now).toISOString(),
        event: "used",
        credential_id: id,
        action_id,
        session_id,
        tool,
        scope,
      });
      if (!logged) return failure("audit_failed", "the use could not be logged");
      used.set(id, payload.exp);
      return { ok: true, value: { id, action_id, session_id, tool, scope, args_hash, decision } };
    },
  };
}

/** An audit log in memory: `entries`, in order. */
export function memoryCredentialAudit(): CredentialAudit & {
  readonly entries: readonly CredentialAuditEntry[];
} {
  const entries: CredentialAuditEntry[] = [];
  return { entries, record: (entry) => void entries.push(entry) };
}

/**
 * An audit log appended to a JSON-lines file, one entry per line, written
 * synchronously so that an entry is on disk before the credential is handed
 * out or the use goes ahead.
 */
export function fileCredentialAudit(path: string): CredentialAudit {
  return { record: (entry) => appendFileSync(path, `${JSON.stringify(entry)}\n`) };
}
