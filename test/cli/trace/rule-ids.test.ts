// One rule-id convention: a replayed action that does not conform to the policy is denied by the rule the
// runtime names its own refusal with, `runtime:mediation`, so a replay of a runtime's trace and the
// runtime's receipts agree.
import { afterEach, expect, it } from "vitest";
import { decide, subjectOf } from "../../../src/cli/search/subject.ts";
import type { EvalInput } from "../../../src/ir/contract.ts";
import { checkText } from "../../../src/lang/check.ts";
import { type Harness, harness, policy } from "../../runtime/engine-harness.ts";

const POLICY = `policy p version "1"
tool db.query { args { sql: string } effect read }
allow reads when effect == read
default deny
`;

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

it("names a non-conforming action's deciding rule runtime:mediation, as the runtime does", async () => {
  const checked = checkText(POLICY).policy;
  if (checked === null) throw new Error("the policy does not check");
  const subject = subjectOf("p.aarm", checked);
  if ("error" in subject) throw new Error(subject.error);
  const input: EvalInput = {
    action: {
      tool: "db.query",
      args: { sql: 42 },
      time: 0,
      identity: { roles: [], scope: [], delegation: [] },
    },
    snapshot: { scores: {}, facts: {}, history: [] },
  };
  const replayed = decide(subject, input);
  expect(replayed).toMatchObject({ decision: "DENY", rules: ["runtime:mediation"] });

  h = harness(policy(POLICY));
  const session = await h.session();
  const refused = await session.evaluate({ tool: "db.query", args: { sql: 42 } });
  expect(refused).toMatchObject({ kind: "deny", rules: replayed.rules });
});
