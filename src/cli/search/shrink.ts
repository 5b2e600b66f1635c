/**
 * Makes a counterexample small enough to read: greedily drops what the
 * difference does not need — prior actions, facts, the intent, scores,
 * identity fields, arguments — keeping each simplification only if the two
 * policies still differ in the same way.
 *
 * @module
 */
import type { EvalIdentity, EvalInput, HistoryEntry, Json } from "../../ir/contract.ts";

/** Evaluations one shrink may spend. */
const MAX_TRIES = 400;

function without(record: { readonly [key: string]: Json }, key: string): { [key: string]: Json } {
  const out: { [key: string]: Json } = { ...record };
  delete out[key];
  return out;
}

/** Simpler versions of `input`, most aggressive first. */
function* candidates(input: EvalInput): Generator<EvalInput> {
  const { action, snapshot } = input;
  const history = snapshot.history;
  if (history.length > 0) yield { action, snapshot: { ...snapshot, history: [] } };
  for (let i = history.length - 1; i >= 0; i--) {
    yield { action, snapshot: { ...snapshot, history: history.filter((_, j) => j !== i) } };
  }
  for (const name of Object.keys(snapshot.facts)) {
    yield { action, snapshot: { ...snapshot, facts: without(snapshot.facts, name) } };
  }
  if (snapshot.intent !== undefined) {
    const { intent, ...rest } = snapshot;
    yield { action, snapshot: rest };
    if (intent.scope !== undefined) yield { action, snapshot: { ...rest, intent: { text: intent.text } } };
  }
  for (const score of ["alignment", "drift"] as const) {
    if (snapshot.scores[score] === undefined) continue;
    const { [score]: _dropped, ...scores } = snapshot.scores;
    yield { action, snapshot: { ...snapshot, scores } };
  }
  const id = action.identity;
  for (const field of ["human", "agent", "service", "session"] as const) {
    if (id[field] === undefined) continue;
    const { [field]: _dropped, ...identity } = id;
    yield { action: { ...action, identity: identity as EvalIdentity }, snapshot };
  }
  for (const field of ["roles", "scope", "delegation"] as const) {
    if (id[field].length > 0) yield { action: { ...action, identity: { ...id, [field]: [] } }, snapshot };
  }
  for (const name of Object.keys(action.args)) {
    yield { action: { ...action, args: without(action.args, name) }, snapshot };
  }
  for (const [name, value] of Object.entries(action.args)) {
    if (typeof value === "string" && value !== "x") {
      yield { action: { ...action, args: { ...action.args, [name]: "x" } }, snapshot };
    }
  }
  for (let i = 0; i < history.length; i++) {
    const entry = history[i];
    if (entry === undefined) continue;
    const replace = (simpler: HistoryEntry): EvalInput => ({
      action,
      snapshot: { ...snapshot, history: history.map((e, j) => (j === i ? simpler : e)) },
    });
    if (Object.keys(entry.args).length > 0) yield replace({ ...entry, args: {} });
    if (entry.target !== undefined) {
      const { target: _dropped, ...rest } = entry;
      yield replace(rest);
    }
    for (const label of entry.labels)
      yield replace({ ...entry, labels: entry.labels.filter((l) => l !== label) });
  }
}

/** The smallest input reachable by simplifications that keep `differs` true. */
export function shrink(input: EvalInput, differs: (input: EvalInput) => boolean): EvalInput {
  let current = input;
  let tries = 0;
  let progress = true;
  while (progress && tries < MAX_TRIES) {
    progress = false;
    for (const candidate of candidates(current)) {
      if (++tries > MAX_TRIES) break;
      if (differs(candidate)) {
        current = candidate;
        progress = true;
        break;
      }
    }
  }
  return current;
}
