/**
 * Client authentication: a bearer token in `Authorization` names the client
 * application (an agent, an approver console, an auditor) and its scopes.
 *
 * Tokens are kept only as SHA-256 digests, and a presented token is hashed
 * and compared with every client's digest in constant time, so neither the
 * comparison nor the number of clients tells an attacker how close a guess
 * was. The token itself is never stored, echoed or logged.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** What a client may do. */
export type ClientScope = "agent" | "approver" | "audit";

/** Every scope, in documentation order. */
export const CLIENT_SCOPES: readonly ClientScope[] = ["agent", "approver", "audit"];

/** The shortest bearer token accepted in configuration, in characters. */
export const MIN_TOKEN_LENGTH = 32;

/** A configured client: its name (for logs and session ownership), its token's digest and its scopes. */
export interface Client {
  readonly name: string;
  /** SHA-256 of the token's UTF-8 bytes. */
  readonly digest: Uint8Array;
  readonly scopes: readonly ClientScope[];
}

/** SHA-256 of a token, as a client's digest. */
export function tokenDigest(token: string): Uint8Array {
  return createHash("sha256").update(token, "utf8").digest();
}

const BEARER = /^Bearer +([\x21-\x7E]{1,4096})$/;

/**
 * The client an `Authorization` header authenticates, or null. Every
 * client's digest is compared, whichever matches, so the time taken does not
 * depend on which one (or whether any) did.
 */
export function authenticate(header: string | undefined, clients: readonly Client[]): Client | null {
  const match = header === undefined ? null : BEARER.exec(header);
  const presented = tokenDigest(match?.[1] ?? "");
  let found: Client | null = null;
  for (const client of clients) {
    if (timingSafeEqual(presented, client.digest) && match !== null) found = client;
  }
  return found;
}
