/**
 * From a context log to the history an evaluator reads (`HistoryEntry[]` of
 * the decision contract): the session's prior actions that were released for
 * execution, with the labels of what they returned.
 *
 * An action is released when its decision was ALLOW or MODIFY (then with the
 * modified arguments, which are what ran), when an approval of it was
 * granted, or when its deferral resolved to ALLOW. Denied actions, and
 * actions still waiting for an approval or a deferral, did nothing and are
 * left out. A released action whose outcome is not recorded yet (it is still
 * running, or it crashed) has no labels; evaluators read an output without a
 * sensitivity level as `restricted`, so the unknown counts as the most
 * sensitive, never the least.
 *
 * @module
 */
import type { HistoryEntry, Json } from "../../ir/contract.ts";
import type { Action } from "../../schema/generated/types.ts";
import type { ContextEntry } from "./entry.ts";

type Args = { readonly [name: string]: Json };

/** The prior actions released for execution, in the order they were proposed. */
export function toHistory(entries: readonly ContextEntry[]): HistoryEntry[] {
  const proposed = new Map<string, Action>();
  const released = new Map<string, Args | null>();
  const labels = new Map<string, Set<string>>();
  const release = (actionId: string, args: Args | null): void => {
    if (!released.has(actionId)) released.set(actionId, args);
  };
  for (const entry of entries) {
    switch (entry.type) {
      case "action":
        if (!proposed.has(entry.action.action_id)) proposed.set(entry.action.action_id, entry.action);
        break;
      case "decision": {
        const { result, modifications } = entry.decision;
        // Parameters came out of JSON (the log is canonical JSON), so they are JSON values.
        if (result === "MODIFY" && modifications !== null)
          release(entry.action_id, modifications.parameters as Args);
        else if (result === "ALLOW") release(entry.action_id, null);
        break;
      }
      case "approval":
        if (entry.result.decision === "approved") release(entry.action_id, null);
        break;
      case "deferral_resolution":
        if (entry.resolution.result === "ALLOW") release(entry.resolution.action_id, null);
        break;
      case "outcome": {
        const set = labels.get(entry.action_id) ?? new Set<string>();
        for (const label of entry.labels) set.add(label);
        labels.set(entry.action_id, set);
        break;
      }
      case "intent":
        break;
    }
  }
  const history: HistoryEntry[] = [];
  for (const [actionId, action] of proposed) {
    if (!released.has(actionId)) continue;
    const target = action.targets[0];
    history.push({
      tool: action.tool,
      effect: action.effect,
      args: released.get(actionId) ?? (action.parameters as Args),
      ...(target === undefined ? {} : { target }),
      time: Date.parse(action.timestamp),
      labels: [...(labels.get(actionId) ?? [])].sort(),
    });
  }
  return history;
}
