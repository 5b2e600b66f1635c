/**
 * fast-check arbitraries for well-typed policies and for inputs that conform to them.
 *
 * `arbitraryPolicy()` builds policy source text covering what the checker accepts: tools with
 * typed and optional arguments and targets, facts, consts, params, categories, an imported
 * module with a bound param, classifiers, every rule kind with its clauses (approval merging,
 * deferrals ending in step-up, every modification operation and conflicting modifications),
 * every operator and built-in, session queries with windows and sequences, intent, identity,
 * and both default postures. `arbitraryInput(policy)` builds inputs for it: declared (and
 * sometimes undeclared) tools, absent optional arguments, hostile strings, URLs, e-mail
 * addresses and IP addresses both well-formed and malformed, identities, intents and scores
 * present or absent, facts populated or not, and histories with labels and times.
 *
 * String arguments come in kinds: `url`, `email` and `ip` arguments are only ever read through
 * their helper (`host`, `domain`, `in_cidr`), so the helper alone decides what a malformed value
 * can do — which the "no fault turns into ALLOW" property relies on.
 *
 * Shared by the interpreter's properties, the compiler's differential tests and the formatter's
 * round-trip tests.
 */
import fc from "fast-check";
import type { EvalIdentity, EvalInput, HistoryEntry, Json, Snapshot } from "../../src/ir/contract.ts";
import { EFFECTS, type Effect } from "../../src/lang/ast.ts";
import { checkPolicy } from "../../src/lang/check.ts";
import type { CheckResult } from "../../src/lang/checked.ts";
import { memoryHost } from "../../src/lang/host.ts";

export type GenType = "string" | "number" | "bool" | "duration" | "set<string>";
/** What a string argument holds; helper kinds are only read through their helper. */
export type StringKind = "plain" | "url" | "email" | "ip";

export interface GenArg {
  readonly name: string;
  readonly type: GenType;
  readonly optional: boolean;
  readonly kind: StringKind;
}

export interface GenTool {
  readonly name: string;
  readonly effect: Effect;
  readonly args: readonly GenArg[];
  /** Whether the tool declares a target. */
  readonly target: boolean;
}

export interface GenFact {
  readonly name: string;
  readonly type: GenType;
}

export interface GeneratedPolicy {
  /** The root policy file, `policy.aarm`. */
  readonly source: string;
  /** Further files by name (an imported module), empty when there are none. */
  readonly files: Readonly<Record<string, string>>;
  readonly tools: readonly GenTool[];
  readonly facts: readonly GenFact[];
  /** Declared categories, usable as history labels. */
  readonly categories: readonly string[];
}

export const ROOT_FILE = "policy.aarm";

/** Checks a generated policy as the CLI would: its files in memory. */
export function checkGenerated(policy: GeneratedPolicy): CheckResult {
  return checkPolicy(ROOT_FILE, memoryHost({ [ROOT_FILE]: policy.source, ...policy.files }));
}

// ---------------------------------------------------------------------------
// Value pools: policies draw their literals from them and inputs their values, so conditions
// meet values that make them hold as well as values that do not.

const PLAIN_STRINGS = ["", "a", "admin", "prod", "Prod", "test_records", "hello world", "ünïcödé"];
const HOSTILE_STRINGS = [
  "x".repeat(5000),
  "a\u0000b",
  "__proto__",
  "constructor",
  "\u{1F600}",
  "(a+)+$",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",
];
export const GOOD_URLS = [
  "https://docs.company.com/a",
  "HTTPS://Docs.Company.COM:8443/x?y#z",
  "http://evil.example/upload",
  "http://[::1]:8080/",
  "http://10.0.0.1/",
];
export const BAD_URLS = [
  "not a url",
  "/relative/path",
  "mailto:a@company.com",
  "http://exa mple.com/",
  "",
  "https://",
];
export const GOOD_EMAILS = ["alice@company.com", "Bob@Company.COM", "x@gmail.com", "eve@evil.example"];
export const BAD_EMAILS = [
  "no-at",
  "a@b@company.com",
  "@company.com",
  "alice@company.com.",
  "Eve <e@company.com>",
  "",
];
export const GOOD_IPS = ["10.1.2.3", "192.168.0.1", "8.8.8.8", "::1", "2001:db8::1", "::ffff:10.0.0.1"];
export const BAD_IPS = ["10.0.0.256", "010.0.0.1", "fe80::1%eth0", "1::2::3", "", "abc"];
const HOSTS = ["docs.company.com", "evil.example", "10.0.0.1", "[::1]"];
const DOMAINS = ["company.com", "gmail.com", "evil.example"];
const CIDRS = ["10.0.0.0/8", "192.168.0.0/16", "::1/128", "2001:db8::/32", "0.0.0.0/0", "::ffff:0:0/96"];
const NUMBERS = [0, 1, 2, 5, 10, 100, 1000, 0.5];
/** Argument numbers include one that overflows arithmetic; fact numbers do not (see `jsonOfType`). */
const FACT_NUMBERS = [...NUMBERS, -1, -0, 3.25, 101];
const ARG_NUMBERS = [...FACT_NUMBERS, 1e308];
const DURATIONS: readonly [string, number][] = [
  ["500ms", 500],
  ["1s", 1000],
  ["1m", 60_000],
  ["5m", 300_000],
  ["1h", 3_600_000],
  ["24h", 86_400_000],
];
const REGEXES = ["/a+/", "/^ad/", "/(?i)prod/", "/\\d{3}/", "/(a+)+$/", "/x|y/i", "/\\bworld\\b/", "/^$/"];
const LEVEL_NAMES = ["public", "internal", "confidential", "restricted"] as const;
const CATEGORY_NAMES = ["pii", "secret", "financial", "credential"];
const CUSTOM_CATEGORIES = ["customer_data", "health"];
const APPROVERS = ["finance", "owner", "security", "ops"];
const PEOPLE = ["alice", "bob", "admin", "a", "prod"];
const SCORES = [0, 0.2, 0.3, 0.5, 0.7, 0.71, 1];

