/**
 * Errors as RFC 9457 problem details (`application/problem+json`), each with
 * a stable `code` that clients switch on. The `detail` says what the client
 * can fix; it never echoes request content, tokens or internal state.
 *
 * @module
 */

/** The stable problem codes, with their HTTP status and title. */
export const PROBLEMS = {
  unauthorized: { status: 401, title: "Authentication required" },
  forbidden: { status: 403, title: "Not allowed for this client" },
  identity_rejected: { status: 403, title: "The identity could not be verified" },
  approval_refused: { status: 403, title: "This approver may not answer this request" },
  not_found: { status: 404, title: "No such resource" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  request_timeout: { status: 408, title: "The request was not received in time" },
  session_exists: { status: 409, title: "The session id is taken" },
  session_ended: { status: 409, title: "The session has ended" },
  outcome_rejected: { status: 409, title: "The outcome was not recorded" },
  already_settled: { status: 409, title: "Already settled" },
  digest_mismatch: { status: 409, title: "The answer was given for another action" },
  not_waiting: { status: 409, title: "Nothing is waiting for this" },
  payload_too_large: { status: 413, title: "The request body is too large" },
  unsupported_media_type: { status: 415, title: "Unsupported content type" },
  malformed_json: { status: 400, title: "The request body is not valid JSON" },
  invalid_request: { status: 422, title: "The request does not match its schema" },
  rate_limited: { status: 429, title: "Too many requests" },
  too_many_sessions: { status: 429, title: "Too many open sessions" },
  internal: { status: 500, title: "Internal error" },
  not_implemented: { status: 501, title: "Not available in this deployment" },
  store_unavailable: { status: 503, title: "The store is unavailable" },
} as const;

/** A stable problem code. */
export type ProblemCode = keyof typeof PROBLEMS;

/** Where problem types are documented: `<base><code>`. */
export const PROBLEM_TYPE_BASE = "https://aarm.dev/problems/";

/** One field-level reason a request was refused. */
export interface ProblemError {
  /** JSON Pointer (RFC 6901) of the offending value in the request body. */
  readonly pointer: string;
  readonly detail: string;
}

/** A problem details document. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail?: string;
  readonly errors?: readonly ProblemError[];
  /** Further members a code defines (e.g. `failure` for `identity_rejected`). */
  readonly [member: string]: unknown;
}

/** A problem answered instead of a result: handlers return it as a value. */
export class HttpProblem {
  readonly problem: Problem;
  /** Extra response headers, e.g. `Retry-After`, `Allow`, `WWW-Authenticate`. */
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    code: ProblemCode,
    detail?: string,
    extra: Readonly<Record<string, unknown>> = {},
    headers: Readonly<Record<string, string>> = {},
  ) {
    const { status, title } = PROBLEMS[code];
    this.problem = {
      ...extra,
      type: `${PROBLEM_TYPE_BASE}${code}`,
      title,
      status,
      code,
      ...(detail === undefined ? {} : { detail }),
    };
    this.headers = headers;
  }
}

/** Shorthand for {@link HttpProblem}. */
export function problem(
  code: ProblemCode,
  detail?: string,
  extra?: Readonly<Record<string, unknown>>,
  headers?: Readonly<Record<string, string>>,
): HttpProblem {
  return new HttpProblem(code, detail, extra, headers);
}
