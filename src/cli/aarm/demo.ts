/**
 * `aarm demo`: a scripted agent session run through the SDK's `guard` on the
 * embedded defaults — the policy compiled, an SQLite store and a local key
 * directory in a fresh folder, identities vouched for by the host. The
 * script's tools become plain async functions (mock tools returning the
 * script's outputs), wrapped by `guard`; each step calls its tool as an
 * agent would, and the demo prints every decision as its signed receipt
 * records it, what ran, and how its output was labelled into the context.
 * At the end every call is checked to have exactly one decision receipt and
 * every receipt is verified offline. The default script is the finance
 * assistant of `examples/finance-assistant/`, whose invoice carries an
 * injected instruction.
 *
 * @module
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileChecked } from "../../compiler.ts";
import { AarmDeniedError, assertGuarded, type GuardEvent, guard } from "../../adapters/sdk/index.ts";
import type { DecisionKind, Json } from "../../ir/contract.ts";
import { createKeyDirectory } from "../../runtime/crypto/keydir.ts";
import { nodeBackend } from "../../runtime/crypto/node.ts";
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

/** The session's decision receipts (those following up no other): how many, and for how many distinct actions. */
async function decisionReceipts(
  store: Store,
  sessionId: string,
): Promise<{ receipts: number; actions: number }> {
  const chain = await store.readReceipts(sessionId);
  if (!chain.ok) throw new CliError(`reading receipts: ${chain.error.message}`);
  const actions = chain.value.records
    .map((record) => JSON.parse(record.body) as Receipt)
    .filter((receipt) => receipt.related_receipt_id === null)
    .map((receipt) => receipt.action.action_id);
  return { receipts: actions.length, actions: new Set(actions).size };
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

/** The script's tools as plain async functions: each returns what the script says the step's call returned. */
function mockTools(script: Script): {
  readonly tools: {
    readonly [tool: string]: (args: object, call: { readonly callId: string }) => Promise<string>;
  };
  readonly ranWith: Map<string, object>;
} {
  const outputs = new Map(script.steps.map((step, i) => [callIdOf(i), step.output]));
  const ranWith = new Map<string, object>();
  const tools = Object.fromEntries(
    [...new Set(script.steps.map((step) => step.tool))].map((tool) => [
      tool,
      (args: object, call: { readonly callId: string }) => {
        ranWith.set(call.callId, args);
        return Promise.resolve(outputs.get(call.callId) ?? "");
      },
    ]),
  );
  return { tools, ranWith };
}

function callIdOf(index: number): string {
  return `step-${index + 1}`;
}

/** What happened to one call, told from the events its guard reported. */
async function eventLines(io: Io, store: Store, events: readonly GuardEvent[], ran: object | undefined) {
  const lines: string[] = [];
  for (const event of events) {
    if (event.type === "decision") {
      const handle = event.handle;
      lines.push(`    ${decisionWord(io, handle.decision)}`);
      lines.push(...receiptLines(io, await receiptOf(store, handle.receiptId), "      "));
      if (handle.kind === "pending") {
        lines.push(
          `      waiting: ${handle.decision === "STEP_UP" ? "no approver" : "no fact"} answers in this demo`,
        );
      }
    } else if (event.type === "settled") {
      const handle = event.handle;
      lines.push(`      settled: ${handle.kind === "allow" ? "released" : `denied (${handle.reason})`}`);
    } else {
      if (ran !== undefined && events.some((e) => e.type === "decision" && e.handle.decision === "MODIFY")) {
        lines.push(`      ran with ${JSON.stringify(ran)}`);
      }
      lines.push(
        event.recorded.ok
          ? `      ran; output labelled ${event.recorded.labels.join(", ")}`
          : `      ran; ${event.recorded.error}`,
      );
    }
  }
  return lines;
}

/** Runs one step: the agent calls the guarded tool; it runs only if the policy releases the call. */
async function runStep(
  io: Io,
  tools: GuardedDemoTools,
  state: { readonly events: GuardEvent[]; readonly ranWith: Map<string, object> },
  store: Store,
  step: Step,
  index: number,
): Promise<DecisionKind | "released"> {
  io.stdout(`\n[${index + 1}] ${step.note}\n    ${step.tool} ${JSON.stringify(step.args)}\n`);
  state.events.length = 0;
  const callId = callIdOf(index);
  const tool = tools[step.tool];
  if (tool === undefined) throw new CliError(`no tool ${step.tool}`);
  let outcome: DecisionKind | "released" = "released";
  try {
    await tool(step.args, { callId });
  } catch (caught) {
    if (!(caught instanceof AarmDeniedError)) throw caught;
    outcome = caught.decision;
  }
  const lines = await eventLines(io, store, state.events, state.ranWith.get(callId));
  if (outcome !== "released") lines.push("      not run");
  io.stdout(`${lines.join("\n")}\n`);
  return outcome;
}

type GuardedDemoTools = {
  readonly [tool: string]: (args: object, options: { readonly callId: string }) => Promise<unknown>;
};

export const demo: Command = {
  name: "demo",
  summary: "run a scripted agent session through guard() and show every decision",
  usage: "[--policy FILE --session FILE] [--data DIR]",
  description:
    "Runs a scripted agent session through the SDK: the script's tools become plain async functions\n" +
    "(mock tools returning the script's outputs) wrapped by guard(), and each step calls its tool as an\n" +
    "agent would. The runtime uses the embedded defaults: an SQLite store and a local Ed25519 key\n" +
    "directory in a fresh folder (or --data). A tool runs only when the policy releases the call, and its\n" +
    "output is labelled into the session's context, so later decisions see what earlier steps read. Every\n" +
    "decision is printed as its signed receipt records it; at the end each call is checked to have exactly\n" +
    "one decision receipt and all receipts are verified offline. By default runs examples/finance-assistant/.",
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
      const mocks = mockTools(script);
      const events: GuardEvent[] = [];
      const tools: GuardedDemoTools = guard(mocks.tools, session, { onEvent: (e) => events.push(e) });
      assertGuarded(tools);
      io.stdout(`tools: ${Object.keys(tools).join(", ")} (plain async functions, every one guarded)\n`);
      const counts = new Map<string, number>();
      for (const [i, step] of script.steps.entries()) {
        const result = await runStep(io, tools, { events, ranWith: mocks.ranWith }, opened.value, step, i);
        counts.set(result, (counts.get(result) ?? 0) + 1);
      }
      await session.end();
      const order: (DecisionKind | "released")[] = ["released", "DENY", "STEP_UP", "DEFER"];
      io.stdout(
        `\n${order.map((k) => `${counts.get(k) ?? 0} ${k === "released" ? "ran" : `${k} (not run)`}`).join(", ")}\n`,
      );
      const decisions = await decisionReceipts(opened.value, session.id);
      const whole = decisions.receipts === script.steps.length && decisions.actions === decisions.receipts;
      io.stdout(
        `${script.steps.length} guarded calls, ${decisions.receipts} decision receipts${whole ? " (one each)" : ": expected exactly one per call"}\n`,
      );

      const report = await verifyStoreReceipts(opened.value, keys.value);
      if (!report.ok) throw new CliError(`verifying receipts: ${report.error.message}`);
      const r = report.value;
      io.stdout(
        `${r.verified} of ${r.checked} receipts verified offline: signatures valid, ${r.sessions.length} session chain${r.sessions.length === 1 ? "" : "s"} whole${r.ok ? "" : `; ${r.issues.length} problems`}\n` +
          `store: ${join(data, "aarm.sqlite")}\nverify again: aarm verify ${join(data, "aarm.sqlite")} --keys ${join(data, "keys")}\n`,
      );
      return r.ok && whole ? EXIT.ok : EXIT.failure;
    } finally {
      await runtime.close();
      await opened.value.close();
    }
  },
};