/**
 * Arguments by name, each with a fixed type and kind, so that tools sharing a name share its
 * type and a rule `on` several tools can use their common arguments.
 */
const ARG_CATALOGUE: readonly Omit<GenArg, "optional">[] = [
  { name: "a", type: "string", kind: "plain" },
  { name: "s", type: "string", kind: "plain" },
  { name: "constructor", type: "string", kind: "plain" },
  { name: "n", type: "number", kind: "plain" },
  { name: "m", type: "number", kind: "plain" },
  { name: "flag", type: "bool", kind: "plain" },
  { name: "wait", type: "duration", kind: "plain" },
  { name: "tags", type: "set<string>", kind: "plain" },
  { name: "url", type: "string", kind: "url" },
  { name: "email", type: "string", kind: "email" },
  { name: "ip", type: "string", kind: "ip" },
];

const FACT_CATALOGUE: readonly GenFact[] = [
  { name: "f_ok", type: "bool" },
  { name: "f_window", type: "bool" },
  { name: "toString", type: "bool" },
  { name: "f_level", type: "number" },
  { name: "f_state", type: "string" },
  { name: "f_tags", type: "set<string>" },
  { name: "f_wait", type: "duration" },
];

// ---------------------------------------------------------------------------
// Imperative generation on top of fc.gen(), which keeps values shrinkable.

class Rand {
  private readonly g: fc.GeneratorValue;
  constructor(g: fc.GeneratorValue) {
    this.g = g;
  }
  /** Uniform: fast-check's bias towards extremes would make every `chance` lean one way. */
  int(min: number, max: number): number {
    return this.g(() => fc.noBias(fc.integer({ min, max })));
  }
  chance(p: number): boolean {
    return this.int(0, 999) < p * 1000;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }
  subset<T>(items: readonly T[], max = items.length): T[] {
    return items.filter(() => this.chance(0.5)).slice(0, max);
  }
}

const quote = (s: string): string => JSON.stringify(s);

/** Where an expression stands: which arguments are visible and present, and what context may be read. */
interface Place {
  /** Arguments usable here (common to every tool of `on`); empty without `on`. */
  readonly args: readonly GenArg[];
  /** Optional arguments proven present by a surrounding `has(…) and`. */
  readonly present: ReadonlySet<string>;
  /** Inside a session-query predicate: `tool`, `effect`, `target`, `labels` are the prior action's. */
  readonly query: boolean;
  /** In a forbid rule or a query predicate: no facts, intent, scores or session. */
  readonly forbid: boolean;
  /** Identity may be read (not inside a query predicate). */
  readonly identity: boolean;
  /** In a classifier: `output` is available. */
  readonly classifier: boolean;
}

interface Decls {
  readonly tools: readonly GenTool[];
  readonly facts: readonly GenFact[];
  readonly consts: readonly { readonly name: string; readonly type: GenType }[];
  readonly categories: readonly string[];
  /** Whether `has(fact)` may appear (see `PolicyOptions`). */
  readonly factPresence: boolean;
}

export interface PolicyOptions {
  /**
   * Whether conditions may test facts for presence (`has(f)`), default true. `has` observes
   * whether a fact is populated, so populating one can change a decision in any direction;
   * properties about completing missing facts turn it off.
   */
  readonly factPresence?: boolean;
}

/**
 * A session-query predicate reads only the prior action (`tool`, `effect`, `target`, `labels`),
 * literals, consts and params: the runtime maintains each query incrementally.
 */
function predicatePlace(place: Place): Place {
  return { ...place, args: [], present: new Set(), query: true, forbid: true, identity: false };
}

class ExprGen {
  private readonly r: Rand;
  private readonly d: Decls;
  constructor(r: Rand, d: Decls) {
    this.r = r;
    this.d = d;
  }

