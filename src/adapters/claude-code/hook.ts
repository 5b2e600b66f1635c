/**
 * aarm as a Claude Code command hook: one process per hook event, deciding
 * a tool call (`PreToolUse`), recording what it returned (`PostToolUse`,
 * `PostToolUseFailure`) or the user's request (`UserPromptSubmit`) in the
 * session Claude Code's `session_id` names, kept in the SQLite store across
 * processes.
 *
 * Every process opens the policy, the store and the signing keys, resumes
 * the session (`runtime.openSession`), does its one job through the runtime
 * and closes everything again; invocations of one store are serialised by a
 * lock file, so parallel tool calls extend the session's chains one after
 * another. A `PostToolUse` finds the action its `PreToolUse` released in the
 * session's context log: the released action of that tool, with no outcome
 * yet, whose arguments are those Claude Code ran it with.
 *
 * In `ask` mode a STEP_UP is delegated to Claude Code's permission prompt:
 * the PreToolUse records the delegation and answers `ask`; when the tool
 * then runs, its PostToolUse records the approval the prompt gave (the
 * configured principal, unverified) before the outcome, and the session
 * goes on.
 *
 * Anything that goes wrong answers a denial with exit code 2 (see
 * `output.ts`), within the hook's own deadline.
 *
 * @module
 */
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { existsSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { dirname, join } from "node:path";
import type { Json } from "../../ir/contract.ts";
import { validateIr } from "../../ir/validate.ts";
import { ContextLog } from "../../runtime/context/log.ts";
import { createKeyDirectory, loadKeyDirectory, MANIFEST_FILE } from "../../runtime/crypto/keydir.ts";
import type { Keyring } from "../../runtime/crypto/keyring.ts";
import { nodeBackend } from "../../runtime/crypto/node.ts";
import { messageOf } from "../../runtime/engine/bounded.ts";
import type { PolicySource } from "../../runtime/engine/policy.ts";
import { isReleased, type LoggedAction, loggedActions, releasedArgs } from "../../runtime/engine/resume.ts";
import type { Session } from "../../runtime/engine/session.ts";
import type { EnforcementHandle, RuntimeFault } from "../../runtime/engine/types.ts";
import { trustedLocalVerifier } from "../../runtime/identity/local.ts";
import type { IdentityClaims } from "../../runtime/identity/types.ts";
import { resolveMetaTool } from "../../runtime/mediation/meta-tools.ts";
import { createRuntime, type Runtime } from "../../runtime/runtime.ts";
import { SqliteStore } from "../../runtime/store/sqlite.ts";
import type { Store } from "../../runtime/store/types.ts";
import { canonicalHash, canonicalize } from "../../schema/canonical.ts";
import type { Receipt } from "../../schema/generated/types.ts";
import type { HookConfig } from "./config.ts";
import { failure, type HookAnswer, permission, recorded } from "./output.ts";
import {
  type HookEvent,
  parseHookInput,
  type PostToolUseEvent,
  type PreToolUseEvent,
  type ToolInput,
} from "./payload.ts";
import { claudeCodeResolvers } from "./tools.ts";

/** Longest a compiled policy file may be. */
const MAX_POLICY_BYTES = 16 * 1024 * 1024;

/** An answer, or a failure to report. */
type Step<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** The policy source: a compiled IR file read and validated here, or a `.aarm` file compiled by the runtime. */
function policySource(path: string): Step<PolicySource> {
  if (!path.endsWith(".json")) {
    if (!existsSync(path)) return { ok: false, problem: `the policy ${path} does not exist` };
    // Each process lives for one event: no reloading.
    return { ok: true, value: { path, reloadIntervalMs: 0 } };
  }
  let raw: unknown;
  try {
    if (statSync(path).size > MAX_POLICY_BYTES) {
      return { ok: false, problem: `the policy ${path} is larger than ${MAX_POLICY_BYTES} bytes` };
    }
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (caught) {
    return { ok: false, problem: `the policy ${path} cannot be read: ${messageOf(caught)}` };
  }
  const valid = validateIr(raw);
  if (!valid.ok) {
    const first = valid.errors[0];
    return {
      ok: false,
      problem: `the policy ${path} is not a valid IR: ${first?.path ?? ""} ${first?.message ?? ""}`,
    };
  }
  return { ok: true, value: { ir: valid.ir } };
}

/** The signing keys: the key directory's, or a new one when it has none yet. */
function signingKeys(dir: string, now: Date): Step<Keyring> {
  const keys = existsSync(join(dir, MANIFEST_FILE))
    ? loadKeyDirectory(dir, nodeBackend)
    : createKeyDirectory(dir, nodeBackend, now);
  return keys.ok
    ? { ok: true, value: keys.value }
    : { ok: false, problem: `the signing keys: ${keys.error.message}` };
}

/**
 * Runs `work` holding the store's hook lock: an exclusive transaction on a
 * small SQLite file beside the store, released on commit or when the
 * process dies, so a crash never leaves it held.
 */
async function withStoreLock<T>(store: string, waitMs: number, work: () => Promise<T>): Promise<Step<T>> {
  let lock: DatabaseSync;
  try {
    lock = new DatabaseSync(`${store}.lock`, { timeout: Math.max(1, Math.floor(waitMs)) });
    lock.exec("BEGIN EXCLUSIVE");
  } catch (caught) {
    return { ok: false, problem: `the store's lock ${store}.lock could not be taken: ${messageOf(caught)}` };
  }
  try {
    return { ok: true, value: await work() };
  } finally {
    try {
      lock.exec("COMMIT");
    } finally {
      lock.close();
    }
  }
}

/** The deciding rules and reasons as the receipt records them (reasons only when asked), and its id. */
async function receiptText(store: Store, receiptId: string | null, reasons: boolean): Promise<string> {
  if (receiptId === null) return "no receipt could be written";
  const found = await store.getReceipt(receiptId);
  if (!found.ok) return `receipt ${receiptId}`;
  const decision = (JSON.parse(found.value.body) as Receipt).decision;
  const rules = decision.policy.rule_ids;
  return [
    reasons ? decision.reasons.filter((r) => r.length > 0).join("; ") : "",
    rules.length > 0 ? `rules ${rules.join(", ")}` : "",
    `receipt ${receiptId}`,
  ]
    .filter((part) => part !== "")
    .join("; ");
}

/** The input Claude Code runs a modified call with: the whole input, as MODIFY left the arguments. */
function updatedInput(event: PreToolUseEvent, args: { readonly [name: string]: Json }): ToolInput {
  // The Skill resolver takes `skill` out of the arguments the policy sees; the tool needs it back.
  return event.toolName === "Skill" ? { skill: event.toolInput.skill ?? null, ...args } : args;
}

/** The answer to a PreToolUse, from the handle the session gave. */
async function answerPre(
  event: PreToolUseEvent,
  handle: EnforcementHandle,
  store: Store,
  config: HookConfig,
): Promise<HookAnswer> {
  const about = await receiptText(store, handle.receiptId, handle.kind !== "deny");
  if (handle.kind === "deny")
    return permission("deny", `aarm ${handle.decision}: ${handle.reason} (${about})`);
  if (handle.replay) {
    return permission(
      "deny",
      `aarm: tool call ${event.toolUseId ?? ""} was already decided and released once`,
    );
  }
  if (handle.kind === "allow") {
    if (handle.decision === "MODIFY") {
      return permission("allow", `aarm MODIFY: ${about}`, updatedInput(event, handle.args));
    }
    return permission("allow", `aarm ${handle.decision}: ${about}`);
  }
  // The hook does not wait: a STEP_UP goes to Claude Code's prompt or is refused, a DEFER is refused.
  if (handle.decision === "STEP_UP" && config.stepUp === "ask") {
    const delegated = await handle.delegateToHost();
    if (delegated.ok) return permission("ask", `aarm STEP_UP: approval required: ${about}`);
    handle.cancel();
    return permission("deny", `aarm STEP_UP: approval required, and ${delegated.error}: ${about}`);
  }
  handle.cancel();
  const why =
    handle.decision === "STEP_UP"
      ? "approval required, and this hook cannot wait for aarm's approval service"
      : "more context is required before this can run";
  return permission("deny", `aarm ${handle.decision}: ${why}: ${about}`);
}

/** The action a PostToolUse reports on; `digest` when it was delegated to Claude Code's prompt. */
interface RanAction {
  readonly actionId: string;
  /** The digest of a delegated action, which the approval recorded for it names; null for a released one. */
  readonly digest: string | null;
}

/**
 * The action a PostToolUse reports on: the earliest released action of the
 * session, with no outcome yet, of the same tool, whose arguments as
 * released (or as requested) are those Claude Code reports it ran with; else
 * the latest such action delegated to Claude Code's prompt (an earlier one
 * may have been refused there, and never runs).
 */
async function ranAction(store: Store, event: PostToolUseEvent): Promise<Step<RanAction>> {
  const loaded = await new ContextLog({ store }).load(event.sessionId);
  if (!loaded.ok)
    return { ok: false, problem: `the session's context could not be read (${loaded.error.kind})` };
  const resolved = resolveMetaTool(claudeCodeResolvers(event.toolName), event.toolName, event.toolInput);
  if (!resolved.ok) return { ok: false, problem: resolved.problem };
  const ran = canonicalize(resolved.args);
  if (!ran.ok) return { ok: false, problem: "the tool input has no canonical form" };
  let delegated: LoggedAction | null = null;
  for (const logged of loggedActions(loaded.value.entries).values()) {
    if (logged.outcome || logged.action.tool !== resolved.tool) continue;
    const requested = canonicalize(logged.action.parameters);
    const same = requested.ok && requested.value === ran.value;
    if (logged.settlement === "delegated" && same) delegated = logged;
    if (!isReleased(logged)) continue;
    const released = canonicalize(releasedArgs(logged));
    if ((released.ok && released.value === ran.value) || same) {
      return { ok: true, value: { actionId: logged.action.action_id, digest: null } };
    }
  }
  const digest = delegated === null ? null : canonicalHash(delegated.action);
  if (delegated !== null && digest?.ok === true) {
    return { ok: true, value: { actionId: delegated.action.action_id, digest: digest.value } };
  }
  return {
    ok: false,
    problem: `no call of ${event.toolName} with these arguments was released by aarm or delegated to the prompt`,
  };
}

/**
 * Records what a released call returned, after the approval given at
 * Claude Code's prompt for a delegated one; a call aarm neither released nor
 * delegated, or whose approval cannot be recorded, ends the session.
 */
async function answerPost(
  event: PostToolUseEvent,
  session: Session,
  store: Store,
  config: HookConfig,
): Promise<HookAnswer> {
  const found = await ranAction(store, event);
  // A failed call aarm did not release has no output to label (Claude Code may report calls it refused).
  if (!found.ok && event.event === "PostToolUseFailure") return recorded();
  const unaccounted = async (problem: string): Promise<HookAnswer> => {
    // Its output would be missing from the context later decisions see: no later call may be decided without it.
    const ended = await session.end();
    const closing = ended.ok ? "the session is ended, and every later call in it is denied" : ended.error;
    return failure(
      `the output of tool call ${event.toolUseId} was not recorded: ${problem}; ${closing}`,
      false,
    );
  };
  if (!found.ok) return unaccounted(found.problem);
  const { actionId, digest } = found.value;
  if (digest !== null) {
    // It ran, so the user approved it at Claude Code's prompt, which is where aarm delegated it.
    const approved = await session.recordHostApproval(actionId, {
      approver: config.principal,
      approved: true,
      at: new Date(),
      actionDigest: digest,
    });
    if (!approved.ok) return unaccounted(`its approval could not be recorded: ${approved.error}`);
    if (!approved.released) return unaccounted(`its approval did not release it: ${approved.reason}`);
  }
  const success = event.event === "PostToolUse";
  const outcome = await session.recordOutcome(actionId, {
    success,
    ...(event.response === undefined ? {} : { output: event.response }),
    ...(event.error === null ? {} : { error: { message: event.error } }),
  });
  return outcome.ok ? recorded() : failure(`the outcome could not be recorded: ${outcome.error}`, false);
}

/** Longest original request a session records (the intent schema's bound), in UTF-16 code units. */
const MAX_INTENT_CHARS = 65_536;

/** The prompt as the session's intent: trimmed, and cut to the bound without splitting a character. */
function intentText(prompt: string): string {
  const text = prompt.trim();
  if (text.length <= MAX_INTENT_CHARS) return text;
  const cut = text.slice(0, MAX_INTENT_CHARS);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** Dispatches one event to the session. */
async function answerEvent(
  event: HookEvent,
  runtime: Runtime,
  store: Store,
  config: HookConfig,
  faults: readonly RuntimeFault[],
): Promise<HookAnswer> {
  const identity: IdentityClaims = {
    session: event.sessionId,
    human: config.principal,
    agent: config.agent,
    roles: config.roles,
    scope: config.scope,
  };
  switch (event.event) {
    case "UserPromptSubmit": {
      // The first prompt of a session is its intent; a resumed session keeps the one it started with.
      const text = intentText(event.prompt);
      await runtime.openSession({ identity, ...(text === "" ? {} : { intent: text }) });
      const fault = faults[0];
      return fault === undefined ? recorded() : failure(`the session failed closed: ${fault.message}`, false);
    }
    case "PreToolUse": {
      const session = await runtime.openSession({ identity });
      const handle = await session.evaluate({
        tool: event.toolName,
        args: event.toolInput,
        ...(event.toolUseId === null ? {} : { callId: event.toolUseId }),
      });
      return answerPre(event, handle, store, config);
    }
    case "PostToolUse":
    case "PostToolUseFailure":
      return answerPost(event, await runtime.openSession({ identity }), store, config);
  }
}

/**
 * Answers one hook input under `config`: parses it, opens the policy, the
 * store and the keys, and lets the runtime decide or record. Never rejects:
 * every failure is a blocking denial. `deadline` (epoch ms) bounds waiting
 * for the store's lock; the caller enforces the deadline as a whole.
 */
export async function answerHookInput(
  text: string,
  config: HookConfig,
  deadline: number,
): Promise<HookAnswer> {
  const parsed = parseHookInput(text);
  if (!parsed.ok) return failure(parsed.problem, true);
  const event = parsed.event;
  const pre = event.event === "PreToolUse";
  try {
    const policy = policySource(config.policy);
    if (!policy.ok) return failure(policy.problem, pre);
    const keys = signingKeys(config.keys, new Date());
    if (!keys.ok) return failure(keys.problem, pre);
    const verifier = trustedLocalVerifier();
    if (!verifier.ok) return failure(verifier.error, pre);
    mkdirSync(dirname(config.store), { recursive: true });
    const locked = await withStoreLock(config.store, deadline - Date.now(), async () => {
      const opened = SqliteStore.open(config.store, {
        busyTimeoutMs: Math.max(1, Math.floor(deadline - Date.now())),
      });
      if (!opened.ok)
        return failure(`the store ${config.store} is unavailable: ${opened.error.message}`, pre);
      const store = opened.value;
      const faults: RuntimeFault[] = [];
      try {
        const runtime = createRuntime({
          policy: policy.value,
          store,
          keyring: keys.value,
          identity: verifier.value,
          mediation: { metaTools: "toolName" in event ? claudeCodeResolvers(event.toolName) : [] },
          onFault: (fault) => faults.push(fault),
        });
        try {
          return await answerEvent(event, runtime, store, config, faults);
        } finally {
          await runtime.close();
        }
      } finally {
        await store.close();
      }
    });
    return locked.ok ? locked.value : failure(locked.problem, pre);
  } catch (caught) {
    return failure(`internal error: ${messageOf(caught)}`, pre);
  }
}
