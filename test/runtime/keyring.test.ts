// Keyrings (rotation, lookup by key id), the key directory store and published public key sets.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeBase64url } from "../../src/runtime/crypto/base64url.ts";
import { signDocument, verifyDocument } from "../../src/runtime/crypto/document.ts";
import { exportPublicKeys, importPublicKeys } from "../../src/runtime/crypto/key-json.ts";
import {
  createKeyDirectory,
  type KeyDirectoryResult,
  loadKeyDirectory,
  MANIFEST_FILE,
  saveKeyring,
} from "../../src/runtime/crypto/keydir.ts";
import { Keyring } from "../../src/runtime/crypto/keyring.ts";
import { nobleBackend } from "../../src/runtime/crypto/noble.ts";
import { nodeBackend } from "../../src/runtime/crypto/node.ts";
import { keyIdFor } from "../../src/runtime/crypto/signer.ts";
import { sha256Hex } from "../../src/schema/canonical.ts";

const DAY1 = new Date("2026-11-22T10:00:00.000Z");
const DAY2 = new Date("2026-12-01T08:30:00.000Z");
const receipt = { receipt_id: "rct_7", decision: { result: "DENY" } };

function sign(keyring: Keyring, doc: Record<string, unknown>): Record<string, unknown> {
  const result = signDocument(doc, keyring.signer);
  if (!result.ok) throw new Error("signing failed");
  return result.document;
}

