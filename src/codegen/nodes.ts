/**
 * The JavaScript body of one IR expression node: the interpreter's rule for
 * the node's operator (`src/eval/expr.ts`), specialised to the node. Paths,
 * names, constants, operators and regex programs are fixed in the code;
 * operands that are constants are written as literals and never tested for
 * `Missing`. A body reads its context as `c` and returns the node's value
 * (a JSON value, a set as a sorted array, or `Missing`).
 *
 * Every operator, field and function name is checked against the IR's, and
 * every string reaches the code through `jsString`; anything else is a
 * `CodegenError`.
 *
 * @module
 */
import type { Ir, IrExpr } from "../ir/types.ts";
import { IR_DATA } from "./interface.ts";
import { CodegenError, jsString } from "./literal.ts";

/** What a body needs from the compilation it is part of. */
export interface NodeScope {
  readonly ir: Ir;
  /** Node `i`, an index already checked. */
  node(i: number): IrExpr;
  /** The JavaScript expression for the value of node `i` (a call, or a literal for a constant). */
  ref(i: number): string;
  /** A module-level constant `name` with initialiser `code`, declared once. */
  constant(name: string, code: string): string;
  /** The module-level array of the constant set at node `i`. */
  constSet(i: number): string;
  /** Checks that `of` is the index of a node before node `i`. */
  earlier(i: number, of: unknown): number;
}

const IDENTITY_FIELDS = ["human", "agent", "service", "session", "roles", "scope", "delegation_depth"];
const COMPARISONS = ["==", "!=", "<", "<=", ">", ">="];

export function fail(message: string): never {
  throw new CodegenError(message);
}

export function isIndex(value: unknown, limit: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) < limit;
}

export function list(value: unknown, where: string): readonly unknown[] {
  return Array.isArray(value) ? value : fail(`${where}: expected an array`);
}

function text(value: unknown, where: string): string {
  return typeof value === "string" ? value : fail(`${where}: expected a string`);
}

function texts(value: unknown, where: string): string[] {
  return list(value, where).map((s) => text(s, where));
}

function oneOf(value: unknown, allowed: readonly string[], where: string): string {
  return typeof value === "string" && allowed.includes(value)
    ? value
    : fail(`${where}: unknown ${JSON.stringify(value)}`);
}

function missing(names: readonly string[]): string {
  return `new Missing([${names.map(jsString).join(", ")}])`;
}

function lines(...parts: readonly string[]): string {
  return parts.filter((part) => part !== "").join("\n");
}

/** The indices of the nodes that `node` evaluates (not `has`'s operand, whose presence alone is tested). */
export function children(node: IrExpr): readonly unknown[] {
  switch (node.op) {
    case "set":
      return list(node.items, "set items");
    case "not":
    case "neg":
      return [node.arg];
    case "and":
    case "or":
      return list(node.args, `${node.op} operands`);
    case "compare":
    case "add":
    case "sub":
    case "mul":
      return [node.left, node.right];
    case "in":
      return [node.item, node.set];
    case "matches":
      return [node.subject];
    case "call":
      return list(node.args, "call arguments");
    default:
      return [];
  }
}

