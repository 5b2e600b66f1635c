#!/usr/bin/env node
/**
 * `aarm`: the runtime — run agent sessions under a policy.
 *
 * @module
 */
import { type CommandModule, runProgram } from "./command.ts";
import { processIo } from "./io.ts";
import { packageVersion } from "./package-info.ts";

// Each command's module is loaded only when it runs (a hook starts once per tool call).
const COMMANDS: readonly CommandModule[] = [
  { name: "approvals", load: async () => (await import("./aarm/approvals.ts")).approvals },
  { name: "conformance", load: async () => (await import("./aarm/conformance.ts")).conformance },
  { name: "demo", load: async () => (await import("./aarm/demo.ts")).demo },
  { name: "gateway", load: async () => (await import("./aarm/gateway.ts")).gateway },
  { name: "hook", load: async () => (await import("./aarm/hook.ts")).hook },
  { name: "serve", load: async () => (await import("./aarm/serve.ts")).serve },
  { name: "trace", load: async () => (await import("./aarm/trace.ts")).trace },
  { name: "verify", load: async () => (await import("./aarm/verify.ts")).verify },
];

const SUMMARY = "runtime security for AI agents: mediate, decide, enforce and receipt every tool call";

process.exitCode = await runProgram(
  "aarm",
  SUMMARY,
  packageVersion(),
  COMMANDS,
  process.argv.slice(2),
  processIo(),
);
