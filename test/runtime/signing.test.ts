// Ed25519 signers on both backends, strict base64url, and signed documents (the receipt signature format).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "../../src/runtime/crypto/base64url.ts";
import { signDocument, verifyDocument } from "../../src/runtime/crypto/document.ts";
import { Keyring, VerificationKeyring } from "../../src/runtime/crypto/keyring.ts";
import { nobleBackend, nobleSigner, nobleVerify } from "../../src/runtime/crypto/noble.ts";
import { nodeBackend, nodeSigner, nodeVerify } from "../../src/runtime/crypto/node.ts";
import type { Signer } from "../../src/runtime/crypto/signer.ts";
import { canonicalize } from "../../src/schema/canonical.ts";
import { propertyParams } from "../support/property.ts";

const hex = (text: string) => Uint8Array.from(Buffer.from(text, "hex"));
const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const messageArb = fc.uint8Array({ maxLength: 512 });
const NOW = new Date("2026-11-22T10:00:00.000Z");

function signed(doc: Record<string, unknown>, signer: Signer): Record<string, unknown> {
  const result = signDocument(doc, signer);
  if (!result.ok) throw new Error(`signing failed: ${JSON.stringify(result.error)}`);
  return result.document;
}

function canon(value: unknown): string {
  const result = canonicalize(value);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe("Ed25519 backends", () => {
  // RFC 8032 §7.1, tests 1 and 2.
  const rfc8032 = [
    {
      seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
      publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
      message: "",
      signature:
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    },
    {
      seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
      publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
      message: "72",
      signature:
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    },
  ];

  it.each(rfc8032)("both reproduce the RFC 8032 vector for public key $publicKey", (vector) => {
    for (const make of [nodeSigner, nobleSigner]) {
      const signer = make(hex(vector.seed), "rfc8032");
      expect(Buffer.from(signer.publicKey).toString("hex")).toBe(vector.publicKey);
      expect(Buffer.from(signer.sign(hex(vector.message))).toString("hex")).toBe(vector.signature);
    }
  });

  it("produce byte-identical public keys and signatures", () => {
    fc.assert(
      fc.property(seedArb, messageArb, (seed, message) => {
        const node = nodeSigner(seed, "k");
        const noble = nobleSigner(seed, "k");
        expect(node.publicKey).toEqual(noble.publicKey);
        expect(node.sign(message)).toEqual(noble.sign(message));
        expect(nodeBackend.publicKey(seed)).toEqual(nobleBackend.publicKey(seed));
      }),
      propertyParams(100),
    );
  });

  it("each verifies the other's signatures and both reject a different message", () => {
    fc.assert(
      fc.property(seedArb, messageArb, fc.nat(), (seed, message, position) => {
        const node = nodeSigner(seed, "k");
        const noble = nobleSigner(seed, "k");
        expect(nobleVerify(node.publicKey, message, node.sign(message))).toBe(true);
        expect(nodeVerify(noble.publicKey, message, noble.sign(message))).toBe(true);
        const other = Uint8Array.from([...message, 0]);
        if (message.length > 0) other[position % message.length]! ^= 1;
        const signature = node.sign(message);
        expect(nodeVerify(node.publicKey, other, signature)).toBe(false);
        expect(nobleVerify(node.publicKey, other, signature)).toBe(false);
      }),
      propertyParams(100),
    );
  });

  it("agree on rejecting malleable and degenerate signatures (RFC 8032 strict rules)", () => {
    const signer = nodeSigner(hex(rfc8032[0]!.seed), "k");
    const message = new TextEncoder().encode("receipt");
    const signature = signer.sign(message);
    // S + L encodes the same scalar; accepting it would let anyone re-spell a signature.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
    const malleated = Uint8Array.from(signature);
    s += L;
    for (let i = 32; i < 64; i++, s >>= 8n) malleated[i] = Number(s & 0xffn);
    // The identity point as a public key, with R = identity and S = 0, satisfies the equation for every message.
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const trivial = new Uint8Array(64);
    trivial[0] = 1;
    for (const verify of [nodeVerify, nobleVerify]) {
      expect(verify(signer.publicKey, message, signature)).toBe(true);
      expect(verify(signer.publicKey, message, malleated)).toBe(false);
      expect(verify(identity, message, trivial)).toBe(false);
      expect(verify(signer.publicKey, message, signature.subarray(0, 63))).toBe(false);
      expect(verify(signer.publicKey.subarray(0, 31), message, signature)).toBe(false);
      expect(verify(new Uint8Array(32).fill(0xff), message, signature)).toBe(false);
    }
  });

  it("refuse seeds that are not 32 bytes", () => {
    expect(() => nodeSigner(new Uint8Array(31), "k")).toThrow(RangeError);
    expect(() => nobleSigner(new Uint8Array(64), "k")).toThrow(RangeError);
  });
});

describe("base64url", () => {
  it("encodes as Node's base64url and decodes back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = encodeBase64url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString("base64url"));
        expect(decodeBase64url(text)).toEqual(bytes);
      }),
      propertyParams(300),
    );
  });

  it("accepts exactly one spelling per byte string", () => {
    expect(decodeBase64url("AQ")).toEqual(Uint8Array.from([1]));
    expect(decodeBase64url("AR")).toBeNull(); // nonzero unused bits
    expect(decodeBase64url("AQ==")).toBeNull(); // padding
    expect(decodeBase64url("A")).toBeNull(); // impossible length
    expect(decodeBase64url("AQ+/")).toBeNull(); // base64, not base64url
    expect(decodeBase64url("AQ D")).toBeNull();
  });
});

