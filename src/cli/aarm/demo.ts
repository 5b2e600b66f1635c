/**
 * `aarm demo`: a scripted agent session run through the real runtime on the
 * embedded defaults — the policy compiled, an SQLite store and a local key
 * directory in a fresh folder, identities vouched for by the host — printing
 * every decision as its signed receipt records it, running the mock tools
 * only when the runtime releases them, and verifying every receipt offline at
 * the end. The default script is the finance assistant of
 * `examples/finance-assistant/`, whose invoice carries an injected
 * instruction.
 *
 * @module
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileChecked } from "../../compiler.ts";
import type { DecisionKind, Json } from "../../ir/contract.ts";
import { createKeyDirectory } from "../../runtime/crypto/keydir.ts";
import { nodeBackend } from "../../runtime/crypto/node.ts";
import type { EnforcementHandle } from "../../runtime/engine/types.ts";
import type { Session } from "../../runtime/engine/session.ts";
import { trustedLocalVerifier } from "../../runtime/identity/local.ts";
import { createRuntime } from "../../runtime/runtime.ts";
import { SqliteStore } from "../../runtime/store/sqlite.ts";
import type { Store } from "../../runtime/store/types.ts";
import { verifyStoreReceipts } from "../../runtime/verify.ts";
import type { Receipt } from "../../schema/generated/types.ts";
import type { Command } from "../command.ts";
import { decisionWord } from "../decision-text.ts";
import { CliError, EXIT } from "../errors.ts";
import { readJson } from "../files.ts";
import { type Io, paint } from "../io.ts";
import { PACKAGE_ROOT } from "../package-info.ts";
import { loadPolicy } from "../policy-loader.ts";

interface Step {
  readonly note: string;
  readonly tool: string;
  readonly args: { readonly [name: string]: Json };
  readonly output: string;
}

interface Script {
  readonly description: string;
  readonly identity: { readonly [key: string]: Json };
  readonly intent: string | null;
  readonly steps: readonly Step[];
}

/** Every run starts at the same instant and the clock advances one second per reading: runs decide alike. */
const START = Date.parse("2026-11-22T09:00:00Z");