/** The body of node `i`. */
export function nodeBody(scope: NodeScope, i: number, n: IrExpr): string {
  const where = `exprs[${i}]`;
  /** Operands in locals `a0`, `a1`, …; constants are never missing. */
  const locals = (indices: readonly unknown[]) =>
    lines(...indices.map((j, k) => `const a${k} = ${scope.ref(j as number)};`));
  /** Operands in locals, and a return of what is missing among them. */
  const operands = (indices: readonly unknown[]) => {
    const unknown = indices.flatMap((j, k) => (scope.node(j as number).op === "const" ? [] : [`a${k}`]));
    const test = unknown.map((a) => `${a} instanceof Missing`).join(" || ");
    return lines(
      locals(indices),
      unknown.length === 0
        ? ""
        : unknown.length === 1
          ? `if (${test}) return ${unknown[0]};`
          : `if (${test}) return missingOf([${unknown.join(", ")}]);`,
    );
  };
  switch (n.op) {
    case "const":
      return `return ${scope.ref(i)};`;
    case "arg": {
      const path = texts(n.path, `${where} path`);
      const absent = missing([["args", ...path].join(".")]);
      const [first, ...rest] = path;
      if (first === undefined) return `return ${absent};`;
      return lines(
        `let v = $own(c.args, ${jsString(first)});`,
        ...rest.map((s) => `v = $isRecord(v) ? $own(v, ${jsString(s)}) : undefined;`),
        `if (v === undefined) return ${absent};`,
        `return ${n.set === true ? "$asSet(v)" : "v"};`,
      );
    }
    case "fact": {
      const name = text(n.name, `${where} name`);
      return lines(
        `const s = c.snapshot;`,
        `const v = s === null ? undefined : $own(s.facts, ${jsString(name)});`,
        `if (v === undefined) return ${missing([name])};`,
        `return ${n.set === true ? "$asSet(v)" : "v"};`,
      );
    }
    case "missing":
      return `return ${missing(texts(n.names, `${where} names`))};`;
    case "identity": {
      const field = oneOf(n.field, IDENTITY_FIELDS, `${where} identity field`);
      const absent = missing([`identity.${field}`]);
      const head = `const id = c.identity;\nif (id === null) return ${absent};`;
      if (field === "roles" || field === "scope") return `${head}\nreturn toSet(id.${field});`;
      if (field === "delegation_depth") return `${head}\nreturn id.delegation.length;`;
      return `${head}\nconst v = id.${field};\nreturn v === undefined ? ${absent} : v;`;
    }
    case "intent": {
      const field = oneOf(n.field, ["text", "scope", "alignment"], `${where} intent field`);
      if (field === "alignment") {
        return `const v = c.snapshot?.scores.alignment;\nreturn v === undefined ? ${missing(["intent.alignment"])} : v;`;
      }
      return lines(
        `const intent = c.snapshot?.intent;`,
        `if (intent === undefined) return ${missing(["intent"])};`,
        field === "text" ? `return intent.text;` : `return toSet(intent.scope ?? []);`,
      );
    }
    case "session": {
      const field = oneOf(n.field, ["tainted", "sensitivity", "drift"], `${where} session field`);
      const value =
        field === "tainted"
          ? `sessionTainted(s.history)`
          : field === "sensitivity"
            ? `sessionSensitivity(s.history)`
            : `s.scores.drift === undefined ? ${missing(["session.drift"])} : s.scores.drift`;
      return lines(
        `const s = c.snapshot;`,
        `if (s === null) return ${missing([`session.${field}`])};`,
        `return ${value};`,
      );
    }
    case "feature": {
      if (!isIndex(n.feature, list(scope.ir.features, "features").length))
        fail(`${where}: no feature ${n.feature}`);
      const feature = scope.constant(`$f${n.feature}`, `${IR_DATA}.features[${n.feature}]`);
      return `if (c.snapshot === null) return ${missing(["session"])};\nreturn featureValue(c, ${feature});`;
    }
    case "entry": {
      const field = oneOf(n.field, ["tool", "effect", "target", "labels"], `${where} entry field`);
      const value =
        field === "labels"
          ? `toSet(entryLabels(e))`
          : field === "target"
            ? `e.target === undefined ? ${missing(["history.target"])} : e.target`
            : `e.${field}`;
      const outside = jsString(`${field} of a prior action outside a session query`);
      return lines(
        `const e = c.entry;`,
        `if (e === null) throw new IrTypeError(${outside});`,
        `return ${value};`,
      );
    }
    case "output":
      return `if (c.output === null) throw new IrTypeError("output outside a classifier");\nreturn c.output;`;
    case "tool":
      return `return c.tool;`;
    case "set":
      return `const items = [${n.items.map((j) => scope.ref(j)).join(", ")}];\nreturn missingOf(items) ?? toSet(items);`;
    case "has":
      return presence(scope, i, n.of);
    case "not":
      return `const v = ${scope.ref(n.arg)};\nreturn v instanceof Missing ? v : !$bool(v, "not");`;
    case "and":
    case "or": {
      // Kleene: a certain false (for `or`, true) decides; otherwise unknown if any operand is.
      const decisive = n.op === "or";
      const tests = n.args.map((j, k) =>
        lines(
          `v = ${scope.ref(j)};`,
          `if (v instanceof Missing) u = ${k === 0 ? "v" : "u === null ? v : missingOf([u, v])"};`,
          `else if ($bool(v, "${n.op}") === ${decisive}) return ${decisive};`,
        ),
      );
      return lines(`let u = null;`, `let v;`, ...tests, `return u ?? ${!decisive};`);
    }
    case "compare": {
      const cmp = oneOf(n.cmp, COMPARISONS, `${where} comparison`);
      const head = operands([n.left, n.right]);
      if (cmp === "==") return `${head}\nreturn valuesEqual(a0, a1);`;
      if (cmp === "!=") return `${head}\nreturn !valuesEqual(a0, a1);`;
      const op = jsString(cmp);
      const numbers = `$num(a0, ${op}) - $num(a1, ${op})`;
      // Two strings are sensitivity levels, compared by rank; a number constant on either side rules that out.
      const constNumber = [n.left, n.right].some((j) => {
        const operand = scope.node(j);
        return operand.op === "const" && typeof operand.value === "number";
      });
      const levels = `typeof a0 === "string" && typeof a1 === "string" ? levelRank(a0) - levelRank(a1) : `;
      return lines(head, `const d = ${constNumber ? "" : levels}${numbers};`, `return d ${cmp} 0;`);
    }
    case "in": {
      const set = scope.node(n.set);
      if (set.op === "const" && Array.isArray(set.value)) {
        const members = scope.constant(`$s${n.set}`, `new Set(${scope.constSet(n.set)})`);
        return `const v = ${scope.ref(n.item)};\nreturn v instanceof Missing ? v : ${members}.has(v);`;
      }
      return lines(
        operands([n.item, n.set]),
        `if (Array.isArray(a1)) return a1.includes(a0);`,
        `return $str(a1, "in").includes($str(a0, "in"));`,
      );
    }
    case "matches": {
      if (!isIndex(n.regex, list(scope.ir.regexes, "regexes").length)) fail(`${where}: no regex ${n.regex}`);
      const program = scope.constant(`$r${n.regex}`, `${IR_DATA}.regexes[${n.regex}]`);
      return lines(
        `const v = ${scope.ref(n.subject)};`,
        `if (v instanceof Missing) return v;`,
        `return regexTest(${program}, $str(v, "matches"));`,
      );
    }
    case "add":
    case "sub":
    case "mul": {
      const symbol = n.op === "add" ? "+" : n.op === "sub" ? "-" : "*";
      return lines(
        operands([n.left, n.right]),
        n.op === "add" ? `if (typeof a0 === "string" && typeof a1 === "string") return a0 + a1;` : "",
        `const n = $num(a0, "${n.op}") ${symbol} $num(a1, "${n.op}");`,
        `return Number.isFinite(n) ? n : ${missing(texts(n.fault, `${where} fault`))};`,
      );
    }
    case "neg":
      return `const v = ${scope.ref(n.arg)};\nreturn v instanceof Missing ? v : -$num(v, "neg");`;
    case "call":
      return call(n, where, locals, operands);
    default:
      return fail(`${where}: unknown operator ${JSON.stringify((n as { readonly op?: unknown }).op)}`);
  }
}

