/**
 * Least-privilege credentials (AARM R9): per released action, a
 * just-in-time credential scoped by the decision, short-lived, bound to the
 * action and its session, with every issue and use logged.
 *
 * The enforcement point asks for one right after the runtime released an
 * action (`issueFor(handle, session, runtime)`) and hands it to the tool
 * with the call; the tool, or the service behind it, checks it with a
 * {@link CredentialVerifier} before acting. The scope is the tool's declared
 * effect (`read`, `write`, `delete`, `egress`, `execute`): the credential of
 * a read cannot write.
 *
 * @module
 */
import type { Effect } from "../../schema/generated/types.ts";

/** What a credential allows: one effect, on one tool, for one action. */
export interface CredentialGrant {
  /** The action it was issued for. */
  readonly action_id: string;
  /** The session of that action. */
  readonly session_id: string;
  /** The tool it may be used with. */
  readonly tool: string;
  /** The one effect it allows: the tool's declared effect. */
  readonly scope: Effect;
  /** `sha256:` of the canonical JSON of the released arguments: it covers exactly those. */
  readonly args_hash: string;
  /** The decision that released the action. */
  readonly decision: string;
}

/** An issued credential. */
export interface IssuedCredential {
  /** The credential's id, for the audit log. */
  readonly id: string;
  /** The bearer token to hand to the tool. */
  readonly token: string;
  readonly grant: CredentialGrant;
  readonly issued_at: string;
  readonly expires_at: string;
}

/** Why a credential could not be issued or was refused. */
export type CredentialFailure =
  | "not_released"
  | "malformed"
  | "unknown_key"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_session"
  | "wrong_tool"
  | "wrong_scope"
  | "wrong_arguments"
  | "reused"
  | "signer_failed"
  | "audit_failed";

/** The outcome of issuing or checking. */
export type CredentialResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: CredentialFailure; readonly message: string };

/** One line of the credential audit log: an issue, a use, or a refused use. */
export interface CredentialAuditEntry {
  readonly time: string;
  readonly event: "issued" | "used" | "refused";
  /** Null when a refused token could not even be read. */
  readonly credential_id: string | null;
  readonly action_id: string | null;
  readonly session_id: string | null;
  readonly tool: string | null;
  readonly scope: Effect | null;
  /** For `refused`: why. */
  readonly failure?: CredentialFailure;
}

/** Where issues and uses are recorded. A `record` that throws fails the issue or the use closed. */
export interface CredentialAudit {
  record(entry: CredentialAuditEntry): void;
}

/** What a tool is about to do with a credential. */
export interface CredentialUse {
  /** The session the call comes from. */
  readonly session_id: string;
  readonly tool: string;
  /** The effect of what it is about to do (a write needs `write`). */
  readonly effect: Effect;
  /** The arguments it was called with; when given, they must be the released ones. */
  readonly args?: unknown;
}

/** Checks credentials at the tool. */
export interface CredentialVerifier {
  /** The grant, if `token` allows `use` now; every check is logged as a use or a refusal. */
  check(token: string, use: CredentialUse): CredentialResult<CredentialGrant & { readonly id: string }>;
}
