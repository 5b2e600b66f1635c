// Builds dist/ from src/ with tsc, from a clean folder so that no output of a
// deleted source survives.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
rmSync(join(root, "dist"), { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.json")],
  {
    stdio: "inherit",
  },
);
process.exit(tsc.status ?? 1);
