/**
 * Generated modules run unchanged in a browser: Debian's Chromium, driven by
 * playwright-core, imports the module of every IR test vector from a local
 * HTTP server and decides every input and labels every output of the vector
 * exactly as Node does, but for the known divergences listed below. A module
 * is also inlined into a `<script>` element,
 * whose text the HTML parser must keep whole (IR strings such as
 * `</script>` are escaped in the module).
 *
 * Chromium must be installed at /usr/bin/chromium (`.ci/run` installs it);
 * without it the test fails rather than passing unchecked.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateModule } from "../../src/compiler.ts";
import { loadVectors } from "../ir-vectors/vectors.ts";
import { loadModule, removeModules } from "./load.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const vectors = loadVectors();
const modules = vectors.map((v) => generateModule(v.ir));
/** What the page runs: each vector's module, inputs and outputs, without the expectations. */
const work = vectors.map((v, i) => ({
  path: v.path,
  module: `/modules/${i}.js`,
  inputs: v.decisions.map((d) => d.input),
  outputs: v.labels.map(({ tool, args, output }) => ({ tool, args, output })),
}));
const hostile = vectors.findIndex((v) => v.path === "ir/hostile-strings.json");

/**
 * Runs in the page: imports each module and applies it to the vector's inputs and outputs. A string,
 * because the test runner rewrites `import()` in the test's own functions.
 */
const RUNNER = `(async () => {
  const items = await (await fetch("/work.json")).json();
  const out = [];
  for (const item of items) {
    const m = await import(item.module);
    out.push({
      ir: m.ir,
      decisions: item.inputs.map((input) => m.evaluate(input)),
      labels: item.outputs.map(({ tool, args, output }) => m.labelOutput(tool, args, output)),
    });
  }
  return out;
})()`;

function inlinePage(source: string): string {
  return `<!doctype html><meta charset="utf-8"><title>inline</title><script type="module" id="m">${source}</script>`;
}

function route(url: string): { type: string; body: string } | null {
  if (url === "/") return { type: "text/html; charset=utf-8", body: `<!doctype html><title>aarm</title>` };
  if (url === "/work.json") return { type: "application/json", body: JSON.stringify(work) };
  if (url === "/inline.html")
    return { type: "text/html; charset=utf-8", body: inlinePage(modules[hostile] ?? "") };
  const match = /^\/modules\/(\d+)\.js$/.exec(url);
  const source = match === null ? undefined : modules[Number(match[1])];
  return source === undefined ? null : { type: "text/javascript; charset=utf-8", body: source };
}

/**
 * Disagreements known and reported, each with why: the test fails if one goes away (remove it
 * here) or another appears. `host()` (src/eval/net.ts) parses with the platform's `URL`, and
 * Chromium's is not WHATWG-conformant for hosts: it percent-encodes a space where the standard
 * (and Node) refuse the URL, so a malformed URL gets a host instead of being unknown.
 */
const KNOWN_DIVERGENCES: readonly string[] = [];

/** The items of one vector on which the browser and Node disagree. */
function differences(path: string, web: Result, node: Result): string[] {
  const out: string[] = [];
  if (!isDeepStrictEqual(web.ir, node.ir)) out.push(`${path} ir`);
  for (const part of ["decisions", "labels"] as const) {
    node[part].forEach((value, i) => {
      if (!isDeepStrictEqual(web[part][i], value)) out.push(`${path} ${part}[${i}]`);
    });
  }
  return out;
}

interface Result {
  readonly ir: unknown;
  readonly decisions: readonly unknown[];
  readonly labels: readonly unknown[];
}

let server: Server | undefined;
let origin = "";
let browser: Browser | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: .ci/run installs it (apt-get install chromium); install it the same way to run this test`,
    );
  }
  const listening = createServer((req, res) => {
    const found = route(req.url ?? "");
    res.writeHead(found === null ? 404 : 200, { "content-type": found?.type ?? "text/plain" });
    res.end(found?.body ?? "not found");
  });
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}, 60_000);

function started(): Browser {
  if (browser === undefined) throw new Error("Chromium did not start");
  return browser;
}

afterAll(async () => {
  await browser?.close();
  const listening = server;
  if (listening !== undefined) await new Promise((resolve) => listening.close(resolve));
  removeModules();
});

describe("generated modules in Chromium", () => {
  it("decide and label every IR test vector as Node does", async () => {
    const page = await started().newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${origin}/`);
    const results = (await page.evaluate(RUNNER)) as Result[];
    await page.close();
    expect(errors).toEqual([]);
    expect(results.length).toBe(vectors.length);
    const disagreements = vectors.flatMap((vector, i) => {
      const node = loadModule(modules[i] as string);
      const expected = JSON.parse(
        JSON.stringify({
          ir: node.ir,
          decisions: vector.decisions.map((d) => node.evaluate(d.input)),
          labels: vector.labels.map(({ tool, args, output }) => node.labelOutput(tool, args, output)),
        }),
      ) as Result;
      return differences(vector.path, results[i] as Result, expected);
    });
    expect(disagreements).toEqual(KNOWN_DIVERGENCES);
  }, 120_000);

  it("keeps a module whole when it is inlined into a <script> element", async () => {
    expect(hostile).toBeGreaterThanOrEqual(0);
    const page = await started().newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${origin}/inline.html`);
    const text = await page.evaluate(`document.getElementById("m")?.textContent ?? null`);
    await page.close();
    expect(errors).toEqual([]);
    expect(text === modules[hostile]).toBe(true);
  }, 60_000);
});
