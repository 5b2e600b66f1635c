/**
 * `aarm trace`: a stored session as a decision trace (`docs/trace.md`), for
 * `aarmc replay` to decide again, under the same policy or a changed one.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { SqliteStore } from "../../runtime/store/sqlite.ts";
import { exportTrace } from "../../runtime/trace/export.ts";
import { TraceWriter } from "../../runtime/trace/writer.ts";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";

export const trace: Command = {
  name: "trace",
  summary: "export stored sessions as a decision trace for aarmc replay",
  usage: "--db <store.sqlite> --session <id> [--session <id>…] [-o <trace.jsonl>]",
  description:
    "Writes every decision the policy made in the sessions, with the input it was made on (rebuilt\n" +
    "from the session's verified context log), and every outcome, as JSON lines. A session whose log\n" +
    "fails verification is not exported. Exit 0: written; 2: bad input (no such store or session).",
  options: {
    db: { type: "string", value: "FILE", description: "the SQLite store (opened read-only)" },
    session: { type: "string", multiple: true, value: "ID", description: "a session to export (repeatable)" },
    output: {
      type: "string",
      short: "o",
      value: "FILE",
      description: "write the trace here (default: stdout)",
    },
  },
  examples: [
    "aarm trace --db aarm.sqlite --session s-42 -o s-42.jsonl",
    "aarmc replay policy.aarm s-42.jsonl",
  ],
  async run(positionals, values, io) {
    if (positionals.length > 0) throw new CliError(`trace: unexpected argument "${positionals[0]}"`);
    if (typeof values.db !== "string") throw new CliError("trace: --db is required");
    const sessions = Array.isArray(values.session) ? values.session : [];
    if (sessions.length === 0) throw new CliError("trace: name at least one --session");
    const opened = SqliteStore.open(resolve(io.cwd, values.db), { readOnly: true });
    if (!opened.ok) throw new CliError(`${values.db}: ${opened.error.message}`);
    const lines: string[] = [];
    try {
      const writer = new TraceWriter();
      for (const session of sessions) {
        const exported = await exportTrace(opened.value, session, writer);
        if (!exported.ok) throw new CliError(`${values.db}: ${exported.message}`);
        lines.push(...exported.lines);
      }
    } finally {
      await opened.value.close();
    }
    const text = lines.map((line) => `${line}\n`).join("");
    if (typeof values.output === "string") {
      try {
        writeFileSync(resolve(io.cwd, values.output), text);
      } catch {
        throw new CliError(`${values.output}: cannot be written`);
      }
    } else {
      io.stdout(text);
    }
    return EXIT.ok;
  },
};
