// Crash consistency: a process running actions through the runtime is killed (SIGKILL) at random points,
// again and again, and restarted on the same SQLite store. Whatever it had done must add up: intact
// chains, no execution without a stored ALLOW or MODIFY decision, and no action executed twice.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { ContextLog } from "../../src/runtime/context/log.ts";
import { createKeyDirectory } from "../../src/runtime/crypto/keydir.ts";
import { nodeBackend } from "../../src/runtime/crypto/node.ts";
import { SqliteStore } from "../../src/runtime/store/sqlite.ts";
import { verifySqliteFile } from "../../src/runtime/verify.ts";
import type { Receipt } from "../../src/schema/generated/types.ts";
import { tempDir } from "./engine-harness.ts";

const CHILD = fileURLToPath(new URL("./fixtures/crash-child.ts", import.meta.url));
const KILLS = 20;
const ACTIONS = 60;
const PER_SESSION = 10;
/** The longest a kill waits after its mark: long enough to land anywhere in the next few actions. */
const MAX_DELAY_MS = 250;

const POLICY = `
policy crash version "1.0"

tool files.write { args { path: string, text: string } effect write target args.path }
tool db.query { args { sql: string, limit?: number } effect read }
tool db.drop { args { name: string } effect delete target args.name }

forbid no_drops on db.drop because "dropping tables is never allowed"
modify cap on db.query when has(args.limit) and args.limit > 100 clamp args.limit to 1..100
allow writes on files.write
allow reads when effect == read

default deny
`;

/** A small deterministic generator (mulberry32): the same delays on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const children = new Set<ChildProcess>();
let dir: ReturnType<typeof tempDir> | null = null;

afterEach(() => {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
  dir?.cleanup();
  dir = null;
});

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** When to kill a run: `after` ms after the child prints `mark` (`ready`: started; `fresh`: new work began). */
interface Kill {
  readonly mark: "ready" | "fresh";
  readonly after: number;
}

/** Runs the child, killing it as `kill` says (never, when null). */
function run(args: readonly string[], env: NodeJS.ProcessEnv, kill: Kill | null): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    // A bound on a child that hangs: the test fails instead of waiting forever.
    const deadline = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (kill !== null && timer === undefined && stdout.includes(`${kill.mark}\n`)) {
        timer = setTimeout(() => child.kill("SIGKILL"), kill.after);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(deadline);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

it("survives being killed at random points: chains intact, every execution decided first, none twice", async () => {
  dir = tempDir();
  const database = join(dir.dir, "aarm.sqlite");
  const journal = join(dir.dir, "executed.log");
  const keys = join(dir.dir, "keys");
  const policy = join(dir.dir, "policy.aarm");
  writeFileSync(policy, POLICY);
  const keyring = createKeyDirectory(keys, nodeBackend, new Date());
  if (!keyring.ok) throw new Error(keyring.error.message);
  // Compiled sources are cached across the restarts, so that each costs little more than its work.
  const env = { ...process.env, NODE_COMPILE_CACHE: join(dir.dir, "compile-cache") };
  const args = [database, journal, keys, policy, String(ACTIONS), String(PER_SESSION)];

  const next = random(0xa4a1);
  for (let kill = 0; kill < KILLS; kill++) {
    // Mostly in the stream's new work (deciding, executing, recording); every fourth while it starts up,
    // resumes its sessions and replays what it decided before.
    const mark = kill % 4 === 3 ? "ready" : "fresh";
    const ended = await run(args, env, { mark, after: Math.floor(next() * MAX_DELAY_MS) });
    // Killed, or done before the kill came; never dead of its own failure.
    expect(ended.stderr).toBe("");
    expect(ended.signal === "SIGKILL" || ended.code === 0, JSON.stringify(ended)).toBe(true);
  }
  const last = await run(args, env, null);
  expect(last).toMatchObject({ code: 0, stderr: "" });
  expect(last.stdout).toContain("done");

  const report = await verifySqliteFile(database, keyring.value);
  if (!report.ok) throw new Error(report.error.message);
  expect(report.value.issues).toEqual([]);
  expect(report.value.ok).toBe(true);

  const executed = existsSync(journal) ? readFileSync(journal, "utf8").split("\n").filter(Boolean) : [];
  expect(executed.length).toBeGreaterThan(0);
  expect(new Set(executed).size).toBe(executed.length);

  const opened = SqliteStore.open(database, { readOnly: true });
  if (!opened.ok) throw new Error(opened.error.message);
  const store = opened.value;
  try {
    const log = new ContextLog({ store });
    const decided = new Map<string, string>();
    const receipts: Receipt[] = [];
    for (let s = 0; s < ACTIONS / PER_SESSION; s++) {
      const loaded = await log.load(`crash-${s}`);
      if (!loaded.ok) throw new Error(`the log of crash-${s} does not verify`);
      for (const entry of loaded.value.entries) {
        if (entry.type === "decision" && !decided.has(entry.action_id))
          decided.set(entry.action_id, entry.decision.result);
      }
      const chain = await store.readReceipts(`crash-${s}`);
      if (!chain.ok) throw new Error(chain.error.message);
      receipts.push(...chain.value.records.map((r) => JSON.parse(r.body) as Receipt));
    }
    // Every action of the stream was decided in the end, once per action id.
    expect(decided.size).toBe(ACTIONS);
    for (const id of executed) {
      expect(["ALLOW", "MODIFY"]).toContain(decided.get(id));
      const decision = receipts.find((r) => r.action.action_id === id && r.related_receipt_id === null);
      expect(["ALLOW", "MODIFY"]).toContain(decision?.decision.result);
    }
  } finally {
    await store.close();
  }
}, 180_000);