function isRecord(value: Json | undefined): value is { readonly [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readScript(path: string, cwd: string): Script {
  const raw = readJson(path, cwd) as Json;
  if (!isRecord(raw)) throw new CliError(`${path}: expected an object`);
  if (!Array.isArray(raw.steps)) throw new CliError(`${path}: /steps: expected an array`);
  const intent = isRecord(raw.intent) && typeof raw.intent.text === "string" ? raw.intent.text : null;
  const steps = raw.steps.map((value, i): Step => {
    const action = isRecord(value) ? value.action : undefined;
    if (!isRecord(value) || !isRecord(action) || typeof action.tool !== "string") {
      throw new CliError(`${path}: /steps/${i}: expected {note, action: {tool, args}, output?}`);
    }
    const args = action.args ?? {};
    if (!isRecord(args)) throw new CliError(`${path}: /steps/${i}/action/args: expected an object`);
    return {
      note: typeof value.note === "string" ? value.note : `step ${i + 1}`,
      tool: action.tool,
      args,
      output: typeof value.output === "string" ? value.output : "",
    };
  });
  return {
    description: typeof raw.description === "string" ? raw.description : "",
    identity: isRecord(raw.identity) ? raw.identity : {},
    intent,
    steps,
  };
}

/** The decision as its signed receipt records it. */
async function receiptOf(store: Store, receiptId: string | null): Promise<Receipt | null> {
  if (receiptId === null) return null;
  const found = await store.getReceipt(receiptId);
  return found.ok ? (JSON.parse(found.value.body) as Receipt) : null;
}

function receiptLines(io: Io, receipt: Receipt | null, indent: string): string[] {
  if (receipt === null) return [`${indent}(no receipt could be written)`];
  const d = receipt.decision;
  const lines = d.policy.rule_ids.map(
    (rule, i) => `${indent}${paint(io, "bold", rule)}: ${d.reasons[i] ?? d.reasons[0] ?? ""}`,
  );
  if (d.classification !== null) lines.push(`${indent}classification: ${d.classification}`);
  if (d.risk_level !== null) lines.push(`${indent}risk: ${d.risk_level}`);
  if (d.alignment !== undefined) lines.push(`${indent}intent alignment (frozen): ${d.alignment.toFixed(2)}`);
  lines.push(`${indent}receipt ${receipt.receipt_id}`);
  return lines;
}

/** Runs one step through the runtime: the mock tool runs only on an allow handle. */
async function runStep(io: Io, session: Session, store: Store, step: Step, index: number) {
  io.stdout(`\n[${index + 1}] ${step.note}\n    ${step.tool} ${JSON.stringify(step.args)}\n`);
  let handle: EnforcementHandle = await session.evaluate({
    tool: step.tool,
    args: step.args,
    callId: `step-${index + 1}`,
  });
  io.stdout(
    `    ${decisionWord(io, handle.decision)}\n${receiptLines(io, await receiptOf(store, handle.receiptId), "      ").join("\n")}\n`,
  );
  if (handle.kind === "pending") {
    io.stdout(
      `      waiting: ${handle.decision === "STEP_UP" ? "no approver" : "no fact"} answers in this demo\n`,
    );
    handle = await handle.settled;
    io.stdout(`      settled: ${handle.kind === "allow" ? "released" : `denied (${handle.reason})`}\n`);
  }
  if (handle.kind === "allow") {
    if (handle.decision === "MODIFY") io.stdout(`      ran with ${JSON.stringify(handle.args)}\n`);
    const outcome = await session.recordOutcome(handle.actionId, { success: true, output: step.output });
    io.stdout(
      outcome.ok ? `      ran; output labelled ${outcome.labels.join(", ")}\n` : `      ${outcome.error}\n`,
    );
    return "released" as const;
  }
  io.stdout("      not run\n");
  return handle.decision;
}

export const demo: Command = {
  name: "demo",
  summary: "run a scripted agent session through the runtime and show every decision",
  usage: "[--policy FILE --session FILE] [--data DIR]",
  description:
    "Runs each step of a scripted session through the runtime on the embedded defaults: an SQLite\n" +
    "store and a local Ed25519 key directory in a fresh folder (or --data). Steps the runtime releases\n" +
    "run (mock tools) and their outputs are labelled into the session's context, so later decisions see\n" +
    "what earlier steps read. Every decision is printed as its signed receipt records it, and all\n" +
    "receipts are verified offline at the end. By default runs examples/finance-assistant/.",
  options: {
    policy: { type: "string", value: "FILE", description: "the policy (default: the finance assistant's)" },
    session: { type: "string", value: "FILE", description: "the scripted session (JSON)" },
    data: {
      type: "string",
      value: "DIR",
      description: "where the store and keys go (default: a new temp folder)",
    },
  },
  examples: ["aarm demo", "aarm demo --policy my.aarm --session my-session.json --data ./demo-data"],
  async run(positionals, values, io) {
    if (positionals.length > 0) throw new CliError(`demo: unexpected argument "${positionals[0]}"`);
    const example = join(PACKAGE_ROOT, "examples", "finance-assistant");
    const policyPath = typeof values.policy === "string" ? values.policy : join(example, "policy.aarm");
    const sessionPath = typeof values.session === "string" ? values.session : join(example, "session.json");
    const checked = loadPolicy(io, policyPath);
    const compiled = compileChecked(checked);
    if (compiled.ir === null)
      throw new CliError(`${policyPath}: ${compiled.diagnostics[0]?.message ?? "does not compile"}`);
    const script = readScript(sessionPath, io.cwd);

    const data = typeof values.data === "string" ? values.data : mkdtempSync(join(tmpdir(), "aarm-demo-"));
    const keys = createKeyDirectory(join(data, "keys"), nodeBackend, new Date(START));
    if (!keys.ok) throw new CliError(`${keys.error.message}`);
    const opened = SqliteStore.open(join(data, "aarm.sqlite"));
    if (!opened.ok) throw new CliError(`${join(data, "aarm.sqlite")}: ${opened.error.message}`);
    const verifier = trustedLocalVerifier();
    if (!verifier.ok) throw new CliError(verifier.error);
    let now = START;
    const runtime = createRuntime({
      policy: { ir: compiled.ir },
      store: opened.value,
      keyring: keys.value,
      identity: verifier.value,
      clock: () => new Date((now += 1000)),
      // Nobody approves in a script: a STEP_UP or DEFER waits briefly, then times out to DENY.
      timeouts: { pendingCeilingMs: 50 },
    });
    try {
      io.stdout(`${paint(io, "bold", `policy ${checked.name} ${checked.version}`)}  ${compiled.ir.hash}\n`);
      if (script.description !== "") io.stdout(`${script.description}\n`);
      if (script.intent !== null) io.stdout(`user request: "${script.intent}"\n`);
      const session = await runtime.startSession({
        identity: { session: "demo", ...script.identity } as Parameters<
          typeof runtime.startSession
        >[0]["identity"],
        ...(script.intent === null ? {} : { intent: script.intent }),
      });
      const counts = new Map<string, number>();
      for (const [i, step] of script.steps.entries()) {
        const result = await runStep(io, session, opened.value, step, i);
        counts.set(result, (counts.get(result) ?? 0) + 1);
      }
      await session.end();
      const order: (DecisionKind | "released")[] = ["released", "DENY", "STEP_UP", "DEFER"];
      io.stdout(
        `\n${order.map((k) => `${counts.get(k) ?? 0} ${k === "released" ? "ran" : `${k} (not run)`}`).join(", ")}\n`,
      );

      const report = await verifyStoreReceipts(opened.value, keys.value);
      if (!report.ok) throw new CliError(`verifying receipts: ${report.error.message}`);
      const r = report.value;
      io.stdout(
        `${r.verified} of ${r.checked} receipts verified offline: signatures valid, ${r.sessions.length} session chain${r.sessions.length === 1 ? "" : "s"} whole${r.ok ? "" : `; ${r.issues.length} problems`}\n` +
          `store: ${join(data, "aarm.sqlite")}\nverify again: aarm verify ${join(data, "aarm.sqlite")} --keys ${join(data, "keys")}\n`,
      );
      return r.ok ? EXIT.ok : EXIT.failure;
    } finally {
      await runtime.close();
      await opened.value.close();
    }
  },
};
