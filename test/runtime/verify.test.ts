// Offline verification of receipts: per receipt (schema, signature) and per session chain, from
// values, JSON-lines exports and SQLite files, down to single changed bytes.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signDocument } from "../../src/runtime/crypto/document.ts";
import { Keyring } from "../../src/runtime/crypto/keyring.ts";
import { nodeBackend } from "../../src/runtime/crypto/node.ts";
import { exportReceipts } from "../../src/runtime/receipts/export.ts";
import { ReceiptIssuer } from "../../src/runtime/receipts/issuer.ts";
import { MemoryStore } from "../../src/runtime/store/memory.ts";
import { SqliteStore } from "../../src/runtime/store/sqlite.ts";
import { SCHEMA_VERSION } from "../../src/runtime/store/sqlite-schema.ts";
import type { Store } from "../../src/runtime/store/types.ts";
import {
  type ReceiptIssue,
  type VerificationReport,
  verifyReceiptFile,
  verifyReceiptLines,
  verifyReceipts,
  verifySqliteFile,
} from "../../src/runtime/verify.ts";
import { canonicalHash, canonicalize } from "../../src/schema/canonical.ts";
import type { Action, Decision, Receipt } from "../../src/schema/generated/types.ts";
import { actions, decisions } from "../schema/fixtures.ts";
import { propertyParams } from "../support/property.ts";

const NOW = new Date("2026-11-22T10:00:00.000Z");
const keyring = Keyring.generate(nodeBackend, NOW);
const base = actions[0] as Action;

