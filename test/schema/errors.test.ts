// What a rejected document tells its author: the exact rules the schemas
// enforce beyond shape, each with the pointer and the words a user sees.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_ERRORS,
  type SchemaError,
  type Validation,
  validateAction,
  validateApprovalRequest,
  validateDecision,
  validateDeferralResolution,
  validateDeferredAction,
  validateReceipt,
  validateTelemetryEvent,
} from "../../src/schema/index.ts";
import { propertyParams } from "../support/property.ts";
import { cases } from "./cases.ts";
import * as fixtures from "./fixtures.ts";
import { withValueAt } from "./walk.ts";

function errorsOf(result: Validation<unknown>): readonly SchemaError[] {
  if (result.ok) throw new Error("expected the value to be rejected");
  return result.errors;
}

const [sendMoney, , dbQuery] = fixtures.actions;
const [allow, , modify, stepUp, deferStepUp] = fixtures.decisions;

describe("identity", () => {
  it("needs a human or a service principal, and says so once, at the identity", () => {
    const anonymous = withValueAt(
      withValueAt(sendMoney, "/identity/human", undefined),
      "/identity/service",
      undefined,
    );
    expect(errorsOf(validateAction(anonymous))).toEqual([
      { path: "/identity", message: "must have at least one of: human, service" },
    ]);
    expect(validateAction(withValueAt(sendMoney, "/identity/human", undefined)).ok).toBe(true);
    expect(validateAction(dbQuery).ok).toBe(true);
  });

  it("rejects names with control characters, which could forge log lines", () => {
    const forged = withValueAt(sendMoney, "/identity/human", "alice@example.com\nDECISION: ALLOW");
    expect(errorsOf(validateAction(forged)).map((e) => e.path)).toEqual(["/identity/human"]);
  });
});

describe("formats", () => {
  it("accepts UTC timestamps only, with or without fractions, and only real dates", () => {
    const at = (timestamp: string) => validateAction(withValueAt(sendMoney, "/timestamp", timestamp)).ok;
    expect(at("2026-11-22T09:15:02Z")).toBe(true);
    expect(at("2026-11-22T09:15:02.123456789Z")).toBe(true);
    expect(at("2026-11-22T10:15:02+01:00")).toBe(false);
    expect(at("2026-11-22 09:15:02Z")).toBe(false);
    expect(at("2026-02-30T09:15:02Z")).toBe(false);
  });

  it("explains a malformed digest in words, not only as a pattern", () => {
    const upper = withValueAt(fixtures.receipts[0], "/context/context_hash", `sha256:${"AB".repeat(32)}`);
    const [error] = errorsOf(validateReceipt(upper));
    expect(error?.path).toBe("/context/context_hash");
    expect(error?.message).toContain("64 lower-case hex digits");
  });

  it("signs receipts with Ed25519 only, and a 64-byte signature", () => {
    const rsa = withValueAt(fixtures.receipts[0], "/signature/algorithm", "RS256");
    expect(errorsOf(validateReceipt(rsa))).toEqual([
      { path: "/signature/algorithm", message: 'must be "Ed25519"' },
    ]);
    const short = withValueAt(fixtures.receipts[0], "/signature/value", "c2lnbmF0dXJl");
    expect(errorsOf(validateReceipt(short)).map((e) => e.path)).toEqual(["/signature/value"]);
  });

  it("names the allowed values of an enumeration", () => {
    expect(errorsOf(validateAction(withValueAt(sendMoney, "/effect", "transfer")))).toEqual([
      { path: "/effect", message: 'must be one of: "read", "write", "delete", "egress", "execute"' },
    ]);
  });

  it("reports a value of the wrong type once, including null where null is allowed", () => {
    expect(errorsOf(validateDecision(withValueAt(allow, "/risk_level", 3)))).toEqual([
      { path: "/risk_level", message: "must be string or null" },
    ]);
  });
});

