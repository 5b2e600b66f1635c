/**
 * The approvers configuration: who is in each approver group and which
 * issuers approvers' signed tokens are verified against. One reader for
 * every place that takes it (`aarm approvals --config`, the gateway's
 * `approvers`), so an answer is checked the same way wherever it is given:
 *
 * ```json
 * { "groups": { "group:finance": ["carol@example.com"] },
 *   "jwt": { "audience": "aarm-approvals",
 *            "issuers": [{ "issuer": "https://idp.example.com", "algorithms": ["EdDSA"], "keys": { "keys": [] } }] } }
 * ```
 *
 * @module
 */
import type { IdentitySetupResult } from "../identity/fields.ts";
import { jwtVerifier } from "../identity/jwt.ts";
import type { JwtVerifierOptions } from "../identity/jwt-options.ts";
import type { IdentityVerifier } from "../identity/types.ts";
import type { ApproverDirectory } from "./directory.ts";

/** What an approvers configuration sets up: the group directory and the approver token verifier. */
export interface Approvers {
  readonly directory: ApproverDirectory;
  readonly verifier: IdentityVerifier;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Reads an approvers configuration already parsed from JSON or YAML:
 * `groups` (optional: group name → approver ids) and `jwt` (required: the
 * options of `jwtVerifier`). Unknown fields are refused, so a misspelt one
 * is not silently ignored.
 */
export function readApprovers(value: unknown): IdentitySetupResult<Approvers> {
  if (!isRecord(value)) return { ok: false, error: "expected an object with groups and jwt" };
  const unknown = Object.keys(value).find((key) => key !== "groups" && key !== "jwt");
  if (unknown !== undefined)
    return { ok: false, error: `"${unknown}": unknown field (expected groups, jwt)` };
  const { groups, jwt } = value;
  if (
    groups !== undefined &&
    !(
      isRecord(groups) &&
      Object.values(groups).every((m) => Array.isArray(m) && m.every((x) => typeof x === "string"))
    )
  ) {
    return { ok: false, error: `"groups" must map group names to lists of approver ids` };
  }
  if (!isRecord(jwt)) return { ok: false, error: `"jwt" (the token issuers) is required` };
  // jwtVerifier checks every option itself, as it does for any caller.
  const verifier = jwtVerifier(jwt as unknown as JwtVerifierOptions);
  if (!verifier.ok) return { ok: false, error: `jwt: ${verifier.error}` };
  const directory: ApproverDirectory =
    groups === undefined ? {} : { groups: groups as NonNullable<ApproverDirectory["groups"]> };
  return { ok: true, value: { directory, verifier: verifier.value } };
}
