/**
 * fast-check generator of syntactically valid `.aarm` source text: every
 * construct of the grammar (`src/lang/parser.ts`) and the structural rules
 * the lowering enforces (each clause once, approval clauses only where a
 * step-up is, comparisons that do not chain), with random whitespace, CRLF
 * line ends and comments between any two tokens. The policies need not be
 * well-typed: this is for the formatter and the parser, not the checker.
 */
import fc from "fast-check";
import { EFFECTS, RISK_LEVELS, RULE_KINDS } from "../../src/lang/ast.ts";
import { KEYWORDS } from "../../src/lang/lexer.ts";

type Tokens = readonly string[];

export interface SyntaxOptions {
  /** Put comments between tokens (default true). */
  readonly comments?: boolean;
}

/** A whole source file, policy or module. */
export function arbitrarySyntax(options: SyntaxOptions = {}): fc.Arbitrary<{ readonly source: string }> {
  const file = fc
    .tuple(header, fc.array(item, { maxLength: 8 }))
    .map(([h, items]) => [...h, ...items.flat()]);
  return file.chain((tokens) => layout(tokens, options.comments ?? true)).map((source) => ({ source }));
}

/** Joins tokens with random whitespace and, if asked, comments. */
function layout(tokens: Tokens, comments: boolean): fc.Arbitrary<string> {
  const gap = comments ? separator : plainSeparator;
  return fc
    .tuple(
      fc.array(gap, { minLength: tokens.length, maxLength: tokens.length }),
      comments ? fc.constantFrom("", "// leading\n", "/* leading */\n\n") : fc.constant(""),
      comments ? fc.constantFrom("\n", "\n// the end\n", " /* end */") : fc.constant("\n"),
    )
    .map(
      ([gaps, start, end]) =>
        start + tokens.map((t, i) => (i === 0 ? t : (gaps[i] ?? " ") + t)).join("") + end,
    );
}

const plainSeparator = fc.oneof(
  { weight: 20, arbitrary: fc.constant(" ") },
  { weight: 4, arbitrary: fc.constantFrom("\n", "\n  ", "\n\n", "\t", "   ", "\r\n", "\n\n\n    ") },
);

const separator = fc.oneof(
  { weight: 12, arbitrary: plainSeparator },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      " /* inline */ ",
      "/*x*/",
      " // end of line\n",
      "\n// own line\n",
      "\n\n// after a blank line\n\n",
      "\n/* multi\n   line */\n",
      " /* multi\n line */ ",
      " // trailing spaces   \n",
      "\r\n// crlf\r\n",
      "/**/",
      " //\n",
      "\n// one\n// two\n",
    ),
  },
);

// ---------------------------------------------------------------------------
// Names and literals

const reserved = new Set([...KEYWORDS, "std"]);

const identifier = fc
  .oneof(
    fc.constantFrom("a", "b", "x", "pii", "bank", "send_money", "roles", "_private", "v2", "read", "egress"),
    fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/),
  )
  .filter((s) => !reserved.has(s));

/** After a dot, or as an argument name, keywords are names too. */
const anyName = fc.oneof(
  { weight: 4, arbitrary: identifier },
  { weight: 1, arbitrary: fc.constantFrom(...KEYWORDS) },
);

const qualifiedName = fc
  .tuple(identifier, fc.array(anyName, { maxLength: 2 }))
  .map(([first, rest]) => [first, ...rest].join("."));

const nameList: fc.Arbitrary<Tokens> = fc
  .array(identifier, { minLength: 1, maxLength: 3 })
  .map(commaSeparated);

/** A string literal's text: each character raw or escaped, at random. */
const stringLiteral = fc
  .array(
    fc.tuple(
      fc.oneof(
        { weight: 6, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            "é",
            "日",
            "🙂",
            "\u200B",
            "\u202E",
            "\u00A0",
            "\u0007",
            "\n",
            "\t",
            '"',
            "\\",
          ),
        },
      ),
      fc.boolean(),
    ),
    { maxLength: 6 },
  )
  .map((chars) => `"${chars.map(([c, escaped]) => encodeChar(c, escaped)).join("")}"`);

