/**
 * The curl walkthrough of docs/http.md works as written: its `sh` blocks run,
 * in order, in one bash process against `aarm serve` started with the
 * policy the page shows, and every `jq -e` check in them holds. The
 * walkthrough needs curl and jq; without them this test is skipped.
 */
import { execFile, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../cli/run.ts";
import { FINANCE_APPROVER, type Service, startService, TOKENS } from "./harness.ts";

const page = readFileSync(join(ROOT, "docs", "http.md"), "utf8");

function blocks(language: string): string[] {
  return [...page.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1] ?? "");
}

const tools = ["curl", "jq", "bash"].every((tool) => spawnSync("which", [tool]).status === 0);

describe.skipIf(!tools)("docs/http.md", () => {
  let service: Service;

  beforeAll(async () => {
    const [policy] = blocks("aarm");
    service = await startService(policy === undefined ? {} : { policy });
  }, 30_000);

  afterAll(async () => {
    await service.stop();
    service.cleanup();
  });

  it("runs the curl walkthrough as written", async () => {
    const script = [
      "set -euo pipefail",
      `aarm() { "${process.execPath}" "${service.entry}" "$@"; }`,
      ...blocks("sh"),
    ];
    expect(script.length).toBeGreaterThan(8);
    const identity = await service.identityToken();
    const approver = await service.identityToken(FINANCE_APPROVER);
    // Asynchronously: the service's output is read meanwhile, so its pipes never fill up.
    const result = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        "bash",
        ["--norc", "--noprofile", "-c", script.join("\n")],
        {
          cwd: service.dir,
          encoding: "utf8",
          timeout: 60_000,
          env: {
            PATH: process.env.PATH,
            AARM_URL: service.url,
            AARM_TOKEN: TOKENS.agent,
            AARM_AUDIT_TOKEN: TOKENS.auditor,
            AARM_ID_TOKEN: identity,
            AARM_APPROVER_TOKEN: TOKENS.approver,
            AARM_APPROVER_ID_TOKEN: approver,
          },
        },
        (error, stdout, stderr) =>
          resolve({ status: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
      );
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/^session ses_/m);
    expect(result.stdout).not.toMatch(/^false$/m);
    expect(result.stdout).toMatch(/^ok: 6 receipts in 1 session verified$/m);
  });
});
