/**
 * §9.11: what each way of deploying the enforcement point must hold.
 *
 * @module
 */
import type { Scenario, ScenarioContext } from "../types.ts";
import { alice } from "./support.ts";

const POLICY = `policy arch version "1"
tool docs.read { args { path: string } effect read output internal }
tool notes.write { args { path: string, text: string } effect write target args.path }
allow reads on docs.read
allow notes on notes.write
default deny`;

export const ARCHITECTURE: readonly Scenario[] = [
  {
    id: "9.11.104",
    requirement: "R2",
    title: "Parallel actions in one session: context appends are serialised and the hash chain stays valid",
    async run(t: ScenarioContext) {
      const d = await t.start({ policy: POLICY });
      const s = await d.session({ identity: alice("parallel"), intent: "read the docs and take notes" });
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          i % 2 === 0
            ? s.call("docs.read", { path: `/docs/${i}.md` })
            : s.call("notes.write", { path: `/notes/${i}.md`, text: "note" }),
        ),
      );
      t.check(
        results.every((r) => r.executed),
        "some parallel calls did not run",
      );
      t.check(new Set(results.map((r) => r.receiptId)).size === 16, "parallel calls share a receipt");
      t.observe("16 parallel calls, 16 receipts; the chain is verified below");
    },
  },
];
