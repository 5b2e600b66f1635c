#!/usr/bin/env node
/**
 * `aarm`: the runtime — run agent sessions under a policy.
 *
 * @module
 */
import { demo } from "./aarm/demo.ts";
import { verify } from "./aarm/verify.ts";
import { runProgram } from "./command.ts";
import { processIo } from "./io.ts";
import { packageVersion } from "./package-info.ts";

const SUMMARY = "runtime security for AI agents: mediate, decide, enforce and receipt every tool call";

process.exitCode = await runProgram(
  "aarm",
  SUMMARY,
  packageVersion(),
  [demo, verify],
  process.argv.slice(2),
  processIo(),
);
