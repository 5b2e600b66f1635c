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
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileText } from "../compiler.ts";
import type { Json } from "../ir/contract.ts";
import type { Ir } from "../ir/types.ts";
import { Keyring } from "../runtime/crypto/keyring.ts";
import { nodeBackend } from "../runtime/crypto/node.ts";
import type { Signer } from "../runtime/crypto/signer.ts";
import type { AllowHandle, DenyHandle, EnforcementHandle } from "../runtime/engine/types.ts";
import { trustedLocalVerifier } from "../runtime/identity/local.ts";
import { createRuntime } from "../runtime/runtime.ts";
import { MemoryStore } from "../runtime/store/memory.ts";
import { SqliteStore } from "../runtime/store/sqlite.ts";
import type { Store } from "../runtime/store/types.ts";
import { exportReceipts } from "../runtime/receipts/export.ts";
import { verifyReceiptLines, verifyStoreReceipts } from "../runtime/verify.ts";
import { validateReceipt } from "../schema/validate.ts";
import { MockTools } from "./tools.ts";
import type { CallResult, ConformanceSession, Deployment, Fault, Instance, Setup } from "./types.ts";

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
): CallResult {
  return {
    decision: handle.decision,
    executed,
    reason: handle.kind === "deny" ? handle.reason : "",
    receiptId: first.receiptId,
    settlementReceiptId: first.kind === "pending" ? handle.receiptId : null,
    args: handle.kind === "allow" ? handle.args : null,
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
      const verifier = trustedLocalVerifier();
      if (!verifier.ok) throw new Error(verifier.error);
      const keyring = Keyring.generate(nodeBackend, new Date());
      let live = false;
      const store = setup.fault === "store" ? faultyStore(opened.value, () => live) : opened.value;
      const signer = setup.fault === "signer" ? brokenSigner(keyring.signer) : keyring.signer;
      const runtime = createRuntime({
        policy: { ir: setup.fault === "evaluator" ? corrupted(compiled.ir) : compiled.ir },
        store,
        keyring: () => ({ signer: live ? signer : keyring.signer }),
        identity: verifier.value,
        ...(setup.facts === undefined ? {} : { facts: { facts: () => setup.facts ?? {} } }),
        timeouts: { pendingCeilingMs: setup.pendingMs ?? 50 },
      });
      const tools = new MockTools(setup);

      return {
        executions: tools.executions,
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
            async call(tool, args) {
              const first = await session.evaluate({ tool, args, callId: `call-${++calls}` });
              const handle = first.kind === "pending" ? await first.settled : first;
              if (handle.kind === "deny" || handle.replay) return settledResult(first, handle, false);
              let output: Json;
              try {
                output = tools.run(handle.tool, handle.args);
              } catch (caught) {
                const message = caught instanceof Error ? caught.message : String(caught);
                await session.recordOutcome(handle.actionId, { success: false, error: { message } });
                return settledResult(first, handle, true);
              }
              await session.recordOutcome(handle.actionId, { success: true, output });
              return settledResult(first, handle, true);
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
        async close() {
          await runtime.close();
          await opened.value.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
