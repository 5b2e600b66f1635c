/**
 * A cursor over a pattern, by code point as RE2 reads it, and the parse
 * error value every parsing step returns instead of throwing.
 *
 * @module
 */

/** A syntax error: what is wrong, and the offset (UTF-16 code units) of the construct at fault. */
export interface ParseFailure {
  readonly message: string;
  readonly offset: number;
}

export function fail(message: string, offset: number): ParseFailure {
  return { message, offset };
}

export function isFailure<T>(value: T | ParseFailure): value is ParseFailure {
  return typeof value === "object" && value !== null && "message" in value;
}

export class Scanner {
  readonly src: string;
  /** The current offset in `src`, in UTF-16 code units. */
  pos = 0;

  constructor(src: string) {
    this.src = src;
  }

  more(): boolean {
    return this.pos < this.src.length;
  }

  /** The code point at `pos`, whole if it is a surrogate pair. */
  peek(): number {
    return this.src.codePointAt(this.pos)!;
  }

  pop(): number {
    const c = this.peek();
    this.pos += c > 0xffff ? 2 : 1;
    return c;
  }

  lookingAt(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  /** The UTF-16 unit `ahead` units past `pos`, or "" past the end. */
  charAt(ahead: number): string {
    return this.src.charAt(this.pos + ahead);
  }
}
