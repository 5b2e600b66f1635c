/**
 * What the input generator should try, read off the compiled policies: the
 * declared tools and their argument types, and for every input location the
 * values at which some condition of either policy may flip — each constant a
 * condition compares with (and its neighbours), members and non-members of
 * constant sets, strings a regex matches and near misses, URLs with a host
 * and addresses with a domain the policy names, addresses inside and outside
 * a CIDR prefix, counts and sums just below, at and above a threshold, the
 * labels and tools session queries look for, and their time windows.
 *
 * Values are pushed down through the operations that can be inverted
 * (`lower`, `host`, `+ c`, …) to the input they are computed from. Where a
 * condition relates two inputs (`args.owner == identity.human`,
 * `intent.mentions(args.recipient)`), the pair is recorded as a link, and the
 * generator makes the two agree some of the time.
 *
 * @module
 */
import type { Ir, IrArg, IrExpr, IrType } from "../../ir/types.ts";
import { Random } from "./random.ts";
import { regexSamples } from "./regex-strings.ts";

export type Atom = string | number | boolean;

/** An input location, as `pushDown` reaches it. `arg` locations belong to the tool being walked. */
export type Loc =
  | { readonly kind: "arg"; readonly name: string }
  | { readonly kind: "fact"; readonly name: string }
  | { readonly kind: "identity"; readonly field: string }
  | { readonly kind: "intent"; readonly field: "text" | "scope" }
  | { readonly kind: "score"; readonly name: "alignment" | "drift" }
  | { readonly kind: "entry"; readonly field: "tool" | "effect" | "target" | "labels" };

export interface ToolHints {
  readonly name: string;
  readonly effect: string;
  readonly args: ReadonlyMap<string, IrArg>;
  /** Declared output labels, for history entries of this tool. */
  readonly output: readonly string[];
  /** Values per argument name (elements, for set-typed arguments). */
  readonly values: Map<string, Atom[]>;
  /** Pairs of locations some condition relates, for this tool's actions. */
  readonly links: [Loc, Loc][];
}

export interface Hints {
  /** Every declaration of every tool in either policy (a tool declared differently appears twice). */
  readonly tools: ToolHints[];
  readonly facts: Map<string, { readonly type: IrType; readonly values: Atom[] }>;
  /** Values per identity field; `roles` and `scope` hold elements, `delegation_depth` numbers. */
  readonly identity: Map<string, Atom[]>;
  readonly intentWords: Atom[];
  readonly intentScope: Atom[];
  readonly alignment: number[];
  readonly drift: number[];
  readonly entry: {
    readonly tools: Atom[];
    readonly effects: Atom[];
    readonly targets: Atom[];
    readonly labels: Atom[];
  };
  /** `within` windows of session queries, in milliseconds. */
  readonly windows: number[];
  /** Match counts to aim at. */
  readonly counts: number[];
  /** `session.sum` queries with totals to aim at. */
  readonly sums: { readonly tool: string; readonly arg: string; readonly totals: number[] }[];
  /** Every string and number constant of both policies. */
  readonly strings: string[];
  readonly numbers: number[];
}

const LEVELS = ["public", "internal", "confidential", "restricted"];

/** Neighbours of a constant at which a comparison with it can flip. */
function around(c: Atom): Atom[] {
  if (typeof c === "number") return [c, c - 1, c + 1, c - 0.5, c + 0.5, 0];
  if (typeof c === "string") {
    const out: Atom[] = [c, `${c}x`, "", c.toUpperCase(), c.toLowerCase()];
    if (LEVELS.includes(c)) out.push(...LEVELS);
    return out;
  }
  return [true, false];
}

/** Addresses inside and just outside an IPv4 prefix; the prefix's own address for IPv6. */
function cidrAddresses(cidr: string): string[] {
  const [address = "", bitsText = ""] = cidr.split("/");
  const octets = address.split(".").map(Number);
  const bits = Number(bitsText);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    return [address, "::1", "2001:db8::1", "10.0.0.1"];
  }
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  const text = (v: number): string =>
    [24, 16, 8, 0].map((shift) => Math.floor(v / 2 ** shift) % 256).join(".");
  const out = [text(value), text((value + 1) % 2 ** 32), "not-an-ip"];
  if (bits >= 1 && bits <= 32) out.push(text((value + 2 ** (32 - bits)) % 2 ** 32));
  return out;
}

class Collector {
  readonly hints: Hints;
  private readonly ir: Ir;
  private readonly rng: Random;
  /** The tool whose conditions are being walked, or null inside session-query predicates. */
  private tool: ToolHints | null = null;
  private readonly visited = new Set<string>();

