/**
 * `aarm gateway` with approvers configured: a STEP_UP waits in the store
 * until a person answers it with `aarm approvals` from another process. The
 * built CLI runs the gateway in front of the real filesystem server, an MCP
 * client calls a tool the policy steps up, and the approver answers with a
 * signed token verified against the issuers of the same approvers file.
 * Whether the upstream ran is checked by its effect: the file written or not.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readGatewayConfig } from "../../../src/adapters/mcp/config.ts";
import type { ApprovalRecord } from "../../../src/runtime/store/types.ts";
import { cliEntry, ROOT, run, workspace } from "../../cli/run.ts";

const FS_SERVER = join(ROOT, "node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
const ISSUER = "https://idp.example.com";
const AUDIENCE = "aarm-approvals";

const POLICY = `
policy gateway_approvals version "1"
tool fs.write_file { args { path: string, content: string } effect write target args.path }
step_up writes on fs.write_file approvers ["group:ops"] quorum 1 timeout 5m because "writes need ops"
default deny
`;

type CallResult = Awaited<ReturnType<Client["callTool"]>>;

let dir: string;
let sandbox: string;
let client: Client;
let jwk: object;
let sign: (subject: string) => Promise<string>;
let forge: (subject: string) => Promise<string>;

function approvals(args: readonly string[]) {
  return run("aarm", ["approvals", ...args, "--store", "aarm.sqlite"], {
    cwd: dir,
    env: { AARM_APPROVER_TOKEN: "" },
  });
}

function answer(verb: "approve" | "deny", id: string, approver: string, tokenFile: string) {
  return approvals([
    verb,
    id,
    "--approver",
    approver,
    "--config",
    "approvers.json",
    "--token-file",
    tokenFile,
  ]);
}

/** The one pending request, as `aarm approvals list` shows it. */
async function pendingRequest(): Promise<ApprovalRecord> {
  const end = Date.now() + 20_000;
  for (;;) {
    const listed = approvals(["list", "--json"]);
    expect(listed.status).toBe(0);
    const records = JSON.parse(listed.stdout) as ApprovalRecord[];
    if (records.length > 0) {
      expect(records).toHaveLength(1);
      return records[0] as ApprovalRecord;
    }
    if (Date.now() > end) throw new Error("no approval request");
    await new Promise((r) => setTimeout(r, 100));
  }
}

function decisionOf(result: CallResult): string | undefined {
  const meta = result._meta as { "aarm/decision"?: { decision: string } } | undefined;
  return meta?.["aarm/decision"]?.decision;
}

beforeAll(async () => {
  const key = await generateKeyPair("EdDSA", { extractable: true });
  const other = await generateKeyPair("EdDSA", { extractable: true });
  jwk = { ...(await exportJWK(key.publicKey)), kid: "k1", alg: "EdDSA" };
  const token = (signer: Parameters<SignJWT["sign"]>[0]) => (subject: string) =>
    new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: subject })
      .setProtectedHeader({ alg: "EdDSA", kid: "k1" })
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(signer);
  sign = token(key.privateKey);
  forge = token(other.privateKey);
  dir = workspace({
    "policy.aarm": POLICY,
    "approvers.json": JSON.stringify({
      groups: { "group:ops": ["carol@example.com", "dave@example.com"] },
      jwt: {
        audience: AUDIENCE,
        issuers: [{ issuer: ISSUER, algorithms: ["EdDSA"], keys: { keys: [jwk] } }],
      },
    }),
    "carol.jwt": await sign("carol@example.com"),
    "dave.jwt": await sign("dave@example.com"),
    "forged.jwt": await forge("carol@example.com"),
  });
  mkdirSync(join(dir, "sandbox"));
  sandbox = realpathSync(join(dir, "sandbox"));
  // The gateway and `aarm approvals` read the same approvers file.
  writeFileSync(
    join(dir, "gateway.yaml"),
    [
      "policy: policy.aarm",
      "store: aarm.sqlite",
      "keys: keys",
      "identity: { human: alice@example.com, agent: notes-assistant }",
      "approvers: approvers.json",
      "upstreams:",
      `  fs: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(FS_SERVER)}, ${JSON.stringify(sandbox)}] }`,
      "limits: { pendingTimeoutMs: 40000 }",
      "",
    ].join("\n"),
  );
  client = new Client({ name: "gateway-approvals-test", version: "0.0.1" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [cliEntry("aarm"), "gateway", "--config", join(dir, "gateway.yaml")],
      cwd: dir,
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "" },
    }),
  );
}, 60_000);

