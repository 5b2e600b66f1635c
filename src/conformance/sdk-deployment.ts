/**
 * The SDK deployment: the runtime embedded in the agent's own process, as
 * `createRuntime` gives it, over a fresh SQLite file and a fresh local
 * keyring per instance, with the trusted-local identity verifier (the host
 * process vouches for the claims it passes). A tool runs only from an allow
 * handle, with the handle's arguments, and its output is recorded into the
 * context, exactly as the SDK's wrappers do.
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { compileText } from "../compiler.ts";
import type { Json } from "../ir/contract.ts";
import type { Ir } from "../ir/types.ts";
import {
  memoryCredentialAudit,
  signedCredentialBroker,
  signedCredentialVerifier,
} from "../runtime/credentials/signed.ts";
import type { IssuedCredential } from "../runtime/credentials/types.ts";
import { Keyring } from "../runtime/crypto/keyring.ts";
import { nodeBackend } from "../runtime/crypto/node.ts";
import type { Signer } from "../runtime/crypto/signer.ts";
import type { AllowHandle, DenyHandle, EnforcementHandle } from "../runtime/engine/types.ts";
import { trustedLocalVerifier } from "../runtime/identity/local.ts";
import type { IdentityVerifier } from "../runtime/identity/types.ts";
import { createRuntime } from "../runtime/runtime.ts";
import { profilesByAgent } from "../runtime/scoring/drift.ts";
import { MemoryStore } from "../runtime/store/memory.ts";
import { SqliteStore } from "../runtime/store/sqlite.ts";
import type { Store } from "../runtime/store/types.ts";
import { exportReceipts } from "../runtime/receipts/export.ts";
import { verifyReceiptLines, verifyStoreReceipts } from "../runtime/verify.ts";
import { validateReceipt } from "../schema/validate.ts";
import { desks } from "./desks.ts";
import { TokenIssuer } from "./issuer.ts";
import { captureTelemetry } from "./telemetry.ts";
import { MockTools } from "./tools.ts";
import type {
  CallResult,
  ConformanceSession,
  CredentialLedger,
  Deployment,
  Fault,
  Instance,
  Setup,
} from "./types.ts";

const INJECTED = "injected fault: the store is unavailable";

/** The store as given, but refusing every write once `broken()` says so. */
function faultyStore(store: Store, broken: () => boolean): Store {
  const writes = new Set(["createSession", "appendContext", "appendReceipt", "endSession"]);
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      if (typeof property === "string" && writes.has(property))
        return (...args: unknown[]) =>
          broken()
            ? Promise.resolve({ ok: false, error: { kind: "io", message: INJECTED } })
            : (value as (...a: unknown[]) => unknown).apply(target, args);
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/** The policy with every rule pointing at an expression that does not exist: evaluating throws. */
function corrupted(ir: Ir): Ir {
  const tools = Object.fromEntries(
    Object.entries(ir.tools).map(([name, tool]) => [
      name,
      { ...tool, candidates: tool.candidates.map((c) => ({ ...c, cond: ir.exprs.length + 1_000_000 })) },
    ]),
  );
  return { ...ir, tools };
}

/** A signer that cannot sign (a hardware module gone away). */
function brokenSigner(signer: Signer): Signer {
  return {
    algorithm: signer.algorithm,
    keyId: signer.keyId,
    publicKey: signer.publicKey,
    sign: () => {
      throw new Error("injected fault: the signer is unavailable");
    },
  };
}

function settledResult(
  first: EnforcementHandle,
  handle: AllowHandle | DenyHandle,
  executed: boolean,
  credential: IssuedCredential | null = null,
  refused = "",
): CallResult {
  return {
    decision: handle.decision,
    executed,
    reason: handle.kind === "deny" ? handle.reason : refused,
    receiptId: first.receiptId,
    settlementReceiptId: first.kind === "pending" ? handle.receiptId : null,
    args: handle.kind === "allow" ? handle.args : null,
    credential,
  };
}

/** `verifier`, with the roles of principals listed in `roles` replaced: the directory changed them. */
function withRoles(
  verifier: IdentityVerifier,
  roles: ReadonlyMap<string, readonly string[]>,
): IdentityVerifier {
  return {
    id: verifier.id,
    async verify(claims, now) {
      const result = await verifier.verify(claims, now);
      if (!result.ok) return result;
      const changed = roles.get(result.identity.human ?? result.identity.service ?? "");
      return changed === undefined ? result : { ...result, identity: { ...result.identity, roles: changed } };
    },
  };
}

/** The credentials of an instance: issued with its receipt signer, checked by its tools. */
function credentialLedger(
  keyring: Keyring,
  setup: Setup,
): CredentialLedger & {
  readonly issued: IssuedCredential[];
  readonly broker: ReturnType<typeof signedCredentialBroker>;
} {
  const audit = memoryCredentialAudit();
  const ttl = setup.credentials?.ttlMs;
  const broker = signedCredentialBroker({
    signer: keyring.signer,
    audit,
    ...(ttl === undefined ? {} : { ttlMs: ttl }),
  });
  const verifier = signedCredentialVerifier({ keys: keyring, audit });
  return {
    broker,
    issued: [],
    get audit() {
      return audit.entries;
    },
    present(token, use) {
      const checked = verifier.check(token, use);
      return checked.ok ? { ok: true } : { ok: false, failure: checked.failure };
    },
  };
}

/** The SDK deployment. */
export function sdkDeployment(): Deployment {
  return {
    kind: "sdk",
    description: "runtime embedded in-process (createRuntime), SQLite store, local Ed25519 keyring",
    faults: ["store", "signer", "evaluator", "policy"] satisfies Fault[],
    async start(setup: Setup): Promise<Instance> {
      const compiled = compileText(setup.policy);
      if (compiled.ir === null)
        throw new Error(
          `the policy does not compile: ${compiled.diagnostics[0]?.message ?? "unknown error"}`,
        );
      const dir = mkdtempSync(join(tmpdir(), "aarm-conformance-"));
      if (setup.fault === "policy") {
        // The policy file is missing: the runtime refuses to start, so nothing can be called.
        try {
          createRuntime({
            policy: { path: join(dir, "policy.aarm") },
            store: new MemoryStore(),
            keyring: Keyring.generate(nodeBackend, new Date()),
            identity: { id: "unused", verify: () => Promise.reject(new Error("unreachable")) },
          });
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        throw new Error("the runtime started without a policy");
      }
      const opened = SqliteStore.open(join(dir, "aarm.sqlite"));
      if (!opened.ok) throw new Error(opened.error.message);
      const local = trustedLocalVerifier();
      if (!local.ok) throw new Error(local.error);
      const issuer = await TokenIssuer.create();
      let keyring = Keyring.generate(nodeBackend, new Date());
      const policyPath = join(dir, "policy.aarm");
      if (setup.policyFile === true) writeFileSync(policyPath, setup.policy);
      const telemetry = setup.telemetry === undefined ? null : await captureTelemetry(setup.telemetry);
      let live = false;
      const store = setup.fault === "store" ? faultyStore(opened.value, () => live) : opened.value;
      const hitl = desks(opened.value, issuer, setup);
      const roles = new Map<string, readonly string[]>();
      const signer = setup.fault === "signer" ? brokenSigner(keyring.signer) : keyring.signer;
      const runtime = createRuntime({
        policy:
          setup.policyFile === true
            ? { path: policyPath, reloadIntervalMs: 50 }
            : { ir: setup.fault === "evaluator" ? corrupted(compiled.ir) : compiled.ir },
        store,
        keyring: () => ({ signer: live && setup.fault === "signer" ? signer : keyring.signer }),
        identity: withRoles(setup.identity === "jwt" ? issuer.verifier : local.value, roles),
        approvals: hitl.approvalDesk,
        deferrals: hitl.deferralDesk,
        ...(setup.maxDeferralDepth === undefined ? {} : { maxDeferralDepth: setup.maxDeferralDepth }),
        ...(setup.sensitiveParameters === undefined
          ? {}
          : { mediation: { sensitiveParameters: setup.sensitiveParameters } }),
        ...(setup.facts === undefined ? {} : { facts: { facts: () => setup.facts ?? {} } }),
        timeouts: { pendingCeilingMs: setup.pendingMs ?? 50 },
        ...(setup.drift === undefined
          ? {}
          : { drift: profilesByAgent(setup.drift.byAgent ?? {}, setup.drift.profile) }),
        ...(telemetry === null ? {} : { telemetry: telemetry.sink }),
      });
      const tools = new MockTools(setup);
      const credentials = setup.credentials === undefined ? null : credentialLedger(keyring, setup);

      return {
        executions: tools.executions,
        runtimeSession: (start) =>
          runtime.startSession({
            identity: start.identity,
            ...(start.intent === undefined ? {} : { intent: start.intent }),
          }),
        approvals: hitl.approvals,
        deferrals: hitl.deferrals,
        token: (subject, options) => issuer.sign(subject, options),
        revoke: (subject) => issuer.revoke(subject),
        setRoles: (subject, given) => void roles.set(subject, [...given]),
        rotateKeys() {
          keyring = keyring.rotate(new Date());
        },
        async replacePolicy(source) {
          if (setup.policyFile !== true) throw new Error("the instance was not started with a policy file");
          const before = runtime.policy.hash;
          writeFileSync(policyPath, source);
          // The runtime polls the file; wait for it to notice rather than forcing a reload.
          const end = Date.now() + 5000;
          while (runtime.policy.hash === before && Date.now() < end)
            await new Promise((resolve) => setTimeout(resolve, 20));
          return { name: runtime.policy.name, version: runtime.policy.version };
        },
        async editStoredContext(sessionId, from, to) {
          // An insider with write access to the database file, outside the runtime.
          const db = new DatabaseSync(join(dir, "aarm.sqlite"));
          try {
            db.exec("DROP TRIGGER IF EXISTS context_entries_no_update");
            const row = db
              .prepare(
                "SELECT seq, body FROM context_entries WHERE session_id = ? AND instr(body, ?) > 0 ORDER BY seq",
              )
              .get(sessionId, from) as { seq: number; body: string } | undefined;
            if (row === undefined) return false;
            db.prepare("UPDATE context_entries SET body = ? WHERE session_id = ? AND seq = ?").run(
              row.body.replace(from, to),
              sessionId,
              row.seq,
            );
            return true;
          } finally {
            db.close();
          }
        },
        async session(start): Promise<ConformanceSession> {
          const session = await runtime.startSession({
            identity: start.identity,
            ...(start.intent === undefined ? {} : { intent: start.intent }),
          });
          // Faults strike once the session is up, so that what fails is the decision path.
          live = true;
          let calls = 0;
          return {
            id: session.id,
            async call(tool, args, options = {}) {
              const callId = options.callId ?? `call-${++calls}`;
              const first = await session.evaluate({ tool, args, callId });
              const handle = first.kind === "pending" ? await first.settled : first;
              if (handle.kind === "deny" || handle.replay) return settledResult(first, handle, false);
              let credential: IssuedCredential | null = null;
              if (credentials !== null) {
                // The tool acts only on a credential scoped by the decision, and checks it first.
                const issued = credentials.broker.issueFor(handle, session, runtime);
                if (!issued.ok) return settledResult(first, handle, false, null, issued.message);
                credential = issued.value;
                credentials.issued.push(credential);
                const effect = runtime.ir.tools[handle.tool]?.effect ?? "execute";
                const use = { session_id: session.id, tool: handle.tool, effect, args: handle.args };
                const checked = credentials.present(credential.token, use);
                if (!checked.ok)
                  return settledResult(
                    first,
                    handle,
                    false,
                    credential,
                    `credential refused: ${checked.failure}`,
                  );
              }
              let output: Json;
              try {
                output = tools.run(handle.tool, handle.args);
              } catch (caught) {
                const message = caught instanceof Error ? caught.message : String(caught);
                await session.recordOutcome(handle.actionId, { success: false, error: { message } });
                return settledResult(first, handle, true, credential);
              }
              await session.recordOutcome(handle.actionId, { success: true, output });
              return settledResult(first, handle, true, credential);
            },
            async end() {
              await session.end();
            },
          };
        },
        async receipt(receiptId) {
          const found = await opened.value.getReceipt(receiptId);
          if (!found.ok) return null;
          let parsed: unknown;
          try {
            parsed = JSON.parse(found.value.body);
          } catch {
            return null;
          }
          const valid = validateReceipt(parsed);
          return valid.ok ? valid.value : null;
        },
        async verify() {
          const report = await verifyStoreReceipts(opened.value, keyring);
          if (!report.ok) throw new Error(`the store could not be read: ${report.error.message}`);
          return report.value;
        },
        async exportReceipts() {
          const lines: string[] = [];
          const exported = await exportReceipts(opened.value, (line) => {
            lines.push(line);
          });
          if (!exported.ok) throw new Error(exported.error.message);
          return `${lines.join("\n")}\n`;
        },
        verifyLines(lines) {
          return verifyReceiptLines(lines, keyring);
        },
        telemetry() {
          if (telemetry === null) return Promise.reject(new Error("the instance exports no telemetry"));
          return telemetry.capture();
        },
        credentials() {
          if (credentials === null) throw new Error("the instance issues no credentials");
          return credentials;
        },
        async close() {
          await runtime.close();
          await telemetry?.close();
          await opened.value.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
