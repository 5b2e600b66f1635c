/**
 * `aarmc test`: run the `*.test.yaml` session tests of policies with the
 * compiled evaluator, report pass/fail per session and step, and measure
 * coverage (docs/testing.md).
 *
 * Every test file is read, and checked against its policy, before any test
 * runs: a mistake in a test file (YAML syntax, an unknown key, a tool the
 * policy does not declare) is invalid input, reported at its line and
 * column, not a failing test.
 *
 * @module
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { compile, regexSources } from "../../compiler.ts";
import type { Ir } from "../../ir/types.ts";
import type { CheckedPolicy } from "../../lang/checked.ts";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { expandPaths, readText } from "../files.ts";
import type { Io } from "../io.ts";
import { cwdHost, renderDiagnostics } from "../policy-loader.ts";
import { startProgress } from "../progress.ts";
import { bindTestFile } from "../testing/bind.ts";
import { type CoverageReport, meets, PolicyCoverage, untestedReport } from "../testing/coverage.ts";
import { findPolicies, OUTSIDE, outsideWorkingDirectory, writeAtomically } from "../testing/files.ts";
import { junitXml } from "../testing/junit.ts";
import { formatTestFileError, loadTestFile } from "../testing/load.ts";
import type { TestFile, TestFileError } from "../testing/model.ts";
import { renderCoverage, renderHuman, renderJson, summarize } from "../testing/report.ts";
import { type FileResult, runTestFile } from "../testing/runner.ts";

interface LoadedPolicy {
  readonly ir: Ir;
  readonly policy: CheckedPolicy;
  readonly regexSources: readonly (string | null)[];
}

function parseMinimum(value: string | boolean | string[] | undefined): number | null {
  if (value === undefined) return null;
  const n = typeof value === "string" && /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 0 && n <= 100))
    throw new CliError(`test: --min-coverage must be a percentage from 0 to 100, not "${String(value)}"`);
  return n;
}

/**
 * Compiles the policy a test file names, once per policy. A broken policy is
 * an error at the test file's `policy:`; its diagnostics go to `report`, to be
 * shown with the errors once the progress line is gone.
 */
function policyLoader(io: Io, report: (rendered: string) => void) {
  const host = cwdHost(io);
  const cache = new Map<string, LoadedPolicy | TestFileError>();
  return (file: TestFile): { path: string; loaded: LoadedPolicy | TestFileError } => {
    const path = relative(io.cwd, resolve(io.cwd, dirname(file.file), file.policy)) || file.policy;
    const cached = cache.get(path);
    if (cached !== undefined) return { path, loaded: cached };
    let loaded: LoadedPolicy | TestFileError;
    if (outsideWorkingDirectory(path)) {
      loaded = { file: file.file, loc: file.policyLoc, message: `policy ${path} ${OUTSIDE}` };
    } else if (host.read(path) === undefined) {
      loaded = {
        file: file.file,
        loc: file.policyLoc,
        message: `policy ${path}: no such file or not readable`,
      };
    } else {
      const result = compile(path, host);
      const errors = result.diagnostics.filter((d) => d.severity === "error");
      if (result.ir === null || result.policy === null || errors.length > 0) {
        report(renderDiagnostics(io, host, errors));
        const first = errors[0];
        const where = first?.span
          ? ` (first: ${first.span.file}:${first.span.line}:${first.span.column}: ${first.message})`
          : "";
        loaded = {
          file: file.file,
          loc: file.policyLoc,
          message: `policy ${path} has ${errors.length} error${errors.length === 1 ? "" : "s"}${where}`,
        };
      } else {
        loaded = {
          ir: result.ir,
          policy: result.policy,
          regexSources: regexSources(result.policy, result.ir),
        };
      }
    }
    cache.set(path, loaded);
    return { path, loaded };
  };
}

/** Directories among the positionals: where policies without tests are looked for. */
function folders(paths: readonly string[], cwd: string): string[] {
  return paths.filter((p) => {
    try {
      return statSync(resolve(cwd, p)).isDirectory();
    } catch {
      return false;
    }
  });
}

