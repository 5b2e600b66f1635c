/**
 * Sensitivity levels and the labels of prior outputs.
 *
 * Levels are ordered `public < internal < confidential < restricted`. An
 * output (or a prior action in the history) that carries no level counts as
 * `restricted`: what nothing classified is treated as the most sensitive
 * (AARM R2).
 *
 * @module
 */
import type { HistoryEntry } from "../ir/contract.ts";
import { SemanticsTypeError } from "./errors.ts";

const LEVELS = ["public", "internal", "confidential", "restricted"] as const;
export type Level = (typeof LEVELS)[number];

/** The label every output carries when nothing gave it a level. */
export const UNCLASSIFIED: Level = "restricted";

export function isLevel(label: string): label is Level {
  return (LEVELS as readonly string[]).includes(label);
}

/** Rank of a level in the sensitivity order; throws for a label that is not a level. */
export function levelRank(label: string): number {
  const rank = (LEVELS as readonly string[]).indexOf(label);
  if (rank < 0) throw new SemanticsTypeError(`${label} is not a sensitivity level`);
  return rank;
}

/** The highest level among `labels`, or null when there is none. */
export function highestLevel(labels: Iterable<string>): Level | null {
  let best: Level | null = null;
  for (const label of labels) {
    if (isLevel(label) && (best === null || levelRank(label) > levelRank(best))) best = label;
  }
  return best;
}

/** The labels of a prior action's output, with `restricted` added when it carries no level. */
export function entryLabels(entry: HistoryEntry): readonly string[] {
  return highestLevel(entry.labels) === null ? [...entry.labels, UNCLASSIFIED] : entry.labels;
}
