/**
 * Seeded generation of evaluation inputs from `Hints`: an action for one of
 * the declared tools with arguments of the declared types, drawn mostly from
 * the values the policies' conditions turn on and sometimes from generic
 * ones; an identity, facts present or absent, an intent that mentions the
 * action's values or not, scores present or absent, and a history built from
 * a few repeated kinds of entry (so counts land on thresholds) at times on
 * the edges of the policies' windows. `mutate` changes one part of an input,
 * for a search that explores around inputs that reached new decisions.
 *
 * @module
 */
import type { EvalIdentity, EvalInput, HistoryEntry, Json, Snapshot } from "../../ir/contract.ts";
import type { IrType } from "../../ir/types.ts";
import type { Atom, Hints, Loc, ToolHints } from "./hints.ts";
import type { Random } from "./random.ts";

/** The "now" of generated actions: a fixed instant, so runs are reproducible. */
const GENERATED_NOW = Date.UTC(2026, 0, 1);

const GENERIC_STRINGS = [
  "",
  "a",
  "x",
  "test",
  "admin",
  "alice",
  "bob",
  "alice@example.com",
  "https://example.com/",
  "10.0.0.1",
];
const GENERIC_NUMBERS = [0, 1, -1, 2, 10, 100, 1000, 0.5];
const GENERIC_DURATIONS = [0, 1000, 60_000, 3_600_000, 86_400_000];
const PEOPLE = ["alice", "bob", "admin", "owner"];
const FILLER = ["please", "the", "report", "today", "and"];
const EFFECTS = ["read", "write", "delete", "egress", "execute"];
const MAX_HISTORY = 48;
const UNDECLARED_TOOL = "undeclared.tool";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class InputGenerator {
  private readonly hints: Hints;
  private readonly rng: Random;
  private readonly labels: readonly string[];
  /** Values for a location the policies say nothing specific about: generic ones and every constant. */
  private readonly anyString: readonly string[];
  private readonly anyNumber: readonly number[];
  private readonly anyDuration: readonly number[];

  constructor(hints: Hints, rng: Random) {
    this.hints = hints;
    this.rng = rng;
    this.labels = hints.entry.labels.filter((l): l is string => typeof l === "string");
    this.anyString = [...GENERIC_STRINGS, ...hints.strings];
    this.anyNumber = [...GENERIC_NUMBERS, ...hints.numbers];
    this.anyDuration = [...GENERIC_DURATIONS, ...hints.numbers];
  }

  // ---------------------------------------------------------------------------
  // Values

  private strings(atoms: readonly Atom[]): string[] {
    return atoms.filter((a): a is string => typeof a === "string");
  }

  private numbers(atoms: readonly Atom[]): number[] {
    return atoms.filter((a): a is number => typeof a === "number" && Number.isFinite(a));
  }

  private string(atoms: readonly Atom[], used: readonly string[]): string {
    const r = this.rng;
    const hinted = this.strings(atoms);
    if (hinted.length > 0 && r.chance(0.75)) return r.pick(hinted);
    if (used.length > 0 && r.chance(0.3)) return r.pick(used);
    return r.pick(this.anyString);
  }

  private number(atoms: readonly Atom[], any: readonly number[]): number {
    const r = this.rng;
    const hinted = this.numbers(atoms);
    if (hinted.length > 0 && r.chance(0.8)) return r.pick(hinted);
    if (r.chance(0.2)) return r.int(-5, 5000);
    return r.pick(any);
  }

  /** A JSON value of an IR type; for set types, `atoms` are candidate elements. */
  private value(type: IrType, atoms: readonly Atom[], used: readonly string[]): Json {
    const r = this.rng;
    switch (type) {
      case "string":
        return this.string(atoms, used);
      case "number":
        return this.number(atoms, this.anyNumber);
      case "duration":
        return this.number(atoms, this.anyDuration);
      case "bool":
        return r.chance(0.5);
      case "set<string>": {
        const size = r.pick([0, 1, 1, 2, 3]);
        return [...new Set(Array.from({ length: size }, () => this.string(atoms, used)))];
      }
      case "set<number>": {
        const size = r.pick([0, 1, 2, 3]);
        return [...new Set(Array.from({ length: size }, () => this.number(atoms, this.anyNumber)))];
      }
      case "set":
        return [];
      case "json":
        return r.pick<Json>([{}, "x", 1, null, [], { a: 1 }]);
    }
  }

  // ---------------------------------------------------------------------------
  // Parts of an input

  private args(tool: ToolHints): { [name: string]: Json } {
    const r = this.rng;
    const out: { [name: string]: Json } = {};
    const used: string[] = [];
    for (const [name, arg] of tool.args) {
      if (arg.optional && r.chance(0.4)) continue;
      const v = this.value(arg.type, tool.values.get(name) ?? [], used);
      if (typeof v === "string") used.push(v);
      // defineProperty: an argument may be called `__proto__`.
      Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  private identity(used: readonly string[]): EvalIdentity {
    const r = this.rng;
    const h = this.hints.identity;
    const named: { -readonly [K in "human" | "agent" | "service" | "session"]?: string } = {};
    for (const field of ["human", "agent", "service", "session"] as const) {
      if (r.chance(0.6)) named[field] = this.string([...(h.get(field) ?? []), ...PEOPLE], used);
    }
    const elements = (field: string): string[] => {
      const pool = [...this.strings(h.get(field) ?? []), "admin", "user"];
      return [...new Set(r.subset(pool, 0.4))];
    };
    const depths = this.numbers(h.get("delegation_depth") ?? []).filter(
      (d) => Number.isInteger(d) && d >= 0 && d <= 16,
    );
    const depth = r.pick([...depths, ...depths, 0, 1, 2]);
    return {
      ...named,
      roles: elements("roles"),
      scope: elements("scope"),
      delegation: Array.from({ length: depth }, (_, i) => `agent-${i}`),
    };
  }

  private facts(used: readonly string[]): { [name: string]: Json } {
    const out: { [name: string]: Json } = {};
    for (const [name, fact] of this.hints.facts) {
      if (!this.rng.chance(0.6)) continue;
      Object.defineProperty(out, name, {
        value: this.value(fact.type, fact.values, used),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  private intent(used: readonly string[]): Snapshot["intent"] {
    const r = this.rng;
    if (r.chance(0.15)) return undefined;
    const words = this.strings(this.hints.intentWords);
    const parts = [...r.subset(words, 0.3), ...used.filter(() => r.chance(0.5)), ...r.subset(FILLER, 0.3)];
    const text = parts.join(" ");
    if (!r.chance(0.3)) return { text };
    const scope = [...new Set(r.subset([...this.strings(this.hints.intentScope), "payments", "read"], 0.4))];
    return { text, scope };
  }

  private score(hinted: readonly number[]): number | undefined {
    const r = this.rng;
    if (r.chance(0.3)) return undefined;
    const pool = [...hinted, ...hinted.map((v) => v - 0.01), ...hinted.map((v) => v + 0.01), 0, 0.5, 1];
    const v = r.chance(0.85) ? r.pick(pool) : r.float();
    return Math.min(1, Math.max(0, v));
  }

  private scores(): Snapshot["scores"] {
    const alignment = this.score(this.hints.alignment);
    const drift = this.score(this.hints.drift);
    return {
      ...(alignment === undefined ? {} : { alignment }),
      ...(drift === undefined ? {} : { drift }),
    };
  }

  /** How long before now a prior action happened: on either side of a window's edge, or anywhere. */
  private age(): number {
    const r = this.rng;
    const windows = this.hints.windows;
    if (windows.length > 0 && r.chance(0.6)) {
      const w = r.pick(windows);
      return Math.max(0, w + r.pick([-1, 0, 1, 0, -1000, 1000]));
    }
    return r.pick([0, 1, 60_000, 3_600_000, 86_400_000, 30 * 86_400_000]);
  }

  /** One kind of prior action: a tool, its labels, maybe a target. */
  private entryTemplate(now: number): HistoryEntry {
    const r = this.rng;
    const e = this.hints.entry;
    const declared = this.hints.tools;
    const hintedTools = this.strings(e.tools);
    let tool: string;
    let effect: string;
    let output: readonly string[] = [];
    if (declared.length > 0 && (hintedTools.length === 0 || r.chance(0.7))) {
      const t = r.pick(declared);
      tool = t.name;
      effect = t.effect;
      output = t.output;
    } else {
      tool = hintedTools.length > 0 ? r.pick(hintedTools) : "other.tool";
      effect = r.pick(EFFECTS);
    }
    const hintedEffects = this.strings(e.effects);
    if (hintedEffects.length > 0 && r.chance(0.2)) effect = r.pick(hintedEffects);
    const labels = new Set<string>(r.chance(0.5) ? output : []);
    for (const label of r.subset(this.labels, 0.25)) labels.add(label);
    if (labels.size === 0 && r.chance(0.7)) labels.add(r.pick(["public", "internal"]));
    const targets = this.strings(e.targets);
    const entry: Mutable<HistoryEntry> = {
      tool,
      effect,
      args: {},
      time: now - this.age(),
      labels: [...labels],
    };
    if (r.chance(0.75))
      entry.target = targets.length > 0 && r.chance(0.7) ? r.pick(targets) : r.pick(GENERIC_STRINGS);
    return entry;
  }

  private history(now: number): HistoryEntry[] {
    const r = this.rng;
    if (r.chance(0.2)) return [];
    const counts = this.numbers(this.hints.counts).filter(
      (c) => Number.isInteger(c) && c >= 0 && c <= MAX_HISTORY,
    );
    const out: HistoryEntry[] = [];
    const kinds = r.int(1, 3);
    for (let k = 0; k < kinds; k++) {
      const template = this.entryTemplate(now);
      const times = r.chance(0.5) && counts.length > 0 ? r.pick(counts) : r.pick([1, 1, 1, 2, 3]);
      for (let i = 0; i < times && out.length < MAX_HISTORY; i++) {
        out.push(i === 0 || r.chance(0.8) ? template : { ...template, time: now - this.age() });
      }
    }
    for (const sum of this.hints.sums) {
      if (!r.chance(0.4)) continue;
      const totals = this.numbers(sum.totals);
      const total = totals.length > 0 ? r.pick(totals) : r.int(0, 1000);
      const tool = this.hints.tools.find((t) => t.name === sum.tool);
      const parts = r.chance(0.5) ? [total] : [total / 2, total / 2];
      for (const amount of parts) {
        if (out.length >= MAX_HISTORY) break;
        out.push({
          tool: sum.tool,
          effect: tool?.effect ?? "execute",
          args: { [sum.arg]: amount },
          time: now - this.age(),
          labels: ["public"],
        });
      }
    }
    if (r.chance(0.5)) shuffle(out, r);
    return out;
  }

  // ---------------------------------------------------------------------------
  // Links between locations

  private read(input: EvalInput, loc: Loc): Json | undefined {
    switch (loc.kind) {
      case "arg":
        return Object.hasOwn(input.action.args, loc.name) ? input.action.args[loc.name] : undefined;
      case "fact":
        return Object.hasOwn(input.snapshot.facts, loc.name) ? input.snapshot.facts[loc.name] : undefined;
      case "identity": {
        const id = input.action.identity;
        if (loc.field === "roles" || loc.field === "scope") return id[loc.field];
        return id[loc.field as "human" | "agent" | "service" | "session"];
      }
      case "intent":
        return loc.field === "text" ? input.snapshot.intent?.text : input.snapshot.intent?.scope;
      default:
        return undefined;
    }
  }

  /** Makes `to` hold (or, for sets and texts, contain) the string at `from`. */
  private write(input: EvalInput, to: Loc, value: string, tool: ToolHints): EvalInput {
    const { action, snapshot } = input;
    switch (to.kind) {
      case "arg": {
        const arg = tool.args.get(to.name);
        if (arg === undefined) return input;
        const v: Json = arg.type === "string" ? value : arg.type === "set<string>" ? [value] : null;
        if (v === null) return input;
        const args = { ...action.args };
        Object.defineProperty(args, to.name, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        return { action: { ...action, args }, snapshot };
      }
      case "fact": {
        const fact = this.hints.facts.get(to.name);
        const v: Json = fact?.type === "string" ? value : fact?.type === "set<string>" ? [value] : null;
        if (v === null) return input;
        const facts = { ...snapshot.facts };
        Object.defineProperty(facts, to.name, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        return { action, snapshot: { ...snapshot, facts } };
      }
      case "identity": {
        const id = action.identity;
        const identity: EvalIdentity =
          to.field === "roles" || to.field === "scope"
            ? { ...id, [to.field]: [...new Set([...id[to.field], value])] }
            : to.field === "delegation_depth"
              ? id
              : { ...id, [to.field]: value };
        return { action: { ...action, identity }, snapshot };
      }
      case "intent": {
        const intent = snapshot.intent ?? { text: "" };
        const next =
          to.field === "text"
            ? { ...intent, text: `${intent.text} ${value}`.trim() }
            : { ...intent, scope: [...new Set([...(intent.scope ?? []), value])] };
        return { action, snapshot: { ...snapshot, intent: next } };
      }
      default:
        return input;
    }
  }

  private applyLinks(input: EvalInput, tool: ToolHints): EvalInput {
    let out = input;
    for (const [a, b] of tool.links) {
      if (!this.rng.chance(0.5)) continue;
      const [from, to] = this.rng.chance(0.5) ? [a, b] : [b, a];
      const v = this.read(out, from);
      const s = typeof v === "string" ? v : Array.isArray(v) && typeof v[0] === "string" ? v[0] : null;
      if (s !== null) out = this.write(out, to, s, tool);
    }
    return out;
  }

  // ---------------------------------------------------------------------------
  // Inputs

  private pickTool(): ToolHints | null {
    if (this.hints.tools.length === 0 || this.rng.chance(0.01)) return null;
    return this.rng.pick(this.hints.tools);
  }

  private build(tool: ToolHints | null): EvalInput {
    const now = GENERATED_NOW;
    const args = tool === null ? {} : this.args(tool);
    const used = Object.values(args).filter((v): v is string => typeof v === "string");
    const input: EvalInput = {
      action: { tool: tool?.name ?? UNDECLARED_TOOL, args, time: now, identity: this.identity(used) },
      snapshot: {
        ...withIntent(this.intent(used)),
        scores: this.scores(),
        facts: this.facts(used),
        history: this.history(now),
      },
    };
    return tool === null ? input : this.applyLinks(input, tool);
  }

  /** A fresh input. */
  next(): EvalInput {
    return this.build(this.pickTool());
  }

  /** `input` with one part of it generated afresh. */
  mutate(input: EvalInput): EvalInput {
    const r = this.rng;
    const tool = this.hints.tools.find((t) => t.name === input.action.tool) ?? null;
    const { action, snapshot } = input;
    const used = Object.values(action.args).filter((v): v is string => typeof v === "string");
    switch (r.int(0, 7)) {
      case 0:
      case 1: {
        if (tool === null || tool.args.size === 0) return this.next();
        const [name, arg] = r.pick([...tool.args]);
        const args = { ...action.args };
        if (arg.optional && Object.hasOwn(args, name) && r.chance(0.3)) delete args[name];
        else {
          const v = this.value(arg.type, tool.values.get(name) ?? [], used);
          Object.defineProperty(args, name, {
            value: v,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return this.applyLinks({ action: { ...action, args }, snapshot }, tool);
      }
      case 2:
        return { action, snapshot: { ...snapshot, facts: this.facts(used) } };
      case 3:
        return { action: { ...action, identity: this.identity(used) }, snapshot };
      case 4: {
        const { intent: _old, ...rest } = snapshot;
        return { action, snapshot: { ...rest, ...withIntent(this.intent(used)) } };
      }
      case 5:
        return { action, snapshot: { ...snapshot, scores: this.scores() } };
      case 6:
        return { action, snapshot: { ...snapshot, history: this.history(action.time) } };
      default: {
        const history = [...snapshot.history];
        if (history.length > 0 && r.chance(0.5)) history.splice(r.int(0, history.length - 1), 1);
        else if (history.length < MAX_HISTORY)
          history.splice(r.int(0, history.length), 0, this.entryTemplate(action.time));
        return { action, snapshot: { ...snapshot, history } };
      }
    }
  }
}

function withIntent(intent: Snapshot["intent"]): { intent?: NonNullable<Snapshot["intent"]> } {
  return intent === undefined ? {} : { intent };
}

function shuffle<T>(items: T[], r: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