  private usable(place: Place, type: GenType, kind: StringKind = "plain"): GenArg[] {
    return place.args.filter(
      (a) => a.type === type && a.kind === kind && (!a.optional || place.present.has(a.name)),
    );
  }

  private facts(place: Place, type: GenType): string[] {
    return place.forbid ? [] : this.d.facts.filter((f) => f.type === type).map((f) => f.name);
  }

  private consts(type: GenType): string[] {
    return this.d.consts.filter((c) => c.type === type).map((c) => c.name);
  }

  /** One of the weighted alternatives whose guard holds. */
  private choose(options: readonly (readonly [boolean, () => string])[]): string {
    const open = options.filter(([ok]) => ok);
    return this.r.pick(open)[1]();
  }

  bool(place: Place, depth: number): string {
    const r = this.r;
    const deeper = depth > 0;
    const optional = place.args.filter((a) => a.optional && !place.present.has(a.name));
    const numbers = this.usable(place, "number");
    const ips = this.usable(place, "string", "ip");
    const ctx = !place.forbid;
    return this.choose([
      [true, () => r.pick(["true", "false"])],
      [this.facts(place, "bool").length > 0, () => r.pick(this.facts(place, "bool"))],
      [this.usable(place, "bool").length > 0, () => `args.${r.pick(this.usable(place, "bool")).name}`],
      [
        true,
        () =>
          `(${this.number(place, depth - 1)} ${r.pick(["<", "<=", ">", ">=", "==", "!="])} ${this.number(place, depth - 1)})`,
      ],
      [numbers.length > 0, () => `(args.${r.pick(numbers).name} > ${r.pick(NUMBERS)})`],
      [
        true,
        () => `(${this.string(place, depth - 1)} ${r.pick(["==", "!="])} ${this.string(place, depth - 1)})`,
      ],
      [
        true,
        () =>
          `(${this.duration(place, depth - 1)} ${r.pick(["<", ">="])} ${this.duration(place, depth - 1)})`,
      ],
      [true, () => `(${this.level(place)} ${r.pick(["<", ">=", "==", "!="])} ${this.level(place)})`],
      [
        true,
        () =>
          r.chance(0.5)
            ? `(effect == ${r.pick(EFFECTS)})`
            : `(effect in {${r.subset(EFFECTS, 3).concat("execute").join(", ")}})`,
      ],
      [true, () => `(${this.string(place, depth - 1)} ${r.pick(["in", "not in"])} ${this.stringSet(place)})`],
      [true, () => `(${this.string(place, 0)} in ${this.string(place, 0)})`],
      [true, () => `(${this.string(place, depth - 1)} matches ${r.pick(REGEXES)})`],
      [
        true,
        () =>
          `${r.pick(["starts_with", "ends_with", "contains"])}(${this.string(place, depth - 1)}, ${this.string(place, 0)})`,
      ],
      [ips.length > 0, () => `in_cidr(args.${r.pick(ips).name}, ${quote(r.pick(CIDRS))})`],
      [ctx, () => `intent.mentions(${this.string(place, depth - 1)})`],
      [ctx, () => "session.tainted"],
      [
        place.query,
        () => `(${r.pick([...LEVEL_NAMES, ...CATEGORY_NAMES, "untrusted", ...this.d.categories])} in labels)`,
      ],
      [true, () => `has(${this.presenceRef(place, optional)})`],
      [deeper, () => `not (${this.bool(place, depth - 1)})`],
      [
        deeper,
        () => `(${this.bool(place, depth - 1)} ${r.pick(["and", "or"])} ${this.bool(place, depth - 1)})`,
      ],
      [deeper && optional.length > 0, () => this.guarded(place, optional, depth)],
      [deeper && ctx && !place.query && !place.classifier, () => this.seen(place, depth)],
      [
        deeper && ctx && !place.query,
        () => `(${this.count(place, depth)} ${r.pick([">", ">=", "=="])} ${r.pick([0, 1, 2])})`,
      ],
    ]);
  }

  /** `(has(args.x) and P)`, where P may read the optional argument x. */
  private guarded(place: Place, optional: readonly GenArg[], depth: number): string {
    const arg = this.r.pick(optional);
    const inner: Place = { ...place, present: new Set([...place.present, arg.name]) };
    const use = arg.kind === "plain" ? this.bool(inner, depth - 1) : this.helperUse(inner, arg);
    return `(has(args.${arg.name}) and ${use})`;
  }

  /** A condition on a helper-kind argument, read through its helper. */
  private helperUse(place: Place, arg: GenArg): string {
    const r = this.r;
    if (arg.kind === "url") return `(host(args.${arg.name}) ${r.pick(["==", "!="])} ${quote(r.pick(HOSTS))})`;
    if (arg.kind === "email") return `(domain(args.${arg.name}) in {${DOMAINS.map(quote).join(", ")}})`;
    if (arg.kind === "ip") return `in_cidr(args.${arg.name}, ${quote(r.pick(CIDRS))})`;
    return this.bool(place, 0);
  }

