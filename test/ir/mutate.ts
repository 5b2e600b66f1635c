/**
 * Small semantic mutations of a generated policy's source, applied to one of
 * its own rules (`<kind> r<N> …`, a section of its own): rename the rule,
 * change its reason or its kind, change a number in its condition, or flip a
 * comparison to its complement.
 */

export const MUTATIONS = ["rename", "reason", "kind", "constant", "comparison"] as const;
export type Mutation = (typeof MUTATIONS)[number];

const RULE = /^(forbid|deny|defer|step_up|modify|allow) (r\d+)/;

/** Strings, regexes, names, numbers (with any unit) and comparison operators, in source order. */
const TOKENS =
  /"(?:[^"\\\n]|\\.)*"|\/(?:[^/\\\n[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+\/i?|[A-Za-z_][A-Za-z0-9_.]*|\d+(?:\.\d+)?[A-Za-z]*|<=|>=|==|!=|[<>]/g;

const COMPLEMENT: Record<string, string> = {
  "<": ">=",
  ">=": "<",
  ">": "<=",
  "<=": ">",
  "==": "!=",
  "!=": "==",
};

/** Kinds a rule without kind-specific clauses can change to, and stay valid. */
const OTHER_KIND: Record<string, string> = { forbid: "deny", deny: "allow", allow: "deny" };

/** Replaces the `pick`-th token (modulo their number) of `body` that `select` maps to a replacement. */
function replaceToken(body: string, pick: number, select: (token: string) => string | null): string | null {
  const found = [...body.matchAll(TOKENS)].flatMap((m) => {
    const replacement = select(m[0]);
    return replacement === null ? [] : [{ at: m.index, length: m[0].length, replacement }];
  });
  const chosen = found[pick % Math.max(found.length, 1)];
  if (chosen === undefined) return null;
  return body.slice(0, chosen.at) + chosen.replacement + body.slice(chosen.at + chosen.length);
}

function mutateRule(section: string, mutation: Mutation, pick: number): string | null {
  const match = RULE.exec(section);
  if (match === null) return null;
  const [header, kind = "", name = ""] = match;
  const newline = section.indexOf("\n");
  const first = newline < 0 ? section : section.slice(0, newline);
  const body = newline < 0 ? "" : section.slice(newline);
  switch (mutation) {
    case "rename":
      return `${kind} ${name}_renamed${section.slice(header.length)}`;
    case "reason": {
      const because = /because "([^"]*)"/.exec(section);
      return because === null
        ? `${section}\n  because "changed reason"`
        : section.replace(because[0], `because "${because[1]} (changed)"`);
    }
    case "kind": {
      const other = OTHER_KIND[kind];
      return other === undefined ? null : `${other}${section.slice(kind.length)}`;
    }
    case "constant": {
      const changed = replaceToken(body, pick, (t) =>
        /^\d+(\.\d+)?$/.test(t) ? (t === "7" ? "8" : "7") : null,
      );
      return changed === null ? null : first + changed;
    }
    case "comparison": {
      const changed = replaceToken(body, pick, (t) => COMPLEMENT[t] ?? null);
      return changed === null ? null : first + changed;
    }
  }
}

/** The source with one rule mutated (the `pick`-th, modulo their number), or null if it offers nothing to mutate. */
export function mutate(source: string, mutation: Mutation, pick: number): string | null {
  const sections = source.split("\n\n");
  const rules = sections.flatMap((s, i) => (RULE.test(s) ? [i] : []));
  const index = rules[pick % Math.max(rules.length, 1)];
  if (index === undefined) return null;
  const changed = mutateRule(sections[index] as string, mutation, Math.floor(pick / 7));
  if (changed === null) return null;
  sections[index] = changed;
  return sections.join("\n\n");
}
