/**
 * The gateway deployment: `aarm gateway` as a separate process in front of
 * fixture MCP upstreams (`fixture-upstream.ts`, one per tool prefix of the
 * policy, spawned by the gateway over stdio), driven with the official MCP
 * client over stdio. Each conformance session is one gateway process (its
 * stdio serves one client session), all of an instance's sessions sharing
 * one SQLite store and one key directory, as gateways on one host do. A STEP_UP waits
 * in the store for an approver answering from this process, as `aarm
 * approvals` does from another.
 *
 * The deployment is judged from outside: whether a tool ran comes from the
 * upstream's execution log, the decision from the receipts in the store.
 * Telemetry goes, as configured in each gateway's `telemetry` section, to a
 * destination started here (`telemetry.ts`), read back once the gateways
 * have gone quiet; degraded alerts are counted from the gateways' stderr.
 * What the gateway cannot be made to do (inject a fault into its process,
 * resolve a DEFER with facts, run its exporter on a stepped clock, issue
 * credentials, take a signed agent token or a delegation chain, choose the
 * JSON-RPC id of a retry) is {@link NotApplicable}.
 *
 * @module
 */
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { compileText } from "../compiler.ts";
import type { DecisionKind, Json } from "../ir/contract.ts";
import { DEGRADED_LINE_PREFIX } from "../runtime/config/telemetry.ts";
import { createKeyDirectory } from "../runtime/crypto/keydir.ts";
import { nodeBackend } from "../runtime/crypto/node.ts";
import { exportReceipts } from "../runtime/receipts/export.ts";
import { SqliteStore } from "../runtime/store/sqlite.ts";
import { verifyReceiptLines, verifyStoreReceipts } from "../runtime/verify.ts";
import type { Receipt } from "../schema/generated/types.ts";
import { canonicalize } from "../schema/canonical.ts";
import { validateReceipt } from "../schema/validate.ts";
import { desks } from "./desks.ts";
import { TokenIssuer } from "./issuer.ts";
import { NotApplicable } from "./run.ts";
import { FLUSH_INTERVAL_MS, startTelemetryTarget, type TelemetryTarget } from "./telemetry.ts";
import type {
  CallResult,
  ConformanceSession,
  Deployment,
  Instance,
  Setup,
  TelemetryCapture,
} from "./types.ts";

/** Setup options the gateway has no counterpart for, with why. */
const UNSUPPORTED: readonly (readonly [keyof Setup, string])[] = [
  ["fault", "needs a failure injected into the gateway's process"],
  ["facts", "the gateway has no fact provider"],
  ["credentials", "the gateway issues no per-action credentials"],
  ["resolvers", "the gateway serves no deferral resolvers"],
  ["maxResolverAttempts", "the gateway serves no deferral resolvers"],
  ["maxDeferralDepth", "the gateway's deferral depth is not configurable"],
  ["sensitiveParameters", "the gateway's receipt minimisation is not configurable"],
  ["policyFile", "replacing the policy of a running gateway is not driven from here"],
];

/** Where the entry points are: next to this module, as `.ts` in the sources and `.js` when built. */
function sibling(path: string): string {
  const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return fileURLToPath(new URL(`${path}${extension}`, import.meta.url));
}

/** The policy's tools grouped by prefix (an upstream each): prefix → tool → argument names. */
function upstreamsOf(policy: string): { [prefix: string]: { [tool: string]: string[] } } {
  const compiled = compileText(policy);
  if (compiled.ir === null)
    throw new Error(`the policy does not compile: ${compiled.diagnostics[0]?.message ?? "unknown error"}`);
  const upstreams: { [prefix: string]: { [tool: string]: string[] } } = {};
  for (const [name, tool] of Object.entries(compiled.ir.tools)) {
    const dot = name.indexOf(".");
    // A tool without a prefix is offered by no upstream: calling it through the gateway is an unknown tool.
    if (dot <= 0) continue;
    const prefix = name.slice(0, dot);
    (upstreams[prefix] ??= {})[name.slice(dot + 1)] = Object.keys(tool.args);
  }
  return upstreams;
}

/** Whether a canonical form was made and is `text`. */
function sameText(made: ReturnType<typeof canonicalize>, text: string): boolean {
  return made.ok && made.value === text;
}