let dir: string;
let counter = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aarm-verify-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function must<T>(result: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

/** One receipt to issue: in which session, with which decision, with which parameter. */
interface Step {
  readonly session: number;
  readonly decision: number;
  readonly note: string;
}

/** Issues the steps into `store` (sessions s0, s1, …) and returns the receipts in issue order. */
async function issue(store: Store, steps: readonly Step[]): Promise<Receipt[]> {
  for (const session of new Set(steps.map((step) => step.session))) {
    must(await store.createSession(`s${session}`, NOW.toISOString()));
  }
  let n = 0;
  const issuer = new ReceiptIssuer({
    store,
    signer: () => keyring.signer,
    clock: () => NOW,
    newId: () => `rct_${n++}`,
  });
  const receipts: Receipt[] = [];
  for (const step of steps) {
    const action: Action = {
      ...base,
      action_id: `act_${receipts.length}`,
      parameters: { ...base.parameters, subject: step.note },
      identity: { ...base.identity, session: `s${step.session}` },
    };
    const context = {
      context_hash: must(canonicalHash(receipts.length)),
      context_log_seq: receipts.length,
      snapshot_summary: {
        prior_actions: [],
        data_classifications: [],
        highest_sensitivity: null,
        risk_signals: {},
        intent_hash: null,
      },
    };
    const decision = decisions[step.decision % 4] as Decision;
    receipts.push(must(await issue1(issuer, { action, identity_verified_at: null, decision, context })));
  }
  return receipts;
}

async function issue1(issuer: ReceiptIssuer, parts: Parameters<ReceiptIssuer["issue"]>[0]) {
  const issued = await issuer.issue(parts);
  return issued.ok ? { ok: true as const, value: issued.value.receipt } : issued;
}

const STEPS: Step[] = [
  { session: 0, decision: 0, note: "first" },
  { session: 1, decision: 1, note: "other session" },
  { session: 0, decision: 2, note: "second" },
  { session: 0, decision: 3, note: "third" },
  { session: 1, decision: 0, note: "other again" },
  { session: 0, decision: 1, note: "fourth" },
];

const stepsArb = fc.array(
  fc.record({ session: fc.nat(2), decision: fc.nat(3), note: fc.string({ maxLength: 12 }) }),
  { minLength: 1, maxLength: 6 },
);

function resign(doc: Record<string, unknown>): Receipt {
  const signed = signDocument(doc, keyring.signer);
  if (!signed.ok) throw new Error("signing failed");
  return signed.document as unknown as Receipt;
}

function reasons(report: VerificationReport): [string | null, string][] {
  return report.issues.map((issue) => [issue.receipt_id, issue.reason]);
}

describe("verifyReceipts", () => {
  let receipts: Receipt[];
  beforeAll(async () => {
    receipts = await issue(new MemoryStore(), STEPS);
  });
  const ids = (...indexes: number[]) => indexes.map((i) => receipts[i]?.receipt_id);

  it("accepts a whole set and orders each session by its chain", () => {
    const report = verifyReceipts(receipts, keyring);
    expect(report).toMatchObject({ ok: true, checked: 6, verified: 6, issues: [] });
    expect(report.sessions).toEqual([
      { session_id: "s0", receipt_ids: ids(0, 2, 3, 5) },
      { session_id: "s1", receipt_ids: ids(1, 4) },
    ]);
    // Sessions may be interleaved in any way, and receipts of one session kept apart by others.
    const bySession = [0, 2, 3, 5, 1, 4].map((i) => receipts[i]);
    expect(verifyReceipts(bySession, keyring).ok).toBe(true);
  });

  it("fails a changed signed field, naming the receipt (and the broken link after it)", () => {
    const tamper = (change: (r: Receipt) => void): VerificationReport => {
      const copy = receipts.map((r) => JSON.parse(JSON.stringify(r)) as Receipt);
      change(copy[2] as Receipt);
      return verifyReceipts(copy, keyring);
    };
    const expected = [
      [receipts[2]?.receipt_id, "bad_signature"],
      [receipts[3]?.receipt_id, "gap"],
    ];
    expect(reasons(tamper((r) => (r.requester_context.human = "mallory@example.com")))).toEqual(expected);
    expect(reasons(tamper((r) => (r.decision.policy.hash = `sha256:${"0".repeat(64)}`)))).toEqual(expected);
    expect(reasons(tamper((r) => (r.decision.result = "ALLOW")))).toEqual(expected);
    expect(reasons(tamper((r) => (r.action.parameters.amount = 1)))).toEqual(expected);
    expect(reasons(tamper((r) => delete (r as Partial<Receipt>).signature))[0]).toEqual([
      receipts[2]?.receipt_id,
      "schema",
    ]);
    expect(reasons(tamper((r) => (r.signature.key_id = "aarm-2026-01-01-deadbeef")))[0]).toEqual([
      receipts[2]?.receipt_id,
      "unknown_key",
    ]);
    expect(reasons(tamper((r) => (r.signature.value = `${"A".repeat(85)}B`)))[0]).toEqual([
      receipts[2]?.receipt_id,
      "malformed",
    ]);
  });

  it("finds a removed receipt as a gap at its successor", () => {
    const report = verifyReceipts(
      receipts.filter((_, i) => i !== 2),
      keyring,
    );
    expect(report.issues).toMatchObject([
      { receipt_id: receipts[3]?.receipt_id, session_id: "s0", location: "#2", reason: "gap" },
    ]);
    expect(report.sessions[0]?.receipt_ids).toEqual(ids(0, 3, 5));
    const withoutFirst = verifyReceipts(receipts.slice(1), keyring);
    expect(reasons(withoutFirst)).toEqual([[receipts[2]?.receipt_id, "gap"]]);
  });

  it("finds reordered, duplicated and forked receipts", () => {
    const swapped = [receipts[0], receipts[3], receipts[2], receipts[1], receipts[4], receipts[5]];
    expect(reasons(verifyReceipts(swapped, keyring))).toEqual([[receipts[3]?.receipt_id, "reordered"]]);
    const doubled = [...receipts.slice(0, 4), receipts[2], ...receipts.slice(4)];
    expect(verifyReceipts(doubled, keyring).issues).toMatchObject([
      { receipt_id: receipts[2]?.receipt_id, location: "#4", reason: "duplicate" },
    ]);
    const sameId = resign({
      ...(receipts[5] as Receipt),
      prev_receipt_hash: must(canonicalHash(receipts[5])),
    });
    expect(
      reasons(verifyReceipts([...receipts, { ...sameId, issued_at: "2026-11-23T00:00:00Z" }], keyring))[0],
    ).toEqual([receipts[5]?.receipt_id, "bad_signature"]);
    expect(reasons(verifyReceipts([...receipts, sameId], keyring))).toEqual([
      [receipts[5]?.receipt_id, "duplicate_id"],
    ]);
    const branch = resign({ ...(receipts[3] as Receipt), receipt_id: "rct_branch" });
    expect(reasons(verifyReceipts([...receipts, branch], keyring))).toEqual([["rct_branch", "fork"]]);
    const secondFirst = resign({ ...(receipts[0] as Receipt), receipt_id: "rct_again" });
    expect(reasons(verifyReceipts([...receipts, secondFirst], keyring))).toEqual([["rct_again", "fork"]]);
  });

  it("finds a follow-up whose related receipt is missing, and receipts cut off the end given the heads", () => {
    const last = receipts[5] as Receipt;
    const followUp = resign({
      ...last,
      receipt_id: "rct_follow",
      prev_receipt_hash: must(canonicalHash(last)),
      related_receipt_id: "rct_gone",
    });
    expect(reasons(verifyReceipts([...receipts, followUp], keyring))).toEqual([
      ["rct_follow", "related_missing"],
    ]);
    const head = { seq: 3, hash: must(canonicalHash(last)), receipt_id: last.receipt_id };
    const heads = new Map([["s0", head]]);
    expect(verifyReceipts(receipts, keyring, { heads }).ok).toBe(true);
    const cut = verifyReceipts(receipts.slice(0, 5), keyring, { heads });
    expect(cut.issues).toMatchObject([
      { receipt_id: last.receipt_id, location: "store head", reason: "truncated" },
    ]);
    const gone = verifyReceipts([receipts[1], receipts[4]], keyring, { heads });
    expect(reasons(gone)).toEqual([[last.receipt_id, "truncated"]]);
  });

  it("reports values that are not receipts at all", () => {
    const report = verifyReceipts([null, "x", { receipt_id: "rct_x" }], keyring);
    expect(reasons(report)).toEqual([
      [null, "malformed"],
      [null, "malformed"],
      ["rct_x", "schema"],
    ]);
    expect(report).toMatchObject({ ok: false, checked: 3, verified: 0 });
  });
});

/**
 * The issues a single altered receipt at `k` may cause: its own; a gap at its chain successor; and, when
 * the store's heads are known and it was its session's last, the head reported missing.
 */
function expectOnlyReceipt(
  report: VerificationReport,
  location: (i: number) => string,
  k: number,
  receipts: Receipt[],
) {
  expect(report.ok).toBe(false);
  const own = report.issues.filter((issue) => issue.location === location(k));
  expect(own).toHaveLength(1);
  const original = receipts[k] as Receipt;
  // Named by its id, unless the changed byte is in the id itself (then by the id it now claims) or the line no
  // longer parses as JSON; its location names it in every case.
  expect([original.receipt_id, null]).toContain(
    idUnlessChanged((own[0] as ReceiptIssue).receipt_id, original),
  );
  const successor = receipts.findIndex(
    (r, i) => i > k && r.requester_context.session === original.requester_context.session,
  );
  for (const issue of report.issues) {
    if (issue.location === location(k)) continue;
    if (issue.reason === "truncated") {
      expect(successor).toBe(-1);
      expect(issue).toMatchObject({ location: "store head", receipt_id: original.receipt_id });
    } else {
      expect(issue.reason).toBe("gap");
      expect(issue.location).toBe(location(successor));
    }
  }
}

describe("verifyReceiptLines", () => {
  it("fails, naming the receipt, for any single changed byte of any receipt in a JSON-lines export", async () => {
    await fc.assert(
      fc.asyncProperty(
        stepsArb,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (steps, pick, at, delta) => {
          const store = new MemoryStore();
          const receipts = await issue(store, steps);
          const lines: string[] = [];
          must(await exportReceipts(store, (line) => void lines.push(line)));
          // The export lists sessions in order; map each line back to its receipt.
          const order = lines.map((line) =>
            receipts.findIndex((r) => r.receipt_id === JSON.parse(line).receipt_id),
          );
          const line = pick % lines.length;
          const bytes = new TextEncoder().encode(lines[line]);
          bytes[at % bytes.length] = ((bytes[at % bytes.length] as number) + delta) % 256;
          const text = [...lines.slice(0, line).map((l) => new TextEncoder().encode(`${l}\n`)), bytes];
          const rest = lines.slice(line + 1).map((l) => new TextEncoder().encode(`\n${l}`));
          const report = await verifyReceiptLines(concat([...text, ...rest]), keyring);
          if (bytes[at % bytes.length] === 0x0a) {
            // The byte became a line break: the receipt is now two broken lines (the first empty, and so
            // skipped, when the break is its first byte), and the lines after it move down.
            expect(report.issues[0]?.reason).toBe("malformed");
            expect([`line ${line + 1}`, `line ${line + 2}`]).toContain(report.issues[0]?.location);
            return;
          }
          const inExport = order.map((i) => receipts[i] as Receipt);
          expectOnlyReceipt(report, (i) => `line ${i + 1}`, line, inExport);
        },
      ),
      propertyParams(60),
    );
  });

  it("reads lines defensively: numbers unreadable ones, bounds their length, skips blank lines", async () => {
    const receipts = await issue(new MemoryStore(), STEPS.slice(0, 2));
    const [a, b] = receipts.map((r) => must(canonicalize(r)));
    const text = `${a}\r\n\n{not json\n${"x".repeat(300)}\n${b}`;
    const report = await verifyReceiptLines(text, keyring, { maxLineBytes: 200 + (a?.length ?? 0) });
    expect(report.issues).toMatchObject([
      { location: "line 3", reason: "malformed", receipt_id: null },
      { location: "line 4", reason: "malformed" },
    ]);
    expect(report).toMatchObject({ checked: 4, verified: 2 });
    const tooLong = await verifyReceiptLines(`${a}\n${b}`, keyring, { maxLineBytes: 100 });
    expect(tooLong.issues.map((issue) => issue.message)).toEqual([
      "line 1 is longer than 100 bytes",
      "line 2 is longer than 100 bytes",
    ]);
    const latin1 = Uint8Array.from([...new TextEncoder().encode(`${a}\n`), 0x7b, 0x22, 0xe9, 0x22, 0x7d]);
    expect((await verifyReceiptLines(latin1, keyring)).issues).toMatchObject([
      { location: "line 2", message: "line 2 is not valid UTF-8" },
    ]);
  });

  it("reads the same lines however the stream cuts its chunks", async () => {
    const receipts = await issue(new MemoryStore(), STEPS.slice(0, 3));
    const bytes = new TextEncoder().encode(
      `${receipts.map((r) => must(canonicalize(r))).join("\n")}\n{bad\n`,
    );
    const whole = await verifyReceiptLines(bytes, keyring);
    expect(reasons(whole)).toEqual([[null, "malformed"]]);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }),
        async (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
          async function* chunks() {
            for (let i = 1; i < points.length; i++) yield bytes.slice(points[i - 1], points[i]);
          }
          expect(await verifyReceiptLines(chunks(), keyring)).toEqual(whole);
        },
      ),
      propertyParams(50),
    );
  });

  it("reads an export file as a stream, and reports a file it cannot read", async () => {
    const store = new MemoryStore();
    await issue(store, STEPS);
    const path = join(dir, "export.jsonl");
    const lines: string[] = [];
    must(await exportReceipts(store, (line) => void lines.push(line)));
    writeFileSync(path, `${lines.join("\n")}\n`);
    expect(must(await verifyReceiptFile(path, keyring))).toMatchObject({ ok: true, checked: 6 });
    const missing = await verifyReceiptFile(join(dir, "missing.jsonl"), keyring);
    expect(missing.ok ? "ok" : missing.error.kind).toBe("io");
  });
});

