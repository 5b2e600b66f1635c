/**
 * `aarm` as an MCP gateway: upstream MCP servers behind the runtime, served
 * to clients over stdio and Streamable HTTP, every `tools/call` decided and
 * receipted before it may reach its upstream. See `docs/gateway.md`.
 *
 * @module
 */
export {
  type ConfigResult,
  type GatewayConfig,
  type GatewayConfigLimits,
  readGatewayConfig,
  readUpstreamFlag,
} from "./config.ts";
export {
  createGateway,
  DECISION_META_KEY,
  type Gateway,
  type GatewayLimits,
  type GatewayOptions,
  type GatewaySession,
  INTENT_META_KEY,
  outcomeOf,
  type SessionStart,
} from "./gateway.ts";
export { type HttpGateway, type HttpOptions, INTENT_HEADER, serveHttp } from "./http.ts";
export {
  classify,
  ERROR,
  failure,
  type Incoming,
  isObject,
  type JsonObject,
  type Outgoing,
  parseMessage,
  type RequestId,
  result,
  type RpcError,
} from "./jsonrpc.ts";
export { DEFAULT_MAX_MESSAGE_BYTES, serveStdio, type StdioOptions } from "./stdio.ts";
export {
  listedTools,
  MCP_TOOL_NAME,
  policyAnnotations,
  type Route,
  type ToolTable,
  toolTable,
  undeclaredTools,
} from "./tools.ts";
export {
  type ConnectOptions,
  connectUpstream,
  type HttpUpstreamSpec,
  MAX_UPSTREAM_TOOLS,
  type StdioUpstreamSpec,
  type Upstream,
  UPSTREAM_NAME,
  type UpstreamSpec,
} from "./upstream.ts";