  private presenceRef(place: Place, optional: readonly GenArg[]): string {
    const r = this.r;
    return this.choose([
      [optional.length > 0, () => `args.${r.pick(optional).name}`],
      [!place.forbid && this.d.factPresence && this.d.facts.length > 0, () => r.pick(this.d.facts).name],
      [true, () => "target"],
      [place.identity, () => `identity.${r.pick(["human", "agent", "service", "session"])}`],
      [!place.forbid, () => r.pick(["intent.text", "intent.alignment", "session.drift"])],
    ]);
  }

  private seen(place: Place, depth: number): string {
    const r = this.r;
    const inner = predicatePlace(place);
    const steps = Array.from({ length: r.int(1, 3) }, () => this.bool(inner, Math.min(depth - 1, 1)));
    return `session.seen(${steps.join(" then ")}${this.window()})`;
  }

  private count(place: Place, depth: number): string {
    return `session.count(${this.bool(predicatePlace(place), Math.min(depth - 1, 1))}${this.window()})`;
  }

  private window(): string {
    return this.r.chance(0.5) ? `, within ${this.r.pick(DURATIONS)[0]}` : "";
  }

  number(place: Place, depth: number): string {
    const r = this.r;
    const deeper = depth > 0;
    const ctx = !place.forbid;
    const sums = this.d.tools.flatMap((t) =>
      t.args.filter((a) => a.type === "number").map((a) => [t.name, a.name] as const),
    );
    return this.choose([
      [true, () => String(r.pick(NUMBERS))],
      [true, () => `-${r.pick(NUMBERS)}`],
      [this.usable(place, "number").length > 0, () => `args.${r.pick(this.usable(place, "number")).name}`],
      [this.facts(place, "number").length > 0, () => r.pick(this.facts(place, "number"))],
      [this.consts("number").length > 0, () => r.pick(this.consts("number"))],
      [true, () => `len(${r.chance(0.5) ? this.string(place, depth - 1) : this.stringSet(place)})`],
      [place.identity, () => "identity.delegation_depth"],
      [ctx, () => r.pick(["intent.alignment", "session.drift"])],
      [
        deeper,
        () =>
          `(${this.number(place, depth - 1)} ${r.pick(["+", "-", "*"])} ${this.number(place, depth - 1)})`,
      ],
      [deeper, () => `-(${this.number(place, depth - 1)})`],
      [deeper && ctx && !place.query, () => this.count(place, depth)],
      [
        ctx && !place.query && sums.length > 0,
        () => {
          const [tool, arg] = r.pick(sums);
          return `session.sum(${quote(tool)}, ${arg}${this.window()})`;
        },
      ],
    ]);
  }

  string(place: Place, depth: number): string {
    const r = this.r;
    const deeper = depth > 0;
    const ctx = !place.forbid;
    const urls = this.usable(place, "string", "url");
    const emails = this.usable(place, "string", "email");
    return this.choose([
      [true, () => quote(r.pick(PLAIN_STRINGS))],
      [true, () => quote(r.pick([...HOSTS, ...DOMAINS]))],
      [this.usable(place, "string").length > 0, () => `args.${r.pick(this.usable(place, "string")).name}`],
      [this.facts(place, "string").length > 0, () => r.pick(this.facts(place, "string"))],
      [this.consts("string").length > 0, () => r.pick(this.consts("string"))],
      [urls.length > 0, () => `host(args.${r.pick(urls).name})`],
      [emails.length > 0, () => `domain(args.${r.pick(emails).name})`],
      [true, () => r.pick(["tool", "target"])],
      [place.identity, () => `identity.${r.pick(["human", "agent", "service", "session"])}`],
      [ctx, () => "intent.text"],
      [place.classifier, () => "output"],
      [deeper, () => `${r.pick(["lower", "upper", "trim"])}(${this.string(place, depth - 1)})`],
      [deeper, () => `(${this.string(place, depth - 1)} + ${this.string(place, depth - 1)})`],
    ]);
  }

  duration(place: Place, depth: number): string {
    const r = this.r;
    return this.choose([
      [true, () => r.pick(DURATIONS)[0]],
      [
        this.usable(place, "duration").length > 0,
        () => `args.${r.pick(this.usable(place, "duration")).name}`,
      ],
      [this.facts(place, "duration").length > 0, () => r.pick(this.facts(place, "duration"))],
      [depth > 0, () => `(${this.duration(place, depth - 1)} + ${this.duration(place, depth - 1)})`],
    ]);
  }

  level(place: Place): string {
    return !place.forbid && this.r.chance(0.5) ? "session.sensitivity" : this.r.pick(LEVEL_NAMES);
  }

