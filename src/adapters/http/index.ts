/**
 * `aarm/adapters/http`: the runtime as an HTTP decision service (`aarm
 * serve`) for agents written in any language: the service's operations, the
 * `node:http` server around them with authentication, limits and problem
 * details, the route table, the OpenAPI document and the configuration file.
 * See `docs/http.md`.
 *
 * @module
 */

export { deskOperations, type DeskOperationId, type Desks, MAX_LIST } from "./approvals.ts";
export {
  authenticate,
  type Client,
  CLIENT_SCOPES,
  type ClientScope,
  MIN_TOKEN_LENGTH,
  tokenDigest,
} from "./auth.ts";
export { type BodyLimits, type BodyResult, readJsonBody } from "./body.ts";
export {
  type ClientConfig,
  type IssuerConfig,
  parseServeConfig,
  type ServeConfig,
  serveConfigSchema,
} from "./config.ts";
export { type BodySchema, checkBody, openApiDocument } from "./openapi.ts";
export {
  HttpProblem,
  problem,
  type Problem,
  type ProblemCode,
  type ProblemError,
  PROBLEM_TYPE_BASE,
  PROBLEMS,
} from "./problem.ts";
export { type RateLimit, RateLimiter } from "./rate-limit.ts";
export { matchRoute, type OperationId, type Route, type RouteMatch, ROUTES } from "./routes.ts";
export {
  bindRefusal,
  createHttpServer,
  type HttpLimits,
  type HttpServerOptions,
  isLoopback,
  type TlsOptions,
} from "./server.ts";
export {
  createDecisionService,
  type DecisionService,
  type OperationRequest,
  type Reply,
  type RuntimeWatch,
  runtimeWatch,
  type ServiceLimits,
  type ServiceOperation,
  type ServiceOptions,
} from "./service.ts";
export {
  actionPath,
  type HandleJson,
  handleJson,
  type HostedSession,
  MAX_TRACKED_ACTIONS,
  track,
  type TrackedAction,
  waitSettled,
} from "./sessions.ts";
