/**
 * The context accumulator: what a session's verified log says, maintained
 * entry by entry, so that a decision costs the same after ten actions or a
 * hundred thousand.
 *
 * It agrees exactly with reading the whole log again: its history is
 * {@link toHistory}'s (released actions in the order they were proposed,
 * with their arguments as released and the union of their output labels),
 * and its feature values are the history scans' (`src/eval/features.ts`).
 * That history is not append-only — an action approved late is released
 * behind later ones, an output is labelled after its action was released —
 * so it is folded into the policy's feature state ({@link FeatureState})
 * only up to a *front*: actions before it are folded, actions after it (the
 * tail) are added at each decision without being folded. The front moves
 * past an action once it is final (denied, or released with its outcome
 * recorded), and past any action once more than {@link TAIL_LIMIT} actions
 * follow it, so the tail stays short whether or not outcomes are ever
 * recorded. Should an action behind the front change after all (released
 * or labelled that late), or the policy change, the state is rebuilt from
 * the history kept in memory: exact, at the cost of one pass.
 *
 * @module
 */
import {
  appendEntry,
  type FeatureState,
  type FeatureValues,
  featureValues,
  initialFeatureState,
  pruneFeatureState,
} from "../../eval/feature-state.ts";
import type { HistoryEntry, Json } from "../../ir/contract.ts";
import type { Ir } from "../../ir/types.ts";
import type { Action, Intent, PriorAction, SensitivityLevel } from "../../schema/generated/types.ts";
import type { ScoredAction } from "../scoring/types.ts";
import type { ChainHead } from "../store/types.ts";
import type { ContextEntry } from "./entry.ts";

type Args = { readonly [name: string]: Json };

/** How many actions may follow an unfinished one before it is folded as it stands. */
export const TAIL_LIMIT = 64;

const LEVELS: readonly SensitivityLevel[] = ["public", "internal", "confidential", "restricted"];

/** One proposed action and what the log has said about it so far. */
interface Slot {
  readonly index: number;
  readonly action: Action;
  /** The arguments it was released with (null: as proposed), or undefined while not released. */
  released: Args | null | undefined;
  readonly labels: Set<string>;
  /** Whether its outcome is recorded. */
  outcome: boolean;
  /** The first decision's result, once decided. */
  decision: string | undefined;
}

/** What happened to an action before its own entry was read (only in a log written out of order). */
interface Early {
  released: Args | null | undefined;
  readonly labels: Set<string>;
  outcome: boolean;
  decision: (ContextEntry & { readonly type: "decision" }) | undefined;
}

/** What a session's log says, as the decision path reads it. */
export interface ContextView {
  /** The user's original request, or null when none was supplied. */
  readonly intent: Intent | null;
  /** Every earlier action proposed, with the alignment frozen when it was decided: the scorer's history. */
  readonly scored: readonly ScoredAction[];
  /** Every earlier action decided, with its decision: the receipts' and approvers' summary. */
  readonly prior: readonly PriorAction[];
  /** The latest time any entry was appended at (ms), or null for an empty log. */
  readonly latest: number | null;
  /** The data categories of the released actions' outputs, sorted. */
  readonly categories: readonly string[];
  /** The highest level the released actions' outputs carried (one without a level counts as `restricted`); null with none. */
  readonly highest: SensitivityLevel | null;
  /** How many earlier actions were released: the length of the evaluator's history. */
  readonly released: number;
  /**
   * The session's feature values under `ir` for an action at `now` (ms),
   * never earlier than a time asked before. Throws for an IR whose
   * session-query predicates cannot be folded.
   */
  features(ir: Ir, now: number): FeatureValues;
}

function levelOf(labels: ReadonlySet<string>): number {
  let level = -1;
  for (const label of labels) level = Math.max(level, LEVELS.indexOf(label as SensitivityLevel));
  return level < 0 ? LEVELS.length - 1 : level;
}

