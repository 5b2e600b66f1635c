/**
 * Durations in test files, written as in the policy language (`500ms`, `90s`,
 * `15m`, `24h`, `7d`: an integer and one unit) or as a number of milliseconds.
 *
 * @module
 */

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration, or null when it is not one. */
export function parseDuration(value: string | number): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (match === null) return null;
  const ms = Number(match[1]) * (UNITS[match[2] ?? ""] ?? Number.NaN);
  return Number.isSafeInteger(ms) ? ms : null;
}

/** The shortest exact spelling of a duration in milliseconds. */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = UNITS[unit] ?? 1;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