afterAll(async () => {
  await client?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("aarm gateway with approvers", () => {
  test("a STEP_UP is released by `aarm approvals approve` from another process, not by a forged token", async () => {
    const target = join(sandbox, "approved.txt");
    const call = client.callTool(
      { name: "fs.write_file", arguments: { path: target, content: "approved by carol" } },
      undefined,
      { timeout: 60_000 },
    );
    const record = await pendingRequest();
    const id = record.request.request_id;
    expect(record.request.action.tool).toBe("fs.write_file");
    expect(record.request.requirement.approvers).toEqual(["group:ops"]);
    const listed = approvals(["list"]);
    expect(listed.stdout).toContain(`${id}  pending  [APPROVAL REQUIRED]`);

    const forged = answer("approve", id, "carol@example.com", "forged.jwt");
    expect(forged.status).toBe(1);
    expect(forged.stderr).toContain("does not verify");
    await new Promise((r) => setTimeout(r, 700)); // longer than the gateway's poll of the store
    expect(existsSync(target)).toBe(false);
    expect(approvals(["list"]).stdout).toContain(`${id}  pending`);

    const approved = answer("approve", id, "carol@example.com", "carol.jwt");
    expect(approved.stderr).toBe("");
    expect(approved.status).toBe(0);
    expect(approved.stdout).toContain("the request is approved");
    const result = await call;
    expect(result.isError).not.toBe(true);
    expect(readFileSync(target, "utf8")).toBe("approved by carol");
  }, 90_000);

  test("a STEP_UP denied with `aarm approvals deny` is refused and never reaches the upstream", async () => {
    const target = join(sandbox, "denied.txt");
    const call = client.callTool(
      { name: "fs.write_file", arguments: { path: target, content: "denied by dave" } },
      undefined,
      { timeout: 60_000 },
    );
    const id = (await pendingRequest()).request.request_id;
    const denied = answer("deny", id, "dave@example.com", "dave.jwt");
    expect(denied.status).toBe(0);
    expect(denied.stdout).toContain("the request is denied");
    const result = await call;
    expect(result.isError).toBe(true);
    expect(decisionOf(result)).toBe("STEP_UP");
    expect(existsSync(target)).toBe(false);
  }, 90_000);
});

describe("the gateway configuration's approvers", () => {
  const approvers = () => ({
    groups: { "group:ops": ["carol@example.com"] },
    jwt: { audience: AUDIENCE, issuers: [{ issuer: ISSUER, algorithms: ["EdDSA"], keys: { keys: [jwk] } }] },
  });

  test("are read inline or named by file, relative to the configuration's folder", () => {
    const inline = readGatewayConfig(JSON.stringify({ approvers: approvers() }), "/etc/aarm");
    expect(inline.ok && typeof inline.value.approvers === "object").toBe(true);
    if (inline.ok && typeof inline.value.approvers === "object")
      expect(inline.value.approvers.directory).toEqual({ groups: { "group:ops": ["carol@example.com"] } });
    expect(readGatewayConfig("approvers: approvers.json", "/etc/aarm")).toEqual({
      ok: true,
      value: { approvers: "/etc/aarm/approvers.json" },
    });
  });

  test("are refused with the problem when malformed", () => {
    const problem = (value: unknown) => {
      const read = readGatewayConfig(JSON.stringify({ approvers: value }), "/");
      return read.ok ? "accepted" : read.error;
    };
    expect(problem({ groups: approvers().groups })).toContain('/approvers: "jwt"');
    expect(problem({ ...approvers(), groups: { "group:ops": "carol" } })).toContain('"groups" must map');
    expect(problem({ ...approvers(), group: {} })).toContain('"group": unknown field');
    expect(problem({ jwt: { audience: AUDIENCE, issuers: [] } })).toContain("/approvers: jwt:");
    expect(problem(7)).toContain("/approvers: expected");
    expect(problem("")).toContain("/approvers: expected");
  });
});