/** A session's context, folded from its verified log one entry at a time. */
export class ContextAccumulator implements ContextView {
  #head: ChainHead | null = null;
  #intent: Intent | null = null;
  #latest: number | null = null;
  readonly #slots: Slot[] = [];
  readonly #byAction = new Map<string, Slot>();
  readonly #early = new Map<string, Early>();
  readonly #scored: ScoredAction[] = [];
  readonly #prior: PriorAction[] = [];
  /** The slot index of each entry of `#prior`. */
  readonly #priorAt: number[] = [];
  readonly #categories = new Set<string>();
  /** Released actions by the level their output counts at. */
  readonly #levels = [0, 0, 0, 0];
  #released = 0;
  /** Slots before this one are final, or far enough behind, to be folded. */
  #front = 0;
  /** The feature state under one IR, folded up to `folded` slots; null until asked or once stale. */
  #state: { readonly ir: Ir; readonly features: FeatureState; folded: number } | null = null;

  /** The last entry applied, or null before the first. */
  get head(): ChainHead | null {
    return this.#head;
  }

  get intent(): Intent | null {
    return this.#intent;
  }

  get scored(): readonly ScoredAction[] {
    return this.#scored;
  }

  get prior(): readonly PriorAction[] {
    return this.#prior;
  }

  get latest(): number | null {
    return this.#latest;
  }

