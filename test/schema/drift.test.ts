// The generated types are checked in; CI runs the generator in --check mode to
// catch a schema edited without regenerating them. Both outcomes are tested
// against copies, never by touching the real file.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const generated = join(root, "src", "schema", "generated", "types.ts");
const scratch = mkdtempSync(join(tmpdir(), "aarm-schema-drift-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function generator(...args: string[]) {
  const run = spawnSync(process.execPath, [join(root, "scripts", "gen-schema-types.ts"), ...args], {
    cwd: root,
    encoding: "utf8",
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("gen-schema-types --check", () => {
  it("passes on the checked-in file", () => {
    const run = generator("--check");
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("passes on an identical copy and fails, naming the file, on one that differs", () => {
    const same = join(scratch, "same.ts");
    copyFileSync(generated, same);
    expect(generator("--check", "--against", same).status).toBe(0);

    const stale = join(scratch, "stale.ts");
    writeFileSync(
      stale,
      readFileSync(generated, "utf8").replace("export interface Action {", "export interface Act {"),
    );
    const run = generator("--check", "--against", stale);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("stale.ts is out of date");
    expect(run.stderr).toContain("npm run gen:types");
  });

  it("fails when the file is missing", () => {
    const run = generator("--check", "--against", join(scratch, "absent.ts"));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("absent.ts is missing");
  });

  it("refuses arguments it does not know instead of guessing", () => {
    expect(generator("--chek").status).toBe(2);
    expect(generator("--against", join(scratch, "x.ts")).status).toBe(2);
  });
});
