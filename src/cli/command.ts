/**
 * A small command framework over `node:util` parseArgs: every command declares
 * its options with descriptions and examples, so `--help` is generated from
 * the same table that parses the arguments.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CliError, EXIT } from "./errors.ts";
import { type Io, paint } from "./io.ts";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  /** Placeholder shown in help for string options, e.g. `FILE`. */
  readonly value?: string;
  readonly description: string;
  /** Allowed values of a string option. */
  readonly choices?: readonly string[];
}

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage line after the program and command name, e.g. `[paths...] [--write]`. */
  readonly usage: string;
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples: readonly string[];
  run(positionals: readonly string[], values: ParsedValues, io: Io): Promise<number>;
}

const HELP: OptionSpec = { type: "boolean", short: "h", description: "show this help" };

/** Parses argv for a command, enforcing choices; `--help` is answered here. */
export function parseCommandArgs(
  command: Command,
  argv: readonly string[],
): { help: true } | { help: false; positionals: string[]; values: ParsedValues } {
  const options = { ...command.options, help: HELP };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(options).map(([name, spec]) => [
          name,
          {
            type: spec.type,
            ...(spec.short === undefined ? {} : { short: spec.short }),
            ...(spec.multiple === undefined ? {} : { multiple: spec.multiple }),
          },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs explains some errors over several lines; a command's error is one line.
    const message = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
    throw new CliError(`${command.name}: ${message}`);
  }
  const values = parsed.values as ParsedValues;
  if (values.help === true) return { help: true };
  for (const [name, spec] of Object.entries(command.options)) {
    const value = values[name];
    if (spec.choices !== undefined && typeof value === "string" && !spec.choices.includes(value)) {
      throw new CliError(
        `${command.name}: --${name} must be one of ${spec.choices.join(", ")}, not "${value}"`,
      );
    }
  }
  return { help: false, positionals: parsed.positionals, values };
}

/** The help text of one command. */
export function commandHelp(program: string, command: Command, io: Io): string {
  const lines = [`${paint(io, "bold", `${program} ${command.name}`)} — ${command.summary}`, ""];
  lines.push(`Usage: ${program} ${command.name} ${command.usage}`, "");
  if (command.description !== undefined) lines.push(command.description, "");
  lines.push("Options:");
  const rows = Object.entries({ ...command.options, help: HELP }).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? "    " : `-${spec.short}, `}--${name}${spec.type === "string" ? ` ${spec.value ?? "VALUE"}` : ""}`;
    const choices = spec.choices === undefined ? "" : ` (${spec.choices.join(" | ")})`;
    return [flag, spec.description + choices] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  for (const [flag, text] of rows) lines.push(`  ${flag.padEnd(width)}  ${text}`);
  lines.push("", "Examples:");
  for (const example of command.examples) lines.push(`  ${example}`);
  return `${lines.join("\n")}\n`;
}

/** The help text of a program: its commands with their summaries. */
export function programHelp(program: string, summary: string, commands: readonly Command[], io: Io): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `${paint(io, "bold", program)} — ${summary}`,
    "",
    `Usage: ${program} <command> [options]`,
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    `Run '${program} <command> --help' for a command's options and examples.`,
    "",
  ].join("\n");
}

/**
 * A command whose module is loaded only when it is needed: a program whose
 * commands bring in large dependencies (an MCP client, an HTTP server,
 * OpenTelemetry) starts in a fraction of the time when it loads only the one
 * it runs. That matters for commands run once per event, like a hook.
 */
export interface CommandModule {
  readonly name: string;
  load(): Promise<Command>;
}

async function loaded(entry: Command | CommandModule): Promise<Command> {
  if (!("load" in entry)) return entry;
  const command = await entry.load();
  if (command.name !== entry.name) throw new Error(`command "${entry.name}" loads "${command.name}"`);
  return command;
}

/**
 * Runs a program: dispatches to a command, answers `--help` and `--version`,
 * and turns every failure into a one-line message and an exit code. An
 * unexpected exception is reported as an internal error (exit 2) without a
 * stack trace unless AARM_DEBUG is set.
 */
export async function runProgram(
  program: string,
  summary: string,
  version: string,
  commands: readonly (Command | CommandModule)[],
  argv: readonly string[],
  io: Io,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(programHelp(program, summary, await Promise.all(commands.map(loaded)), io));
    return name === undefined ? EXIT.invalid : EXIT.ok;
  }
  if (name === "--version" || name === "-V") {
    io.stdout(`${version}\n`);
    return EXIT.ok;
  }
  const entry = commands.find((c) => c.name === name);
  if (entry === undefined) {
    io.stderr(`${program}: unknown command "${name}"; run '${program} --help' for the list\n`);
    return EXIT.invalid;
  }
  try {
    const command = await loaded(entry);
    const parsed = parseCommandArgs(command, rest);
    if (parsed.help) {
      io.stdout(commandHelp(program, command, io));
      return EXIT.ok;
    }
    return await command.run(parsed.positionals, parsed.values, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`${program}: ${error.message}\n`);
      return error.exitCode;
    }
    const detail = process.env.AARM_DEBUG && error instanceof Error ? `\n${error.stack ?? ""}` : "";
    io.stderr(
      `${program}: internal error: ${error instanceof Error ? error.message : String(error)}${detail}\n`,
    );
    return EXIT.invalid;
  }
}
