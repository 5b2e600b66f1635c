/**
 * The abstract syntax of `.aarm` files.
 *
 * Every node is a member of a discriminated union on `kind` and carries the
 * source span it was lowered from. The AST is produced by the parser's explicit
 * CST → AST lowering and is the only thing later phases (checker, formatter,
 * reference interpreter, compiler) ever see.
 *
 * @module
 */

/** A half-open range of a source file, in UTF-16 code units. */
export interface Span {
  /** The file as it was named to the loader (a path, or `std/<name>` for the standard library). */
  readonly file: string;
  /** Offset of the first character. */
  readonly start: number;
  /** Offset one past the last character. */
  readonly end: number;
  /** 1-based line of `start`. */
  readonly line: number;
  /** 1-based column of `start`. */
  readonly column: number;
}

/** An identifier as written, with where it was written. */
export interface Name {
  readonly kind: "Name";
  readonly text: string;
  readonly span: Span;
}

/**
 * A dotted name such as `bank.send_money`: tool names, module names.
 * `text` is the parts joined with `.`.
 */
export interface QualifiedName {
  readonly kind: "QualifiedName";
  readonly parts: readonly Name[];
  readonly text: string;
  readonly span: Span;
}

// ---------------------------------------------------------------------------
// Files

/** A comment, kept so that the formatter can reproduce it. */
export interface Comment {
  readonly kind: "Comment";
  /** The comment text including its `//` or `/* … *\/` delimiters. */
  readonly text: string;
  readonly span: Span;
}

/** The root policy file: the one with a `policy` header and a `default` posture. */
export interface PolicyFile {
  readonly kind: "PolicyFile";
  readonly header: PolicyHeader;
  readonly items: readonly Item[];
  readonly comments: readonly Comment[];
  readonly span: Span;
}

/** An imported file: a `module` header, no default posture of its own. */
export interface ModuleFile {
  readonly kind: "ModuleFile";
  readonly header: ModuleHeader;
  readonly items: readonly Item[];
  readonly comments: readonly Comment[];
  readonly span: Span;
}

export type SourceFile = PolicyFile | ModuleFile;

/** `policy payments version "2026.11.1"` */
export interface PolicyHeader {
  readonly kind: "PolicyHeader";
  readonly name: QualifiedName;
  readonly version: StringLiteral;
  readonly span: Span;
}

/** `module exfiltration` */
export interface ModuleHeader {
  readonly kind: "ModuleHeader";
  readonly name: QualifiedName;
  readonly span: Span;
}

export type Item =
  | Import
  | McpImport
  | ToolDecl
  | FactDecl
  | ConstDecl
  | ParamDecl
  | CategoryDecl
  | ClassifyRule
  | Rule
  | DefaultDecl;

/**
 * `import std/exfiltration`, `import "./shared.aarm"`, optionally
 * `with { max_sends = 5 }` to set the module's parameters.
 */
export interface Import {
  readonly kind: "Import";
  readonly source: ImportSource;
  readonly bindings: readonly ParamBinding[];
  readonly span: Span;
}

export type ImportSource =
  | { readonly kind: "StdSource"; readonly name: QualifiedName; readonly span: Span }
  | { readonly kind: "PathSource"; readonly path: StringLiteral; readonly span: Span };

/** `max_sends = 5` inside an import's `with { … }`. */
export interface ParamBinding {
  readonly kind: "ParamBinding";
  readonly name: Name;
  readonly value: Expr;
  readonly span: Span;
}

/** `import mcp "./fs-tools.json" as fs`: tool declarations from an MCP `tools/list` result. */
export interface McpImport {
  readonly kind: "McpImport";
  readonly path: StringLiteral;
  readonly prefix: Name;
  readonly span: Span;
}

/**
 * A tool declaration. With `args`, it declares a tool; without `args`, it
 * refines a tool imported from MCP (effect, target, output labels).
 */
export interface ToolDecl {
  readonly kind: "ToolDecl";
  readonly name: QualifiedName;
  readonly args: readonly ArgDecl[] | null;
  readonly effect: EffectClause | null;
  readonly target: TargetClause | null;
  readonly output: OutputClause | null;
  readonly span: Span;
}

/** `amount: number`, `memo?: string` */
export interface ArgDecl {
  readonly kind: "ArgDecl";
  readonly name: Name;
  readonly optional: boolean;
  readonly type: TypeExpr;
  readonly span: Span;
}

/** The effect of a tool on the world. Fixed by the language. */
export type Effect = "read" | "write" | "delete" | "egress" | "execute";
export const EFFECTS: readonly Effect[] = ["read", "write", "delete", "egress", "execute"];

export interface EffectClause {
  readonly kind: "EffectClause";
  readonly effect: Effect;
  readonly span: Span;
}

