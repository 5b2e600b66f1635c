/**
 * `aarm approvals`: the approvals a running runtime waits for, answered from
 * another terminal. It works on the runtime's SQLite store file: `list` and
 * `show` read the requests, `approve` and `deny` record an answer, which the
 * waiting runtime sees at its next poll of the store.
 *
 * An answer counts only with the approver's signed token (a JWT from the
 * token file or `AARM_APPROVER_TOKEN`, never a command-line argument, where
 * other users could read it), verified against the issuers of the approvers
 * configuration, which also holds the approver groups:
 *
 * ```json
 * { "groups": { "group:finance": ["carol@example.com"] },
 *   "jwt": { "audience": "aarm-approvals",
 *            "issuers": [{ "issuer": "https://idp.example.com", "algorithms": ["EdDSA"], "keys": { "keys": [] } }] } }
 * ```
 *
 * Exit 0 when done, 1 when the answer was refused (settled, expired, not an
 * approver, …) or `show` finds nothing, 2 on bad input.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Approvers, readApprovers } from "../../runtime/approvals/config.ts";
import { answer } from "../../runtime/approvals/respond.ts";
import { SqliteStore } from "../../runtime/store/sqlite.ts";
import type { ApprovalRecord } from "../../runtime/store/types.ts";
import type { Command, ParsedValues } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { readJson } from "../files.ts";
import { type Io, paint } from "../io.ts";

/** The environment variable an approver's token may be given in. */
export const TOKEN_ENV = "AARM_APPROVER_TOKEN";
/** Longest token file read. */
const MAX_TOKEN_BYTES = 65_536;

function openStore(values: ParsedValues, io: Io, readOnly: boolean): SqliteStore {
  if (typeof values.store !== "string") throw new CliError("approvals: --store is required");
  const path = resolve(io.cwd, values.store);
  if (!existsSync(path)) throw new CliError(`${values.store}: no such file`);
  const opened = SqliteStore.open(path, { readOnly });
  if (!opened.ok) throw new CliError(`${values.store}: ${opened.error.message}`);
  return opened.value;
}

function line(record: ApprovalRecord, io: Io): string {
  const r = record.request;
  const state = record.result?.decision ?? "pending";
  const risk = r.risk_level ?? "-";
  const label = r.source === "defer_escalation" ? "[DEFER ESCALATION]" : "[APPROVAL REQUIRED]";
  const approvals = record.responses.filter((x) => x.decision === "approve" && x.identity_verified).length;
  const riskText = risk === "high" || risk === "critical" ? paint(io, "red", risk.toUpperCase()) : risk;
  return `${r.request_id}  ${state}  ${label}  risk ${riskText}  ${r.action.tool}  by ${r.action.identity.human ?? r.action.identity.service ?? "?"}  ${approvals}/${r.requirement.quorum}  expires ${r.expires_at}`;
}

function details(record: ApprovalRecord): string {
  const r = record.request;
  const out = [
    `request   ${r.request_id} (${r.source === "defer_escalation" ? "DEFER ESCALATION" : "STEP_UP"})`,
    `state     ${record.result === null ? "pending" : `${record.result.decision}: ${record.result.reason}`}`,
    `action    ${r.action.tool} ${r.action.operation} ${JSON.stringify(r.action.parameters)}`,
    `digest    ${r.action_digest}`,
    `identity  human=${r.action.identity.human ?? "-"} service=${r.action.identity.service ?? "-"} agent=${r.action.identity.agent ?? "-"} session=${r.action.identity.session} roles=[${r.action.identity.roles.join(", ")}] scope=[${r.action.identity.scope.join(", ")}]`,
    `request   ${r.original_request === null ? "(none)" : JSON.stringify(r.original_request.text)}`,
    `risk      ${r.risk_level ?? "-"}${r.confidence === undefined ? "" : `  confidence ${r.confidence}`}${r.semantic_distance === undefined ? "" : `  semantic distance ${r.semantic_distance}${r.semantic_distance > 0.5 ? " (DRIFT)" : ""}`}`,
    `data      ${r.data_classifications.join(", ") || "-"} (highest ${r.highest_sensitivity ?? "-"})`,
    `rules     ${r.rules.join(", ")}: ${r.reasons.join("; ")}`,
    `policy    ${r.policy.name} ${r.policy.version} (${r.policy.hash})`,
    `needs     ${r.requirement.quorum} of [${r.requirement.approvers.join(", ")}]${r.requirement.escalation === null ? "" : `, then [${r.requirement.escalation.to.join(", ")}] after ${r.requirement.escalation.after_ms} ms`}; expires ${r.expires_at}`,
    `prior     ${r.prior_actions.map((p) => `${p.tool}:${p.decision}`).join(", ") || "-"}`,
  ];
  for (const x of record.responses) {
    out.push(
      `answer    ${x.approver} ${x.decision}${x.identity_verified ? "" : " (identity NOT verified)"} at ${x.responded_at}${x.reason === undefined ? "" : `: ${x.reason}`}`,
    );
  }
  return `${out.join("\n")}\n`;
}

function readToken(values: ParsedValues, io: Io): string {
  if (typeof values["token-file"] === "string") {
    const path = resolve(io.cwd, values["token-file"]);
    let text: string;
    try {
      const buffer = readFileSync(path);
      if (buffer.length > MAX_TOKEN_BYTES)
        throw new CliError(`${values["token-file"]}: too large for a token`);
      text = buffer.toString("utf8");
    } catch (caught) {
      if (caught instanceof CliError) throw caught;
      throw new CliError(`${values["token-file"]}: cannot be read`);
    }
    return text.trim();
  }
  const env = process.env[TOKEN_ENV];
  if (env !== undefined && env !== "") return env.trim();
  throw new CliError(`approvals: the approver's token is required (--token-file, or ${TOKEN_ENV})`);
}

