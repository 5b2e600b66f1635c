/**
 * The route table: every operation the service answers, with its method,
 * path template (as the OpenAPI document writes it), who may call it and
 * what body it takes. The server dispatches from this table alone, and the
 * tests check it against the OpenAPI document, route for route.
 *
 * @module
 */
import type { ClientScope } from "./auth.ts";
import type { BodySchema } from "./openapi.ts";

/** An operation of the API. */
export interface Route {
  readonly method: "GET" | "POST";
  /** The path template, with `{name}` parameters, exactly as in the OpenAPI document. */
  readonly path: string;
  /** The OpenAPI `operationId`, which is also the handler's name. */
  readonly operationId: OperationId;
  /** `public` (no token), or the scopes any one of which lets a client call it. */
  readonly access: "public" | readonly ClientScope[];
  /** The request body's schema, or null for none. */
  readonly body: BodySchema | null;
}

/** The operations of the API. */
export type OperationId =
  | "health"
  | "openapi"
  | "startSession"
  | "getSession"
  | "endSession"
  | "evaluate"
  | "getAction"
  | "cancelAction"
  | "recordOutcome"
  | "listSessionReceipts"
  | "exportReceipts"
  | "getReceipt"
  | "listApprovals"
  | "getApproval"
  | "approveRequest"
  | "denyRequest"
  | "listDeferrals"
  | "getDeferral"
  | "provideFacts"
  | "confirmDeferral";

const SESSION = "/v1/sessions/{session_id}";
const ACTION = `${SESSION}/actions/{action_id}`;
const APPROVAL = "/v1/approvals/{request_id}";
const DEFERRAL = "/v1/deferrals/{deferral_id}";

/** Every route, in the order the OpenAPI document lists them. */
export const ROUTES: readonly Route[] = [
  { method: "GET", path: "/healthz", operationId: "health", access: "public", body: null },
  { method: "GET", path: "/openapi.json", operationId: "openapi", access: "public", body: null },
  {
    method: "POST",
    path: "/v1/sessions",
    operationId: "startSession",
    access: ["agent"],
    body: "StartSession",
  },
  { method: "GET", path: SESSION, operationId: "getSession", access: ["agent", "audit"], body: null },
  { method: "POST", path: `${SESSION}/end`, operationId: "endSession", access: ["agent"], body: "Empty" },
  {
    method: "POST",
    path: `${SESSION}/evaluate`,
    operationId: "evaluate",
    access: ["agent"],
    body: "EvaluateRequest",
  },
  { method: "GET", path: ACTION, operationId: "getAction", access: ["agent"], body: null },
  { method: "POST", path: `${ACTION}/cancel`, operationId: "cancelAction", access: ["agent"], body: "Empty" },
  {
    method: "POST",
    path: `${ACTION}/outcome`,
    operationId: "recordOutcome",
    access: ["agent"],
    body: "OutcomeRequest",
  },
  {
    method: "GET",
    path: `${SESSION}/receipts`,
    operationId: "listSessionReceipts",
    access: ["agent", "audit"],
    body: null,
  },
  { method: "GET", path: "/v1/receipts", operationId: "exportReceipts", access: ["audit"], body: null },
  {
    method: "GET",
    path: "/v1/receipts/{receipt_id}",
    operationId: "getReceipt",
    access: ["audit"],
    body: null,
  },
  {
    method: "GET",
    path: "/v1/approvals",
    operationId: "listApprovals",
    access: ["approver", "audit"],
    body: null,
  },
  { method: "GET", path: APPROVAL, operationId: "getApproval", access: ["approver", "audit"], body: null },
  {
    method: "POST",
    path: `${APPROVAL}/approve`,
    operationId: "approveRequest",
    access: ["approver"],
    body: "ApproverAnswer",
  },
  {
    method: "POST",
    path: `${APPROVAL}/deny`,
    operationId: "denyRequest",
    access: ["approver"],
    body: "ApproverAnswer",
  },
  {
    method: "GET",
    path: "/v1/deferrals",
    operationId: "listDeferrals",
    access: ["approver", "audit"],
    body: null,
  },
  { method: "GET", path: DEFERRAL, operationId: "getDeferral", access: ["approver", "audit"], body: null },
  {
    method: "POST",
    path: `${DEFERRAL}/facts`,
    operationId: "provideFacts",
    access: ["approver"],
    body: "Facts",
  },
  {
    method: "POST",
    path: `${DEFERRAL}/confirm`,
    operationId: "confirmDeferral",
    access: ["approver"],
    body: "Confirmation",
  },
];

/** A request matched to a route, with its decoded path parameters. */
export type RouteMatch =
  | { readonly kind: "route"; readonly route: Route; readonly params: Readonly<Record<string, string>> }
  /** The path exists but not with this method. */
  | { readonly kind: "method"; readonly allow: readonly string[] }
  | { readonly kind: "none" };

/** Matches one path template against the path's segments: the parameters, or null. */
function matchPath(template: string, segments: readonly string[]): Record<string, string> | null {
  const parts = template.split("/");
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i] ?? "";
    if (part.startsWith("{") && part.endsWith("}")) {
      let value: string;
      try {
        value = decodeURIComponent(segment);
      } catch {
        return null;
      }
      if (value === "") return null;
      params[part.slice(1, -1)] = value;
    } else if (part !== segment) {
      return null;
    }
  }
  return params;
}

/** The route for a method and path (without its query). */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const segments = pathname.split("/");
  const allow: string[] = [];
  for (const route of ROUTES) {
    const params = matchPath(route.path, segments);
    if (params === null) continue;
    if (route.method === method) return { kind: "route", route, params };
    allow.push(route.method);
  }
  return allow.length > 0 ? { kind: "method", allow } : { kind: "none" };
}
