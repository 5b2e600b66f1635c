/**
 * The one exception the reference interpreter throws on purpose.
 *
 * A checked policy evaluated on conforming input never meets a value of the
 * wrong type; when it does, the checker, the input validation or the
 * interpreter is wrong. A dedicated class lets the soundness property tell
 * that failure apart from any other.
 *
 * @module
 */

export class SemanticsTypeError extends Error {
  override readonly name = "SemanticsTypeError";
}