describe("signed documents", () => {
  const receipt = {
    receipt_id: "rct_01",
    action: { tool: "bank.send_money", parameters: { amount: 1200, recipient: "CH93-0076" } },
    decision: { result: "STEP_UP", policy: { hash: "sha256:00ff" } },
  };

  it("attach an Ed25519 signature with the key id and verify on either backend", () => {
    const keyring = Keyring.generate(nodeBackend, NOW);
    const doc = signed(receipt, keyring.signer);
    expect(doc.signature).toEqual({
      algorithm: "Ed25519",
      key_id: keyring.activeKeyId,
      value: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/),
    });
    expect(verifyDocument(doc, keyring)).toEqual({ ok: true });
    const portable = VerificationKeyring.fromRecords(nobleBackend, keyring.records());
    expect(portable.ok && verifyDocument(doc, portable.value)).toEqual({ ok: true });
  });

  it("sign the canonical form without the signature member, so storage may reformat and reorder", () => {
    const keyring = Keyring.generate(nodeBackend, NOW);
    const doc = signed(receipt, keyring.signer);
    const { signature, ...body } = doc;
    const value = (signature as { value: string }).value;
    const bytes = new TextEncoder().encode(canon(body));
    expect(nodeVerify(keyring.signer.publicKey, bytes, decodeBase64url(value)!)).toBe(true);
    const reformatted = JSON.parse(JSON.stringify({ signature, ...body }, null, 2));
    expect(verifyDocument(reformatted, keyring)).toEqual({ ok: true });
  });

  it("accept documents typed by interfaces, as generated schema types are", () => {
    interface Receipt {
      readonly receipt_id: string;
      readonly decision: { readonly result: "ALLOW" | "DENY" };
    }
    const doc: Receipt = { receipt_id: "rct_02", decision: { result: "ALLOW" } };
    const keyring = Keyring.generate(nodeBackend, NOW);
    const result = signDocument(doc, keyring.signer);
    expect(result.ok && result.document.decision.result).toBe("ALLOW");
    expect(result.ok && verifyDocument(result.document, keyring)).toEqual({ ok: true });
  });

  it("replace an existing signature when re-signed", () => {
    const first = Keyring.generate(nodeBackend, NOW);
    const second = first.rotate(NOW);
    const resigned = signed(signed(receipt, first.signer), second.signer);
    expect((resigned.signature as { key_id: string }).key_id).toBe(second.activeKeyId);
    expect(verifyDocument(resigned, second)).toEqual({ ok: true });
  });

  it("detect any single changed byte of the signed document", () => {
    const keyring = Keyring.generate(nodeBackend, NOW);
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const docArb = fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), {
      maxKeys: 6,
    });
    fc.assert(
      fc.property(docArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (extra, position, delta) => {
        const doc = signed({ ...extra, ...receipt }, keyring.signer);
        const original = canon(doc);
        const bytes = new TextEncoder().encode(original);
        const i = position % bytes.length;
        bytes[i] = (bytes[i]! + delta) & 0xff;
        let tampered: unknown;
        try {
          tampered = JSON.parse(decoder.decode(bytes));
        } catch {
          return; // no longer UTF-8 or JSON: nothing to accept
        }
        const verdict = verifyDocument(tampered, keyring);
        // JSON spells a few values two ways ("1e+21" and "1E+21", "\u001f" and "\u001F"); a byte change that
        // only re-spells the same document is not a change to the document, and must still verify.
        const same = canonicalize(tampered);
        if (same.ok && same.value === original) expect(verdict).toEqual({ ok: true });
        else expect(verdict.ok).toBe(false);
      }),
      propertyParams(400),
    );
  });

  it("report an unknown key id as unknown_key", () => {
    const signer = Keyring.generate(nodeBackend, NOW).signer;
    const other = Keyring.generate(nodeBackend, NOW);
    expect(verifyDocument(signed(receipt, signer), other)).toMatchObject({
      ok: false,
      reason: "unknown_key",
    });
  });

  it("report a signature by a different key under a known key id as bad_signature", () => {
    const keyring = Keyring.generate(nodeBackend, NOW);
    const impostor = nodeSigner(new Uint8Array(32).fill(7), keyring.activeKeyId);
    expect(verifyDocument(signed(receipt, impostor), keyring)).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("report structural problems as malformed, never as a pass", () => {
    const keyring = Keyring.generate(nodeBackend, NOW);
    const doc = signed(receipt, keyring.signer);
    const signature = doc.signature as { algorithm: string; key_id: string; value: string };
    // The last of 86 characters carries 2 bits of the signature and 4 unused bits that must be zero.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(signature.value.at(-1)!);
    const lastBitsSet = `${signature.value.slice(0, -1)}${alphabet[last | 1]}`;
    const cases: [unknown, string][] = [
      [receipt, "no signature"],
      [[doc], "not a JSON object"],
      [{ ...doc, signature: "abc" }, "signature is not a JSON object"],
      [{ ...doc, signature: { ...signature, note: "unsigned" } }, "unexpected members: note"],
      [{ ...doc, signature: { ...signature, algorithm: "RS256" } }, "unsupported signature algorithm"],
      [{ ...doc, signature: { ...signature, key_id: 7 } }, "key_id is not a string"],
      [{ ...doc, signature: { ...signature, value: `${signature.value}==` } }, "base64url"],
      [{ ...doc, signature: { ...signature, value: lastBitsSet } }, "base64url"],
      [{ ...doc, signature: { ...signature, value: signature.value.slice(0, 84) } }, "63 bytes"],
      [{ ...doc, text: "\ud800" }, "lone UTF-16 surrogate"],
    ];
    for (const [input, detail] of cases) {
      const verdict = verifyDocument(input, keyring);
      expect(verdict).toMatchObject({ ok: false, reason: "malformed" });
      expect(verdict.ok === false && verdict.detail).toContain(detail);
    }
  });

  it("refuse to sign what has no canonical form, and report a failing signer as a value", () => {
    const keyring = Keyring.generate(nodeBackend, NOW);
    expect(signDocument({ amount: Number.NaN }, keyring.signer)).toMatchObject({
      ok: false,
      error: { reason: "not_canonical", error: { code: "non_finite_number", path: "$.amount" } },
    });
    const broken: Signer = {
      ...keyring.signer,
      sign: () => {
        throw new Error("HSM unreachable");
      },
    };
    expect(signDocument(receipt, broken)).toEqual({
      ok: false,
      error: { reason: "signer_failed", detail: "HSM unreachable" },
    });
  });
});
