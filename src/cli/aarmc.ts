#!/usr/bin/env node
/**
 * `aarmc`: the policy author's tool — check, format and explain policies, locally and in CI.
 *
 * @module
 */
import { check } from "./aarmc/check.ts";
import { explain } from "./aarmc/explain.ts";
import { fmt } from "./aarmc/fmt.ts";
import { runProgram } from "./command.ts";
import { processIo } from "./io.ts";
import { packageVersion } from "./package-info.ts";

const SUMMARY = "compile, check, format and test aarm policies";

process.exitCode = await runProgram(
  "aarmc",
  SUMMARY,
  packageVersion(),
  [check, fmt, explain],
  process.argv.slice(2),
  processIo(),
);