  constructor(hints: Hints, ir: Ir, rng: Random) {
    this.hints = hints;
    this.ir = ir;
    this.rng = rng;
  }

  private node(i: number): IrExpr | undefined {
    return this.ir.exprs[i];
  }

  private constOf(i: number): Atom | readonly Atom[] | null {
    const n = this.node(i);
    if (n?.op === "const") return n.value;
    if (n?.op === "neg") {
      const v = this.constOf(n.arg);
      return typeof v === "number" ? -v : null;
    }
    return null;
  }

  private locOf(i: number): Loc | null {
    const n = this.node(i);
    switch (n?.op) {
      case "arg":
        return n.path.length === 1 ? { kind: "arg", name: n.path[0] as string } : null;
      case "fact":
        return { kind: "fact", name: n.name };
      case "identity":
        return n.field === "delegation_depth" ? null : { kind: "identity", field: n.field };
      case "intent":
        return n.field === "alignment"
          ? { kind: "score", name: "alignment" }
          : { kind: "intent", field: n.field };
      case "entry":
        return { kind: "entry", field: n.field };
      default:
        return null;
    }
  }

  private add<T extends Atom>(list: T[], ...values: T[]): void {
    for (const v of values) {
      if (typeof v === "number" && !Number.isFinite(v)) continue;
      if (!list.includes(v) && list.length < 256) list.push(v);
    }
  }

  private at(loc: Loc, ...values: Atom[]): void {
    const h = this.hints;
    switch (loc.kind) {
      case "arg":
        if (this.tool !== null) {
          const list = this.tool.values.get(loc.name) ?? [];
          this.tool.values.set(loc.name, list);
          this.add(list, ...values);
        }
        return;
      case "fact": {
        const fact = h.facts.get(loc.name);
        if (fact !== undefined) this.add(fact.values, ...values);
        return;
      }
      case "identity": {
        const list = h.identity.get(loc.field) ?? [];
        h.identity.set(loc.field, list);
        this.add(list, ...values);
        return;
      }
      case "intent":
        this.add(loc.field === "text" ? h.intentWords : h.intentScope, ...values);
        return;
      case "score":
        this.add(
          loc.name === "alignment" ? h.alignment : h.drift,
          ...values.filter((v) => typeof v === "number"),
        );
        return;
      case "entry": {
        const e = h.entry;
        this.add(
          loc.field === "tool"
            ? e.tools
            : loc.field === "effect"
              ? e.effects
              : loc.field === "target"
                ? e.targets
                : e.labels,
          ...values,
        );
        return;
      }
    }
  }

  /** Makes expression `i` take value `v` where an input can give it that value. */
  private pushDown(i: number, v: Atom): void {
    const n = this.node(i);
    if (n === undefined) return;
    const loc = this.locOf(i);
    if (loc !== null) {
      this.at(loc, v);
      return;
    }
    const h = this.hints;
    switch (n.op) {
      case "identity": {
        // The other identity fields are locations; this is `delegation_depth`, the chain's length.
        if (typeof v !== "number") return;
        const list = h.identity.get("delegation_depth") ?? [];
        h.identity.set("delegation_depth", list);
        this.add(list, v, v - 1, v + 1);
        return;
      }
      case "session":
        if (n.field === "drift" && typeof v === "number") this.add(h.drift, v);
        if (n.field === "sensitivity") this.add(h.entry.labels, ...LEVELS);
        if (n.field === "tainted") this.add(h.entry.labels, "untrusted");
        return;
      case "feature": {
        const feature = this.ir.features[n.feature];
        if (typeof v !== "number" || feature === undefined) return;
        if (feature.kind === "count") this.add(h.counts, v, v - 1, v + 1);
        if (feature.kind === "sum") {
          let sum = h.sums.find((s) => s.tool === feature.tool && s.arg === feature.arg);
          if (sum === undefined) {
            sum = { tool: feature.tool, arg: feature.arg, totals: [] };
            h.sums.push(sum);
          }
          this.add(sum.totals, v, v - 1, v + 1);
        }
        return;
      }
      case "neg":
        if (typeof v === "number") this.pushDown(n.arg, -v);
        return;
      case "add":
      case "sub":
      case "mul": {
        const left = this.constOf(n.left);
        const right = this.constOf(n.right);
        if (typeof v === "string" && n.op === "add") {
          if (typeof right === "string" && v.endsWith(right))
            this.pushDown(n.left, v.slice(0, v.length - right.length));
          if (typeof left === "string" && v.startsWith(left)) this.pushDown(n.right, v.slice(left.length));
          return;
        }
        if (typeof v !== "number") return;
        const inverse = (c: number, constOnLeft: boolean): number =>
          n.op === "add" ? v - c : n.op === "sub" ? (constOnLeft ? c - v : v + c) : c === 0 ? v : v / c;
        if (typeof right === "number") this.pushDown(n.left, inverse(right, false));
        else if (typeof left === "number") this.pushDown(n.right, inverse(left, true));
        else {
          this.pushDown(n.left, v);
          this.pushDown(n.right, 0);
        }
        return;
      }
      case "call": {
        const [x] = n.args;
        if (x === undefined) return;
        if (typeof v === "string") {
          if (n.fn === "lower" || n.fn === "upper" || n.fn === "trim") {
            for (const s of [v, v.toUpperCase(), v.toLowerCase(), ` ${v} `]) this.pushDown(x, s);
          } else if (n.fn === "host") {
            for (const s of [`https://${v}/`, `http://${v}:8080/path?q=1`, `https://sub.${v}/`])
              this.pushDown(x, s);
          } else if (n.fn === "domain") {
            for (const s of [`user@${v}`, `First.Last@${v.toUpperCase()}`]) this.pushDown(x, s);
          }
        } else if (typeof v === "number" && n.fn === "len" && Number.isInteger(v) && v >= 0 && v <= 4096) {
          this.pushDown(x, "a".repeat(v));
        }
        return;
      }
      default:
        return;
    }
  }