/**
 * How long nothing new must arrive before the gateways' telemetry counts as
 * delivered: generous against a loaded machine delaying a gateway's timer,
 * and paid once per read.
 */
const QUIET_MS = 10 * FLUSH_INTERVAL_MS;

/** How much a capture holds: it grows while the gateways are still delivering. */
function size(capture: TelemetryCapture): number {
  return (
    capture.events.length +
    capture.raw.length +
    capture.files.length +
    capture.fallback.length +
    capture.alerts
  );
}

/**
 * What the destination holds once the gateways have gone quiet: each flushes
 * every {@link FLUSH_INTERVAL_MS}, so nothing new for several intervals
 * means everything they had buffered was delivered (or fell back).
 */
async function settled(read: () => Promise<TelemetryCapture>): Promise<TelemetryCapture> {
  let last = await read();
  let quietSince = Date.now();
  const deadline = quietSince + 10_000;
  while (Date.now() - quietSince < QUIET_MS && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, FLUSH_INTERVAL_MS));
    const next = await read();
    if (size(next) !== size(last)) quietSince = Date.now();
    last = next;
  }
  return last;
}

function notApplicable(what: string): never {
  throw new NotApplicable(`the gateway deployment cannot ${what}`);
}

/** The gateway deployment. */
export function gatewayDeployment(): Deployment {
  return {
    kind: "gateway",
    description:
      "`aarm gateway` over stdio in front of fixture MCP upstreams, driven by the MCP SDK client; SQLite store, key directory",
    faults: [],
    async start(setup: Setup): Promise<Instance> {
      for (const [option, why] of UNSUPPORTED)
        if (setup[option] !== undefined) throw new NotApplicable(`${option}: ${why}`);
      if (setup.identity === "jwt")
        throw new NotApplicable("the gateway vouches for a configured identity; it takes no agent tokens");
      if (setup.telemetry?.clockFrom !== undefined)
        throw new NotApplicable(
          "telemetry.clockFrom: the gateway's exporter runs on its process's clock, which a configuration file does not set",
        );
      const upstreams = upstreamsOf(setup.policy);
      const dir = mkdtempSync(join(tmpdir(), "aarm-conformance-gateway-"));
      const path = (name: string) => join(dir, name);
      writeFileSync(path("policy.aarm"), setup.policy);
      writeFileSync(path("executions.jsonl"), "");
      const keys = createKeyDirectory(path("keys"), nodeBackend, new Date());
      if (!keys.ok) throw new Error(keys.error.message);
      const keyring = keys.value;
      const issuer = await TokenIssuer.create();
      writeFileSync(
        path("approvers.json"),
        JSON.stringify({ groups: setup.approverGroups ?? {}, jwt: issuer.trust }),
      );
      const opened = SqliteStore.open(path("aarm.sqlite"));
      if (!opened.ok) throw new Error(opened.error.message);
      const target: TelemetryTarget | null =
        setup.telemetry === undefined ? null : await startTelemetryTarget(setup.telemetry);
      /** Degraded alerts: each gateway logs one line per alert to its stderr, kept in `gateway-N.stderr`. */
      const alerts = (): number =>
        readdirSync(dir)
          .filter((name) => name.endsWith(".stderr"))
          .map((name) => readFileSync(path(name), "utf8").split("\n"))
          .flat()
          .filter((line) => line.includes(DEGRADED_LINE_PREFIX)).length;
      const store = opened.value;
      const hitl = desks(store, issuer, setup);
      const clients: Client[] = [];
      const executions: { tool: string; args: { [name: string]: Json } }[] = [];
      const readExecutions = (): void => {
        const lines = readFileSync(path("executions.jsonl"), "utf8")
          .split("\n")
          .filter((l) => l !== "");
        for (const line of lines.slice(executions.length))
          executions.push(JSON.parse(line) as { tool: string; args: { [name: string]: Json } });
      };
      const receiptsOf = async (session: string): Promise<Receipt[]> => {
        const read = await store.readReceipts(session);
        if (!read.ok) return [];
        return read.value.records.flatMap((r) => {
          const valid = validateReceipt(JSON.parse(r.body));
          return valid.ok ? [valid.value] : [];
        });
      };
      let sessions = 0;
      const sessionIds = async (): Promise<string[]> => {
        const listed = await store.listSessions({ limit: 1000 });
        return listed.ok ? listed.value.map((r) => r.session_id) : [];
      };

      return {
        executions,
        approvals: {
          pending: hitl.approvals.pending,
          show: hitl.approvals.show,
          answer: hitl.approvals.answer,
          get notifications() {
            return notApplicable(
              "see the notifications of the gateway's approval desk: they stay in its process",
            );
          },
        },
        deferrals: {
          pending: () => notApplicable("see deferrals: the gateway serves no deferral desk"),
          all: () => notApplicable("see deferrals: the gateway serves no deferral desk"),
          provideFacts: () => notApplicable("deliver facts to a DEFER: the gateway serves no deferral desk"),
          get attempts() {
            return notApplicable("see resolver attempts: the gateway serves no deferral desk");
          },
        },
        token: (subject, options) => issuer.sign(subject, options),
        revoke: () => notApplicable("revoke an agent's token: it takes no agent tokens"),
        setRoles: () => notApplicable("change a principal's roles while a gateway runs"),
        rotateKeys: () => notApplicable("rotate the keys of a running gateway from here"),
        replacePolicy: () => notApplicable("replace the policy of a running gateway from here"),
        editStoredContext: () => notApplicable("edit the store under a running gateway from here"),
        telemetry() {
          if (target === null) return Promise.reject(new Error("the instance exports no telemetry"));
          return settled(() => target.read(alerts()));
        },
        credentials: () => notApplicable("issue credentials"),
        async session(start): Promise<ConformanceSession> {
          const identity = start.identity;
          if (identity.delegation !== undefined || identity.token !== undefined)
            throw new NotApplicable(
              "the gateway vouches for a configured identity; it takes no tokens or delegation chains",
            );
          if (identity.human === undefined && identity.service === undefined)
            throw new NotApplicable("the gateway always acts for a configured principal");
          if (typeof start.intent === "object")
            throw new NotApplicable("the gateway's configured intent has no declared tool scope");
          const config = path(`gateway-${++sessions}.json`);
          writeFileSync(
            config,
            JSON.stringify({
              policy: path("policy.aarm"),
              store: path("aarm.sqlite"),
              keys: path("keys"),
              approvers: path("approvers.json"),
              identity: {
                ...(identity.human === undefined ? {} : { human: identity.human }),
                ...(identity.service === undefined ? {} : { service: identity.service }),
                ...(identity.agent === undefined ? {} : { agent: identity.agent }),
                roles: [...(identity.roles ?? [])],
                scope: [...(identity.scope ?? [])],
              },
              ...(start.intent === undefined ? {} : { intent: start.intent }),
              limits: { pendingTimeoutMs: setup.pendingMs ?? 50 },
              ...(target === null ? {} : { telemetry: target.config }),
              ...(setup.drift === undefined ? {} : { drift: setup.drift }),
              upstreams: Object.fromEntries(
                Object.entries(upstreams).map(([name, tools]) => [
                  name,
                  {
                    command: process.execPath,
                    args: [sibling("./fixture-upstream")],
                    env: {
                      AARM_FIXTURE_NAME: name,
                      AARM_FIXTURE_TOOLS: JSON.stringify(tools),
                      AARM_FIXTURE_LOG: path("executions.jsonl"),
                      AARM_FIXTURE_OUTPUTS: JSON.stringify(setup.outputs ?? {}),
                      AARM_FIXTURE_FAILING: JSON.stringify(setup.failing ?? {}),
                    },
                  },
                ]),
              ),
            }),
          );
          const existing = new Set(await sessionIds());
          const client = new Client({ name: "aarm-conformance", version: "1.0.0" });
          const stderr = openSync(path(`gateway-${sessions}.stderr`), "w");
          try {
            await client.connect(
              new StdioClientTransport({
                command: process.execPath,
                args: [sibling("../cli/aarm"), "gateway", "--config", config],
                stderr,
              }),
            );
          } finally {
            // The gateway holds its own copy of the descriptor.
            closeSync(stderr);
          }
          clients.push(client);
          // The gateway starts its runtime session at initialize: the one session new in the store.
          let id: string | undefined;
          for (let i = 0; id === undefined && i < 200; i++) {
            id = (await sessionIds()).find((s) => !existing.has(s));
            if (id === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
          }
          if (id === undefined) throw new Error("the gateway started no session");
          const sessionId = id;
          const claimed = new Set<string>();
          return {
            id: sessionId,
            call(tool, args, options = {}) {
              // Refused at once, so that a scenario not awaiting the call yet still stops here.
              if (options.callId !== undefined) notApplicable("choose the JSON-RPC id of a call");
              return callTool(tool, args);
            },
            async end() {
              await client.close();
            },
          };
          async function callTool(
            tool: string,
            args: { readonly [name: string]: unknown },
          ): Promise<CallResult> {
            readExecutions();
            const before = executions.length;
            const answer = (await client
              .callTool({ name: tool, arguments: args as { [k: string]: unknown } })
              .catch((caught: unknown) => ({ content: [{ type: "text", text: String(caught) }] }))) as {
              readonly content?: unknown;
              readonly _meta?: { readonly [key: string]: unknown };
            };
            readExecutions();
            const ran = executions.slice(before).find((e) => e.tool === tool);
            const meta = answer._meta?.["aarm/decision"] as
              { decision?: DecisionKind; receipt_id?: string } | undefined;
            const receipts = await receiptsOf(sessionId);
            const byId = new Map(receipts.map((r) => [r.receipt_id, r]));
            // A denial names its last receipt (a settlement, for a STEP_UP or DEFER): its root is the decision's.
            let named = meta?.receipt_id === undefined ? undefined : byId.get(meta.receipt_id);
            for (
              let root = named?.related_receipt_id;
              typeof root === "string" &&
              named !== undefined &&
              (named.approval !== null || named.deferral !== null);
              root = named?.related_receipt_id
            )
              named = byId.get(root);
            // A released call names none: its decision is the first unclaimed one for this tool and these arguments.
            const wanted = canonicalize(args);
            const decisionReceipt =
              named ??
              receipts.find(
                (r) =>
                  r.related_receipt_id === null &&
                  r.action.tool === tool &&
                  !claimed.has(r.receipt_id) &&
                  wanted.ok &&
                  sameText(canonicalize(r.action.parameters), wanted.value),
              );
            if (decisionReceipt !== undefined) claimed.add(decisionReceipt.receipt_id);
            const settlement =
              decisionReceipt === undefined
                ? undefined
                : receipts.find(
                    (r) =>
                      r.related_receipt_id === decisionReceipt.receipt_id &&
                      (r.approval !== null || r.deferral !== null),
                  );
            const text = Array.isArray(answer.content)
              ? (answer.content as { text?: string }[]).map((c) => c.text ?? "").join(" ")
              : "";
            const result: CallResult = {
              decision: meta?.decision ?? decisionReceipt?.decision.result ?? null,
              executed: ran !== undefined,
              reason: ran === undefined ? text : "",
              receiptId: decisionReceipt?.receipt_id ?? meta?.receipt_id ?? null,
              settlementReceiptId: settlement?.receipt_id ?? null,
              args: ran?.args ?? null,
              credential: null,
            };
            return result;
          }
        },
        async receipt(receiptId) {
          const found = await store.getReceipt(receiptId);
          if (!found.ok) return null;
          const valid = validateReceipt(JSON.parse(found.value.body));
          return valid.ok ? valid.value : null;
        },
        async verify() {
          const report = await verifyStoreReceipts(store, keyring);
          if (!report.ok) throw new Error(`the store could not be read: ${report.error.message}`);
          return report.value;
        },
        async exportReceipts() {
          const lines: string[] = [];
          const exported = await exportReceipts(store, (line) => {
            lines.push(line);
          });
          if (!exported.ok) throw new Error(exported.error.message);
          return `${lines.join("\n")}\n`;
        },
        verifyLines(lines) {
          return verifyReceiptLines(lines, keyring);
        },
        async close() {
          // Each gateway flushes its exporter as it shuts down, before the destination goes.
          for (const client of clients) await client.close().catch(() => undefined);
          await target?.close();
          await store.close();
          if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
