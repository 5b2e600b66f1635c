// Generates grammar/railroad.html, the railroad diagrams of the .aarm grammar,
// from the parser itself (so they cannot drift from it).
//   node scripts/gen-grammar.ts           write the file
//   node scripts/gen-grammar.ts --check   exit 1 if the checked-in file is stale
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSyntaxDiagramsCode } from "chevrotain";
import { serializedGrammar } from "../src/lang/parser.ts";

const target = join(import.meta.dirname, "..", "grammar", "railroad.html");
const diagrams = join(import.meta.dirname, "..", "node_modules", "chevrotain", "diagrams");
const RESOURCES = "aarm-inline:";

// Chevrotain's page loads its diagram scripts and stylesheet from a CDN; inline them so the page
// works offline and shows exactly the renderer this grammar was generated with.
const html = createSyntaxDiagramsCode(serializedGrammar(), {
  resourceBase: RESOURCES,
  css: `${RESOURCES}diagrams.css`,
})
  .replace(/<link rel='stylesheet' href='aarm-inline:([^']+)'>/g, (_, file: string) => {
    return `<style>\n${readFileSync(join(diagrams, file), "utf8")}</style>`;
  })
  .replace(/<script src='aarm-inline:([^']+)'><\/script>/g, (_, file: string) => {
    return `<script>\n${readFileSync(join(diagrams, file), "utf8")}</script>`;
  });

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    // A missing file is stale too.
  }
  if (current !== html) {
    console.error("grammar/railroad.html is out of date: run `node scripts/gen-grammar.ts`");
    process.exit(1);
  }
} else {
  writeFileSync(target, html);
}
