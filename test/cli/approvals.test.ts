// `aarm approvals`, run as a separate process against the SQLite store of a runtime that waits in this
// process: a human in another terminal approves (or denies) what a running agent waits for.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalDesk } from "../../src/runtime/approvals/desk.ts";
import type { ApprovalNotification } from "../../src/runtime/approvals/notify.ts";
import { Keyring } from "../../src/runtime/crypto/keyring.ts";
import { nodeBackend } from "../../src/runtime/crypto/node.ts";
import type { PendingHandle } from "../../src/runtime/engine/types.ts";
import { createRuntime, type Runtime } from "../../src/runtime/runtime.ts";
import { SqliteStore } from "../../src/runtime/store/sqlite.ts";
import { policy, TestVerifier } from "../runtime/engine-harness.ts";
import { run, workspace } from "./run.ts";

const ISSUER = "https://idp.example.com";
const AUDIENCE = "aarm-approvals";

const IR = policy(`
policy payments version "1"
tool bank.pay { args { to: string, amount: number } effect write target args.to }
step_up big on bank.pay when args.amount > 1000 approvers ["group:finance"] timeout 10m because "large payment"
allow pay on bank.pay
default deny
`);

let dir: string;
let store: SqliteStore;
let runtime: Runtime;
const notifications: ApprovalNotification[] = [];
let sign: (subject: string) => Promise<string>;
let forge: (subject: string) => Promise<string>;

beforeAll(async () => {
  const key = await generateKeyPair("EdDSA", { extractable: true });
  const other = await generateKeyPair("EdDSA", { extractable: true });
  const jwk = { ...(await exportJWK(key.publicKey)), kid: "k1", alg: "EdDSA" };
  const token = (signer: Parameters<SignJWT["sign"]>[0]) => (subject: string) =>
    new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: subject })
      .setProtectedHeader({ alg: "EdDSA", kid: "k1" })
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(signer);
  sign = token(key.privateKey);
  forge = token(other.privateKey);
  dir = workspace({
    "approvers.json": JSON.stringify({
      groups: { "group:finance": ["carol@example.com", "dave@example.com"] },
      jwt: {
        audience: AUDIENCE,
        issuers: [{ issuer: ISSUER, algorithms: ["EdDSA"], keys: { keys: [jwk] } }],
      },
    }),
  });
  const opened = SqliteStore.open(join(dir, "aarm.sqlite"));
  if (!opened.ok) throw new Error(opened.error.message);
  store = opened.value;
  runtime = createRuntime({
    policy: { ir: IR },
    store,
    keyring: Keyring.generate(nodeBackend, new Date("2026-01-01T00:00:00Z")),
    identity: new TestVerifier(),
    approvals: new ApprovalDesk({
      store,
      verifier: new TestVerifier([]),
      notifiers: [{ notify: async (n) => void notifications.push(n) }],
      pollMs: 20,
    }),
    timeouts: { pendingCeilingMs: 60_000 },
  });
});

afterAll(async () => {
  await runtime.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(handle: PendingHandle): Promise<string> {
  const end = Date.now() + 5000;
  for (;;) {
    const note = notifications.find((n) => n.request.action.action_id === handle.actionId);
    if (note !== undefined) return note.request_id;
    if (Date.now() > end) throw new Error("no approval request");
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function pay(id: string, amount: number): Promise<PendingHandle> {
  const session = await runtime.startSession({
    identity: { human: "alice@example.com", service: "agent-svc", session: id },
  });
  const handle = await session.evaluate({ tool: "bank.pay", args: { to: "ACME", amount } });
  expect(handle.kind).toBe("pending");
  return handle as PendingHandle;
}

function answer(verb: "approve" | "deny", id: string, approver: string, extra: readonly string[] = []) {
  return run(
    "aarm",
    [
      "approvals",
      verb,
      id,
      "--store",
      "aarm.sqlite",
      "--approver",
      approver,
      "--config",
      "approvers.json",
      ...extra,
    ],
    { cwd: dir, env: { AARM_APPROVER_TOKEN: "" } },
  );
}

describe("aarm approvals", () => {
  it("lists and shows a pending request; approve from another process releases the waiting action once", async () => {
    const handle = await pay("sess-approve", 5000);
    const id = await waitFor(handle);

    const listed = run("aarm", ["approvals", "list", "--store", "aarm.sqlite"], { cwd: dir });
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain("pending");
    expect(listed.stdout).toContain("[APPROVAL REQUIRED]");

    const shown = run("aarm", ["approvals", "show", id, "--store", "aarm.sqlite"], { cwd: dir });
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain("bank.pay");
    expect(shown.stdout).toContain("human=alice@example.com");
    expect(shown.stdout).toContain("big: large payment");
    const digest = /digest\s+(sha256:[0-9a-f]{64})/.exec(shown.stdout)?.[1] ?? "";
    expect(digest).not.toBe("");

    writeFileSync(join(dir, "carol.jwt"), await sign("carol@example.com"));
    writeFileSync(join(dir, "forged.jwt"), await forge("carol@example.com"));
    const forged = answer("approve", id, "carol@example.com", ["--token-file", "forged.jwt"]);
    expect(forged.status).toBe(1);
    expect(forged.stderr).toContain("does not verify");
    const otherAction = answer("approve", id, "carol@example.com", [
      "--token-file",
      "carol.jwt",
      "--digest",
      `sha256:${"0".repeat(64)}`,
    ]);
    expect(otherAction.status).toBe(1);
    expect(otherAction.stderr).toContain("digest_mismatch");

    const approved = answer("approve", id, "carol@example.com", [
      "--token-file",
      "carol.jwt",
      "--digest",
      digest,
    ]);
    expect(approved.stderr).toBe("");
    expect(approved.status).toBe(0);
    expect(approved.stdout).toContain("the request is approved");
    const settled = await handle.settled;
    expect(settled).toMatchObject({ kind: "allow", decision: "STEP_UP", replay: false });

    const again = answer("approve", id, "carol@example.com", ["--token-file", "carol.jwt"]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("settled");
    const stored = await store.getApproval(id);
    expect(stored.ok && stored.value.result?.decision).toBe("approved");
  }, 90_000);

  it("deny from another process refuses the waiting action", async () => {
    const handle = await pay("sess-deny", 7000);
    const id = await waitFor(handle);
    writeFileSync(join(dir, "dave.jwt"), await sign("dave@example.com"));
    const denied = answer("deny", id, "dave@example.com", [
      "--token-file",
      "dave.jwt",
      "--reason",
      "not ours",
    ]);
    expect(denied.status).toBe(0);
    expect(denied.stdout).toContain("the request is denied");
    const settled = await handle.settled;
    expect(settled).toMatchObject({ kind: "deny", decision: "STEP_UP" });
    expect(settled.kind === "deny" && settled.reason).toContain("not ours");
  }, 60_000);

  it("reports bad input with exit code 2", { timeout: 60_000 }, () => {
    expect(run("aarm", ["approvals", "list"], { cwd: dir }).status).toBe(2);
    expect(run("aarm", ["approvals", "list", "--store", "missing.sqlite"], { cwd: dir }).status).toBe(2);
    const noToken = answer("approve", "apr_x", "carol@example.com");
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toContain("AARM_APPROVER_TOKEN");
    const help = run("aarm", ["approvals", "--help"], { cwd: dir });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--token-file");
  });
});
