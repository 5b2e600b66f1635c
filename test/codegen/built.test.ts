/**
 * The built generator (as `npm run build` compiles it to `dist/`) reads the
 * compiled evaluator beside it instead of the TypeScript sources, and writes
 * exactly the module the sources-mode generator writes. The generator and the
 * evaluator are compiled here with the project's tsconfig into a scratch
 * folder below node_modules/.cache (so the compiled code resolves the
 * project's dependencies), and run in a separate Node process.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { compileText, generateModule } from "../../src/compiler.ts";

const root = join(import.meta.dirname, "..", "..");
const cache = join(root, "node_modules", ".cache");
mkdirSync(cache, { recursive: true });
const outDir = mkdtempSync(join(cache, "aarm-built-generator-"));

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function build(): void {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (config === undefined) throw new Error("cannot read tsconfig.json");
  const evalDir = join(root, "src", "eval");
  const rootNames = [
    join(root, "src", "codegen", "generate.ts"),
    ...readdirSync(evalDir)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => join(evalDir, f)),
  ];
  // Type checking is the typecheck step's job; here only the emitted text matters.
  const result = ts
    .createProgram({ rootNames, options: { ...config.options, outDir, noCheck: true } })
    .emit();
  if (result.emitSkipped) throw new Error("the generator did not compile");
}

describe("the built generator", () => {
  it("reads the compiled evaluator and writes the same module as the sources", () => {
    build();
    const { ir } = compileText(`policy p version "1"
tool web.get { args { url: string } effect read target args.url }
deny evil on web.get when host(args.url) == "evil.example" or args.url matches /(?i)password/
default allow
`);
    if (ir === null) throw new Error("does not compile");
    const irFile = join(outDir, "ir.json");
    writeFileSync(irFile, JSON.stringify(ir));
    const script = `import { readFileSync } from "node:fs";
import { generateModule } from ${JSON.stringify(join(outDir, "codegen", "generate.js"))};
process.stdout.write(generateModule(JSON.parse(readFileSync(${JSON.stringify(irFile)}, "utf8"))));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(run.stderr).toBe("");
    expect(run.stdout === generateModule(ir)).toBe(true);
  }, 60_000);
});
