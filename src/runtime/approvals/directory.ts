/**
 * Who may answer an approval request: the approvers a policy names are
 * people (`alice@example.com`) or groups (`group:finance`), and the
 * directory says who is in each group. After the escalation delay the
 * backup approvers of the request's `escalation.to` may answer too.
 *
 * @module
 */
import type { ApprovalRequest } from "../../schema/generated/types.ts";

/** Group memberships: group name (as policies write it) → member approver ids. */
export interface ApproverDirectory {
  readonly groups?: { readonly [group: string]: readonly string[] };
}

/** Whether the escalation of `request` is due at `now`. */
export function escalated(request: ApprovalRequest, now: Date): boolean {
  const escalation = request.requirement.escalation;
  if (escalation === null) return false;
  return now.getTime() >= Date.parse(request.created_at) + escalation.after_ms;
}

/** Whether one of `names` is `approver`, or a group of `directory` that has `approver` as a member. */
function named(directory: ApproverDirectory, names: readonly string[], approver: string): boolean {
  const groups = directory.groups ?? {};
  return names.some(
    (name) => name === approver || (Object.hasOwn(groups, name) && (groups[name] ?? []).includes(approver)),
  );
}

/** Whether `approver` may answer `request` at `now`: named by it, directly or by group, or a due backup. */
export function mayApprove(
  directory: ApproverDirectory,
  request: ApprovalRequest,
  approver: string,
  now: Date,
): boolean {
  const requirement = request.requirement;
  if (named(directory, requirement.approvers, approver)) return true;
  const escalation = requirement.escalation;
  return escalation !== null && escalated(request, now) && named(directory, escalation.to, approver);
}

/** The people `names` stand for (groups expanded), in order, each once. */
export function members(directory: ApproverDirectory, names: readonly string[]): string[] {
  const groups = directory.groups ?? {};
  const out = new Set<string>();
  for (const name of names) {
    if (Object.hasOwn(groups, name)) for (const member of groups[name] ?? []) out.add(member);
    else out.add(name);
  }
  return [...out];
}