  private link(a: number, b: number): void {
    const la = this.locOf(a);
    const lb = this.locOf(b);
    if (la !== null && lb !== null && this.tool !== null) this.tool.links.push([la, lb]);
  }

  /** Walks expression `i` (and its children) for hints. */
  walk(i: number): void {
    const key = `${this.tool?.name ?? ""}\u0000${i}`;
    if (this.visited.has(key)) return;
    this.visited.add(key);
    const n = this.node(i);
    if (n === undefined) return;
    const h = this.hints;
    switch (n.op) {
      case "const": {
        const values = Array.isArray(n.value) ? n.value : [n.value];
        for (const v of values) {
          if (typeof v === "string") this.add(h.strings, v);
          if (typeof v === "number") this.add(h.numbers, v);
        }
        return;
      }
      case "compare": {
        this.walk(n.left);
        this.walk(n.right);
        const l = this.constOf(n.left);
        const r = this.constOf(n.right);
        const [c, x] = l !== null ? [l, n.right] : [r, n.left];
        if (l !== null && r !== null) return;
        if (c === null) {
          this.link(n.left, n.right);
          return;
        }
        for (const atom of Array.isArray(c) ? c : [c])
          for (const v of around(atom as Atom)) this.pushDown(x, v);
        return;
      }
      case "in": {
        this.walk(n.item);
        this.walk(n.set);
        const set = this.constOf(n.set);
        const item = this.constOf(n.item);
        if (Array.isArray(set)) {
          for (const v of set as readonly Atom[]) this.pushDown(n.item, v);
          this.pushDown(n.item, typeof set[0] === "number" ? -12345 : "not-in-set");
        } else if (typeof set === "string") {
          for (const v of [set, set.slice(0, Math.ceil(set.length / 2)), "zz"]) this.pushDown(n.item, v);
        } else if (item !== null && !Array.isArray(item)) {
          this.pushDown(n.set, item as Atom);
          // A string location may be searched for the item as a substring.
          const loc = this.locOf(n.set);
          if (
            typeof item === "string" &&
            (loc?.kind === "arg" || loc?.kind === "fact" || loc?.kind === "intent")
          ) {
            this.pushDown(n.set, `x${item}y`);
          }
        } else {
          this.link(n.item, n.set);
        }
        return;
      }
      case "matches": {
        this.walk(n.subject);
        const program = this.ir.regexes[n.regex];
        if (program === undefined) return;
        const samples = regexSamples(program, this.rng);
        for (const s of [...samples.matching, ...samples.nonMatching]) {
          this.pushDown(n.subject, s);
          this.add(h.strings, s);
        }
        return;
      }
      case "call": {
        for (const a of n.args) this.walk(a);
        const [x, y] = n.args;
        const c = y === undefined ? null : this.constOf(y);
        if (n.fn === "intent.mentions" && x !== undefined) {
          const word = this.constOf(x);
          if (typeof word === "string") this.add(h.intentWords, word, word.toUpperCase());
          const loc = this.locOf(x);
          if (loc !== null && this.tool !== null)
            this.tool.links.push([loc, { kind: "intent", field: "text" }]);
        } else if (
          (n.fn === "starts_with" || n.fn === "ends_with" || n.fn === "contains") &&
          x !== undefined
        ) {
          if (typeof c === "string")
            for (const v of [c, `${c}x`, `x${c}`, `x${c}y`, c.slice(1)]) this.pushDown(x, v);
          else if (y !== undefined) this.link(x, y);
        } else if (n.fn === "in_cidr" && x !== undefined && typeof c === "string") {
          for (const v of cidrAddresses(c)) this.pushDown(x, v);
        }
        return;
      }
      case "feature": {
        const feature = this.ir.features[n.feature];
        if (feature === undefined) return;
        if (feature.withinMs !== null) this.add(h.windows, feature.withinMs);
        const outer = this.tool;
        this.tool = null;
        if (feature.kind === "seen") for (const s of feature.steps) this.walk(s);
        if (feature.kind === "count") this.walk(feature.where);
        if (feature.kind === "sum") this.add(h.entry.tools, feature.tool);
        this.tool = outer;
        return;
      }
      case "session":
        if (n.field === "tainted") this.add(h.entry.labels, "untrusted");
        if (n.field === "sensitivity") this.add(h.entry.labels, ...LEVELS);
        return;
      case "has":
        this.walk(n.of);
        return;
      case "not":
      case "neg":
        this.walk(n.arg);
        return;
      case "and":
      case "or":
      case "set":
        for (const a of n.op === "set" ? n.items : n.args) this.walk(a);
        return;
      case "add":
      case "sub":
      case "mul":
        this.walk(n.left);
        this.walk(n.right);
        return;
      default:
        return;
    }
  }

