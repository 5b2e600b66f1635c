/**
 * The scorer seam (AARM R3, R7): how well an action fits the user's request
 * (`intent.alignment`) and how far the session has drifted from it
 * (`session.drift`), both in [0, 1].
 *
 * Scores are not deterministic in general (an embedding model, a remote
 * classifier), so the runtime computes them *before* the decision, bounds
 * the time they may take, and freezes them, with the scorer's id and
 * version, into the snapshot the decision is made on; the decision itself
 * stays a pure function of that snapshot and can be replayed from the log.
 *
 * @module
 */
import type { Action, Intent } from "../../schema/generated/types.ts";

/** The two scores, each in [0, 1]. */
export interface Scores {
  /** How well the action fits the request: 1 is a perfect fit. */
  readonly alignment: number;
  /** How far the session has drifted from the request, aggregated over its actions: 0 is none. */
  readonly drift: number;
}

/** An earlier action of the session with the alignment frozen when it was decided (null: none was computed). */
export interface ScoredAction {
  readonly action: Action;
  readonly alignment: number | null;
}

/** Computes scores. Implementations may be slow or fail: the runtime bounds and contains them. */
export interface Scorer {
  /** Names the method, e.g. `aarm.token-overlap`; recorded with every score. */
  readonly id: string;
  /** Changes whenever the same input could score differently. */
  readonly version: string;
  /**
   * Scores `action` against the session's request `intent`, given the
   * session's earlier actions (oldest first, every proposed action, decided
   * or not).
   */
  score(intent: Intent, action: Action, history: readonly ScoredAction[]): Scores | Promise<Scores>;
}