  stringSet(place: Place): string {
    const r = this.r;
    return this.choose([
      [true, () => `{${r.subset(PLAIN_STRINGS, 3).concat("admin").map(quote).join(", ")}}`],
      [
        this.consts("string").length > 0,
        () => `{${r.pick(this.consts("string"))}, ${quote(r.pick(PLAIN_STRINGS))}}`,
      ],
      [
        this.usable(place, "set<string>").length > 0,
        () => `args.${r.pick(this.usable(place, "set<string>")).name}`,
      ],
      [this.facts(place, "set<string>").length > 0, () => r.pick(this.facts(place, "set<string>"))],
      [this.consts("set<string>").length > 0, () => r.pick(this.consts("set<string>"))],
      [place.identity, () => `identity.${r.pick(["roles", "scope"])}`],
      [!place.forbid, () => "intent.scope"],
    ]);
  }

  /** A constant of an argument's type, for `set`. */
  constant(arg: GenArg): string {
    const r = this.r;
    switch (arg.type) {
      case "string":
        return quote(
          r.pick(
            arg.kind === "url"
              ? GOOD_URLS
              : arg.kind === "email"
                ? GOOD_EMAILS
                : arg.kind === "ip"
                  ? GOOD_IPS
                  : PLAIN_STRINGS,
          ),
        );
      case "number":
        return String(r.pick(NUMBERS));
      case "bool":
        return r.pick(["true", "false"]);
      case "duration":
        return r.pick(DURATIONS)[0];
      case "set<string>":
        return `{${r.subset(PLAIN_STRINGS, 2).concat("a").map(quote).join(", ")}}`;
    }
  }
}

// ---------------------------------------------------------------------------
// Declarations and rules

function genTools(r: Rand): GenTool[] {
  const count = r.int(1, 3);
  return Array.from({ length: count }, (_, i) => {
    const args = ARG_CATALOGUE.filter(() => r.chance(0.45)).map((a) => ({ ...a, optional: r.chance(0.35) }));
    return { name: `t${i}.op`, effect: r.pick(EFFECTS), args, target: r.chance(0.7) };
  });
}

function typeText(type: GenType): string {
  return type;
}

/** The target expression of a tool: a required plain string argument, its host, or a constant. */
function targetText(r: Rand, tool: GenTool): string {
  const plain = tool.args.filter((a) => a.type === "string" && a.kind === "plain" && !a.optional);
  const urls = tool.args.filter((a) => a.kind === "url" && !a.optional);
  const options: string[] = [quote(r.pick(PLAIN_STRINGS))];
  for (const a of plain) options.push(`args.${a.name}`, `lower(args.${a.name})`);
  for (const a of urls) options.push(`host(args.${a.name})`);
  return r.pick(options);
}

function toolText(r: Rand, tool: GenTool, categories: readonly string[]): string {
  const args = tool.args.map((a) => `${a.name}${a.optional ? "?" : ""}: ${typeText(a.type)}`).join(", ");
  const lines = [`tool ${tool.name} {`, `  args { ${args} }`, `  effect ${tool.effect}`];
  if (tool.target) lines.push(`  target ${targetText(r, tool)}`);
  const labels = labelSet(r, categories);
  if (labels.length > 0) lines.push(`  output ${labels.join(", ")}`);
  lines.push("}");
  return lines.join("\n");
}

/** Labels for an output clause or a classifier: at most one level, some categories, maybe `untrusted`. */
function labelSet(r: Rand, categories: readonly string[]): string[] {
  const level = r.chance(0.6) ? [r.pick(LEVEL_NAMES)] : [];
  return [...level, ...r.subset([...CATEGORY_NAMES, "untrusted", ...categories], 2)];
}

/** The arguments every tool in `tools` declares with the same type and kind (optional if any is). */
function commonArgs(tools: readonly GenTool[]): GenArg[] {
  const [first, ...rest] = tools;
  if (first === undefined) return [];
  return first.args.flatMap((a) => {
    const others = rest.map((t) => t.args.find((b) => b.name === a.name));
    if (others.some((b) => b === undefined)) return [];
    return [{ ...a, optional: a.optional || others.some((b) => b?.optional === true) }];
  });
}

function approvalText(r: Rand): string {
  const approvers = r.subset(APPROVERS, 3);
  if (approvers.length === 0) approvers.push(r.pick(APPROVERS));
  const parts = [`approvers [${approvers.map(quote).join(", ")}]`];
  if (r.chance(0.4)) parts.push(`quorum ${r.int(1, approvers.length)}`);
  const timeout = r.chance(0.5) ? r.pick(DURATIONS.slice(2)) : null;
  if (timeout !== null) parts.push(`timeout ${timeout[0]}`);
  const limit = timeout?.[1] ?? 900_000;
  const escalations = DURATIONS.filter(([, ms]) => ms < limit);
  if (escalations.length > 0 && r.chance(0.3)) {
    parts.push(`escalate after ${r.pick(escalations)[0]} to [${quote(r.pick(APPROVERS))}]`);
  }
  if (r.chance(0.3)) parts.push("self_approval");
  return parts.join(" ");
}