function encodeChar(c: string, escaped: boolean): string {
  const simple: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r" };
  if (simple[c] !== undefined) return simple[c];
  return escaped ? `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}` : c;
}

const numberLiteral = fc.oneof(
  fc.nat({ max: 100_000 }).map(String),
  fc.constantFrom(
    "0",
    "0.5",
    "1.50",
    "1e3",
    "2E-5",
    "0.000001",
    "12.0",
    "1e21",
    "007",
    "123456789012345678901234",
  ),
);

const duration = fc
  .tuple(fc.nat({ max: 10_000 }), fc.constantFrom("ms", "s", "m", "h", "d"))
  .map(([n, unit]) => `${n}${unit}`);

const regex = fc
  .tuple(
    fc.constantFrom("\\d+", "[/]", "a\\/b", "(?i)secret", "^foo$", "\\b\\d{3}-\\d{2}-\\d{4}\\b", "x", ".*ab"),
    fc.constantFrom("", "i"),
  )
  .map(([source, flags]) => `/${source}/${flags}`);

const typeExpr: fc.Arbitrary<Tokens> = fc.letrec<{ type: Tokens }>((tie) => ({
  type: fc.oneof(
    { depthSize: "small", maxDepth: 2 },
    fc.constantFrom("string", "number", "bool", "duration").map((t) => [t]),
    tie("type").map((t) => ["set", "<", ...t, ">"]),
  ),
})).type;

function commaSeparated(parts: readonly string[]): string[] {
  return parts.flatMap((p, i) => (i === 0 ? [p] : [",", p]));
}

function commaJoined(parts: readonly Tokens[], trailingComma = false): string[] {
  const out = parts.flatMap((p, i) => (i === 0 ? [...p] : [",", ...p]));
  return trailingComma && parts.length > 0 ? [...out, ","] : out;
}

// ---------------------------------------------------------------------------
// Expressions: a tree printed with the parentheses its precedence needs.

type Tree =
  | { readonly t: "atom"; readonly tokens: Tokens }
  | { readonly t: "binary"; readonly op: string; readonly left: Tree; readonly right: Tree }
  | { readonly t: "matches"; readonly left: Tree; readonly regex: string }
  | { readonly t: "unary"; readonly op: "not" | "-"; readonly operand: Tree }
  | { readonly t: "paren"; readonly inner: Tree }
  | {
      readonly t: "brackets";
      readonly open: string;
      readonly close: string;
      readonly elements: readonly Tree[];
    }
  | { readonly t: "call"; readonly callee: string; readonly args: readonly Tree[] }
  | { readonly t: "seen"; readonly steps: readonly Tree[]; readonly within: string | null }
  | { readonly t: "count"; readonly where: Tree; readonly within: string | null }
  | { readonly t: "sum"; readonly tool: string; readonly arg: string; readonly within: string | null };

const BINARY_PRECEDENCE: Readonly<Record<string, number>> = {
  or: 1,
  and: 2,
  "==": 4,
  "!=": 4,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  in: 4,
  "not in": 4,
  "+": 5,
  "-": 5,
  "*": 6,
};

const atom: fc.Arbitrary<Tree> = fc
  .oneof(
    stringLiteral.map((s) => [s]),
    numberLiteral.map((n) => [n]),
    duration.map((d) => [d]),
    fc.constantFrom(["true"], ["false"]),
    qualifiedName.map((q) => [q]),
    fc.constantFrom(["tool"], ["effect"], ["target"], ["output"], ["identity.roles"], ["session.tainted"]),
    fc.array(anyName, { minLength: 1, maxLength: 3 }).map((segments) => [["args", ...segments].join(".")]),
  )
  .map((tokens): Tree => ({ t: "atom", tokens }));

