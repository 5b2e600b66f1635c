#!/usr/bin/env node
/**
 * `aarmc`: the policy author's tool — check, format and explain policies, locally and in CI.
 *
 * @module
 */
import { check } from "./aarmc/check.ts";
import { compile } from "./aarmc/compile.ts";
import { diff } from "./aarmc/diff.ts";
import { explain } from "./aarmc/explain.ts";
import { fmt } from "./aarmc/fmt.ts";
import { init } from "./aarmc/init.ts";
import { replay } from "./aarmc/replay.ts";
import { test } from "./aarmc/test.ts";
import { runProgram } from "./command.ts";
import { processIo } from "./io.ts";
import { packageVersion } from "./package-info.ts";

const SUMMARY = "compile, check, format and test aarm policies";

process.exitCode = await runProgram(
  "aarmc",
  SUMMARY,
  packageVersion(),
  [init, check, fmt, compile, test, explain, replay, diff],
  process.argv.slice(2),
  processIo(),
);