function modificationsText(
  r: Rand,
  e: ExprGen,
  args: readonly GenArg[],
  tools: readonly GenTool[],
): string | null {
  // Only an argument optional in every tool of `on` can be removed.
  const removable = (arg: GenArg) =>
    tools.every((t) => t.args.find((b) => b.name === arg.name)?.optional === true);
  const ops = r.subset(args, 3).flatMap((arg) => {
    const options: string[] = [];
    const required = args.filter(
      (b) => b !== arg && !b.optional && b.type === arg.type && b.kind === arg.kind,
    );
    options.push(`set args.${arg.name} = ${e.constant(arg)}`);
    if (required.length > 0) options.push(`set args.${arg.name} = args.${r.pick(required).name}`);
    if (removable(arg)) options.push(`remove args.${arg.name}`);
    if (arg.type === "number") {
      const lo = r.pick([-1, 0, 1, 5]);
      options.push(`clamp args.${arg.name} to ${lo}..${lo + r.pick([0, 1, 10, 100])}`);
    }
    if (arg.type === "string") {
      options.push(`redact args.${arg.name}`, `redact args.${arg.name} matching ${r.pick(REGEXES)}`);
    }
    return [r.pick(options)];
  });
  return ops.length === 0 ? null : ops.join("\n  ");
}

const RULE_KINDS = [
  "forbid",
  "deny",
  "deny",
  "defer",
  "step_up",
  "modify",
  "modify",
  "allow",
  "allow",
] as const;

function ruleText(r: Rand, e: ExprGen, d: Decls, index: number): string {
  let kind: (typeof RULE_KINDS)[number] = r.pick(RULE_KINDS);
  const onTools = r.chance(0.7) ? r.subset(d.tools, 2) : [];
  if (kind === "modify" && onTools.length === 0) onTools.push(r.pick(d.tools));
  const args = commonArgs(onTools);
  const modifications = kind === "modify" ? modificationsText(r, e, args, onTools) : null;
  if (kind === "modify" && modifications === null) kind = "allow";
  const place: Place = {
    args,
    present: new Set(),
    query: false,
    forbid: kind === "forbid",
    identity: true,
    classifier: false,
  };
  const lines = [
    `${kind} r${index}${onTools.length > 0 ? ` on ${onTools.map((t) => t.name).join(", ")}` : ""}`,
  ];
  if (r.chance(0.85)) lines.push(`  when ${e.bool(place, r.int(1, 3))}`);
  if (r.chance(0.2)) lines.push(`  unless ${e.bool(place, r.int(0, 2))}`);
  if (kind === "step_up") lines.push(`  ${approvalText(r)}`);
  if (kind === "defer") {
    const needs = r.subset(d.facts, 2).map((f) => f.name);
    if (needs.length > 0) lines.push(`  needs ${needs.join(", ")}`);
    if (r.chance(0.5)) lines.push(`  timeout ${r.pick(DURATIONS.slice(0, 5))[0]}`);
    if (r.chance(0.35)) lines.push(`  then step_up ${approvalText(r)}`);
  }
  if (modifications !== null) lines.push(`  ${modifications}`);
  if (r.chance(0.3)) lines.push(`  risk ${r.pick(["low", "medium", "high", "critical"])}`);
  if (r.chance(0.3)) lines.push(`  because ${quote(`reason ${index}`)}`);
  return lines.join("\n");
}

function classifierText(r: Rand, e: ExprGen, d: Decls, index: number): string {
  const on = r.chance(0.5) ? [r.pick(d.tools)] : [];
  const place: Place = {
    args: commonArgs(on),
    present: new Set(),
    query: false,
    forbid: true,
    identity: true,
    classifier: true,
  };
  const labels = labelSet(r, d.categories);
  if (labels.length === 0) labels.push("pii");
  const onText = on.length > 0 ? ` on ${on.map((t) => t.name).join(", ")}` : "";
  return `classify k${index}${onText}\n  when ${e.bool(place, 2)}\n  label ${labels.join(", ")}`;
}

function constText(r: Rand): { text: string; decl: { name: string; type: GenType } }[] {
  const out: { text: string; decl: { name: string; type: GenType } }[] = [];
  if (r.chance(0.5))
    out.push({ text: `const c_num = ${r.pick(NUMBERS)} + 1`, decl: { name: "c_num", type: "number" } });
  if (r.chance(0.5))
    out.push({
      text: `const c_str = ${quote(r.pick(PLAIN_STRINGS))}`,
      decl: { name: "c_str", type: "string" },
    });
  if (r.chance(0.5)) {
    const elements = r.subset(PLAIN_STRINGS, 3).concat("prod").map(quote).join(", ");
    out.push({ text: `const c_set = {${elements}}`, decl: { name: "c_set", type: "set<string>" } });
  }
  if (r.chance(0.4))
    out.push({
      text: `param p_limit: number = ${r.pick(NUMBERS)}`,
      decl: { name: "p_limit", type: "number" },
    });
  return out;
}

