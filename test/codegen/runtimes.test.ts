/**
 * Generated modules run unchanged in Deno and Bun: each imports the module of
 * every IR test vector from files and decides every input and labels every
 * output of the vector exactly as Node does.
 *
 * The binaries come from `scripts/ensure-runtimes.sh` (which `./dev test` and
 * `.ci/run` source), named by `AARM_DENO` and `AARM_BUN` or found in
 * `.tools/runtimes/`; without them the test fails rather than passing
 * unchecked.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { generateModule } from "../../src/compiler.ts";
import { loadVectors } from "../ir-vectors/vectors.ts";
import { ROOT } from "../cli/run.ts";
import { loadModule, removeModules } from "./load.ts";

const RUNTIMES = join(ROOT, ".tools", "runtimes", "node_modules");
const BINARIES = {
  deno: process.env.AARM_DENO ?? join(RUNTIMES, "@deno", "linux-x64-glibc", "deno"),
  bun: process.env.AARM_BUN ?? join(RUNTIMES, "@oven", "bun-linux-x64", "bin", "bun"),
};
/** How each runtime runs a module file, with no access beyond reading the folder it is given. */
const COMMANDS = {
  deno: (dir: string, runner: string) => [BINARIES.deno, "run", "--no-prompt", `--allow-read=${dir}`, runner],
  bun: (_dir: string, runner: string) => [BINARIES.bun, "run", runner],
};

const vectors = loadVectors();
const modules = vectors.map((v) => generateModule(v.ir));
const dir = mkdtempSync(join(tmpdir(), "aarm-runtimes-"));
modules.forEach((source, i) => writeFileSync(join(dir, `m${i}.mjs`), source));
writeFileSync(
  join(dir, "work.json"),
  JSON.stringify(
    vectors.map((v, i) => ({
      module: `./m${i}.mjs`,
      inputs: v.decisions.map((d) => d.input),
      outputs: v.labels.map(({ tool, args, output }) => ({ tool, args, output })),
    })),
  ),
);
// Plain JavaScript that each runtime runs as is: imports every module and prints what it decided.
writeFileSync(
  join(dir, "runner.mjs"),
  `const items = JSON.parse(await (await import("node:fs/promises")).readFile(new URL("./work.json", import.meta.url), "utf8"));
const out = [];
for (const item of items) {
  const m = await import(new URL(item.module, import.meta.url).href);
  out.push({
    ir: m.ir,
    decisions: item.inputs.map((input) => m.evaluate(input)),
    labels: item.outputs.map(({ tool, args, output }) => m.labelOutput(tool, args, output)),
  });
}
process.stdout.write(JSON.stringify(out));
`,
);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeModules();
});

interface Result {
  readonly ir: unknown;
  readonly decisions: readonly unknown[];
  readonly labels: readonly unknown[];
}

/** What Node decides for each vector, as JSON (the form the other runtime's answer arrives in). */
const expected = vectors.map((vector, i) => {
  const node = loadModule(modules[i] as string);
  return JSON.parse(
    JSON.stringify({
      ir: node.ir,
      decisions: vector.decisions.map((d) => node.evaluate(d.input)),
      labels: vector.labels.map(({ tool, args, output }) => node.labelOutput(tool, args, output)),
    }),
  ) as Result;
});

describe.each(["deno", "bun"] as const)("generated modules in %s", (runtime) => {
  it("decide and label every IR test vector as Node does", () => {
    const binary = BINARIES[runtime];
    if (!existsSync(binary))
      throw new Error(
        `no ${runtime} at ${binary}: source scripts/ensure-runtimes.sh (./dev test does) to install it`,
      );
    const [command, ...args] = COMMANDS[runtime](dir, join(dir, "runner.mjs"));
    const run = spawnSync(command as string, args, {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      maxBuffer: 256 * 2 ** 20,
      timeout: 60_000,
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const results = JSON.parse(run.stdout) as Result[];
    expect(results.length).toBe(vectors.length);
    const disagreements = vectors.flatMap((vector, i) => {
      const got = results[i] as Result;
      const want = expected[i] as Result;
      const out: string[] = [];
      if (!isDeepStrictEqual(got.ir, want.ir)) out.push(`${vector.path} ir`);
      for (const part of ["decisions", "labels"] as const)
        want[part].forEach((value, k) => {
          if (!isDeepStrictEqual(got[part][k], value)) out.push(`${vector.path} ${part}[${k}]`);
        });
      return out;
    });
    expect(disagreements).toEqual([]);
  }, 90_000);
});