export const test: Command = {
  name: "test",
  summary: "run policy session tests (*.test.yaml), with coverage",
  usage: "[paths...] [--coverage] [--min-coverage N] [--junit FILE] [--format human|json]",
  description:
    "Runs every *.test.yaml file under the given paths (default: the current directory). Each file\n" +
    "names a policy and holds sessions: steps of proposed actions, each with the decision expected.\n" +
    "Steps are decided in order by the compiled evaluator, and actions that run join the session's\n" +
    "history, so multi-step attacks are tested as they would unfold. The format is in docs/testing.md.\n" +
    "--coverage reports, per policy, the rules that matched and the outcome branches reached; with\n" +
    "folders, a policy there that no test file tests counts as uncovered.\n" +
    "Exit status: 0 all pass, 1 failing steps or coverage below --min-coverage, 2 invalid test files,\n" +
    "policies or flags.",
  options: {
    coverage: { type: "boolean", description: "report rule and branch coverage" },
    "min-coverage": {
      type: "string",
      value: "N",
      description: "fail when a policy's rule coverage is below N% (implies --coverage)",
    },
    junit: { type: "string", value: "FILE", description: "also write the results as JUnit XML to FILE" },
    format: { type: "string", value: "FORMAT", description: "output format", choices: ["human", "json"] },
  },
  examples: [
    "aarmc test",
    "aarmc test policies/ --coverage --min-coverage 90",
    "aarmc test policy.test.yaml --junit reports/aarm.xml",
    "aarmc test --format json | jq '.summary'",
  ],
  async run(positionals, values, io) {
    const minimum = parseMinimum(values["min-coverage"]);
    const wantCoverage = values.coverage === true || minimum !== null;
    const paths = positionals.length === 0 ? ["."] : positionals;
    const files = expandPaths(paths, ".test.yaml", io.cwd);
    if (files.length === 0) throw new CliError(`test: no *.test.yaml files under ${paths.join(", ")}`);

    const rendered: string[] = [];
    const load = policyLoader(io, (text) => rendered.push(text));
    const errors: TestFileError[] = [];
    const ready: { file: TestFile; path: string; policy: LoadedPolicy }[] = [];
    const checking = startProgress(io, "checking", files.length);
    try {
      for (const name of files) {
        checking.advance(name);
        const loaded = loadTestFile(readText(name, io.cwd), name);
        if (!loaded.ok) {
          errors.push(...loaded.errors);
          continue;
        }
        const { path, loaded: policy } = load(loaded.file);
        if (!("ir" in policy)) {
          errors.push(policy);
          continue;
        }
        const problems = bindTestFile(loaded.file, policy.policy, policy.ir);
        if (problems.length > 0) errors.push(...problems);
        else ready.push({ file: loaded.file, path, policy });
      }
    } finally {
      checking.done();
    }
    if (errors.length > 0) {
      for (const text of rendered) io.stderr(text);
      const lines = errors.map(formatTestFileError);
      for (const line of lines.slice(0, -1)) io.stderr(`aarmc: ${line}\n`);
      throw new CliError(lines.at(-1) ?? "test: invalid test files");
    }

    const coverage = new Map<string, { coverage: PolicyCoverage; name: string }>();
    const results: FileResult[] = [];
    const testing = startProgress(io, "testing", ready.length);
    try {
      for (const { file, path, policy } of ready) {
        testing.advance(file.file);
        let entry = coverage.get(path);
        if (wantCoverage && entry === undefined) {
          const name = `${policy.ir.policy.name} ${policy.ir.policy.version}`;
          entry = { coverage: new PolicyCoverage(policy.ir, path), name };
          coverage.set(path, entry);
        }
        const underTest = { path, ir: policy.ir, regexSources: policy.regexSources };
        results.push(runTestFile(file, underTest, entry?.coverage ?? null));
      }
    } finally {
      testing.done();
    }

    let reports: CoverageReport[] = [];
    if (wantCoverage) {
      reports = [...coverage.values()].map(({ coverage: c, name }) => c.report(name));
      const dirs = folders(paths, io.cwd);
      if (dirs.length > 0) {
        for (const policy of findPolicies(dirs, io.cwd).policies)
          if (!coverage.has(policy)) reports.push(untestedReport(policy));
      }
      reports.sort((a, b) => a.policy.localeCompare(b.policy));
    }
    const coverageMet = minimum === null || reports.every((r) => r.tested && meets(r.ruleCoverage, minimum));

    if (typeof values.junit === "string") {
      const junit = values.junit;
      const path = resolve(io.cwd, junit);
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (error) {
        throw new CliError(
          `${junit}: cannot create its folder: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      writeAtomically([{ path, text: junitXml(results) }], () => junit);
    }

    if (values.format === "json") {
      io.stdout(renderJson(results, wantCoverage ? { reports, minimum, met: coverageMet } : null));
    } else {
      io.stdout(renderHuman(io, results));
      if (wantCoverage) io.stdout(renderCoverage(io, reports, minimum));
      if (!coverageMet) {
        const below = reports.filter(
          (r) => !r.tested || (minimum !== null && !meets(r.ruleCoverage, minimum)),
        );
        io.stderr(
          `rule coverage below --min-coverage ${minimum}%: ${below.map((r) => `${r.policy} (${r.tested ? `${r.ruleCoverage.percent}%` : "no tests"})`).join(", ")}\n`,
        );
      }
    }
    return summarize(results).failed > 0 || !coverageMet ? EXIT.failure : EXIT.ok;
  },
};