/** `target args.recipient`: where the action lands (recipient, URL, path, table). */
export interface TargetClause {
  readonly kind: "TargetClause";
  readonly expr: Expr;
  readonly span: Span;
}

/** `output confidential, pii, untrusted`: labels every output of the tool carries. */
export interface OutputClause {
  readonly kind: "OutputClause";
  readonly labels: readonly Name[];
  readonly span: Span;
}

/** `fact maintenance_window: bool`: external context that may be unpopulated. */
export interface FactDecl {
  readonly kind: "FactDecl";
  readonly name: Name;
  readonly type: TypeExpr;
  readonly span: Span;
}

/** `const trusted = {"a", "b"}` */
export interface ConstDecl {
  readonly kind: "ConstDecl";
  readonly name: Name;
  readonly value: Expr;
  readonly span: Span;
}

/** `param max_sends: number = 10`: a constant an importer may override. */
export interface ParamDecl {
  readonly kind: "ParamDecl";
  readonly name: Name;
  readonly type: TypeExpr;
  readonly value: Expr;
  readonly span: Span;
}

/** `category customer_data, health`: data categories beyond the built-in ones. */
export interface CategoryDecl {
  readonly kind: "CategoryDecl";
  readonly names: readonly Name[];
  readonly span: Span;
}

/**
 * `classify ssn on crm.lookup when output matches /…/ label restricted, pii`:
 * labels a tool output when the condition holds. Runs when an output is
 * recorded into the context, not when an action is decided.
 */
export interface ClassifyRule {
  readonly kind: "ClassifyRule";
  readonly name: Name;
  readonly on: readonly QualifiedName[];
  readonly when: Expr;
  readonly labels: readonly Name[];
  readonly span: Span;
}

/** The six rule kinds, from strongest to weakest. */
export type RuleKind = "forbid" | "deny" | "defer" | "step_up" | "modify" | "allow";
export const RULE_KINDS: readonly RuleKind[] = ["forbid", "deny", "defer", "step_up", "modify", "allow"];

export type RiskLevel = "low" | "medium" | "high" | "critical";
export const RISK_LEVELS: readonly RiskLevel[] = ["low", "medium", "high", "critical"];

/**
 * A decision rule.
 *
 * ```text
 * step_up large_payment on bank.send_money
 *   when args.amount > 1000
 *   unless "treasurer" in identity.roles
 *   approvers ["group:finance"] quorum 1 timeout 15m
 *   risk high
 *   because "payments above 1000 need a second pair of eyes"
 * ```
 *
 * The rule matches when `when` holds (absent: true) and `unless` does not
 * (absent: false). `on` restricts it to the listed tools and types `args`.
 */
export interface Rule {
  readonly kind: "Rule";
  readonly ruleKind: RuleKind;
  readonly name: Name;
  readonly on: readonly QualifiedName[];
  readonly when: Expr | null;
  readonly unless: Expr | null;
  /** Only for `step_up`, and for `defer … then step_up`. */
  readonly approval: ApprovalClause | null;
  /** Only for `defer`. */
  readonly deferral: DeferralClause | null;
  /** Only for `modify`: applied in order. */
  readonly modifications: readonly ModOp[];
  readonly risk: { readonly level: RiskLevel; readonly span: Span } | null;
  readonly because: StringLiteral | null;
  readonly span: Span;
}

/** `approvers ["group:finance", "alice"] quorum 2 timeout 15m escalate after 5m to ["bob"] self_approval` */
export interface ApprovalClause {
  readonly kind: "ApprovalClause";
  readonly approvers: readonly StringLiteral[];
  readonly quorum: NumberLiteral | null;
  readonly timeout: DurationLiteral | null;
  readonly escalation: {
    readonly after: DurationLiteral;
    readonly to: readonly StringLiteral[];
    readonly span: Span;
  } | null;
  /** `self_approval`: the requester may approve their own action. Off unless written. */
  readonly selfApproval: boolean;
  readonly span: Span;
}

/** `needs maintenance_window, ticket timeout 5m then step_up approvers ["ops"]` */
export interface DeferralClause {
  readonly kind: "DeferralClause";
  /** Facts whose arrival can resolve the deferral. */
  readonly needs: readonly Name[];
  readonly timeout: DurationLiteral | null;
  /** What happens at timeout: `deny` (the default) or `step_up`. Never allow. */
  readonly then: "deny" | "step_up";
  readonly span: Span;
}

/** A path into the action's arguments: `args.limit`, `args.options.depth`. */
export interface ArgPath {
  readonly kind: "ArgPath";
  readonly segments: readonly Name[];
  readonly span: Span;
}