  get categories(): readonly string[] {
    return [...this.#categories].sort();
  }

  get highest(): SensitivityLevel | null {
    for (let level = LEVELS.length - 1; level >= 0; level--)
      if ((this.#levels[level] as number) > 0) return LEVELS[level] as SensitivityLevel;
    return null;
  }

  get released(): number {
    return this.#released;
  }

  /** Whether the log holds a proposal of the action `actionId`. */
  proposed(actionId: string): boolean {
    return this.#byAction.has(actionId);
  }

  /**
   * Applies the next verified entries of the log, in order. They must
   * continue from {@link head}: the caller verified them as a chain from it.
   */
  apply(entries: readonly ContextEntry[]): void {
    for (const entry of entries) this.#apply(entry);
    this.#advance();
  }

  #apply(entry: ContextEntry): void {
    this.#head = { seq: entry.seq, hash: entry.hash };
    const time = Date.parse(entry.time);
    this.#latest = this.#latest === null ? time : Math.max(this.#latest, time);
    switch (entry.type) {
      case "intent":
        this.#intent ??= entry.intent;
        return;
      case "action":
        if (!this.#byAction.has(entry.action.action_id)) this.#propose(entry.action);
        return;
      case "decision": {
        const { result, modifications } = entry.decision;
        const slot = this.#byAction.get(entry.action_id);
        if (slot === undefined) {
          const early = this.#earlyFor(entry.action_id);
          early.decision ??= entry;
        } else if (slot.decision === undefined) this.#decide(slot, entry);
        // Parameters came out of JSON (the log is canonical JSON), so they are JSON values.
        if (result === "MODIFY" && modifications !== null)
          this.#release(entry.action_id, modifications.parameters as Args);
        else if (result === "ALLOW") this.#release(entry.action_id, null);
        return;
      }
      case "approval":
        if (entry.result.decision === "approved") this.#release(entry.action_id, null);
        return;
      case "deferral_resolution":
        if (entry.resolution.result === "ALLOW") this.#release(entry.resolution.action_id, null);
        return;
      case "outcome":
        this.#label(entry.action_id, entry.labels);
        return;
    }
  }

  #earlyFor(actionId: string): Early {
    let early = this.#early.get(actionId);
    if (early === undefined) {
      early = { released: undefined, labels: new Set(), outcome: false, decision: undefined };
      this.#early.set(actionId, early);
    }
    return early;
  }

  #propose(action: Action): void {
    const slot: Slot = {
      index: this.#slots.length,
      action,
      released: undefined,
      labels: new Set(),
      outcome: false,
      decision: undefined,
    };
    this.#slots.push(slot);
    this.#byAction.set(action.action_id, slot);
    this.#scored.push({ action, alignment: null });
    const early = this.#early.get(action.action_id);
    if (early === undefined) return;
    this.#early.delete(action.action_id);
    if (early.decision !== undefined) this.#decide(slot, early.decision);
    slot.outcome = early.outcome;
    for (const label of early.labels) slot.labels.add(label);
    if (early.released !== undefined) this.#release(action.action_id, early.released);
  }

  #decide(slot: Slot, entry: ContextEntry & { readonly type: "decision" }): void {
    const decision = entry.decision;
    slot.decision = decision.result;
    this.#scored[slot.index] = { action: slot.action, alignment: decision.alignment ?? null };
    const { action_id, timestamp, tool, operation } = slot.action;
    const prior: PriorAction = { action_id, timestamp, tool, operation, decision: decision.result };
    // Decisions come in proposal order but for late ones: insert behind those proposed later.
    let at = this.#prior.length;
    while (at > 0 && (this.#priorAt[at - 1] as number) > slot.index) at--;
    this.#prior.splice(at, 0, prior);
    this.#priorAt.splice(at, 0, slot.index);
  }

  #release(actionId: string, args: Args | null): void {
    const slot = this.#byAction.get(actionId);
    if (slot === undefined) {
      const early = this.#earlyFor(actionId);
      if (early.released === undefined) early.released = args;
      return;
    }
    if (slot.released !== undefined) return;
    slot.released = args;
    this.#released++;
    (this.#levels[levelOf(slot.labels)] as number)++;
    this.#addCategories(slot.labels);
    this.#changed(slot);
  }

  #label(actionId: string, labels: readonly string[]): void {
    const slot = this.#byAction.get(actionId);
    if (slot === undefined) {
      const early = this.#earlyFor(actionId);
      early.outcome = true;
      for (const label of labels) early.labels.add(label);
      return;
    }
    slot.outcome = true;
    const before = levelOf(slot.labels);
    const grew = labels.some((label) => !slot.labels.has(label));
    for (const label of labels) slot.labels.add(label);
    if (slot.released === undefined) return;
    (this.#levels[before] as number)--;
    (this.#levels[levelOf(slot.labels)] as number)++;
    this.#addCategories(slot.labels);
    if (grew) this.#changed(slot);
  }

  #addCategories(labels: ReadonlySet<string>): void {
    for (const label of labels) {
      if (label !== "untrusted" && !LEVELS.includes(label as SensitivityLevel)) this.#categories.add(label);
    }
  }

  /** A slot's history entry changed: if it is folded already, the state must be rebuilt. */
  #changed(slot: Slot): void {
    if (this.#state !== null && slot.index < this.#state.folded) this.#state = null;
  }

  /** Moves the front past final actions, and past any action with more than `TAIL_LIMIT` behind it. */
  #advance(): void {
    const slots = this.#slots;
    while (this.#front < slots.length) {
      const slot = slots[this.#front] as Slot;
      const final =
        (slot.released !== undefined && slot.outcome) ||
        (slot.released === undefined && slot.decision === "DENY");
      if (!final && slots.length - this.#front <= TAIL_LIMIT) break;
      this.#front++;
    }
  }

  /** The history entry of a released slot. */
  #entry(slot: Slot): HistoryEntry {
    const action = slot.action;
    const target = action.targets[0];
    return {
      tool: action.tool,
      effect: action.effect,
      args: slot.released ?? (action.parameters as Args),
      ...(target === undefined ? {} : { target }),
      time: Date.parse(action.timestamp),
      labels: [...slot.labels].sort(),
    };
  }

  features(ir: Ir, now: number): FeatureValues {
    let state = this.#state;
    if (state === null || state.ir !== ir) {
      state = { ir, features: initialFeatureState(ir), folded: 0 };
      this.#state = state;
    }
    for (; state.folded < this.#front; state.folded++) {
      const slot = this.#slots[state.folded] as Slot;
      if (slot.released !== undefined) appendEntry(state.features, this.#entry(slot));
    }
    const tail: HistoryEntry[] = [];
    for (let i = this.#front; i < this.#slots.length; i++) {
      const slot = this.#slots[i] as Slot;
      if (slot.released !== undefined) tail.push(this.#entry(slot));
    }
    const values = featureValues(state.features, now, tail);
    // Times only move forward in a session (the runtime refuses a clock that goes back).
    pruneFeatureState(state.features, now);
    return values;
  }

  /** The accumulator of a whole verified log (or a prefix of one). */
  static of(entries: readonly ContextEntry[]): ContextAccumulator {
    const accumulator = new ContextAccumulator();
    accumulator.apply(entries);
    return accumulator;
  }
}
