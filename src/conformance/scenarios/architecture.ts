/**
 * §9.11: what each way of deploying the enforcement point must hold.
 *
 * @module
 */
import type { Scenario, ScenarioContext } from "../types.ts";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mergeSettings } from "../../adapters/claude-code/settings.ts";
import type { HookAnswer } from "../../adapters/claude-code/output.ts";
import { runClaudeCodeHook } from "../../adapters/claude-code/run.ts";
import { backstop } from "../../adapters/sdk/backstop.ts";
import { unguardedTools } from "../../adapters/sdk/coverage.ts";
import { AarmUnguardedError } from "../../adapters/sdk/errors.ts";
import { guard } from "../../adapters/sdk/guard.ts";
import type { Json } from "../../ir/contract.ts";
import { alice, expectRan } from "./support.ts";

const POLICY = `policy arch version "1"
tool docs.read { args { path: string } effect read output internal }
tool notes.write { args { path: string, text: string } effect write target args.path }
allow reads on docs.read
allow notes on notes.write
default deny`;

/** `text` as a stream, as the hook reads its stdin. */
async function* lines(text: string): AsyncIterable<string> {
  yield text;
}

/** Cancelling an order is allowed only when the user asked to cancel. */
const CONTEXT_ALLOW = `policy arch_intent version "1"
tool orders.cancel { args { order_id: string } effect write target args.order_id }
allow cancellations on orders.cancel when intent.mentions("cancel")
default deny`;

/** Claude Code's tools under a small policy. */
const HOOK_POLICY = `policy hook version "1"
tool Read { args { file_path: string } effect read target args.file_path }
tool Bash { args { command: string } effect execute }
forbid no_wiping on Bash when args.command matches /rm\\s+-rf/ because "wiping is never allowed"
allow reads on Read
allow shell on Bash
default deny`;

export const ARCHITECTURE: readonly Scenario[] = [
  {
    id: "9.11.104",
    requirement: "R2",
    title: "Parallel actions in one session: context appends are serialised and the hash chain stays valid",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("parallel"), intent: "read the docs and take notes" });
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          i % 2 === 0
            ? s.call("docs.read", { path: `/docs/${i}.md` })
            : s.call("notes.write", { path: `/notes/${i}.md`, text: "note" }),
        ),
      );
      t.check(
        results.every((r) => r.executed),
        "some parallel calls did not run",
      );
      t.check(new Set(results.map((r) => r.receiptId)).size === 16, "parallel calls share a receipt");
      t.observe("16 parallel calls, 16 receipts; the chain is verified below");
    },
  },
  {
    id: "9.11.99",
    requirement: "R3",
    title:
      "The original request supplied at session start enables a context-dependent allow; without it the rule cannot fire",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: CONTEXT_ALLOW });
      const without = await d.session({ identity: alice("s99-none") });
      const bare = await without.call("orders.cancel", { order_id: "o-7" });
      t.check(!bare.executed, "the context-dependent allow fired without an original request");
      t.observe(
        `without an original request: ${bare.decision ?? "refused"}, not executed (${bare.reason})`,
        bare.receiptId,
      );
      const withIntent = await d.session({ identity: alice("s99-intent"), intent: "cancel order o-7" });
      expectRan(
        t,
        await withIntent.call("orders.cancel", { order_id: "o-7" }),
        "ALLOW",
        "with the request supplied at session start",
      );
    },
  },
  {
    id: "9.11.100",
    requirement: "R1",
    title: "SDK: a tool function left unwrapped is found by the coverage check, and blocked by the backstop",
    only: { kinds: ["sdk"], reason: "the guard, coverage check and backstop are the SDK's own surface" },
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      t.check(d.runtimeSession !== undefined, "the deployment does not embed the runtime");
      const session = await d.runtimeSession({
        identity: alice("s100"),
        intent: "read the docs and take notes",
      });
      let count = 0;
      const wrote = (): number => count;
      const write = backstop("notes.write", async () => {
        count++;
        return "written";
      });
      const guarded = guard({ "docs.read": async () => "the docs", "notes.write": write }, session);
      const missing = unguardedTools({ ...guarded, "notes.append": async () => "appended" });
      t.check(
        missing.join() === "notes.append",
        `the coverage check found: ${missing.join(", ") || "nothing"}`,
      );
      t.observe("coverage check: notes.append is not guarded");
      let blocked = "";
      try {
        await write();
      } catch (caught) {
        blocked = caught instanceof AarmUnguardedError ? caught.message : "";
      }
      t.check(blocked !== "" && wrote() === 0, "the backstopped tool ran when called around the guard");
      t.observe(`backstop: the tool called directly refused (${blocked})`);
      await guarded["notes.write"]({ path: "/n.md", text: "x" } as never);
      t.check(wrote() === 1, "the backstopped tool did not run through its guard");
      t.observe("through its guard, the same tool ran once after an ALLOW");
    },
  },
  {
    id: "9.11.101",
    requirement: "R1",
    title:
      "Claude Code hook: it answers before the tool runs (a synchronous hook), and denies when the policy cannot be had",
    only: {
      kinds: ["sdk"],
      reason:
        "the hook embeds the runtime in its own process, as the SDK deployment does; it is run here in-process",
    },
    async run(t: ScenarioContext) {
      const dir = mkdtempSync(join(tmpdir(), "aarm-conformance-hook-"));
      try {
        writeFileSync(join(dir, "policy.aarm"), HOOK_POLICY);
        mkdirSync(join(dir, ".aarm"));
        writeFileSync(
          join(dir, ".aarm", "hook.json"),
          JSON.stringify({ policy: join(dir, "policy.aarm"), principal: "alice@example.com" }),
        );
        const ask = async (tool: string, input: Json, overrides = {}) =>
          runClaudeCodeHook({
            stdin: lines(
              JSON.stringify({
                session_id: "s101",
                hook_event_name: "PreToolUse",
                tool_name: tool,
                tool_input: input,
                tool_use_id: `t-${tool}-${Date.now()}`,
              }),
            ),
            overrides,
            cwd: dir,
            projectDir: dir,
            startedAt: Date.now(),
          });
        const decision = (answer: HookAnswer) =>
          String(
            (answer.stdout?.hookSpecificOutput as { permissionDecision?: string } | undefined)
              ?.permissionDecision,
          );
        const read = await ask("Read", { file_path: "/repo/README.md" });
        t.check(read.exitCode === 0 && decision(read) === "allow", `Read: ${decision(read)}`);
        const wipe = await ask("Bash", { command: "rm -rf /" });
        t.check(decision(wipe) === "deny", `Bash rm -rf /: ${decision(wipe)}`);
        t.observe("PreToolUse answered allow for Read and deny for rm -rf / before either ran");
        const settings = mergeSettings(null, {
          command: "aarm hook claude-code",
          timeoutSeconds: 30,
          permissionsDeny: [],
        });
        const text = JSON.stringify(settings);
        t.check(
          settings.ok && !text.includes('"async"'),
          "the installed hook is not a synchronous command hook",
        );
        t.observe("the installed PreToolUse hook is synchronous: Claude Code waits for its answer");
        const unreachable = await ask(
          "Read",
          { file_path: "/repo/README.md" },
          { policy: join(dir, "missing.aarm") },
        );
        t.check(
          unreachable.exitCode === 2 && decision(unreachable) === "deny",
          "the hook allowed with no policy",
        );
        t.observe(`policy unavailable: deny, exit 2 (${unreachable.stderr.trim()})`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