/** `has(x)`: the presence of the input at node `of`; never unknown. */
function presence(scope: NodeScope, i: number, of: unknown): string {
  const n = scope.node(scope.earlier(i, of));
  const where = `exprs[${String(of)}]`;
  switch (n.op) {
    case "arg":
      return lines(
        `let v = c.args;`,
        ...texts(n.path, `${where} path`).map(
          (s) => `v = $isRecord(v) ? $own(v, ${jsString(s)}) : undefined;`,
        ),
        `return v !== undefined;`,
      );
    case "fact": {
      const name = jsString(text(n.name, `${where} name`));
      return `return c.snapshot !== null && $own(c.snapshot.facts, ${name}) !== undefined;`;
    }
    case "identity": {
      const field = oneOf(n.field, IDENTITY_FIELDS, `${where} identity field`);
      return field === "roles" || field === "scope" || field === "delegation_depth"
        ? `return c.identity !== null;`
        : `return c.identity !== null && c.identity.${field} !== undefined;`;
    }
    case "entry":
      return `return c.entry !== null && c.entry.target !== undefined;`;
    case "intent":
      return n.field === "alignment"
        ? `return c.snapshot?.scores.alignment !== undefined;`
        : `return c.snapshot?.intent !== undefined;`;
    case "session":
      return `return c.snapshot?.scores.drift !== undefined;`;
    default:
      return fail(`exprs[${i}]: has() of something that cannot be absent`);
  }
}