const within = fc.option(duration, { nil: null });

const expressionTree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => {
  const sub = tie("tree");
  return {
    tree: fc.oneof(
      { depthSize: "small", maxDepth: 4, depthIdentifier: "expression" },
      { weight: 4, arbitrary: atom },
      fc
        .tuple(fc.constantFrom(...Object.keys(BINARY_PRECEDENCE)), sub, sub)
        .map(([op, left, right]): Tree => ({ t: "binary", op, left, right })),
      fc.tuple(sub, regex).map(([left, r]): Tree => ({ t: "matches", left, regex: r })),
      fc
        .tuple(fc.constantFrom<"not" | "-">("not", "-"), sub)
        .map(([op, operand]): Tree => ({ t: "unary", op, operand })),
      sub.map((inner): Tree => ({ t: "paren", inner })),
      fc
        .tuple(fc.constantFrom(["{", "}"], ["[", "]"]), fc.array(sub, { maxLength: 3 }))
        .map(([[open, close], elements]): Tree => ({
          t: "brackets",
          open: open ?? "{",
          close: close ?? "}",
          elements,
        })),
      fc
        .tuple(
          fc.constantFrom("has", "lower", "host", "intent.mentions", "in_cidr"),
          fc.array(sub, { maxLength: 2 }),
        )
        .map(([callee, args]): Tree => ({ t: "call", callee, args })),
      fc
        .tuple(fc.array(sub, { minLength: 1, maxLength: 3 }), within)
        .map(([steps, w]): Tree => ({ t: "seen", steps, within: w })),
      fc.tuple(sub, within).map(([where, w]): Tree => ({ t: "count", where, within: w })),
      fc
        .tuple(stringLiteral, identifier, within)
        .map(([tool, arg, w]): Tree => ({ t: "sum", tool, arg, within: w })),
    ),
  };
}).tree;

function precedenceOf(tree: Tree): number {
  if (tree.t === "binary") return BINARY_PRECEDENCE[tree.op] ?? 0;
  if (tree.t === "matches") return 4;
  if (tree.t === "unary") return tree.op === "not" ? 3 : 7;
  return 8;
}

/** The tokens of a tree, parenthesized where it binds looser than `min`. */
function treeTokens(tree: Tree, min = 0): string[] {
  const own = ownTokens(tree);
  return precedenceOf(tree) < min ? ["(", ...own, ")"] : own;
}

function ownTokens(tree: Tree): string[] {
  switch (tree.t) {
    case "atom":
      return [...tree.tokens];
    case "binary": {
      const p = precedenceOf(tree);
      // Comparisons do not chain: both operands bind tighter. The others associate to the left.
      const leftMin = p === 4 ? 5 : p;
      return [...treeTokens(tree.left, leftMin), ...tree.op.split(" "), ...treeTokens(tree.right, p + 1)];
    }
    case "matches":
      return [...treeTokens(tree.left, 5), "matches", tree.regex];
    case "unary":
      return [tree.op, ...treeTokens(tree.operand, tree.op === "not" ? 3 : 7)];
    case "paren":
      return ["(", ...treeTokens(tree.inner), ")"];
    case "brackets":
      return [tree.open, ...commaJoined(tree.elements.map((e) => treeTokens(e))), tree.close];
    case "call":
      return [tree.callee, "(", ...commaJoined(tree.args.map((a) => treeTokens(a))), ")"];
    case "seen": {
      const steps = tree.steps.flatMap((s, i) => (i === 0 ? treeTokens(s) : ["then", ...treeTokens(s)]));
      return ["session.seen", "(", ...steps, ...withinTokens(tree.within), ")"];
    }
    case "count":
      return ["session.count", "(", ...treeTokens(tree.where), ...withinTokens(tree.within), ")"];
    case "sum":
      return ["session.sum", "(", tree.tool, ",", tree.arg, ...withinTokens(tree.within), ")"];
  }
}

