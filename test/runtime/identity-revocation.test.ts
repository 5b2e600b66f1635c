// Revocation lists (AARM R6: claims checked for revocation): matching rules, the strict file format, reloading
// on change, and failing closed whenever the file cannot be trusted.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { revocationFile } from "../../src/runtime/identity/revocation-file.ts";
import {
  MemoryRevocationList,
  parseRevocationFile,
  type RevocationList,
  type RevocationQuery,
  type RevocationStatus,
} from "../../src/runtime/identity/revocation.ts";

const NOW = new Date("2026-11-22T10:00:00.000Z");
const ISSUER = "https://idp.example.com";

const jti = (value: string, issuer = ISSUER): RevocationQuery => ({ kind: "jti", value, issuer });
const subject = (value: string, issuer = ISSUER): RevocationQuery => ({ kind: "subject", value, issuer });

async function revoked(list: RevocationList, query: RevocationQuery, now = NOW): Promise<boolean> {
  const status = await list.isRevoked(query, now);
  if (!status.ok) throw new Error(status.message);
  return status.revoked;
}

describe("MemoryRevocationList", () => {
  it("matches by kind and value, scoped to an issuer when the entry names one", async () => {
    const list = new MemoryRevocationList([
      { kind: "jti", value: "tok-1" },
      { kind: "subject", value: "bob@example.com", issuer: ISSUER },
    ]);
    expect(await revoked(list, jti("tok-1"))).toBe(true);
    expect(await revoked(list, jti("tok-1", "https://other.example.com"))).toBe(true);
    expect(await revoked(list, subject("tok-1"))).toBe(false);
    expect(await revoked(list, subject("bob@example.com"))).toBe(true);
    expect(await revoked(list, subject("bob@example.com", "https://other.example.com"))).toBe(false);
  });

  it("applies a scheduled revocation from its time on", async () => {
    const list = new MemoryRevocationList();
    list.revoke({ kind: "subject", value: "carol@example.com", revokedAt: new Date(NOW.getTime() + 1000) });
    expect(await revoked(list, subject("carol@example.com"))).toBe(false);
    expect(await revoked(list, subject("carol@example.com"), new Date(NOW.getTime() + 1000))).toBe(true);
  });
});

describe("revocation file format", () => {
  const file = (revoked: unknown[], extra: object = {}) => ({
    format: "aarm-revocations/1",
    revoked,
    ...extra,
  });

  it("reads jti and subject entries with optional issuer and time", () => {
    const parsed = parseRevocationFile(
      file([{ jti: "tok-1" }, { subject: "bob", issuer: ISSUER, revoked_at: "2026-11-30T17:00:00Z" }]),
    );
    expect(parsed).toEqual({
      ok: true,
      value: [
        { kind: "jti", value: "tok-1" },
        { kind: "subject", value: "bob", issuer: ISSUER, revokedAt: new Date("2026-11-30T17:00:00Z") },
      ],
    });
  });

  it.each([
    ["a non-object", []],
    ["a wrong format", { format: "aarm-revocations/2", revoked: [] }],
    ["a missing list", { format: "aarm-revocations/1" }],
    ["an unknown top-level member", file([], { note: "x" })],
    ["a misspelt member", file([{ subjct: "bob" }])],
    ["both jti and subject", file([{ jti: "a", subject: "b" }])],
    ["neither jti nor subject", file([{ issuer: ISSUER }])],
    ["an empty value", file([{ jti: "" }])],
    ["a bad time", file([{ jti: "a", revoked_at: "yesterday" }])],
    ["a bad issuer", file([{ jti: "a", issuer: 7 }])],
  ])("refuses %s", (_, json) => {
    expect(parseRevocationFile(json).ok).toBe(false);
  });
});

describe("revocationFile", () => {
  let dir: string;
  let path: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "aarm-revocations-"));
    path = join(dir, "revoked.json");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(revoked: unknown[], target = path): void {
    writeFileSync(target, JSON.stringify({ format: "aarm-revocations/1", revoked }));
  }

  function open(maxBytes?: number): RevocationList {
    const list = revocationFile(path, maxBytes === undefined ? {} : { maxBytes });
    if (!list.ok) throw new Error(list.error);
    return list.value;
  }

  async function status(list: RevocationList, query = subject("alice")): Promise<RevocationStatus> {
    return list.isRevoked(query, NOW);
  }

  it("picks up every change, including a same-size rewrite moments after the last", async () => {
    write([{ subject: "alice" }]);
    const list = open();
    expect(await revoked(list, subject("alice"))).toBe(true);
    write([{ subject: "bobby" }]);
    expect(await revoked(list, subject("alice"))).toBe(false);
    expect(await revoked(list, subject("bobby"))).toBe(true);
    const next = join(dir, "next.json");
    write([{ subject: "alice" }, { jti: "tok-9" }], next);
    renameSync(next, path);
    expect(await revoked(list, jti("tok-9"))).toBe(true);
  });

  it("fails closed while the file is missing, malformed, too large or not UTF-8", async () => {
    const list = open(256);
    expect(await status(list)).toMatchObject({ ok: false });
    writeFileSync(path, '{"format": "aarm-revocations/1", "revoked": [{"subject": "alice"}');
    expect(await status(list)).toMatchObject({ ok: false, message: expect.stringContaining("not JSON") });
    write([{ subjct: "alice" }]);
    expect(await status(list)).toMatchObject({ ok: false, message: expect.stringContaining("subjct") });
    write(Array.from({ length: 20 }, (_, i) => ({ subject: `user-${i}` })));
    expect(await status(list)).toMatchObject({
      ok: false,
      message: expect.stringContaining("larger than 256"),
    });
    writeFileSync(path, Uint8Array.from([0x7b, 0xff, 0x7d]));
    expect(await status(list)).toMatchObject({ ok: false });
    write([]);
    expect(await status(list)).toEqual({ ok: true, revoked: false });
  });

  it("answers concurrent questions from one read", async () => {
    write([{ subject: "alice" }]);
    const list = open();
    const answers = await Promise.all(Array.from({ length: 20 }, () => status(list)));
    expect(answers.every((answer) => answer.ok && answer.revoked)).toBe(true);
  });

  it("refuses an unusable size bound", () => {
    expect(revocationFile(path, { maxBytes: 0 }).ok).toBe(false);
    expect(revocationFile(path, { maxBytes: 2 ** 40 }).ok).toBe(false);
  });
});