const FUNCTIONS = [
  "lower",
  "upper",
  "trim",
  "len",
  "starts_with",
  "ends_with",
  "contains",
  "host",
  "domain",
  "in_cidr",
  "intent.mentions",
];

function call(
  n: Extract<IrExpr, { op: "call" }>,
  where: string,
  locals: (indices: readonly unknown[]) => string,
  operands: (indices: readonly unknown[]) => string,
): string {
  const fn = oneOf(n.fn, FUNCTIONS, `${where} function`);
  const name = jsString(fn);
  const count = n.args.length;
  // An operand the IR leaves out is undefined, which the operand checks refuse, as in the interpreter.
  const arg = (k: number) => (k < count ? `a${k}` : "undefined");
  const s = (k: number) => `$str(${arg(k)}, ${name})`;
  if (fn === "intent.mentions") {
    const values = n.args.map((_, k) => `a${k}`);
    const noIntent = missing(["intent"]);
    return lines(
      locals(n.args),
      `const intent = c.snapshot?.intent;`,
      `const u = missingOf(intent === undefined ? [${[...values, noIntent].join(", ")}] : [${values.join(", ")}]);`,
      `if (u !== null || intent === undefined) return u ?? ${noIntent};`,
      `const needle = ${s(0)}.toLowerCase();`,
      `return needle !== "" && intent.text.toLowerCase().includes(needle);`,
    );
  }
  const fault = missing(texts(n.fault, `${where} fault`));
  const parsed = (expr: string) => `const r = ${expr};\nreturn r === null ? ${fault} : r;`;
  const result: { readonly [fn: string]: string } = {
    lower: `return ${s(0)}.toLowerCase();`,
    upper: `return ${s(0)}.toUpperCase();`,
    trim: `return ${s(0)}.trim();`,
    len: lines(
      `if (typeof ${arg(0)} === "string") return ${arg(0)}.length;`,
      `if (Array.isArray(${arg(0)})) return ${arg(0)}.length;`,
      `throw new IrTypeError("len: expected string or set");`,
    ),
    starts_with: `return ${s(0)}.startsWith(${s(1)});`,
    ends_with: `return ${s(0)}.endsWith(${s(1)});`,
    contains: `return ${s(0)}.includes(${s(1)});`,
    host: parsed(`urlHost(${s(0)})`),
    domain: parsed(`emailDomain(${s(0)})`),
    in_cidr: parsed(`inCidr(${s(0)}, ${s(1)})`),
  };
  return lines(operands(n.args), result[fn] as string);
}
