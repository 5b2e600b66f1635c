/**
 * Cedar, as a user of `@cedar-policy/cedar-wasm` would run it for speed: the
 * policy set parsed once (`preparsePolicySet`) and each request decided with
 * the stateful API. Answers never throw; a failed call is an error here, so a
 * benchmark cannot quietly time failures.
 *
 * @module
 */
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { CedarRequest } from "./comparable.ts";

let sets = 0;

/** Parses `policies` once and returns a function deciding one request: true when Cedar allows it. */
export function cedarAuthorizer(policies: Record<string, string>): (request: CedarRequest) => boolean {
  const id = `bench-${++sets}`;
  const parsed = cedar.preparsePolicySet(id, { staticPolicies: policies });
  if (parsed.type !== "success")
    throw new Error(`Cedar rejected the policy set: ${parsed.errors.map((e) => e.message).join("; ")}`);
  return (request) => {
    const answer = cedar.statefulIsAuthorized({
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      context: request.context as cedar.Context,
      preparsedPolicySetId: id,
      entities: [],
    });
    if (answer.type !== "success")
      throw new Error(`Cedar failed: ${answer.errors.map((e) => e.message).join("; ")}`);
    const errors = answer.response.diagnostics.errors;
    if (errors.length > 0) throw new Error(`Cedar policy errors: ${JSON.stringify(errors[0])}`);
    return answer.response.decision === "allow";
  };
}

/** The Cedar language and package versions, for reports. */
export function cedarVersion(): string {
  return `cedar-wasm ${cedar.getCedarSDKVersion()} (Cedar ${cedar.getCedarLangVersion()})`;
}
