/**
 * The test-file model: what a `*.test.yaml` file says once it is read. A file
 * names the policy under test and holds named sessions; a session is the
 * context an agent starts with and a sequence of steps, each one proposed
 * action with what the test expects the policy to decide. The format is
 * documented in docs/testing.md.
 *
 * Every part keeps the location it was written at, so that a mismatch with
 * the policy (an unknown tool, an argument of the wrong type) is reported at
 * the line and column of the offending YAML.
 *
 * @module
 */
import type { Classification, DecisionKind, EvalIdentity, Json } from "../../ir/contract.ts";

/** A 1-based line and column (UTF-16 code units) in the test file. */
export interface Loc {
  readonly line: number;
  readonly column: number;
}

/** A problem with a test file, at a place in it. */
export interface TestFileError {
  readonly file: string;
  readonly loc: Loc;
  readonly message: string;
}

export type JsonObject = { readonly [key: string]: Json };

/** A JSON object with the location of each key, for errors about one entry. */
export interface LocatedObject {
  readonly value: JsonObject;
  readonly loc: Loc;
  readonly keys: ReadonlyMap<string, Loc>;
}

/** What the tool returned: text the policy's classifiers label, or labels given outright. */
export type StepOutput =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "labels"; readonly labels: readonly string[]; readonly loc: Loc };

/** `reason`: a substring of one of the reasons, or (`{exact: …}`) one reason exactly. */
export interface ReasonExpectation {
  readonly text: string;
  readonly exact: boolean;
}

/** One applied modification as the test describes it; absent fields are not compared. */
export interface ModificationExpectation {
  readonly rule?: string;
  readonly op?: "set" | "remove" | "clamp" | "redact";
  /** The argument path as `args.a.b`. */
  readonly path?: string;
}

export interface ApprovalExpectation {
  readonly approvers?: readonly string[];
  readonly quorum?: number;
  readonly timeoutMs?: number;
  readonly selfApproval?: boolean;
  readonly escalation?: { readonly afterMs?: number; readonly to?: readonly string[] } | null;
}

export interface DeferralExpectation {
  readonly timeoutMs?: number;
  readonly then?: "deny" | "step_up";
}

/** What a step expects; only `decision` is required, and only what is given is compared. */
export interface Expectation {
  readonly decision: DecisionKind;
  readonly loc: Loc;
  /** The deciding rules, in any order, exactly. */
  readonly rules?: { readonly names: readonly string[]; readonly locs: readonly Loc[] };
  readonly reason?: ReasonExpectation;
  /** The arguments after modification, exactly. */
  readonly args?: JsonObject;
  readonly modifications?: readonly ModificationExpectation[];
  /** `true`: some approval is required; `false`: none; an object: these fields of it. */
  readonly approval?: boolean | ApprovalExpectation;
  readonly deferral?: DeferralExpectation;
  /** The context needed, in any order, exactly. */
  readonly contextNeeded?: readonly string[];
  readonly classification?: Classification | null;
  readonly risk?: "low" | "medium" | "high" | "critical" | null;
}

export interface Step {
  /** 1-based position in the session. */
  readonly index: number;
  readonly name: string | null;
  readonly loc: Loc;
  readonly tool: string;
  readonly toolLoc: Loc;
  readonly args: LocatedObject;
  /** Milliseconds after the session's start. */
  readonly offsetMs: number;
  /** Facts that arrive before this step and stay for the rest of the session. */
  readonly facts: LocatedObject | null;
  readonly scores: { readonly alignment?: number; readonly drift?: number };
  readonly output: StepOutput | null;
  readonly expect: Expectation;
  /** For an expected STEP_UP: the approver grants it, and the action runs. */
  readonly approve: boolean;
  /** For an expected DEFER: how the deferral resolves; `allow` runs the action. */
  readonly resolve: "allow" | "deny" | null;
}

export interface Session {
  readonly name: string;
  readonly loc: Loc;
  readonly identity: EvalIdentity;
  readonly intent: { readonly text: string; readonly scope?: readonly string[] } | null;
  readonly scores: { readonly alignment?: number; readonly drift?: number };
  readonly facts: LocatedObject | null;
  /** Epoch milliseconds of the session's start: the time of a step at offset 0. */
  readonly start: number;
  readonly steps: readonly Step[];
}

export interface TestFile {
  /** The test file's path as the user named it (relative to the working directory). */
  readonly file: string;
  /** The policy's path as written in the file, relative to the test file. */
  readonly policy: string;
  readonly policyLoc: Loc;
  readonly sessions: readonly Session[];
}