  /** Walks everything one policy says about `toolName`'s actions. */
  walkTool(tool: ToolHints, irTool: Ir["tools"][string]): void {
    this.tool = tool;
    for (const c of irTool.candidates) {
      this.walk(c.cond);
      const rule = this.ir.rules[c.rule];
      for (const m of rule?.modifications ?? []) {
        const name = m.path.length === 1 ? (m.path[0] as string) : null;
        if (m.op === "set") this.walk(m.value);
        if (m.op === "clamp" && name !== null) {
          for (const bound of [m.min, m.max]) {
            const c = this.constOf(bound);
            if (typeof c === "number") for (const v of around(c)) this.at({ kind: "arg", name }, v);
          }
        }
        if (m.op === "redact" && m.regex !== null && name !== null) {
          const program = this.ir.regexes[m.regex];
          if (program !== undefined)
            this.at({ kind: "arg", name }, ...regexSamples(program, this.rng).matching);
        }
      }
    }
    if (irTool.target !== null) this.walk(irTool.target);
    this.tool = null;
  }
}

function emptyHints(): Hints {
  return {
    tools: [],
    facts: new Map(),
    identity: new Map(),
    intentWords: [],
    intentScope: [],
    alignment: [],
    drift: [],
    entry: { tools: [], effects: [], targets: [], labels: [...LEVELS, "untrusted"] },
    windows: [],
    counts: [],
    sums: [],
    strings: [],
    numbers: [],
  };
}

function sameDeclaration(a: ToolHints, b: Ir["tools"][string]): boolean {
  if (a.effect !== b.effect) return false;
  const names = Object.keys(b.args);
  if (names.length !== a.args.size) return false;
  return names.every((name) => {
    const x = a.args.get(name);
    const y = b.args[name];
    return x !== undefined && y !== undefined && x.type === y.type && x.optional === y.optional;
  });
}

/** Hints for inputs that tell the given policies apart. Deterministic: regex walks use a fixed seed. */
export function collectHints(irs: readonly Ir[]): Hints {
  const hints = emptyHints();
  const rng = new Random(0x5eed);
  for (const ir of irs) {
    for (const [name, type] of Object.entries(ir.facts)) {
      if (!hints.facts.has(name)) hints.facts.set(name, { type, values: [] });
    }
    for (const [name, irTool] of Object.entries(ir.tools)) {
      let tool = hints.tools.find((t) => t.name === name && sameDeclaration(t, irTool));
      if (tool === undefined) {
        tool = {
          name,
          effect: irTool.effect,
          args: new Map(Object.entries(irTool.args)),
          output: irTool.output,
          values: new Map(),
          links: [],
        };
        hints.tools.push(tool);
      }
      for (const label of irTool.output)
        if (!hints.entry.labels.includes(label)) hints.entry.labels.push(label);
    }
  }
  for (const ir of irs) {
    const collector = new Collector(hints, ir, rng);
    for (const [name, irTool] of Object.entries(ir.tools)) {
      for (const tool of hints.tools.filter((t) => t.name === name)) collector.walkTool(tool, irTool);
    }
    for (const c of ir.classifiers)
      for (const label of c.labels) if (!hints.entry.labels.includes(label)) hints.entry.labels.push(label);
  }
  return hints;
}