/** A module with a param the importer may bind and one context rule using it. */
function moduleFiles(r: Rand): { importLine: string; files: Record<string, string> } | null {
  if (!r.chance(0.3)) return null;
  const bound = r.chance(0.5) ? ` with { max_count = ${r.pick([0, 1, 2])} }` : "";
  const kind = r.pick(["deny", "step_up", "defer", "allow"]);
  const approval = kind === "step_up" ? ` approvers [${quote(r.pick(APPROVERS))}]` : "";
  const body = [
    "module guard",
    "",
    "param max_count: number = 3",
    "",
    `${kind} burst when session.count(effect == ${r.pick(EFFECTS)}${r.chance(0.5) ? ", within 1h" : ""}) > max_count${approval}`,
    "",
  ].join("\n");
  return { importLine: `import "./guard.aarm"${bound}`, files: { "guard.aarm": body } };
}

/** Well-typed policies (1–6 rules) with what an input generator needs to know about them. */
export function arbitraryPolicy(options: PolicyOptions = {}): fc.Arbitrary<GeneratedPolicy> {
  return fc.gen().map((g) => buildPolicy(new Rand(g), options));
}

function buildPolicy(r: Rand, options: PolicyOptions): GeneratedPolicy {
  const tools = genTools(r);
  const facts = r.subset(FACT_CATALOGUE, 4);
  const categories = r.subset(CUSTOM_CATEGORIES, 2);
  const consts = constText(r);
  const factPresence = options.factPresence ?? true;
  const decls: Decls = { tools, facts, consts: consts.map((c) => c.decl), categories, factPresence };
  const e = new ExprGen(r, decls);
  const module = moduleFiles(r);
  const sections: string[] = [`policy gen version "1"`];
  if (module !== null) sections.push(module.importLine);
  sections.push(...tools.map((t) => toolText(r, t, categories)));
  if (facts.length > 0) sections.push(facts.map((f) => `fact ${f.name}: ${typeText(f.type)}`).join("\n"));
  if (categories.length > 0) sections.push(`category ${categories.join(", ")}`);
  if (consts.length > 0) sections.push(consts.map((c) => c.text).join("\n"));
  const classifiers = r.int(0, 2);
  for (let i = 0; i < classifiers; i++) sections.push(classifierText(r, e, decls, i));
  const rules = r.int(1, 6);
  for (let i = 0; i < rules; i++) sections.push(ruleText(r, e, decls, i));
  sections.push(`default ${r.pick(["deny", "allow"])}`);
  return {
    source: `${sections.join("\n\n")}\n`,
    files: module?.files ?? {},
    tools,
    facts,
    categories,
  };
}

// ---------------------------------------------------------------------------
// Inputs

function stringValue(r: Rand, kind: StringKind): string {
  switch (kind) {
    case "url":
      return r.pick(r.chance(0.7) ? GOOD_URLS : BAD_URLS);
    case "email":
      return r.pick(r.chance(0.7) ? GOOD_EMAILS : BAD_EMAILS);
    case "ip":
      return r.pick(r.chance(0.7) ? GOOD_IPS : BAD_IPS);
    case "plain":
      return r.pick(r.chance(0.85) ? [...PLAIN_STRINGS, ...HOSTS, ...DOMAINS] : HOSTILE_STRINGS);
  }
}

/**
 * A JSON value of a declared type. Only arguments (`kind` given) may hold a number that overflows
 * arithmetic: an overflow is named after the inputs it reads, so a populated fact that overflows is
 * named in `contextNeeded` like a missing one, which would blur the missing-context property.
 */
function jsonOfType(r: Rand, type: GenType, kind?: StringKind): Json {
  switch (type) {
    case "string":
      return stringValue(r, kind ?? "plain");
    case "number":
      return r.pick(kind === undefined ? FACT_NUMBERS : ARG_NUMBERS);
    case "bool":
      return r.chance(0.5);
    case "duration":
      return r.pick([0, 499, 500, 60_000, 3_600_000, 86_400_001]);
    case "set<string>":
      return r.subset([...PLAIN_STRINGS, "admin", "admin"], 4);
  }
}

