/**
 * Every policy in the repository, checked: the language spec cases, the
 * `aarm` blocks of the docs (whole policies, and the multi-file examples of
 * diagnostic pages), and the examples. Blocks marked `invalid` or `fragment`
 * and policies that do not check are left out: they are about the checker;
 * so is the one policy that checks but does not lower (AARM5001's example).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkPolicy } from "../../src/lang/check.ts";
import type { CheckedPolicy } from "../../src/lang/checked.ts";
import type { Diagnostic } from "../../src/lang/diagnostic.ts";
import { memoryHost, stdlibHost } from "../../src/lang/host.ts";
import { checkCase, loadCases } from "../support/cases.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface CorpusPolicy {
  /** Where it comes from: a case path, `docs/…md #n`, or an example file. */
  readonly name: string;
  /** Its files by name, `root` among them. */
  readonly files: Readonly<Record<string, string>>;
  readonly root: string;
  readonly policy: CheckedPolicy;
  /** The checker's diagnostics (warnings only). */
  readonly diagnostics: readonly Diagnostic[];
}

const ROOT_FILE = "policy.aarm";

/** The page whose example checks but does not lower, on purpose. */
const LOWERING_ERROR_EXAMPLE = "docs/diagnostics/AARM5001.md";

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".md") && !file.startsWith("api/"))
    .sort()
    .map((file) => join(dir, file));
}

/** The policies of one page: each root block alone, or the page's blocks as one policy when it names files. */
function docPolicies(path: string): { name: string; files: Record<string, string> }[] {
  const page = readFileSync(path, "utf8");
  const blocks = [...page.matchAll(/```(aarm|json)(?: file=(\S+))?\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1],
    file: m[2],
    text: m[3] ?? "",
  }));
  const name = path.slice(ROOT.length);
  const named = blocks.filter((b) => b.file !== undefined);
  const roots = blocks.filter(
    (b) => b.lang === "aarm" && b.file === undefined && b.text.startsWith("policy"),
  );
  if (named.length > 0 && roots.length === 1) {
    const files: Record<string, string> = { [ROOT_FILE]: roots[0]?.text ?? "" };
    for (const b of named) files[b.file as string] = b.text;
    return [{ name, files }];
  }
  return roots.map((b, i) => ({ name: `${name} #${i + 1}`, files: { [ROOT_FILE]: b.text } }));
}

function checked(name: string, files: Record<string, string>): CorpusPolicy | null {
  const result = checkPolicy(ROOT_FILE, memoryHost(files, stdlibHost()));
  return result.policy === null
    ? null
    : { name, files, root: ROOT_FILE, policy: result.policy, diagnostics: result.diagnostics };
}

let cached: CorpusPolicy[] | null = null;

/** The repository's checked policies, loaded once per test file. */
export function corpus(): CorpusPolicy[] {
  if (cached !== null) return cached;
  const found: CorpusPolicy[] = [];
  for (const c of loadCases()) {
    const result = checkCase(c);
    if (result.policy !== null)
      found.push({
        name: c.path,
        files: c.files,
        root: c.root,
        policy: result.policy,
        diagnostics: result.diagnostics,
      });
  }
  for (const path of markdownFiles(join(ROOT, "docs"))) {
    for (const { name, files } of docPolicies(path)) {
      const policy = checked(name, files);
      if (policy !== null) found.push(policy);
    }
  }
  for (const example of readdirSync(join(ROOT, "examples"), { withFileTypes: true })) {
    if (!example.isDirectory()) continue;
    const name = `examples/${example.name}/policy.aarm`;
    const policy = checked(name, { [ROOT_FILE]: readFileSync(join(ROOT, name), "utf8") });
    if (policy !== null) found.push(policy);
  }
  cached = found.filter((p) => !p.name.startsWith(LOWERING_ERROR_EXAMPLE));
  return cached;
}
