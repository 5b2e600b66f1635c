// Runs the test suite with vitest and prints the closing line "N passed, N failed"
// that CI reads (vitest's own summary is not in that form).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const report = join(import.meta.dirname, "..", ".ci", "vitest.json");
rmSync(report, { force: true });

const run = spawnSync(
  process.execPath,
  [
    join(import.meta.dirname, "..", "node_modules", "vitest", "vitest.mjs"),
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { stdio: "inherit", env: { ...process.env, NO_COLOR: process.env.NO_COLOR ?? "1" } },
);

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { status: string; assertionResults: { status: string }[] }[];
}

if (!existsSync(report)) {
  console.log("0 passed, 1 failed");
  console.error("test: vitest wrote no report (it crashed before running tests)");
  process.exit(run.status === 0 ? 1 : (run.status ?? 1));
}
const r = JSON.parse(readFileSync(report, "utf8")) as VitestJson;
// A file that fails to load has no failed tests but must still fail the run, as must an error
// vitest caught outside any test (its exit status says so).
const brokenFiles = r.testResults.filter(
  (file) => file.status === "failed" && !file.assertionResults.some((t) => t.status === "failed"),
).length;
let failed = r.numFailedTests + brokenFiles;
if (failed === 0 && run.status !== 0) failed = 1;
const skipped = r.numPendingTests + r.numTodoTests;
if (skipped > 0) console.log(`${skipped} skipped`);
console.log(`${r.numPassedTests} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
