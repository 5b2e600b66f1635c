/**
 * spec-tests/conformance/scenarios.json accounts for every scenario of the
 * AARM testing protocol (§9, items 1–104): each is an executable case of the
 * conformance suite, or excluded with the reason (none is pending); and
 * every case of the suite is listed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SCENARIOS } from "../../src/conformance/scenarios/index.ts";
import { ROOT } from "../cli/run.ts";

interface Entry {
  readonly id: string;
  readonly scenario: string;
  readonly status: "case" | "excluded";
  readonly reason?: string;
}

const manifest = JSON.parse(
  readFileSync(join(ROOT, "spec-tests", "conformance", "scenarios.json"), "utf8"),
) as {
  readonly scenarios: readonly Entry[];
};

describe("the conformance manifest", () => {
  it("lists the 104 scenarios of the protocol once each, in order", () => {
    expect(manifest.scenarios.map((e) => Number(e.id.split(".")[2]))).toEqual(
      Array.from({ length: 104 }, (_, i) => i + 1),
    );
  });

  it("names exactly the suite's cases as cases", () => {
    const listed = manifest.scenarios.filter((e) => e.status === "case").map((e) => e.id);
    expect([...SCENARIOS.map((s) => s.id)].sort()).toEqual([...listed].sort());
  });

  it("leaves nothing pending: every scenario is a case or an exclusion", () => {
    const other = manifest.scenarios.filter((e) => e.status !== "case" && e.status !== "excluded");
    expect(other.map((e) => `${e.id}: ${e.status}`)).toEqual([]);
  });

  it("gives a reason for every exclusion", () => {
    for (const e of manifest.scenarios.filter((s) => s.status === "excluded"))
      expect(e.reason?.length ?? 0, e.id).toBeGreaterThan(20);
  });
});
