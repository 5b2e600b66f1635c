/**
 * Runtimes over one SQLite file, each standing for a process (the Claude Code
 * hook runs one per tool call): every one has its own store connection, which
 * tests can make fail through its {@link FaultyStore}, and they share sessions
 * through the file alone.
 */
import { join } from "node:path";
import { expect } from "vitest";
import { Keyring } from "../../src/runtime/crypto/keyring.ts";
import { nodeBackend } from "../../src/runtime/crypto/node.ts";
import type { RuntimeFault } from "../../src/runtime/engine/types.ts";
import type { Ir } from "../../src/ir/types.ts";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../src/runtime/runtime.ts";
import { SqliteStore } from "../../src/runtime/store/sqlite.ts";
import { verifySqliteFile } from "../../src/runtime/verify.ts";
import { FaultyStore, tempDir, TestClock, TestVerifier } from "./engine-harness.ts";

/** One process: its own connection to the shared file and its own runtime. */
export interface Process {
  readonly runtime: Runtime;
  /** The connection itself, for reading what the process stored. */
  readonly store: SqliteStore;
  /** What the runtime is given: the connection, failing on demand. */
  readonly faulty: FaultyStore;
  readonly faults: RuntimeFault[];
  /** Ends the process cleanly: the runtime settles and closes, then the connection. */
  close(): Promise<void>;
  /** Ends the process as a crash would: the connection goes first, nothing is settled. */
  kill(): Promise<void>;
}

/** Processes sharing one store, keyring and clock, with `ir` as their policy and `defaults` as runtime options. */
export function sharedStore(ir: Ir, defaults: Partial<RuntimeOptions> = {}) {
  const keyring = Keyring.generate(nodeBackend, new Date("2026-11-01T00:00:00Z"));
  const clock = new TestClock();
  let dir: { readonly dir: string; readonly cleanup: () => void } | null = null;
  const processes: Process[] = [];

  function databasePath(): string {
    dir ??= tempDir();
    return join(dir.dir, "aarm.sqlite");
  }

  function start(options: Partial<RuntimeOptions> = {}): Process {
    const opened = SqliteStore.open(databasePath());
    if (!opened.ok) throw new Error(opened.error.message);
    const faulty = new FaultyStore(opened.value);
    const faults: RuntimeFault[] = [];
    const runtime = createRuntime({
      policy: { ir },
      store: faulty,
      keyring,
      identity: new TestVerifier(),
      clock: clock.now,
      onFault: (fault) => faults.push(fault),
      ...defaults,
      ...options,
    });
    let ended = false;
    const end = async (first: () => Promise<void>, then: () => Promise<void>): Promise<void> => {
      if (ended) return;
      ended = true;
      await first();
      await then();
    };
    const process: Process = {
      runtime,
      store: opened.value,
      faulty,
      faults,
      close: () =>
        end(
          () => runtime.close(),
          () => opened.value.close(),
        ),
      kill: () =>
        end(
          () => opened.value.close(),
          () => runtime.close(),
        ),
    };
    processes.push(process);
    return process;
  }

  /** The whole file's receipt chains verify offline. */
  async function chainVerifies(): Promise<void> {
    const report = await verifySqliteFile(databasePath(), keyring);
    if (!report.ok) throw new Error(report.error.message);
    expect(report.value.issues).toEqual([]);
    expect(report.value.ok).toBe(true);
  }

  /** Ends every process started (`close` or `kill`) and removes the file. */
  async function cleanup(how: "close" | "kill"): Promise<void> {
    for (const p of processes.splice(0)) await p[how]();
    dir?.cleanup();
    dir = null;
  }

  return { keyring, clock, databasePath, start, chainVerifies, cleanup };
}
