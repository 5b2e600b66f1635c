/**
 * Inputs given to `aarmc diff --tests`: the decision points of traces
 * (`*.jsonl`) and the steps of session tests (`*.test.yaml`,
 * docs/testing.md). A test session is played under the old policy as
 * `aarmc test` plays it — an action joins the history when that policy
 * releases it (ALLOW, MODIFY, or STEP_UP/DEFER that the step approves or
 * resolves) — so that each step is decided by both policies in the context
 * the session actually reaches today.
 *
 * Every file is read and checked before the search starts; a problem is bad
 * input at its file, line and column.
 *
 * @module
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { CliError } from "../errors.ts";
import { expandPaths, readText } from "../files.ts";
import { bindTestFile } from "../testing/bind.ts";
import { formatTestFileError, loadTestFile } from "../testing/load.ts";
import type { TestFile } from "../testing/model.ts";
import { SessionPlayback } from "../testing/playback.ts";
import { readTraceFile } from "../trace/load.ts";
import type { SeedInput } from "./search.ts";
import { decide, foreignTool, type Subject } from "./subject.ts";

const TRACE = /\.(jsonl|ndjson)$/;
const TEST = /\.test\.ya?ml$/;

/** The trace and test files named by `paths` (directories searched recursively), sorted. */
export function givenFiles(paths: readonly string[], cwd: string): string[] {
  const found = new Set<string>();
  for (const path of paths) {
    let directory = false;
    try {
      directory = statSync(resolve(cwd, path)).isDirectory();
    } catch {
      // expandPaths reports the missing or unreadable path below.
    }
    const files = directory
      ? [".jsonl", ".ndjson", ".test.yaml", ".test.yml"].flatMap((ext) => expandPaths([path], ext, cwd))
      : expandPaths([path], "", cwd);
    if (files.length === 0) {
      throw new CliError(`${path}: no traces (*.jsonl) or session tests (*.test.yaml) in this folder`);
    }
    for (const file of files) {
      if (!TRACE.test(file) && !TEST.test(file)) {
        throw new CliError(`${file}: expected a trace (.jsonl) or a session test file (.test.yaml)`);
      }
      found.add(file);
    }
  }
  return [...found].sort();
}

function* sessionInputs(file: TestFile, old: Subject): Generator<SeedInput, void, undefined> {
  for (const session of file.sessions) {
    const playback = new SessionPlayback(old.ir, session);
    for (const step of session.steps) {
      const input = playback.input(step);
      yield { input, source: `${file.file}:${step.loc.line}` };
      playback.settle(step, input, decide(old, input));
    }
  }
}

/** Reads and checks a session test file against either policy (a test of a new tool binds to the new one). */
function readTestFile(path: string, cwd: string, old: Subject, next: Subject): TestFile {
  const loaded = loadTestFile(readText(path, cwd), path);
  if (!loaded.ok) {
    const first = loaded.errors[0];
    throw new CliError(first === undefined ? `${path}: invalid test file` : formatTestFileError(first));
  }
  const problems = bindTestFile(loaded.file, old.checked, old.ir);
  const first = problems[0];
  if (first !== undefined && bindTestFile(loaded.file, next.checked, next.ir).length > 0) {
    throw new CliError(formatTestFileError(first));
  }
  return loaded.file;
}

function* traceInputs(
  file: string,
  cwd: string,
  subjects: readonly Subject[],
): Generator<SeedInput, void, undefined> {
  for (const point of readTraceFile(file, cwd, foreignTool(subjects))) {
    yield { input: point.input, source: `${file}:${point.line}` };
  }
}

/**
 * The inputs of the given files, in order. Every file is read and checked
 * here, before the search starts, so that a problem is reported whatever the
 * search's budget; traces are read again as the search consumes them, rather
 * than held in memory.
 */
export function givenInputs(
  files: readonly string[],
  cwd: string,
  old: Subject,
  next: Subject,
): Iterable<SeedInput> {
  const tests = new Map<string, TestFile>();
  for (const file of files) {
    if (TEST.test(file)) tests.set(file, readTestFile(file, cwd, old, next));
    else {
      for (const _ of traceInputs(file, cwd, [old, next])) {
        // Read to the end: a problem anywhere in the trace is reported now.
      }
    }
  }
  return {
    *[Symbol.iterator]() {
      for (const file of files) {
        const test = tests.get(file);
        yield* test === undefined ? traceInputs(file, cwd, [old, next]) : sessionInputs(test, old);
      }
    },
  };
}
