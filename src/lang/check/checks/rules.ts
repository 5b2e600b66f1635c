/**
 * Checks of decision rules: `on` names tools, conditions are `bool`, `needs`
 * names facts, approval and deferral parameters are in range, and no
 * argument is modified twice by one rule. Which clauses a rule kind takes is
 * the parser's business (AARM1021, AARM1022).
 *
 * @module
 */
import type * as ast from "../../ast.ts";
import { type Ctx, note } from "../context.ts";
import type { CheckTable } from "../registry.ts";
import { closest, didYouMean } from "../suggest.ts";
import { T } from "../types.ts";
import { expectType } from "../typing/util.ts";
import type { Env } from "../walk.ts";
import { checkOn } from "./declarations.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Limits and defaults of docs/language.md §6. */
const APPROVAL_TIMEOUT = { default: 15 * MINUTE, max: 24 * HOUR } as const;
const DEFER_TIMEOUT_MAX = HOUR;

function ruleTools(node: ast.Rule, _env: Env, ctx: Ctx): void {
  checkOn(node.on, ctx);
}

function conditions(node: ast.Rule, _env: Env, ctx: Ctx): void {
  if (node.when !== null) expectType(ctx, node.when, T.bool, "the condition of `when`");
  if (node.unless !== null) expectType(ctx, node.unless, T.bool, "the condition of `unless`");
}

function needs(node: ast.Rule, _env: Env, ctx: Ctx): void {
  for (const name of node.deferral?.needs ?? []) {
    const fact = ctx.model.facts.get(name.text);
    if (fact !== undefined) {
      ctx.used.add(fact);
      continue;
    }
    const suggestion = closest(name.text, ctx.model.facts.keys());
    ctx.sink.report(
      "AARM3001",
      `\`needs\` lists facts; \`${name.text}\` is not a declared fact${didYouMean(suggestion)}`,
      name.span,
      { suggestion },
    );
  }
}

function modifiedOnce(node: ast.Rule, _env: Env, ctx: Ctx): void {
  const seen = new Map<string, ast.ModOp>();
  for (const op of node.modifications) {
    const path = op.path.segments.map((s) => s.text).join(".");
    const first = seen.get(path);
    if (first === undefined) {
      seen.set(path, op);
      continue;
    }
    ctx.sink.report(
      "AARM3019",
      `\`args.${path}\` is already modified by this rule; one rule changes an argument once`,
      op.path.span,
      { notes: [note("first modified here", first.path.span)] },
    );
  }
}

function positive(ctx: Ctx, duration: ast.DurationLiteral, what: string, max: number, maxText: string): void {
  if (duration.ms <= 0) ctx.sink.report("AARM3017", `${what} must be longer than zero`, duration.span);
  else if (duration.ms > max) ctx.sink.report("AARM3017", `${what} is at most ${maxText}`, duration.span);
}

function approval(node: ast.ApprovalClause, _env: Env, ctx: Ctx): void {
  if (node.approvers.length === 0) {
    ctx.sink.report("AARM3016", "`approvers` lists at least one approver", node.span);
  }
  for (const approver of [...node.approvers, ...(node.escalation?.to ?? [])]) {
    if (approver.value.trim() === "")
      ctx.sink.report("AARM3016", "an approver cannot be empty", approver.span);
  }
  const quorum = node.quorum;
  if (quorum !== null && node.approvers.length > 0) {
    const n = node.approvers.length;
    if (!Number.isInteger(quorum.value) || quorum.value < 1 || quorum.value > n) {
      ctx.sink.report(
        "AARM3016",
        `the quorum is a whole number from 1 to the number of approvers (${n}); it is ${quorum.value}`,
        quorum.span,
      );
    }
  }
  if (node.timeout !== null) positive(ctx, node.timeout, "an approval timeout", APPROVAL_TIMEOUT.max, "24h");
  const escalation = node.escalation;
  if (escalation === null) return;
  if (escalation.to.length === 0)
    ctx.sink.report("AARM3016", "`escalate … to` lists at least one approver", escalation.span);
  const timeout = node.timeout?.ms ?? APPROVAL_TIMEOUT.default;
  if (escalation.after.ms <= 0) {
    ctx.sink.report("AARM3017", "`escalate after` must be longer than zero", escalation.after.span);
  } else if (escalation.after.ms >= timeout) {
    ctx.sink.report(
      "AARM3017",
      `\`escalate after\` must be shorter than the timeout (${node.timeout?.text ?? "15m, the default"}), or it never happens`,
      escalation.after.span,
      { notes: node.timeout === null ? [] : [note("the timeout", node.timeout.span)] },
    );
  }
}

function deferral(node: ast.DeferralClause, _env: Env, ctx: Ctx): void {
  if (node.timeout !== null) positive(ctx, node.timeout, "a deferral timeout", DEFER_TIMEOUT_MAX, "1h");
}

export const ruleChecks: CheckTable = {
  Rule: [ruleTools, conditions, needs, modifiedOnce],
  ApprovalClause: [approval],
  DeferralClause: [deferral],
};