describe("verifySqliteFile", () => {
  async function database(steps: readonly Step[]): Promise<{ path: string; receipts: Receipt[] }> {
    const path = join(dir, `receipts-${counter++}.sqlite`);
    const store = must(SqliteStore.open(path));
    const receipts = await issue(store, steps);
    await store.close();
    return { path, receipts };
  }
  const rowOf = (receipts: Receipt[]) => (i: number) => {
    const receipt = receipts[i] as Receipt;
    const seq = receipts
      .slice(0, i)
      .filter((r) => r.requester_context.session === receipt.requester_context.session).length;
    return `session ${JSON.stringify(receipt.requester_context.session)} receipt ${seq}`;
  };

  it("verifies the receipts of a database file read-only", async () => {
    const { path } = await database(STEPS);
    const report = must(await verifySqliteFile(path, keyring));
    expect(report).toMatchObject({ ok: true, checked: 6, verified: 6 });
  });

  it("fails, naming the receipt, for any single changed byte of a stored receipt in the file", async () => {
    await fc.assert(
      fc.asyncProperty(
        stepsArb,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (steps, pick, at, delta) => {
          const { path, receipts } = await database(steps);
          expect(existsSync(`${path}-wal`)).toBe(false);
          const k = pick % receipts.length;
          const file = readFileSync(path);
          const text = Buffer.from(must(canonicalize(receipts[k])));
          // B-tree rebalancing can leave stale copies of a row in free space; change the byte in every copy.
          const copies: number[] = [];
          for (let start = file.indexOf(text); start !== -1; start = file.indexOf(text, start + 1))
            copies.push(start);
          expect(copies.length).toBeGreaterThan(0);
          for (const start of copies) {
            const where = start + (at % text.length);
            file[where] = ((file[where] as number) + delta) % 256;
          }
          writeFileSync(path, file);
          const report = must(await verifySqliteFile(path, keyring));
          expectOnlyReceipt(report, rowOf(receipts), k, receipts);
        },
      ),
      propertyParams(12, 20),
    );
  });

  it("finds rows deleted from the middle or the end of a chain, and refuses a newer database", async () => {
    const { path, receipts } = await database(STEPS);
    const db = new DatabaseSync(path);
    db.exec("DROP TRIGGER receipts_no_delete");
    db.prepare("DELETE FROM receipts WHERE receipt_id = ?").run(receipts[2]?.receipt_id as string);
    db.prepare("DELETE FROM receipts WHERE receipt_id = ?").run(receipts[4]?.receipt_id as string);
    db.close();
    const report = must(await verifySqliteFile(path, keyring));
    expect(reasons(report)).toEqual([
      [receipts[3]?.receipt_id, "gap"],
      [receipts[4]?.receipt_id, "truncated"],
    ]);
    const raw = new DatabaseSync(path);
    raw.prepare("UPDATE schema_version SET version = ?").run(SCHEMA_VERSION + 1);
    raw.close();
    const newer = await verifySqliteFile(path, keyring);
    expect(newer.ok ? "ok" : newer.error.kind).toBe("unsupported");
  });
});

/** The claimed id, or null when it is not the original's because the changed byte fell inside the id. */
function idUnlessChanged(claimed: string | null, original: Receipt): string | null {
  if (claimed === null || claimed === original.receipt_id) return claimed;
  expect(claimed).toHaveLength(original.receipt_id.length);
  return null;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
