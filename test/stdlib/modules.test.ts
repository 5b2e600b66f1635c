/**
 * The standard library (`stdlib/<name>.aarm`): every module checks and
 * compiles with no diagnostic at all when a minimal policy imports it, with its
 * defaults and with every param bound; all of them import together; each module
 * documents its params and rules in its header; each has a session test file
 * (run by `aarmc test stdlib`); and the README lists every module.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileText } from "../../src/compiler.ts";

const STDLIB = new URL("../../stdlib/", import.meta.url);

/** Every param of every module, with a value of its type other than the default. */
const MODULES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  prompt_injection: { allowed_targets: '{"ops@example.com"}', max_injection_score: "0.5" },
  tool_output: { watched_tools: '{"web.fetch"}' },
  confused_deputy: { third_party_sources: '{"ticket", "email"}' },
  privilege: {
    read_scope: '"r"',
    write_scope: '"w"',
    delete_scope: '"d"',
    egress_scope: '"e"',
    execute_scope: '"x"',
    admin_scope: '"root"',
    admin_role: '"superuser"',
    max_scopes: "4",
  },
  exfiltration: {
    internal_domains: '{"example.com", "mail.example.com"}',
    internal_targets: '{"#ops"}',
    max_sends: "5",
    max_sends_after_sensitive: "2",
  },
  goal_hijack: { min_alignment: "0.2", confirm_alignment: "0.4" },
  intent_drift: { deny_drift: "0.8", confirm_drift: "0.7", long_session_drift: "0.5", long_session: "20" },
  memory_poisoning: {
    memory_tools: '{"notes.write"}',
    memory_targets: '{"MEMORY.md"}',
    min_memory_trust: "0.5",
  },
  delegation: { max_depth: "1", min_alignment: "0.4", admin_scope: '"root"', admin_role: '"superuser"' },
  redaction: { secret_destinations: '{"https://vault.example.com/v1/kv"}', log_sinks: '{"audit-bucket"}' },
  environment: { guarded_targets: '{"payments-db"}', guarded_tools: '{"shell.run"}' },
};

/**
 * Tools of every effect, with and without targets, with and without output
 * levels: enough for every module rule to be live, so a dead rule shows up as
 * AARM5003.
 */
const TOOLS = `
tool web.fetch { args { url: string } effect read target args.url output public, untrusted }
tool crm.lookup { args { id: string } effect read output confidential, pii }
tool notes.write { args { path: string, text: string } effect write target args.path output internal }
tool files.delete { args { path: string } effect delete target args.path output internal }
tool mail.send { args { to: string, body: string } effect egress target args.to output internal }
tool chat.post { args { text: string } effect egress output internal }
tool shell.run { args { command: string } effect execute output internal }
`;

function policy(imports: string): string {
  return `policy stdlib_check version "1"\n${imports}\n${TOOLS}\ndefault deny\n`;
}

function source(name: string): string {
  return readFileSync(new URL(`${name}.aarm`, STDLIB), "utf8");
}

/** The diagnostics of checking and compiling, rendered one per line. */
function diagnostics(text: string): { ir: boolean; lines: string[] } {
  const result = compileText(text);
  return {
    ir: result.ir !== null,
    lines: result.diagnostics.map(
      (d) => `${d.severity} ${d.code} ${d.span?.file ?? "?"}:${d.span?.line ?? 0}: ${d.message}`,
    ),
  };
}

/** The header comment: the `//` lines before `module`. */
function header(text: string): string {
  return text.slice(0, text.indexOf("\nmodule "));
}

describe("standard library modules", () => {
  it("are exactly the modules listed here", () => {
    const files = readdirSync(STDLIB)
      .filter((f) => f.endsWith(".aarm"))
      .map((f) => f.slice(0, -".aarm".length))
      .sort();
    expect(files).toEqual(Object.keys(MODULES).sort());
  });

  for (const [name, params] of Object.entries(MODULES)) {
    describe(`std/${name}`, () => {
      const text = source(name);

      it("is a module of that name", () => {
        expect(text).toMatch(new RegExp(`^module ${name}$`, "m"));
        expect(header(text)).toMatch(new RegExp(`^// std/${name}: AARM threat class T\\d+, `));
      });

      it("checks and compiles cleanly with its defaults", () => {
        expect(diagnostics(policy(`import std/${name}`))).toEqual({ ir: true, lines: [] });
      });

      it("checks and compiles cleanly with every param bound", () => {
        const declared = [...text.matchAll(/^param (\w+):/gm)].map((m) => m[1]).sort();
        expect(Object.keys(params).sort()).toEqual(declared);
        const bindings = Object.entries(params)
          .map(([param, value]) => `${param} = ${value}`)
          .join(", ");
        expect(diagnostics(policy(`import std/${name} with { ${bindings} }`))).toEqual({
          ir: true,
          lines: [],
        });
      });

      it("documents every param, fact and rule in its header", () => {
        const head = header(text);
        for (const [, param] of text.matchAll(/^param (\w+):/gm)) expect(head).toContain(`${param}:`);
        for (const [, fact] of text.matchAll(/^fact (\w+):/gm)) expect(head).toContain(fact);
        for (const [, rule] of text.matchAll(/^(?:forbid|deny|defer|step_up|modify|allow) (\w+)/gm))
          expect(head).toContain(`${name}.${rule}`);
        for (const [, classifier] of text.matchAll(/^classify (\w+)/gm)) expect(head).toContain(classifier);
        for (const section of ["THREAT.", "WHAT IT BLOCKS.", "WHAT IT LETS THROUGH.", "PARAMS.", "FACTS."])
          expect(head).toContain(section);
      });

      it("gives every rule a reason", () => {
        const rules = text.split(/\n(?=(?:forbid|deny|defer|step_up|modify|allow|classify) )/).slice(1);
        for (const rule of rules) if (!rule.startsWith("classify")) expect(rule).toMatch(/\n {2}because "/);
      });

      it("has a session test file", () => {
        expect(existsSync(new URL(`${name}.test.yaml`, STDLIB))).toBe(true);
        expect(existsSync(new URL(`tests/${name}.aarm`, STDLIB))).toBe(true);
      });
    });
  }

  it("import together, with no clash of facts, categories or names", () => {
    const all = Object.keys(MODULES)
      .map((name) => `import std/${name}`)
      .join("\n");
    expect(diagnostics(policy(all))).toEqual({ ir: true, lines: [] });
  });

  it("are all in the README's table", () => {
    const readme = readFileSync(new URL("README.md", STDLIB), "utf8");
    for (const name of Object.keys(MODULES)) expect(readme).toContain(`| [\`std/${name}\`](${name}.aarm)`);
  });

  it("README examples check cleanly", () => {
    const readme = readFileSync(new URL("README.md", STDLIB), "utf8");
    const blocks = [...readme.matchAll(/^```aarm\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? "");
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) expect(diagnostics(block)).toEqual({ ir: true, lines: [] });
  });
});
