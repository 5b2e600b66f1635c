/**
 * Shared fast-check settings. CI runs every property with a fixed seed and a
 * bounded number of runs; `npm run test:deep` (AARM_PROPERTY_DEPTH=deep)
 * runs the same properties much longer with a fresh seed, printed on failure.
 */
import type { Parameters } from "fast-check";

const deep = process.env.AARM_PROPERTY_DEPTH === "deep";

/** The fixed CI seed; change it only deliberately. */
export const CI_SEED = 20261122;

/**
 * fast-check parameters for a property: `ciRuns` in CI, `ciRuns * deepFactor`
 * in the deep run.
 */
export function propertyParams<T>(ciRuns: number, deepFactor = 50): Parameters<T> {
  return deep ? { numRuns: ciRuns * deepFactor } : { numRuns: ciRuns, seed: CI_SEED };
}
