/**
 * Policies the IR tests share: one that exercises every part of the IR
 * document (features of each kind, regexes, classifiers, every modification,
 * approvals, deferrals, facts), and helpers to compile them.
 */
import { compileText } from "../../src/compiler.ts";
import { canonicalHash } from "../../src/schema/canonical.ts";
import type { Ir } from "../../src/ir/types.ts";

export const RICH_POLICY = `policy rich version "1"

tool mail.send {
  args { to: string, body: string, cc?: string, size: number }
  effect egress
  target domain(args.to)
}
tool db.query { args { sql: string, limit: number } effect read output internal }
tool files.read { args { path: string } effect read output untrusted }

fact on_call: bool
fact region: string
fact allowed: set<string>

category payroll

classify secrets on files.read when output matches /(?i)api[_-]?key/ label payroll, confidential
classify anywhere when output matches /\\bpassword\\b/ label secret

forbid drops on db.query when args.sql matches /(?i)\\bdrop\\s+table\\b/
deny burst on mail.send when session.count(effect == egress, within 1h) >= 10
deny leak on mail.send when session.seen(secret in labels then effect == egress) and target not in allowed
defer outside on mail.send when region != "eu" and not on_call needs region, on_call timeout 10m then step_up approvers ["ops"]
step_up big on mail.send when args.size * 2 > 1000 or session.sum("mail.send", size, within 1d) > 5000
  approvers ["security", "ops"] quorum 2 timeout 30m escalate after 10m to ["ciso"]
modify tidy on mail.send
  when has(args.cc) and len(args.cc) > 100
  set args.cc = "list@example.com"
  redact args.body matching /\\b\\d{3}-\\d{2}-\\d{4}\\b/
modify cap on db.query when args.limit > 100 clamp args.limit to 1..100
modify scrub on mail.send when contains(args.body, "ssn") redact args.body
allow reads when effect == read and not session.tainted
allow mail on mail.send when -args.size < 0 and lower(trim(args.to)) != "x"

default deny
`;

/** Compiles policy text that must compile. */
export function compiled(text: string): Ir {
  const result = compileText(text);
  if (result.ir === null) throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  return result.ir;
}

/**
 * A copy of `ir` with the value at JSON pointer `pointer` replaced by `value`
 * (removed when `value` is undefined; `-` appends to an array).
 */
export function edit(ir: object, pointer: string, value: unknown): Record<string, unknown> {
  const document = structuredClone(ir) as Record<string, unknown>;
  const tokens = pointer
    .split("/")
    .slice(1)
    .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
  const last = tokens.pop();
  let parent: unknown = document;
  for (const token of tokens) parent = (parent as Record<string, unknown>)[token];
  if (typeof parent !== "object" || parent === null || last === undefined) throw new Error(`no ${pointer}`);
  const target = parent as Record<string, unknown>;
  if (Array.isArray(target) && last === "-") target.push(value);
  else if (value === undefined) delete target[last];
  else target[last] = value;
  return document;
}

/** The document with its hash recomputed, so that only a deliberate change is wrong. */
export function rehashed<T extends object>(document: T): T {
  const hash = canonicalHash({ ...document, hash: "" });
  if (!hash.ok) throw new Error(hash.error.message);
  return { ...document, hash: hash.value };
}