function withinTokens(w: string | null): string[] {
  return w === null ? [] : [",", "within", w];
}

const expression: fc.Arbitrary<Tokens> = expressionTree.map((t) => treeTokens(t));

// ---------------------------------------------------------------------------
// Items

const header: fc.Arbitrary<Tokens> = fc.oneof(
  fc.tuple(qualifiedName, stringLiteral).map(([name, version]) => ["policy", name, "version", version]),
  qualifiedName.map((name) => ["module", name]),
);

const withClause: fc.Arbitrary<Tokens> = fc
  .tuple(fc.array(fc.tuple(identifier, expression), { maxLength: 3 }), fc.boolean())
  .map(([bindings, trailing]) => [
    "with",
    "{",
    ...commaJoined(
      bindings.map(([n, v]) => [n, "=", ...v]),
      trailing,
    ),
    "}",
  ]);

const importDecl: fc.Arbitrary<Tokens> = fc.oneof(
  fc
    .tuple(
      fc.oneof(
        identifier.map((n) => `std/${n}`),
        stringLiteral,
      ),
      fc.option(withClause, { nil: null }),
    )
    .map(([source, w]) => ["import", source, ...(w ?? [])]),
  fc.tuple(stringLiteral, identifier).map(([path, prefix]) => ["import", "mcp", path, "as", prefix]),
);

const argsBlock: fc.Arbitrary<Tokens> = fc
  .tuple(fc.array(fc.tuple(anyName, fc.boolean(), typeExpr), { maxLength: 5 }), fc.boolean())
  .map(([decls, trailing]) => [
    "args",
    "{",
    ...commaJoined(
      decls.map(([n, optional, t]) => [n, ...(optional ? ["?"] : []), ":", ...t]),
      trailing,
    ),
    "}",
  ]);

const toolDecl: fc.Arbitrary<Tokens> = fc
  .tuple(
    qualifiedName,
    fc.option(argsBlock, { nil: null }),
    fc.option(fc.constantFrom(...EFFECTS), { nil: null }),
    fc.option(expression, { nil: null }),
    fc.option(nameList, { nil: null }),
  )
  .chain(([name, args, effect, target, output]) => {
    const clauses: Tokens[] = [];
    if (args !== null) clauses.push(args);
    if (effect !== null) clauses.push(["effect", effect]);
    if (target !== null) clauses.push(["target", ...target]);
    if (output !== null) clauses.push(["output", ...output]);
    return shuffled(clauses).map((order) => ["tool", name, "{", ...order.flat(), "}"]);
  });

const onClause: fc.Arbitrary<Tokens> = fc
  .array(qualifiedName, { minLength: 1, maxLength: 3 })
  .map((names) => ["on", ...commaSeparated(names)]);

const classifyRule: fc.Arbitrary<Tokens> = fc
  .tuple(identifier, fc.option(onClause, { nil: null }), expression, nameList)
  .map(([name, on, when, labels]) => ["classify", name, ...(on ?? []), "when", ...when, "label", ...labels]);

const stringList: fc.Arbitrary<Tokens> = fc
  .tuple(fc.array(stringLiteral, { maxLength: 3 }), fc.boolean())
  .map(([strings, trailing]) => [
    "[",
    ...commaJoined(
      strings.map((s) => [s]),
      trailing,
    ),
    "]",
  ]);

/** The optional approval clauses of a step-up (`approvers` is added by the caller). */
const approvalExtras: fc.Arbitrary<Tokens[]> = fc
  .tuple(
    fc.option(numberLiteral, { nil: null }),
    fc.option(duration, { nil: null }),
    fc.option(fc.tuple(duration, stringList), { nil: null }),
    fc.boolean(),
  )
  .map(([quorum, timeout, escalate, self]) => {
    const clauses: Tokens[] = [];
    if (quorum !== null) clauses.push(["quorum", quorum]);
    if (timeout !== null) clauses.push(["timeout", timeout]);
    if (escalate !== null) clauses.push(["escalate", "after", escalate[0], "to", ...escalate[1]]);
    if (self) clauses.push(["self_approval"]);
    return clauses;
  });

