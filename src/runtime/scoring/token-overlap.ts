/**
 * The built-in scorer: deterministic, local, no model and no network.
 *
 * **Alignment** is the cosine similarity of two sets of word tokens: those
 * of the request text, and those of the action (its tool name and the string
 * and number values of its arguments, at any depth). With binary token
 * vectors, cosine is |A ∩ R| / √(|A| · |R|); it is 0 when either side has no
 * tokens. Tokens are maximal runs of Unicode letters and digits, after
 * splitting camelCase and lower-casing (NFKC); one-character tokens and a
 * short list of English function words are dropped, and a light suffix
 * stripping (`-ies` → `-y`, `-ing`, `-ed`, `-es`, `-s`) lets "emails" meet
 * "email". Only the first {@link MAX_TEXT} characters of each side are read.
 *
 * **Drift** is an exponential moving average of the per-action distance
 * 1 − alignment over the session's actions in order, the current one last,
 * starting from no drift: d₀ = 0, dₙ = α(1 − aₙ) + (1 − α)dₙ₋₁, with
 * α = {@link DEFAULT_ALPHA} unless configured. Earlier actions count with the
 * alignment frozen when they were decided (actions without one are
 * skipped), so drift is a function of the context log. One misaligned action
 * moves it by at most α; a sustained divergence drives it towards the
 * actions' distance (after k unrelated actions it is at least 1 − (1 − α)ᵏ
 * of the way there), so a gradual divergence is caught where the
 * per-action alignment alone looks only mildly off.
 *
 * This is a lexical measure: it sees shared words, not meaning. It is a
 * floor that works offline; thresholds over it must be calibrated on the
 * deployment's own benign and malicious sequences, and a semantic scorer can
 * replace it behind the same interface.
 *
 * @module
 */
import type { Json } from "../../ir/contract.ts";
import type { Action, Intent } from "../../schema/generated/types.ts";
import type { ScoredAction, Scorer, Scores } from "./types.ts";

/** Weight of the newest action in the drift average. */
export const DEFAULT_ALPHA = 0.3;

/** Characters of text read from each side (request, action). */
export const MAX_TEXT = 64 * 1024;

const STOPWORDS = new Set(
  (
    "a an the and or but of to in on at by for with from into onto about as is are was were be been " +
    "it its this that these those my me mine our ours your yours we you he she they them their his her " +
    "please can could would should will shall do does did all any some if then than so up out not no"
  ).split(" "),
);

function stem(token: string): string {
  if (token.length > 4 && token.endsWith("ies")) return `${token.slice(0, -3)}y`;
  if (token.length > 5 && token.endsWith("ing")) return token.slice(0, -3);
  if (token.length > 4 && token.endsWith("ed")) return token.slice(0, -2);
  if (token.length > 4 && token.endsWith("es")) return token.slice(0, -2);
  if (token.length > 3 && token.endsWith("s") && !token.endsWith("ss")) return token.slice(0, -1);
  return token;
}

/** The token set of `text`, as the method above describes. */
export function tokenize(text: string): Set<string> {
  const split = text.slice(0, MAX_TEXT).replace(/(\p{Ll})(\p{Lu})/gu, "$1 $2");
  const tokens = new Set<string>();
  for (const match of split
    .normalize("NFKC")
    .toLowerCase()
    .matchAll(/[\p{L}\p{N}]+/gu)) {
    const token = match[0];
    if (token.length < 2 || STOPWORDS.has(token)) continue;
    tokens.add(stem(token));
  }
  return tokens;
}

/** The action as text: its tool name, then its argument values, depth first, up to {@link MAX_TEXT}. */
export function actionText(action: Pick<Action, "tool" | "parameters">): string {
  const parts: string[] = [action.tool];
  let length = action.tool.length;
  const walk = (value: Json): void => {
    if (length >= MAX_TEXT) return;
    if (typeof value === "string" || typeof value === "number") {
      const text = String(value);
      parts.push(text);
      length += text.length + 1;
    } else if (Array.isArray(value)) {
      for (const item of value as readonly Json[]) walk(item);
    } else if (value !== null && typeof value === "object") {
      for (const item of Object.values(value)) walk(item);
    }
  };
  walk(action.parameters as Json);
  return parts.join(" ");
}

/** Cosine similarity of two token sets as binary vectors. */
export function cosine(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const token of a) if (b.has(token)) shared++;
  return shared / Math.sqrt(a.size * b.size);
}

/** Rounded to six decimals, so receipts show readable scores; clamped into [0, 1] against rounding error. */
function score(x: number): number {
  return Math.min(1, Math.max(0, Math.round(x * 1e6) / 1e6));
}

/** The built-in scorer, with drift weight `alpha` in (0, 1]. */
export function tokenOverlapScorer(options: { readonly alpha?: number } = {}): Scorer {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
  return {
    id: "aarm.token-overlap",
    version: `1;alpha=${alpha}`,
    score(intent: Intent, action: Action, history: readonly ScoredAction[]): Scores {
      const step = (drift: number, a: number): number => alpha * (1 - a) + (1 - alpha) * drift;
      const alignment = score(cosine(tokenize(actionText(action)), tokenize(intent.text)));
      let drift = 0;
      for (const prior of history) if (prior.alignment !== null) drift = step(drift, prior.alignment);
      return { alignment, drift: score(step(drift, alignment)) };
    },
  };
}