function argsFor(r: Rand, tool: GenTool, dropOptional: number): { [name: string]: Json } {
  const args: { [name: string]: Json } = {};
  for (const arg of tool.args) {
    if (arg.optional && r.chance(dropOptional)) continue;
    Object.defineProperty(args, arg.name, {
      value: jsonOfType(r, arg.type, arg.kind),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return args;
}

function identity(r: Rand): EvalIdentity {
  const named: { human?: string; agent?: string; service?: string; session?: string } = {};
  for (const field of ["human", "agent", "service", "session"] as const) {
    if (r.chance(0.5)) named[field] = r.pick(PEOPLE);
  }
  return {
    ...named,
    roles: r.subset(["admin", "treasurer", "a", "prod"]),
    scope: r.subset(["admin", "payments:write", "a"]),
    delegation: Array.from({ length: r.int(0, 3) }, (_, i) => `agent-${i}`),
  };
}

function history(r: Rand, policy: GeneratedPolicy, now: number): HistoryEntry[] {
  const labels = [...LEVEL_NAMES, ...CATEGORY_NAMES, "untrusted", ...policy.categories];
  return Array.from({ length: r.int(0, 6) }, (): HistoryEntry => {
    const declared = r.chance(0.85) ? r.pick(policy.tools) : null;
    const entryLabels = r.subset(labels, 3);
    const base = {
      tool: declared?.name ?? "other.tool",
      effect: declared?.effect ?? r.pick(EFFECTS),
      args: declared === null ? {} : argsFor(r, declared, 0.3),
      time: now - r.pick([0, 1, 500, 60_000, 3_600_000, 3_600_001, 86_400_000, 90_000_000]),
      labels: entryLabels.length > 0 || r.chance(0.2) ? entryLabels : ["public"],
    };
    return declared?.target === true && r.chance(0.9) ? { ...base, target: stringValue(r, "plain") } : base;
  });
}

function snapshot(r: Rand, policy: GeneratedPolicy, now: number, factChance: number): Snapshot {
  const facts: { [name: string]: Json } = {};
  for (const fact of policy.facts) {
    if (r.chance(factChance)) {
      Object.defineProperty(facts, fact.name, {
        value: jsonOfType(r, fact.type),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  const scores: { alignment?: number; drift?: number } = {};
  if (r.chance(0.6)) scores.alignment = r.pick(SCORES);
  if (r.chance(0.6)) scores.drift = r.pick(SCORES);
  const words = [...PLAIN_STRINGS, ...HOSTS, "please", "delete"];
  const text = Array.from({ length: r.int(0, 4) }, () => r.pick(words)).join(" ");
  const scope = r.chance(0.5) ? { scope: r.subset(PLAIN_STRINGS, 3) } : {};
  return {
    ...(r.chance(0.7) ? { intent: { text, ...scope } } : {}),
    scores,
    facts,
    history: history(r, policy, now),
  };
}

/**
 * Inputs that conform to `policy`: mostly for declared tools (sometimes an undeclared one),
 * with each fact populated with probability `factChance`.
 */
export function arbitraryInput(policy: GeneratedPolicy, factChance = 0.6): fc.Arbitrary<EvalInput> {
  return fc.gen().map((g) => buildInput(new Rand(g), policy, factChance));
}

function buildInput(r: Rand, policy: GeneratedPolicy, factChance: number): EvalInput {
  const now = r.pick([0, 3_600_000, 100_000_000]);
  const declared = r.chance(0.92) ? r.pick(policy.tools) : null;
  return {
    action: {
      tool: declared?.name ?? "undeclared.tool",
      args: declared === null ? { a: "x" } : argsFor(r, declared, 0.4),
      time: now,
      identity: identity(r),
    },
    snapshot: snapshot(r, policy, now, factChance),
  };
}

/** A generated policy with inputs, outputs and completions of its facts. */
export interface Scenario {
  readonly policy: GeneratedPolicy;
  readonly inputs: readonly EvalInput[];
  /** Tool outputs for classifiers. */
  readonly outputs: readonly string[];
  /** Values for every declared fact, by name, several times: completions of missing context. */
  readonly completions: readonly { readonly [name: string]: Json }[];
}

/**
 * A policy together with inputs for it, drawn from one generator so that shrinking keeps them
 * consistent (shrinking a policy regenerates its inputs). `factChance` is the chance that each
 * fact is populated.
 */
export function arbitraryScenario(
  options: PolicyOptions & { readonly inputs?: number; readonly factChance?: number } = {},
): fc.Arbitrary<Scenario> {
  return fc.gen().map((g) => {
    const r = new Rand(g);
    const policy = buildPolicy(r, options);
    const inputs = Array.from({ length: r.int(1, options.inputs ?? 3) }, () =>
      buildInput(r, policy, options.factChance ?? 0.6),
    );
    const outputs = Array.from({ length: r.int(1, 3) }, () =>
      r.pick([
        ...PLAIN_STRINGS,
        ...GOOD_URLS,
        ...BAD_URLS,
        "ssn 123-45-6789",
        "prod admin",
        ...HOSTILE_STRINGS,
      ]),
    );
    const completions = Array.from({ length: 6 }, () =>
      Object.fromEntries(policy.facts.map((f) => [f.name, jsonOfType(r, f.type)])),
    );
    return { policy, inputs, outputs, completions };
  });
}
