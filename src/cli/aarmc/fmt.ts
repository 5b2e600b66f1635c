/**
 * `aarmc fmt`: print, check or rewrite policies in the canonical layout.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { formatSource } from "../../lang/format.ts";
import { memoryHost } from "../../lang/host.ts";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { expandPaths, readText } from "../files.ts";
import { renderDiagnostics } from "../policy-loader.ts";
import { startProgress } from "../progress.ts";

export const fmt: Command = {
  name: "fmt",
  summary: "format policies in the one canonical layout",
  usage: "[paths...] [--check | --write]",
  description:
    "Without a flag, prints each formatted file to stdout. --check lists the files that are not\n" +
    "formatted and exits 1 if there are any; --write rewrites them in place. Files with syntax errors\n" +
    "are never rewritten (exit 2). Formatting never changes what a policy means.",
  options: {
    check: { type: "boolean", description: "exit 1 if any file is not formatted; change nothing" },
    write: { type: "boolean", short: "w", description: "rewrite files in place" },
  },
  examples: ["aarmc fmt policy.aarm", "aarmc fmt --check .", "aarmc fmt --write policies/"],
  async run(positionals, values, io) {
    if (values.check === true && values.write === true)
      throw new CliError("fmt: --check and --write exclude each other");
    const files = expandPaths(positionals.length === 0 ? ["."] : positionals, ".aarm", io.cwd);
    let unformatted = 0;
    let invalid = 0;
    const progress = startProgress(io, "formatting", files.length);
    for (const file of files) {
      progress.advance(file);
      const text = readText(file, io.cwd);
      const result = formatSource(text, file);
      if (result.text === null) {
        invalid++;
        io.stderr(renderDiagnostics(io, memoryHost({ [file]: text }), result.diagnostics));
        continue;
      }
      if (values.check === true) {
        if (result.text !== text) {
          unformatted++;
          io.stdout(`${file}\n`);
        }
      } else if (values.write === true) {
        if (result.text !== text) {
          writeFileSync(resolve(io.cwd, file), result.text);
          io.stderr(`formatted ${file}\n`);
        }
      } else {
        io.stdout(result.text);
      }
    }
    progress.done();
    if (invalid > 0)
      throw new CliError(`fmt: ${invalid} file${invalid === 1 ? " has" : "s have"} syntax errors`);
    if (values.check === true && unformatted > 0) {
      io.stderr(
        `${unformatted} file${unformatted === 1 ? " is" : "s are"} not formatted; run aarmc fmt --write\n`,
      );
      return EXIT.failure;
    }
    return EXIT.ok;
  },
};