describe("decisions carry exactly what their result needs", () => {
  it("has modifications only for MODIFY, approval only for STEP_UP, deferral only for DEFER", () => {
    expect(errorsOf(validateDecision({ ...allow, modifications: modify?.modifications }))).toEqual([
      { path: "/modifications", message: "must be null (modifications is null unless result is MODIFY)" },
    ]);
    expect(errorsOf(validateDecision({ ...stepUp, approval: null }))).toEqual([
      { path: "/approval", message: "must be object (approval is an object when result is STEP_UP)" },
    ]);
    expect(errorsOf(validateDecision({ ...allow, result: "DEFER" })).map((e) => e.path)).toEqual([
      "/deferral",
    ]);
  });

  it("escalates a deferral timeout to STEP_UP only with an approval to escalate to", () => {
    const noApprover = withValueAt(deferStepUp, "/deferral/approval", null);
    expect(errorsOf(validateDecision(noApprover)).map((e) => e.path)).toEqual(["/deferral/approval"]);
    const deferred = withValueAt(fixtures.deferredActions[0], "/approval", null);
    expect(errorsOf(validateDeferredAction(deferred)).map((e) => e.path)).toEqual(["/approval"]);
  });

  it("never lets a deferral wait more than an hour", () => {
    const wait = (ms: number) => validateDeferredAction({ ...fixtures.deferredActions[0], timeout_ms: ms });
    expect(wait(3_600_000).ok).toBe(true);
    expect(errorsOf(wait(3_600_001))).toEqual([{ path: "/timeout_ms", message: "must be <= 3600000" }]);
    expect(errorsOf(wait(0))).toEqual([{ path: "/timeout_ms", message: "must be >= 1" }]);
  });

  it("records TIMEOUT only as the result of the timeout method", () => {
    const bogus = { ...fixtures.deferralResolutions[1], method: "re_evaluation" };
    expect(errorsOf(validateDeferralResolution(bogus))).toEqual([
      { path: "/method", message: 'must be "timeout" (a TIMEOUT result comes only from the timeout method)' },
    ]);
  });

  it("ties a deferral escalation to its deferral", () => {
    const orphan = withValueAt(fixtures.approvalRequests[1], "/deferral_id", undefined);
    expect(errorsOf(validateApprovalRequest(orphan))).toEqual([
      {
        path: "/deferral_id",
        message: "is required (deferral_id is required when source is defer_escalation)",
      },
    ]);
  });

  it("records error details whenever execution failed, and none when it succeeded", () => {
    const silentFailure = withValueAt(fixtures.receipts[0], "/execution/error", null);
    expect(errorsOf(validateReceipt(silentFailure)).map((e) => e.path)).toEqual(["/execution/error"]);
    const noisySuccess = withValueAt(fixtures.receipts[0], "/execution/success", true);
    expect(errorsOf(validateReceipt(noisySuccess)).map((e) => e.path)).toEqual(["/execution/error"]);
  });
});

describe("telemetry", () => {
  it("rejects an unknown event type with one error listing the known ones", () => {
    expect(
      errorsOf(validateTelemetryEvent({ ...fixtures.telemetryEvents[0], event_type: "aarm.audit" })),
    ).toEqual([
      {
        path: "/event_type",
        message:
          'must be one of: "aarm.action", "aarm.decision", "aarm.approval", "aarm.deferral", "aarm.drift", "aarm.export_degraded"',
      },
    ]);
  });

  it("checks each event against the shape its event_type selects", () => {
    const driftAsAction = { ...fixtures.telemetryEvents[4], event_type: "aarm.action" };
    const paths = errorsOf(validateTelemetryEvent(driftAsAction)).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["/action", "/drift_signals"]));
  });

  it("carries parameters only as a hash: raw parameters are refused", () => {
    const leaky = withValueAt(fixtures.telemetryEvents[0], "/action/parameters", {
      card: "4111111111111111",
    });
    expect(errorsOf(validateTelemetryEvent(leaky))).toEqual([
      { path: "/action/parameters", message: "is not allowed" },
    ]);
  });
});

describe("error lists", () => {
  it("are sorted by path and free of duplicates", () => {
    const errors = errorsOf(validateAction({ identity: {}, targets: [1, 1], effect: 3 }));
    const keys = errors.map((e) => `${e.path} ${e.message}`);
    expect(keys).toEqual([...new Set(keys)].sort());
    expect(errors.map((e) => e.path)).toContain("/identity/session");
  });

  it(`stop at ${MAX_ERRORS} however broken the input is`, () => {
    const hostile = withValueAt(
      sendMoney,
      "/targets",
      Array.from({ length: 5000 }, (_, i) => i),
    );
    expect(errorsOf(validateAction(hostile))).toHaveLength(MAX_ERRORS);
  });

  it("are never empty and always well-formed pointers, for any JSON input", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: cases.length - 1 }), fc.jsonValue(), (index, value) => {
        const result = cases[index]!.validate(value);
        if (result.ok) return result.value === value;
        const keys = result.errors.map((e) => `${e.path}\u0000${e.message}`);
        return (
          result.errors.length > 0 &&
          result.errors.every((e) => e.path === "" || e.path.startsWith("/")) &&
          keys.join("\n") === [...new Set(keys)].sort().join("\n")
        );
      }),
      propertyParams(300),
    );
  });

  it("point at a removed field wherever it sits in a valid document", () => {
    // Any field of any example, removed: the document is either still valid or an error names that field or its object.
    const documents = cases.flatMap((c) => c.examples.map((example) => ({ c, example })));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: documents.length - 1 }), fc.nat(), (d, pick) => {
        const { c, example } = documents[d]!;
        const pointers = leafPointers(example);
        const pointer = pointers[pick % pointers.length]!;
        const result = c.validate(withValueAt(example, pointer, undefined));
        if (result.ok) return true;
        const parent = pointer.slice(0, pointer.lastIndexOf("/"));
        return result.errors.some((e) => e.path === pointer || e.path === parent);
      }),
      propertyParams(200),
    );
  });
});

/** Pointers of every object member in `value`, at any depth. */
function leafPointers(value: unknown, at = ""): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const pointer = `${at}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
    return [pointer, ...leafPointers(child, pointer)];
  });
}
