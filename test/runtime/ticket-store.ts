/**
 * An example tool that enforces least privilege itself: a small ticket store
 * that checks the credential the enforcement point hands it before every
 * read or write, and records what it did.
 */
import type { CredentialFailure, CredentialVerifier } from "../../src/runtime/credentials/types.ts";

/** What the store answered. */
export type StoreAnswer =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly failure: CredentialFailure };

/** Tickets by id; `tickets.get` reads (effect read), `tickets.update` writes (effect write). */
export class TicketStore {
  readonly tickets = new Map<string, string>([["T-1", "printer on fire"]]);
  readonly writes: string[] = [];
  readonly #verifier: CredentialVerifier;

  constructor(verifier: CredentialVerifier) {
    this.#verifier = verifier;
  }

  get(token: string, session: string, args: { readonly id: string }): StoreAnswer {
    const checked = this.#verifier.check(token, {
      session_id: session,
      tool: "tickets.get",
      effect: "read",
      args,
    });
    if (!checked.ok) return { ok: false, failure: checked.failure };
    return { ok: true, text: this.tickets.get(args.id) ?? "" };
  }

  update(token: string, session: string, args: { readonly id: string; readonly text: string }): StoreAnswer {
    const checked = this.#verifier.check(token, {
      session_id: session,
      tool: "tickets.update",
      effect: "write",
      args,
    });
    if (!checked.ok) return { ok: false, failure: checked.failure };
    this.tickets.set(args.id, args.text);
    this.writes.push(args.id);
    return { ok: true, text: args.text };
  }
}

/** The policy the ticket tools run under: the conformance suite's §9.9 policy. */
export { TICKETS } from "../../src/conformance/scenarios/r9.ts";