const modOp: fc.Arbitrary<Tokens> = fc
  .tuple(
    fc.array(anyName, { minLength: 1, maxLength: 2 }).map((s) => ["args", ...s].join(".")),
    expression,
    expression,
  )
  .chain(([path, a, b]) =>
    fc.constantFrom<Tokens>(
      ["set", path, "=", ...a],
      ["remove", path],
      ["clamp", path, "to", ...a, "..", ...b],
      ["redact", path],
      ["redact", path, "matching", "/\\d{4}/"],
    ),
  );

const ruleDecl: fc.Arbitrary<Tokens> = fc
  .tuple(
    fc.constantFrom(...RULE_KINDS),
    identifier,
    fc.option(onClause, { nil: null }),
    fc.record({
      when: fc.option(expression, { nil: null }),
      unless: fc.option(expression, { nil: null }),
      risk: fc.option(fc.constantFrom(...RISK_LEVELS), { nil: null }),
      because: fc.option(stringLiteral, { nil: null }),
    }),
    fc.tuple(stringList, approvalExtras),
    fc.array(modOp, { minLength: 1, maxLength: 3 }),
    fc.record({
      needs: fc.option(nameList, { nil: null }),
      timeout: fc.option(duration, { nil: null }),
      ending: fc.constantFrom(null, "deny", "step_up"),
    }),
  )
  .chain(([kind, name, on, common, [approvers, extras], mods, deferral]) => {
    const free: Tokens[] = [];
    if (common.when !== null) free.push(["when", ...common.when]);
    if (common.unless !== null) free.push(["unless", ...common.unless]);
    if (common.risk !== null) free.push(["risk", common.risk]);
    if (common.because !== null) free.push(["because", common.because]);
    const head = [kind, name, ...(on ?? [])];
    const approval = [["approvers", ...approvers], ...extras];
    if (kind === "modify") return shuffled([...free, ...mods]).map((c) => [...head, ...c.flat()]);
    if (kind === "step_up") return shuffled([...free, ...approval]).map((c) => [...head, ...c.flat()]);
    if (kind !== "defer") return shuffled(free).map((c) => [...head, ...c.flat()]);
    // In a defer rule a `timeout` before `then step_up` is the deferral's, and approval clauses follow it.
    const before: Tokens[] = [...free];
    if (deferral.needs !== null) before.push(["needs", ...deferral.needs]);
    if (deferral.timeout !== null) before.push(["timeout", deferral.timeout]);
    if (deferral.ending !== "step_up") {
      if (deferral.ending === "deny") before.push(["then", "deny"]);
      return shuffled(before).map((c) => [...head, ...c.flat()]);
    }
    return fc
      .tuple(shuffled(before), shuffled(approval))
      .map(([b, a]) => [...head, ...b.flat(), "then", "step_up", ...a.flat()]);
  });

const item: fc.Arbitrary<Tokens> = fc.oneof(
  importDecl,
  toolDecl,
  fc.tuple(identifier, typeExpr).map(([n, t]) => ["fact", n, ":", ...t]),
  fc.tuple(identifier, expression).map(([n, e]) => ["const", n, "=", ...e]),
  fc.tuple(identifier, typeExpr, expression).map(([n, t, e]) => ["param", n, ":", ...t, "=", ...e]),
  nameList.map((names) => ["category", ...names]),
  classifyRule,
  { weight: 4, arbitrary: ruleDecl },
  fc.constantFrom(["default", "deny"], ["default", "allow"]),
);

function shuffled<T>(items: readonly T[]): fc.Arbitrary<T[]> {
  return fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
}