function ok<T>(result: KeyDirectoryResult<T>): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe("keyring", () => {
  it("names keys aarm-<date>-<8 hex of the public key hash>", () => {
    const keyring = Keyring.generate(nodeBackend, DAY1);
    const hash = sha256Hex(keyring.signer.publicKey).slice(0, 8);
    expect(keyring.activeKeyId).toBe(`aarm-2026-11-22-${hash}`);
    expect(keyIdFor(keyring.signer.publicKey, DAY1)).toBe(keyring.activeKeyId);
    expect(keyring.get(keyring.activeKeyId)).toMatchObject({
      algorithm: "Ed25519",
      createdAt: DAY1.toISOString(),
    });
  });

  it("after rotation signs with the new key and still verifies what the retired key signed", () => {
    const before = Keyring.generate(nodeBackend, DAY1);
    const old = sign(before, receipt);
    const after = before.rotate(DAY2);
    expect(after.activeKeyId).not.toBe(before.activeKeyId);
    expect(after.activeKeyId.startsWith("aarm-2026-12-01-")).toBe(true);
    const fresh = sign(after, receipt);
    expect((fresh.signature as { key_id: string }).key_id).toBe(after.activeKeyId);
    expect(verifyDocument(old, after)).toEqual({ ok: true });
    expect(verifyDocument(fresh, after)).toEqual({ ok: true });
    expect(after.records().map((record) => record.keyId)).toEqual([before.activeKeyId, after.activeKeyId]);
    // The keyring before rotation never learns the new key.
    expect(verifyDocument(fresh, before)).toMatchObject({ ok: false, reason: "unknown_key" });
  });

  it("rejects an unknown key id as unknown_key, distinct from a bad signature", () => {
    const keyring = Keyring.generate(nodeBackend, DAY1);
    const message = new Uint8Array([1, 2, 3]);
    const signature = keyring.signer.sign(message);
    expect(keyring.verify("aarm-2026-01-01-00000000", message, signature)).toEqual({
      ok: false,
      reason: "unknown_key",
    });
    expect(keyring.verify(keyring.activeKeyId, new Uint8Array([1, 2, 4]), signature)).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("does not reveal the private key when logged or serialised", () => {
    const keyring = Keyring.generate(nodeBackend, DAY1);
    const seed = keyring.exportActiveSeed();
    const bytes = [...seed].join(",");
    expect(JSON.stringify(keyring).replaceAll(/"\d+":/g, "")).not.toContain(bytes);
    expect(
      inspect(keyring, { depth: 10, breakLength: Number.POSITIVE_INFINITY }).replaceAll(" ", ""),
    ).not.toContain(bytes);
    // The check itself can see a seed: the signer's public key shows up in both renderings.
    expect(JSON.stringify(keyring).replaceAll(/"\d+":/g, "")).toContain(
      [...keyring.signer.publicKey].join(","),
    );
  });

  it("restores from a seed only with consistent records", () => {
    const keyring = Keyring.generate(nodeBackend, DAY1);
    const seed = keyring.exportActiveSeed();
    const restored = Keyring.restore(
      nobleBackend,
      { seed, keyId: keyring.activeKeyId, createdAt: DAY1.toISOString() },
      [],
    );
    expect(restored.ok && verifyDocument(sign(restored.value, receipt), keyring)).toEqual({ ok: true });
    expect(
      Keyring.restore(nodeBackend, { seed, keyId: "../escape", createdAt: DAY1.toISOString() }, []),
    ).toEqual({
      ok: false,
      error: '"../escape" is not a valid key id',
    });
    const duplicate = Keyring.restore(
      nodeBackend,
      { seed, keyId: keyring.activeKeyId, createdAt: DAY1.toISOString() },
      keyring.records(),
    );
    expect(duplicate).toMatchObject({ ok: false, error: expect.stringContaining("more than once") });
  });
});

describe("public key sets", () => {
  it("let an offline verifier check receipts of every period, with no private material", () => {
    const first = Keyring.generate(nodeBackend, DAY1);
    const old = sign(first, receipt);
    const second = first.rotate(DAY2);
    const published = JSON.parse(JSON.stringify(exportPublicKeys(second)));
    expect(JSON.stringify(published)).not.toContain(encodeBase64url(second.exportActiveSeed()));
    const offline = importPublicKeys(published, nobleBackend);
    if (!offline.ok) throw new Error(offline.error);
    expect(verifyDocument(old, offline.value)).toEqual({ ok: true });
    expect(verifyDocument(sign(second, receipt), offline.value)).toEqual({ ok: true });
  });

  it("are parsed strictly", () => {
    const set = exportPublicKeys(Keyring.generate(nodeBackend, DAY1));
    const key = set.keys[0]!;
    expect(importPublicKeys({ ...set, keys: [{ ...key, public_key: "AAAA" }] }, nodeBackend)).toEqual({
      ok: false,
      error: "keys[0]: public_key is 3 bytes, expected 32",
    });
    expect(importPublicKeys({ ...set, keys: [{ ...key, private_key: "x" }] }, nodeBackend)).toEqual({
      ok: false,
      error: "keys[0]: unexpected member private_key",
    });
    expect(importPublicKeys({ ...set, keys: [key, key] }, nodeBackend)).toMatchObject({ ok: false });
  });
});

describe("key directory", () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "aarm-keys-"));
    dir = join(root, "keys");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const keyFile = (keyId: string) => join(dir, `${keyId}.json`);
  const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const rewrite = (file: string, change: (json: Record<string, unknown>) => Record<string, unknown>) =>
    writeFileSync(file, JSON.stringify(change(readJson(file))), { mode: 0o600 });
  const loadError = () => {
    const result = loadKeyDirectory(dir, nodeBackend);
    if (result.ok) throw new Error("expected the key directory to be refused");
    return result.error;
  };

  it("round-trips a keyring: the loaded keyring signs as and verifies like the saved one", () => {
    const created = ok(createKeyDirectory(dir, nodeBackend, DAY1));
    const loaded = ok(loadKeyDirectory(dir, nodeBackend));
    expect(loaded.activeKeyId).toBe(created.activeKeyId);
    expect(loaded.records()).toEqual(created.records());
    const doc = sign(created, receipt);
    expect(sign(loaded, receipt)).toEqual(doc);
    expect(verifyDocument(doc, ok(loadKeyDirectory(dir, nobleBackend)))).toEqual({ ok: true });
  });

  it("writes the directory 0700 and every key file 0600, with no temporary files left", () => {
    const keyring = ok(createKeyDirectory(dir, nodeBackend, DAY1));
    ok(saveKeyring(dir, keyring.rotate(DAY2)));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(3);
    for (const name of names) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    expect(names.filter((name) => name.startsWith("."))).toEqual([]);
  });

  it("keeps only the active private key on disk after rotation, and old receipts verify after reload", () => {
    const first = ok(createKeyDirectory(dir, nodeBackend, DAY1));
    const old = sign(first, receipt);
    const second = first.rotate(DAY2);
    ok(saveKeyring(dir, second));
    expect(readJson(keyFile(first.activeKeyId))).not.toHaveProperty("private_key");
    expect(readJson(keyFile(second.activeKeyId))).toHaveProperty("private_key");
    expect(readJson(join(dir, MANIFEST_FILE))).toEqual({
      format: "aarm-keyring/1",
      active_key_id: second.activeKeyId,
    });
    const reloaded = ok(loadKeyDirectory(dir, nodeBackend));
    expect(reloaded.activeKeyId).toBe(second.activeKeyId);
    expect(verifyDocument(old, reloaded)).toEqual({ ok: true });
  });

  it("survives a crash after the manifest commit: the stale private key is ignored and removed on save", () => {
    const first = ok(createKeyDirectory(dir, nodeBackend, DAY1));
    const staleFile = readFileSync(keyFile(first.activeKeyId), "utf8");
    const second = ok(saveKeyring(dir, first.rotate(DAY2)));
    writeFileSync(keyFile(first.activeKeyId), staleFile, { mode: 0o600 });
    const reloaded = ok(loadKeyDirectory(dir, nodeBackend));
    expect(reloaded.activeKeyId).toBe(second.activeKeyId);
    ok(saveKeyring(dir, reloaded));
    expect(readJson(keyFile(first.activeKeyId))).not.toHaveProperty("private_key");
  });

  it("refuses to initialise over an existing keyring", () => {
    ok(createKeyDirectory(dir, nodeBackend, DAY1));
    const again = createKeyDirectory(dir, nodeBackend, DAY2);
    expect(again).toMatchObject({ ok: false, error: { file: join(dir, MANIFEST_FILE) } });
  });

  it("names the file when a key file is corrupted", () => {
    const keyring = ok(createKeyDirectory(dir, nodeBackend, DAY1));
    const file = keyFile(keyring.activeKeyId);
    const original = readFileSync(file, "utf8");
    const cases: [(json: Record<string, unknown>) => Record<string, unknown>, string][] = [
      [(json) => ({ ...json, private_key: "not base64url!" }), "private_key is not valid unpadded base64url"],
      [(json) => ({ ...json, public_key: encodeBase64url(new Uint8Array(31)) }), "public_key is 31 bytes"],
      [(json) => ({ ...json, private_key: encodeBase64url(new Uint8Array(33)) }), "private_key is 33 bytes"],
      [
        (json) => ({ ...json, private_key: encodeBase64url(new Uint8Array(32)) }),
        "does not match public_key",
      ],
      [(json) => ({ ...json, key_id: "aarm-other" }), "must be named aarm-other.json"],
      [(json) => ({ ...json, format: "v0" }), "format must be"],
      [(json) => ({ ...json, comment: "x" }), "unexpected member comment"],
      [({ private_key: _, ...json }) => json, "is the active key but holds no private_key"],
    ];
    for (const [change, problem] of cases) {
      writeFileSync(file, original, { mode: 0o600 });
      rewrite(file, change);
      const error = loadError();
      expect(error.file).toBe(file);
      expect(error.message).toContain(file);
      expect(error.message).toContain(problem);
    }
    writeFileSync(file, "{ not json", { mode: 0o600 });
    expect(loadError()).toMatchObject({ file, message: expect.stringContaining("not valid JSON") });
  });

  it("names a corrupted retired key file too", () => {
    const first = ok(createKeyDirectory(dir, nodeBackend, DAY1));
    ok(saveKeyring(dir, first.rotate(DAY2)));
    const file = keyFile(first.activeKeyId);
    rewrite(file, (json) => ({ ...json, public_key: `${json.public_key}A` }));
    expect(loadError()).toMatchObject({ file, message: expect.stringContaining("public_key") });
  });

  it("refuses a private key file that group or others can read", () => {
    const keyring = ok(createKeyDirectory(dir, nodeBackend, DAY1));
    const file = keyFile(keyring.activeKeyId);
    chmodSync(file, 0o644);
    expect(loadError()).toMatchObject({ file, message: expect.stringContaining("0644 are too open") });
  });

  it("names the manifest when it is missing, malformed or points at no key", () => {
    ok(createKeyDirectory(dir, nodeBackend, DAY1));
    const manifest = join(dir, MANIFEST_FILE);
    writeFileSync(manifest, JSON.stringify({ format: "aarm-keyring/1", active_key_id: "aarm-none" }));
    expect(loadError()).toMatchObject({
      file: manifest,
      message: expect.stringContaining("aarm-none.json is missing"),
    });
    writeFileSync(manifest, JSON.stringify({ format: "aarm-keyring/1" }));
    expect(loadError()).toMatchObject({ file: manifest, message: expect.stringContaining("active_key_id") });
    rmSync(manifest);
    expect(loadError()).toMatchObject({ file: manifest, message: expect.stringContaining("cannot read") });
    expect(loadKeyDirectory(join(root, "absent"), nodeBackend)).toMatchObject({
      ok: false,
      error: { file: join(root, "absent") },
    });
  });
});