/** The approvers configuration `--config` names (see `readApprovers`). */
function loadConfig(values: ParsedValues, io: Io): Approvers {
  if (typeof values.config !== "string")
    throw new CliError("approvals: --config is required to verify approvers");
  const read = readApprovers(readJson(values.config, io.cwd));
  if (!read.ok) throw new CliError(`${values.config}: ${read.error}`);
  return read.value;
}

async function respond(
  decision: "approve" | "deny",
  requestId: string,
  values: ParsedValues,
  io: Io,
): Promise<number> {
  if (typeof values.approver !== "string") throw new CliError("approvals: --approver is required");
  const { verifier, directory } = loadConfig(values, io);
  const token = readToken(values, io);
  const store = openStore(values, io, false);
  try {
    const result = await answer(
      { store, verifier, directory, clock: () => new Date(), identityMs: 5000 },
      {
        requestId,
        credential: { approver: values.approver, token },
        decision,
        ...(typeof values.reason === "string" ? { reason: values.reason } : {}),
        ...(typeof values.digest === "string" ? { actionDigest: values.digest } : {}),
      },
    );
    if (!result.ok) {
      io.stderr(`${paint(io, "red", "refused")} (${result.kind}): ${result.message}\n`);
      return EXIT.failure;
    }
    if (!result.verified) {
      io.stderr(`${paint(io, "red", "not counted")}: the token does not verify as ${values.approver}\n`);
      return EXIT.failure;
    }
    const state = result.record.result?.decision ?? "pending";
    io.stdout(
      `${decision === "approve" ? "approved" : "denied"} by ${values.approver}; the request is ${state}\n`,
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export const approvals: Command = {
  name: "approvals",
  summary: "list, show, approve or deny the approval requests (STEP_UP) a runtime waits for",
  usage: "list|show|approve|deny [request-id] --store <aarm.sqlite> [options]",
  description:
    "Works on the runtime's SQLite store, so a running runtime sees the answer within its poll interval.\n" +
    "approve and deny need --approver, --config (approver groups and token issuers) and the approver's\n" +
    `signed token (--token-file or ${TOKEN_ENV}). Exit 0: done; 1: refused or not found; 2: bad input.`,
  options: {
    store: { type: "string", value: "FILE", description: "the runtime's SQLite store" },
    all: { type: "boolean", description: "list: settled requests too, not only pending ones" },
    session: { type: "string", value: "ID", description: "list: only this session's requests" },
    json: { type: "boolean", description: "list, show: print the records as JSON" },
    approver: {
      type: "string",
      value: "ID",
      description: "approve, deny: who answers (e.g. an e-mail address)",
    },
    config: {
      type: "string",
      value: "FILE",
      description: "approve, deny: approvers configuration (JSON: groups, jwt issuers and audience)",
    },
    "token-file": {
      type: "string",
      value: "FILE",
      description: "approve, deny: file holding the approver's JWT",
    },
    reason: {
      type: "string",
      value: "TEXT",
      description: "approve, deny: the reason, recorded in the receipt",
    },
    digest: {
      type: "string",
      value: "SHA256",
      description: "approve, deny: the action digest shown by `show`; refused if the action differs",
    },
  },
  examples: [
    "aarm approvals list --store aarm.sqlite",
    "aarm approvals show apr_1f2e… --store aarm.sqlite",
    "aarm approvals approve apr_1f2e… --store aarm.sqlite --approver carol@example.com --config approvers.json --token-file carol.jwt",
    'aarm approvals deny apr_1f2e… --store aarm.sqlite --approver carol@example.com --config approvers.json --reason "not ours"',
  ],
  async run(positionals, values, io) {
    const [verb, id, ...rest] = positionals;
    if (rest.length > 0) throw new CliError(`approvals: unexpected argument "${rest[0]}"`);
    switch (verb) {
      case "list": {
        if (id !== undefined) throw new CliError(`approvals list: unexpected argument "${id}"`);
        const store = openStore(values, io, true);
        try {
          const listed = await store.listApprovals(
            {
              ...(values.all === true ? {} : { pending: true }),
              ...(typeof values.session === "string" ? { session_id: values.session } : {}),
            },
            { limit: 1000 },
          );
          if (!listed.ok) throw new CliError(`${String(values.store)}: ${listed.error.message}`);
          if (values.json === true) io.stdout(`${JSON.stringify(listed.value, null, 2)}\n`);
          else if (listed.value.length === 0) io.stdout("no approval requests\n");
          else for (const record of listed.value) io.stdout(`${line(record, io)}\n`);
          return EXIT.ok;
        } finally {
          await store.close();
        }
      }
      case "show": {
        if (id === undefined) throw new CliError("approvals show: name a request id");
        const store = openStore(values, io, true);
        try {
          const got = await store.getApproval(id);
          if (!got.ok) {
            io.stderr(`${id}: ${got.error.message}\n`);
            return EXIT.failure;
          }
          io.stdout(values.json === true ? `${JSON.stringify(got.value, null, 2)}\n` : details(got.value));
          return EXIT.ok;
        } finally {
          await store.close();
        }
      }
      case "approve":
      case "deny":
        if (id === undefined) throw new CliError(`approvals ${verb}: name a request id`);
        return respond(verb, id, values, io);
      default:
        throw new CliError(
          verb === undefined
            ? "approvals: name a subcommand: list, show, approve or deny"
            : `approvals: unknown subcommand "${verb}"`,
        );
    }
  },
};
