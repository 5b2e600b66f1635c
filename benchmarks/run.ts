/**
 * Runs every benchmark program in turn, each in its own Node process (so one
 * program's JIT state and heap do not colour the next), passing `--quick`
 * through, then draws the charts. Exits non-zero if any program fails; there
 * are no thresholds.
 *
 * Usage: node benchmarks/run.ts [--quick]   (npm run bench [-- --quick])
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const PROGRAMS = [
  "decision-latency.ts",
  "comparison.ts",
  "pipeline.ts",
  "compile.ts",
  "context-length.ts",
  "gateway.ts",
];

const flags = process.argv.slice(2).filter((arg) => arg === "--quick");
let failed = 0;
for (const program of PROGRAMS) {
  const run = spawnSync(process.execPath, [join(import.meta.dirname, program), ...flags], {
    stdio: "inherit",
  });
  if (run.status !== 0) {
    console.error(`bench: ${program} failed (${run.signal ?? `exit ${run.status}`})`);
    failed++;
  }
}
// Charts from whatever results exist, the failed programs' earlier ones included.
const charts = spawnSync(process.execPath, [join(import.meta.dirname, "charts.ts"), ...flags], {
  stdio: "inherit",
});
if (charts.status !== 0) failed++;
process.exit(failed > 0 ? 1 : 0);
