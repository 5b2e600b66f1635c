/**
 * Validation of an IR document read from outside the compiler (a file, the
 * network): the JSON Schema (`schema/ir.schema.json`) for the shape, then
 * what an evaluator relies on and a schema cannot say.
 *
 * - Every index refers to an existing entry, and expression children precede
 *   their parents, so the DAG has no cycles and evaluation terminates.
 * - Regex programs jump only to their own instructions; character ranges are
 *   sorted pairs.
 * - Each tool's candidates are ordered strongest kind first, then by rule:
 *   evaluators stop below the strongest kind that certainly matched, so an
 *   unordered list would change decisions.
 * - Context-bound nodes appear only where their context exists (`entry` in
 *   session-query predicates, `output` in classifiers), functions get their
 *   arity, `has` tests an input, constant sets are canonical, and rules carry
 *   the clauses their kind needs.
 * - `cost` is the measured cost (a budget is enforced against it) and `hash`
 *   matches the canonical document.
 *
 * The schema is compiled once, on first use. Validation never throws.
 *
 * @module
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { canonicalHash } from "../schema/canonical.ts";
import {
  type ConditionNotes,
  conditionNotes,
  formatErrors,
  MAX_ERRORS,
  type SchemaError,
} from "../schema/errors.ts";
import { exprChildren, measureCost, reachable } from "./cost.ts";
import { sortScalars } from "./lower-expr.ts";
import irSchemaJson from "./schema/ir.schema.json" with { type: "json" };
import { TIERS } from "./lower.ts";
import type { Ir, IrCandidate, IrConst, IrExpr, IrFunction } from "./types.ts";

/** One problem with an IR document, located by the JSON pointer (RFC 6901) of the offending value. */
export type IrValidationError = SchemaError;

export type IrValidation =
  | { readonly ok: true; readonly ir: Ir }
  | { readonly ok: false; readonly errors: readonly IrValidationError[] };

/** The IR's JSON Schema (2020-12), `https://aarm.dev/schema/v1/ir.schema.json`. */
export const irSchema: { readonly $id: string; readonly [keyword: string]: unknown } = irSchemaJson;

let compiled: { readonly validate: ValidateFunction<Ir>; readonly notes: ConditionNotes } | null = null;

function schemaValidator(): { readonly validate: ValidateFunction<Ir>; readonly notes: ConditionNotes } {
  if (compiled === null) {
    // verbose: errors then carry their schema, which formatErrors turns into readable messages.
    const ajv = new Ajv2020({
      allErrors: true,
      strict: true,
      allowUnionTypes: true,
      discriminator: true,
      verbose: true,
    });
    compiled = { validate: ajv.compile<Ir>(irSchema), notes: conditionNotes([irSchema]) };
  }
  return compiled;
}

const ARITY: Record<IrFunction, number> = {
  lower: 1,
  upper: 1,
  trim: 1,
  len: 1,
  host: 1,
  domain: 1,
  "intent.mentions": 1,
  starts_with: 2,
  ends_with: 2,
  contains: 2,
  in_cidr: 2,
};

/** Nodes whose presence `has` can test: the evaluator's inputs. */
const PRESENCE = new Set<IrExpr["op"]>(["arg", "fact", "identity", "entry", "intent", "session"]);

