/**
 * One hook invocation from end to end: the configuration, stdin read up to
 * its size bound, the answer, all within the hook's own deadline.
 *
 * The deadline counts from the start of the process, since Claude Code's
 * timeout does too, and it is set well below that timeout (a hook that times
 * out lets the call through). When it passes, the answer is a blocking
 * denial, whatever the work was doing; an answer reached after it (the
 * event loop was held by synchronous work) is turned into one as well.
 *
 * @module
 */
import { messageOf } from "../../runtime/engine/bounded.ts";
import { type HookOverrides, loadHookConfig } from "./config.ts";
import { answerHookInput } from "./hook.ts";
import { failure, type HookAnswer } from "./output.ts";

/** What one invocation needs from its process. */
export interface HookProcess {
  /** The hook input. */
  readonly stdin: AsyncIterable<Uint8Array | string>;
  readonly overrides: HookOverrides;
  /** The working directory, against which relative flags resolve. */
  readonly cwd: string;
  /** The project (Claude Code's `CLAUDE_PROJECT_DIR`), where `.aarm/hook.json` is looked for. */
  readonly projectDir: string;
  /** When the process started (epoch ms): the deadline counts from it. */
  readonly startedAt: number;
}

/** The input text, or why it is refused: larger than `max` bytes, or not UTF-8. */
export async function readBounded(
  stream: AsyncIterable<Uint8Array | string>,
  max: number,
): Promise<{ readonly ok: true; readonly text: string } | { readonly ok: false; readonly problem: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
    size += bytes.length;
    if (size > max) return { ok: false, problem: `the hook input is larger than ${max} bytes` };
    chunks.push(bytes);
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks)) };
  } catch {
    return { ok: false, problem: "the hook input is not UTF-8" };
  }
}

/** Answers one hook invocation; never rejects. */
export async function runClaudeCodeHook(process: HookProcess): Promise<HookAnswer> {
  const loaded = loadHookConfig(process.overrides, process.cwd, process.projectDir);
  if (!loaded.ok) return failure(`the hook is not configured: ${loaded.problem}`, true);
  const config = loaded.config;
  const deadline = process.startedAt + config.deadlineMs;
  const late = failure(`the hook's deadline of ${config.deadlineMs} ms passed before a decision`, true);
  if (Date.now() >= deadline) return late;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<HookAnswer>((resolve) => {
    timer = setTimeout(() => resolve(late), deadline - Date.now());
  });
  const work = (async (): Promise<HookAnswer> => {
    const input = await readBounded(process.stdin, config.maxInputBytes);
    if (!input.ok) return failure(input.problem, true);
    return answerHookInput(input.text, config, deadline);
  })().catch((caught: unknown) => failure(`internal error: ${messageOf(caught)}`, true));
  try {
    const answer = await Promise.race([work, expired]);
    return Date.now() > deadline ? late : answer;
  } finally {
    clearTimeout(timer);
  }
}
