/**
 * The configuration file of `aarm serve` (JSON): where the policy, the store
 * and the signing keys are, who the clients are and how their tokens are
 * given, how identities are verified, where to listen, and the limits.
 * Relative paths are relative to the file's folder. The file is checked
 * against a JSON Schema; a token is never read from anywhere but the
 * environment variable or field the file names, and never printed.
 *
 * @module
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { formatErrors } from "../../schema/errors.ts";
import { CLIENT_SCOPES, type ClientScope, MIN_TOKEN_LENGTH } from "./auth.ts";

/** A client application as the file describes it: its name, scopes and exactly one way to its token. */
export interface ClientConfig {
  readonly name: string;
  /** Default `["agent"]`. */
  readonly scopes?: readonly ClientScope[];
  /** The environment variable holding the token (recommended). */
  readonly token_env?: string;
  /** The SHA-256 of the token, in hex: the file then holds no secret at all. */
  readonly token_sha256?: string;
  /** The token itself (for tests and throwaway setups). */
  readonly token?: string;
}

/** One trusted identity-token issuer. */
export interface IssuerConfig {
  readonly issuer: string;
  readonly algorithms: readonly ("EdDSA" | "ES256" | "RS256")[];
  /** A JWK set file (the issuer's published keys, downloaded out of band). */
  readonly keys: string;
  readonly subject_kind?: "human" | "service";
  readonly subject_claim?: string;
  readonly service_claim?: string;
  readonly roles_claim?: string;
  readonly scope_claim?: string;
}

/** The `aarm serve` configuration file. */
export interface ServeConfig {
  /** The root `.aarm` file, compiled at start and hot-reloaded when it changes. */
  readonly policy: string;
  /** The SQLite store (created if missing). */
  readonly store: string;
  /** The signing key directory (created, with a new key, if missing). */
  readonly keys: string;
  readonly listen?: {
    readonly host?: string;
    readonly port?: number;
    /** Serve plain HTTP on a non-loopback address anyway (behind a TLS-terminating proxy on a private network). */
    readonly allow_plaintext_remote?: boolean;
  };
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly clients: readonly ClientConfig[];
  readonly identity:
    | {
        readonly jwt: {
          readonly audience: string | readonly string[];
          readonly issuers: readonly IssuerConfig[];
          /** A revocation file (`aarm-revocations/1`), re-read when it changes. */
          readonly revocation?: string;
          readonly max_token_age_seconds?: number;
          readonly clock_tolerance_seconds?: number;
        };
      }
    | {
        /** Take the clients' plain claims as true (loopback only; see docs/http.md). */
        readonly trusted_local: true;
      };
  /** Who may answer approval requests: the members of each group policies name (`group:finance`). */
  readonly approvers?: { readonly groups?: { readonly [group: string]: readonly string[] } };
  readonly limits?: {
    readonly max_body_bytes?: number;
    readonly headers_timeout_ms?: number;
    readonly body_timeout_ms?: number;
    readonly keep_alive_timeout_ms?: number;
    readonly max_connections?: number;
    readonly rate_burst?: number;
    readonly rate_per_second?: number;
    readonly max_wait_ms?: number;
    readonly max_sessions?: number;
    /** The longest any STEP_UP or DEFER waits, whatever the policy says. */
    readonly pending_ceiling_ms?: number;
  };
}

const positive = { type: "integer", minimum: 1, maximum: 2_147_483_647 } as const;
const name = { type: "string", minLength: 1, maxLength: 256, pattern: "^[A-Za-z0-9._:@-]+$" } as const;