/** RFC 6901 escaping of one reference token. */
function token(name: string): string {
  return name.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** Whether a constant set is in the canonical order with no duplicates (evaluators compare sets elementwise). */
function canonicalSet(items: readonly (string | number | boolean)[]): boolean {
  const sorted = sortScalars(items);
  return sorted.length === items.length && sorted.every((v, i) => v === items[i]);
}

/** Collects structural errors, up to `MAX_ERRORS`. */
class Problems {
  readonly list: IrValidationError[] = [];
  add(path: string, message: string): void {
    if (this.list.length < MAX_ERRORS) this.list.push({ path, message });
  }
  /** `index` must be below `length`: an entry of `what`. */
  index(path: string, index: number, length: number, what: string): void {
    if (index >= length)
      this.add(path, `refers to ${what} ${index}, but there ${length === 1 ? "is" : "are"} ${length}`);
  }
}

function checkConst(p: Problems, at: string, value: IrConst): void {
  if (Array.isArray(value) && !canonicalSet(value))
    p.add(`${at}/value`, "must be a set: distinct elements in canonical order");
}

function checkExprs(p: Problems, ir: Ir): void {
  ir.exprs.forEach((node, i) => {
    const at = `/exprs/${i}`;
    for (const child of exprChildren(node)) {
      if (child >= i) p.add(at, `refers to expression ${child}, which does not precede it`);
    }
    switch (node.op) {
      case "const":
        checkConst(p, at, node.value);
        break;
      case "fact":
        if (!Object.hasOwn(ir.facts, node.name)) p.add(`${at}/name`, `names no declared fact`);
        break;
      case "feature":
        p.index(`${at}/feature`, node.feature, ir.features.length, "feature");
        break;
      case "matches":
        p.index(`${at}/regex`, node.regex, ir.regexes.length, "regex");
        break;
      case "call":
        if (node.args.length !== ARITY[node.fn])
          p.add(
            `${at}/args`,
            `${node.fn} takes ${ARITY[node.fn]} argument${ARITY[node.fn] === 1 ? "" : "s"}`,
          );
        break;
      case "has": {
        const of = ir.exprs[node.of];
        if (node.of < i && of !== undefined && !PRESENCE.has(of.op))
          p.add(`${at}/of`, `tests the presence of a ${of.op} node, which is not an input`);
        break;
      }
      default:
        break;
    }
  });
}

function checkRegexes(p: Problems, ir: Ir): void {
  ir.regexes.forEach((program, r) => {
    const at = `/regexes/${r}`;
    const length = program.insts.length;
    p.index(`${at}/start`, program.start, length, "instruction");
    program.insts.forEach((inst, i) => {
      const here = `${at}/insts/${i}`;
      if (inst.op === "match") return;
      p.index(`${here}/next`, inst.next, length, "instruction");
      if (inst.op === "split") p.index(`${here}/alt`, inst.alt, length, "instruction");
      if (inst.op === "char-class") {
        const { ranges } = inst;
        const sorted = ranges.every((v, k) => {
          const prev = ranges[k - 1];
          if (prev === undefined) return true;
          // Within a pair lo ≤ hi; between pairs a gap of at least one code point.
          return k % 2 === 1 ? prev <= v : prev + 1 < v;
        });
        if (ranges.length % 2 !== 0 || !sorted)
          p.add(`${here}/ranges`, "must be sorted, disjoint, non-adjacent [lo, hi] pairs");
      }
    });
  });
}

function checkRules(p: Problems, ir: Ir): void {
  ir.rules.forEach((rule, r) => {
    const at = `/rules/${r}`;
    if (rule.kind === "step_up" && rule.approval === null) p.add(`${at}/approval`, "is required for step_up");
    if (rule.deferral !== null && rule.kind !== "defer") p.add(`${at}/deferral`, "is only for defer rules");
    if (rule.deferral?.then === "step_up" && rule.approval === null)
      p.add(`${at}/approval`, "is required for a deferral that ends in step_up");
    if ((rule.kind === "modify") !== rule.modifications.length > 0)
      p.add(`${at}/modifications`, "are required for modify rules and only for them");
    rule.modifications.forEach((m, k) => {
      const here = `${at}/modifications/${k}`;
      const n = ir.exprs.length;
      if (m.op === "set") p.index(`${here}/value`, m.value, n, "expression");
      if (m.op === "clamp") {
        p.index(`${here}/min`, m.min, n, "expression");
        p.index(`${here}/max`, m.max, n, "expression");
      }
      if (m.op === "redact") {
        if (m.regex !== null) p.index(`${here}/regex`, m.regex, ir.regexes.length, "regex");
        if ((m.regex === null) !== (m.pattern === null))
          p.add(`${here}/pattern`, "must be null exactly when regex is");
      }
    });
  });
}

function checkCandidates(
  p: Problems,
  ir: Ir,
  at: string,
  list: readonly IrCandidate[],
  of: { readonly length: number; readonly what: string },
): void {
  list.forEach((c, k) => {
    p.index(`${at}/${k}/rule`, c.rule, of.length, of.what);
    p.index(`${at}/${k}/cond`, c.cond, ir.exprs.length, "expression");
  });
}

function checkTools(p: Problems, ir: Ir): void {
  const classifiers = { length: ir.classifiers.length, what: "classifier" };
  for (const [name, tool] of Object.entries(ir.tools)) {
    const at = `/tools/${token(name)}`;
    if (tool.target !== null) p.index(`${at}/target`, tool.target, ir.exprs.length, "expression");
    checkCandidates(p, ir, `${at}/candidates`, tool.candidates, { length: ir.rules.length, what: "rule" });
    checkCandidates(p, ir, `${at}/classifiers`, tool.classifiers, classifiers);
    const order = tool.candidates.map((c) => {
      const kind = ir.rules[c.rule]?.kind;
      return kind === undefined ? null : TIERS.indexOf(kind) * ir.rules.length + c.rule;
    });
    order.forEach((key, k) => {
      const prev = order[k - 1];
      if (k > 0 && key !== null && prev !== null && prev !== undefined && prev >= key)
        p.add(
          `${at}/candidates/${k}`,
          "is out of order: candidates are strongest kind first, then in rule order, each rule once",
        );
    });
  }
  checkCandidates(p, ir, "/undeclaredToolClassifiers", ir.undeclaredToolClassifiers, classifiers);
}

/** Roots of one kind of evaluation context, with where each is referenced from. */
function contextErrors(p: Problems, ir: Ir): void {
  const decision: number[] = [];
  const labelling: number[] = [...ir.undeclaredToolClassifiers.map((c) => c.cond)];
  for (const tool of Object.values(ir.tools)) {
    decision.push(...tool.candidates.map((c) => c.cond));
    if (tool.target !== null) decision.push(tool.target);
    labelling.push(...tool.classifiers.map((c) => c.cond));
  }
  for (const rule of ir.rules) {
    for (const m of rule.modifications) {
      if (m.op === "set") decision.push(m.value);
      if (m.op === "clamp") decision.push(m.min, m.max);
    }
  }
  const predicates = ir.features.flatMap((f) =>
    f.kind === "seen" ? f.steps : f.kind === "count" ? [f.where] : [],
  );
  const misplaced = (roots: readonly number[], op: IrExpr["op"], where: string) => {
    for (const i of reachable(ir.exprs, roots)) {
      if (ir.exprs[i]?.op === op)
        p.add(`/exprs/${i}`, `is a${op === "entry" ? "n" : ""} ${op} node, read ${where}`);
    }
  };
  misplaced(decision, "entry", "outside a session-query predicate");
  misplaced(labelling, "entry", "outside a session-query predicate");
  misplaced(decision, "output", "outside a classifier");
  misplaced(predicates, "output", "outside a classifier");
}

/** What the schema cannot check; indices are known to be in range only once the earlier checks pass. */
function structuralErrors(ir: Ir): IrValidationError[] {
  const p = new Problems();
  ir.features.forEach((f, i) => {
    const steps = f.kind === "seen" ? f.steps : f.kind === "count" ? [f.where] : [];
    const field = f.kind === "seen" ? "steps/" : "where";
    steps.forEach((s, k) =>
      p.index(`/features/${i}/${field}${f.kind === "seen" ? k : ""}`, s, ir.exprs.length, "expression"),
    );
  });
  checkExprs(p, ir);
  checkRegexes(p, ir);
  checkRules(p, ir);
  checkTools(p, ir);
  if (p.list.length > 0) return p.list;
  contextErrors(p, ir);
  if (p.list.length > 0) return p.list;
  const cost = measureCost(ir);
  if (ir.cost !== cost) p.add("/cost", `is ${ir.cost}, but the measured cost is ${cost}`);
  return p.list;
}

function hashError(ir: Ir): IrValidationError | null {
  const expected = canonicalHash({ ...ir, hash: "" });
  if (!expected.ok) return { path: "/hash", message: `cannot be checked: ${expected.error.message}` };
  return expected.value === ir.hash
    ? null
    : { path: "/hash", message: `does not match the document, whose hash is ${expected.value}` };
}

/**
 * Validates an untrusted value as an IR document: the JSON Schema, then the
 * structural checks an evaluator relies on, then the hash. Returns the value,
 * typed, or every problem found (at most 100), each located by a JSON pointer.
 */
export function validateIr(value: unknown): IrValidation {
  const { validate, notes } = schemaValidator();
  if (!validate(value)) return { ok: false, errors: formatErrors(validate.errors ?? [], notes) };
  const errors = structuralErrors(value);
  const hash = hashError(value);
  if (hash !== null && errors.length < MAX_ERRORS) errors.push(hash);
  return errors.length === 0 ? { ok: true, ir: value } : { ok: false, errors };
}
