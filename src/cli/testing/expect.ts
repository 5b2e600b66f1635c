/**
 * Comparing what a step expects with the decision the policy made. Only what
 * the step states is compared; each difference becomes one line of the form
 * `what: expected …, got …`, so a failing step says exactly what was off.
 *
 * @module
 */
import type { EvalDecision, Json } from "../../ir/contract.ts";
import { formatDuration } from "./duration.ts";
import type { Expectation } from "./model.ts";

function list(items: readonly string[]): string {
  return `[${items.join(", ")}]`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((item, i) => item === y[i]);
}

/** Structural equality of JSON values; object key order does not matter. */
function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item: Json, i: number) => jsonEqual(item, b[i] as Json));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const ob = b as { readonly [key: string]: Json };
  const oa = a as { readonly [key: string]: Json };
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(ob, k) && jsonEqual(oa[k], ob[k]));
}

function compareApproval(e: Expectation, d: EvalDecision, out: string[]): void {
  const expected = e.approval;
  if (expected === undefined) return;
  const actual = d.approval ?? d.deferral?.approval ?? null;
  if (typeof expected === "boolean") {
    if (expected !== (actual !== null))
      out.push(
        `approval: expected ${expected ? "an approval requirement" : "none"}, got ${actual === null ? "none" : "one"}`,
      );
    return;
  }
  if (actual === null) {
    out.push("approval: expected an approval requirement, got none");
    return;
  }
  if (expected.approvers !== undefined && !sameSet(expected.approvers, actual.approvers))
    out.push(`approval.approvers: expected ${list(expected.approvers)}, got ${list(actual.approvers)}`);
  if (expected.quorum !== undefined && expected.quorum !== actual.quorum)
    out.push(`approval.quorum: expected ${expected.quorum}, got ${actual.quorum}`);
  if (expected.timeoutMs !== undefined && expected.timeoutMs !== actual.timeoutMs)
    out.push(
      `approval.timeout: expected ${formatDuration(expected.timeoutMs)}, got ${formatDuration(actual.timeoutMs)}`,
    );
  if (expected.selfApproval !== undefined && expected.selfApproval !== actual.selfApproval)
    out.push(`approval.self_approval: expected ${expected.selfApproval}, got ${actual.selfApproval}`);
  if (expected.escalation !== undefined) {
    const got = actual.escalation;
    const want = expected.escalation;
    if (want === null || got === null) {
      if (want !== got)
        out.push(
          `approval.escalation: expected ${want === null ? "none" : "one"}, got ${got === null ? "none" : "one"}`,
        );
    } else {
      if (want.afterMs !== undefined && want.afterMs !== got.afterMs)
        out.push(
          `approval.escalation.after: expected ${formatDuration(want.afterMs)}, got ${formatDuration(got.afterMs)}`,
        );
      if (want.to !== undefined && !sameSet(want.to, got.to))
        out.push(`approval.escalation.to: expected ${list(want.to)}, got ${list(got.to)}`);
    }
  }
}

function compareModifications(e: Expectation, d: EvalDecision, out: string[]): void {
  if (e.args !== undefined && !jsonEqual(e.args, d.modifications?.args))
    out.push(
      `args after modification: expected ${JSON.stringify(e.args)}, got ${d.modifications === null ? "no modification" : JSON.stringify(d.modifications.args)}`,
    );
  if (e.modifications === undefined) return;
  const applied = d.modifications?.applied ?? [];
  const show = applied.map((m) => `${m.op} args.${m.path.join(".")} (${m.rule})`);
  const matches =
    applied.length === e.modifications.length &&
    e.modifications.every((want, i) => {
      const got = applied[i];
      return (
        got !== undefined &&
        (want.rule === undefined || want.rule === got.rule) &&
        (want.op === undefined || want.op === got.op) &&
        (want.path === undefined || want.path === `args.${got.path.join(".")}`)
      );
    });
  if (!matches) {
    const wanted = e.modifications.map((m) => `${m.op ?? "*"} ${m.path ?? "*"} (${m.rule ?? "*"})`);
    out.push(`modifications: expected ${list(wanted)}, got ${list(show)}`);
  }
}

/** The differences between what `e` expects and the decision `d`; empty when the step passes. */
export function compareDecision(e: Expectation, d: EvalDecision): string[] {
  const out: string[] = [];
  if (e.decision !== d.decision) out.push(`decision: expected ${e.decision}, got ${d.decision}`);
  if (e.rules !== undefined && !sameSet(e.rules.names, d.rules))
    out.push(`rules: expected ${list(e.rules.names)}, got ${list(d.rules)}`);
  if (e.reason !== undefined) {
    const { text, exact } = e.reason;
    const found = d.reasons.some((reason) => (exact ? reason === text : reason.includes(text)));
    if (!found)
      out.push(
        `reason: expected ${exact ? "exactly" : "one containing"} ${JSON.stringify(text)}, got ${d.reasons.map((r) => JSON.stringify(r)).join("; ") || "none"}`,
      );
  }
  compareModifications(e, d, out);
  compareApproval(e, d, out);
  if (e.deferral !== undefined) {
    const got = d.deferral;
    if (got === null) out.push("deferral: expected one, got none");
    else {
      if (e.deferral.timeoutMs !== undefined && e.deferral.timeoutMs !== got.timeoutMs)
        out.push(
          `deferral.timeout: expected ${formatDuration(e.deferral.timeoutMs)}, got ${formatDuration(got.timeoutMs)}`,
        );
      if (e.deferral.then !== undefined && e.deferral.then !== got.then)
        out.push(`deferral.then: expected ${e.deferral.then}, got ${got.then}`);
    }
  }
  if (e.contextNeeded !== undefined && !sameSet(e.contextNeeded, d.contextNeeded))
    out.push(`context_needed: expected ${list(e.contextNeeded)}, got ${list(d.contextNeeded)}`);
  if (e.classification !== undefined && e.classification !== d.classification)
    out.push(`classification: expected ${e.classification ?? "none"}, got ${d.classification ?? "none"}`);
  if (e.risk !== undefined && e.risk !== d.risk)
    out.push(`risk: expected ${e.risk ?? "none"}, got ${d.risk ?? "none"}`);
  return out;
}