/** The JSON Schema of the configuration file. */
export const serveConfigSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  additionalProperties: false,
  required: ["policy", "store", "keys", "clients", "identity"],
  properties: {
    $schema: { type: "string" },
    policy: { type: "string", minLength: 1 },
    store: { type: "string", minLength: 1 },
    keys: { type: "string", minLength: 1 },
    listen: {
      type: "object",
      additionalProperties: false,
      properties: {
        host: { type: "string", minLength: 1, maxLength: 255 },
        port: { type: "integer", minimum: 0, maximum: 65535 },
        allow_plaintext_remote: { type: "boolean" },
      },
    },
    tls: {
      type: "object",
      additionalProperties: false,
      required: ["cert", "key"],
      properties: { cert: { type: "string", minLength: 1 }, key: { type: "string", minLength: 1 } },
    },
    clients: {
      type: "array",
      minItems: 1,
      maxItems: 1000,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name"],
        oneOf: [{ required: ["token_env"] }, { required: ["token_sha256"] }, { required: ["token"] }],
        properties: {
          name,
          scopes: { type: "array", uniqueItems: true, minItems: 1, items: { enum: [...CLIENT_SCOPES] } },
          token_env: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
          token_sha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
          token: {
            type: "string",
            minLength: MIN_TOKEN_LENGTH,
            maxLength: 4096,
            pattern: "^[\\x21-\\x7E]+$",
          },
        },
      },
    },
    identity: {
      type: "object",
      oneOf: [
        {
          additionalProperties: false,
          required: ["jwt"],
          properties: {
            jwt: {
              type: "object",
              additionalProperties: false,
              required: ["audience", "issuers"],
              properties: {
                audience: {
                  oneOf: [
                    { type: "string", minLength: 1 },
                    { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
                  ],
                },
                issuers: {
                  type: "array",
                  minItems: 1,
                  items: {
                    type: "object",
                    additionalProperties: false,
                    required: ["issuer", "algorithms", "keys"],
                    properties: {
                      issuer: { type: "string", minLength: 1 },
                      algorithms: {
                        type: "array",
                        minItems: 1,
                        items: { enum: ["EdDSA", "ES256", "RS256"] },
                      },
                      keys: { type: "string", minLength: 1 },
                      subject_kind: { enum: ["human", "service"] },
                      subject_claim: { type: "string", minLength: 1 },
                      service_claim: { type: "string", minLength: 1 },
                      roles_claim: { type: "string", minLength: 1 },
                      scope_claim: { type: "string", minLength: 1 },
                    },
                  },
                },
                revocation: { type: "string", minLength: 1 },
                max_token_age_seconds: positive,
                clock_tolerance_seconds: { type: "integer", minimum: 0, maximum: 300 },
              },
            },
          },
        },
        {
          additionalProperties: false,
          required: ["trusted_local"],
          properties: { trusted_local: { const: true } },
        },
      ],
    },
    approvers: {
      type: "object",
      additionalProperties: false,
      properties: {
        groups: {
          type: "object",
          maxProperties: 1000,
          additionalProperties: {
            type: "array",
            maxItems: 10_000,
            uniqueItems: true,
            items: { type: "string", minLength: 1, maxLength: 256 },
          },
        },
      },
    },
    limits: {
      type: "object",
      additionalProperties: false,
      properties: {
        max_body_bytes: positive,
        headers_timeout_ms: positive,
        body_timeout_ms: positive,
        keep_alive_timeout_ms: positive,
        max_connections: positive,
        rate_burst: positive,
        rate_per_second: { type: "number", exclusiveMinimum: 0, maximum: 1_000_000 },
        max_wait_ms: { type: "integer", minimum: 0, maximum: 600_000 },
        max_sessions: positive,
        pending_ceiling_ms: positive,
      },
    },
  },
} as const;

/** The configuration, or the reasons it is refused (`/pointer: message`). */
export function parseServeConfig(
  value: unknown,
):
  | { readonly ok: true; readonly value: ServeConfig }
  | { readonly ok: false; readonly errors: readonly string[] } {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, verbose: true });
  const validate = ajv.compile<ServeConfig>(serveConfigSchema);
  if (validate(value)) return { ok: true, value };
  const errors = formatErrors(validate.errors ?? [], new WeakMap());
  return { ok: false, errors: errors.map((error) => `${error.path || "/"}: ${error.message}`) };
}