export type ModOp =
  | { readonly kind: "SetOp"; readonly path: ArgPath; readonly value: Expr; readonly span: Span }
  | { readonly kind: "RemoveOp"; readonly path: ArgPath; readonly span: Span }
  | {
      readonly kind: "ClampOp";
      readonly path: ArgPath;
      readonly min: Expr;
      readonly max: Expr;
      readonly span: Span;
    }
  | {
      readonly kind: "RedactOp";
      readonly path: ArgPath;
      /** Absent: the whole value is replaced. */
      readonly pattern: RegexLiteral | null;
      readonly span: Span;
    };

/** `default deny` or `default allow`. */
export interface DefaultDecl {
  readonly kind: "DefaultDecl";
  readonly posture: "deny" | "allow";
  readonly span: Span;
}

// ---------------------------------------------------------------------------
// Types

export type TypeExpr =
  | { readonly kind: "PrimitiveType"; readonly name: PrimitiveTypeName; readonly span: Span }
  | { readonly kind: "SetType"; readonly element: TypeExpr; readonly span: Span };

export type PrimitiveTypeName = "string" | "number" | "bool" | "duration";

// ---------------------------------------------------------------------------
// Expressions

export type Expr =
  | StringLiteral
  | NumberLiteral
  | BoolLiteral
  | DurationLiteral
  | RegexLiteral
  | SetLiteral
  | ListLiteral
  | Ref
  | ArgPath
  | Unary
  | Binary
  | Call
  | SessionQuery
  | Paren;

export interface StringLiteral {
  readonly kind: "StringLiteral";
  readonly value: string;
  readonly span: Span;
}
export interface NumberLiteral {
  readonly kind: "NumberLiteral";
  readonly value: number;
  readonly span: Span;
}
export interface BoolLiteral {
  readonly kind: "BoolLiteral";
  readonly value: boolean;
  readonly span: Span;
}
/** `15m`: kept both as written and in milliseconds. */
export interface DurationLiteral {
  readonly kind: "DurationLiteral";
  readonly text: string;
  readonly ms: number;
  readonly span: Span;
}
/** `/…/i`: RE2 syntax; the only flag is `i`. Inline `(?i)` also works. */
export interface RegexLiteral {
  readonly kind: "RegexLiteral";
  readonly source: string;
  readonly flags: string;
  readonly span: Span;
}
/** `{a, b}`: a set. Elements are literals, names of effects, labels or constants. */
export interface SetLiteral {
  readonly kind: "SetLiteral";
  readonly elements: readonly Expr[];
  readonly span: Span;
}
/** `["a", "b"]`: only in approver lists. */
export interface ListLiteral {
  readonly kind: "ListLiteral";
  readonly elements: readonly Expr[];
  readonly span: Span;
}

/**
 * A dotted reference resolved by the checker: `tool`, `effect`, `target`,
 * `identity.roles`, `intent.alignment`, `session.tainted`, a fact, a const,
 * a param, an effect name (`egress`), a label (`pii`), or inside a session
 * query or classifier the fields of the entry (`labels`, `output`).
 */
export interface Ref {
  readonly kind: "Ref";
  readonly path: readonly Name[];
  readonly span: Span;
}

export interface Unary {
  readonly kind: "Unary";
  readonly op: "not" | "-";
  readonly operand: Expr;
  readonly span: Span;
}

export type BinaryOp =
  "or" | "and" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "matches" | "+" | "-" | "*";

export interface Binary {
  readonly kind: "Binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

/** A built-in function: `lower(x)`, `host(args.url)`, `has(args.memo)`, `intent.mentions(x)`. */
export interface Call {
  readonly kind: "Call";
  readonly callee: Ref;
  readonly args: readonly Expr[];
  readonly span: Span;
}

/**
 * A query over the session's prior actions.
 *
 * - `session.seen(P)`, `session.seen(P1 then P2 then …)`: an entry (a subsequence) matches.
 * - `session.count(P, within 1h)`: how many entries match.
 * - `session.sum("bank.send_money", amount, within 24h)`: sum of a number argument.
 */
export type SessionQuery =
  | {
      readonly kind: "SeenQuery";
      /** One predicate, or several for a sequence (`A then B`). */
      readonly steps: readonly Expr[];
      readonly within: DurationLiteral | null;
      readonly span: Span;
    }
  | {
      readonly kind: "CountQuery";
      readonly where: Expr;
      readonly within: DurationLiteral | null;
      readonly span: Span;
    }
  | {
      readonly kind: "SumQuery";
      readonly tool: StringLiteral;
      readonly arg: Name;
      readonly within: DurationLiteral | null;
      readonly span: Span;
    };

export interface Paren {
  readonly kind: "Paren";
  readonly expr: Expr;
  readonly span: Span;
}

export type Node =
  | SourceFile
  | PolicyHeader
  | ModuleHeader
  | Item
  | ArgDecl
  | EffectClause
  | TargetClause
  | OutputClause
  | ApprovalClause
  | DeferralClause
  | ModOp
  | ParamBinding
  | TypeExpr
  | Expr
  | Name
  | QualifiedName
  | Comment;
