/**
 * A validating, non-recursive scan of one JSON text, for the places where
 * `JSON.parse` is not enough: it reports *where* a syntax error is (V8's
 * messages do not always carry a position), where the value at a JSON path
 * begins (so a schema error can name a column), and how deeply the text nests
 * (hostile input may nest deeply enough to exhaust the stack of the recursive
 * code that later walks the value).
 *
 * @module
 */

/** A path into a JSON value: member names and array indexes. */
export type JsonPath = readonly (string | number)[];

export type ScanResult =
  | { readonly ok: true; readonly depth: number; readonly found: number | null }
  | { readonly ok: false; readonly offset: number; readonly message: string };

interface Frame {
  readonly array: boolean;
  /** Key of the member or index of the element being read. */
  key: string | number;
  /** State within the container: expecting a value/key, or a separator. */
  state: "first" | "value" | "after";
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

function describe(text: string, at: number): string {
  if (at >= text.length) return "unexpected end of line";
  const ch = text[at] ?? "";
  return `unexpected ${JSON.stringify(ch)}`;
}

/**
 * Scans `text` as one JSON value. With `target`, also reports the offset at
 * which the value at that path begins (`found`), or null when there is none.
 */
export function scanJson(text: string, target: JsonPath | null = null): ScanResult {
  let i = 0;
  let depth = 0;
  let maxDepth = 0;
  let found: number | null = null;
  const stack: Frame[] = [];
  const fail = (message: string, at = i): ScanResult => ({ ok: false, offset: at, message });
  const skipWs = (): void => {
    while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  };
  const atTarget = (): boolean => {
    if (target === null || found !== null || target.length !== stack.length) return false;
    return stack.every((frame, k) => frame.key === target[k]);
  };
  /** Reads a string at `i`; returns its value (only when `keep`: keys) or an error. */
  const readString = (keep: boolean): string | ScanResult => {
    const start = i;
    i++;
    let out = "";
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) return fail("control character in string");
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) return fail("bad \\u escape in string");
          if (keep) out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
          continue;
        }
        const simple: Record<string, string> = {
          '"': '"',
          "\\": "\\",
          "/": "/",
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
        };
        const v = e === undefined ? undefined : simple[e];
        if (v === undefined) return fail("bad escape in string");
        if (keep) out += v;
        i += 2;
        continue;
      }
      if (keep) out += text[i];
      i++;
    }
    return fail("unterminated string", start);
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

  skipWs();
  for (;;) {
    // Expecting a value at `i`.
    if (atTarget()) found = i;
    const c = text[i];
    if (c === "{" || c === "[") {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      i++;
      stack.push({ array: c === "[", key: c === "[" ? 0 : "", state: "first" });
    } else if (c === '"') {
      const s = readString(false);
      if (typeof s !== "string") return s;
    } else if (c === "t" || c === "f" || c === "n") {
      const word = c === "t" ? "true" : c === "f" ? "false" : "null";
      if (text.startsWith(word, i)) i += word.length;
      else return fail(describe(text, i));
    } else if (c !== undefined && (c === "-" || (c >= "0" && c <= "9"))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) return fail("malformed number");
      i += m[0].length;
    } else {
      return fail(
        c === undefined
          ? "unexpected end of line, expected a value"
          : `${describe(text, i)}, expected a value`,
      );
    }
    // After a value (or an opening bracket): close containers, find the next value.
    for (;;) {
      skipWs();
      const frame = stack[stack.length - 1];
      if (frame === undefined) {
        if (i < text.length) return fail(`${describe(text, i)} after the value`);
        return { ok: true, depth: maxDepth, found };
      }
      const close = frame.array ? "]" : "}";
      if (frame.state === "first" && text[i] === close) {
        i++;
        stack.pop();
        depth--;
        continue;
      }
      if (frame.state === "after") {
        if (text[i] === close) {
          i++;
          stack.pop();
          depth--;
          continue;
        }
        if (text[i] !== ",") return fail(`${describe(text, i)}, expected "," or "${close}"`);
        i++;
        skipWs();
        if (frame.array) frame.key = (frame.key as number) + 1;
      }
      if (!frame.array) {
        if (text[i] !== '"') return fail(`${describe(text, i)}, expected a property name`);
        const key = readString(true);
        if (typeof key !== "string") return key;
        skipWs();
        if (text[i] !== ":") return fail(`${describe(text, i)}, expected ":"`);
        i++;
        skipWs();
        frame.key = key;
      }
      frame.state = "after";
      break;
    }
  }
}
