/**
 * The SDK and CLI as a Node user gets them: `npm run build`, `npm pack`, and the tarball installed
 * into an empty folder with `npm install --offline` (the package has no dependencies). Then, under
 * Node 20+: `import {FaasClient} from "bunfaas/client"` runs tasks against an embedded server in this
 * process, `npx faas --help` and the installed `faas` bin work, the built files import nothing but
 * node built-ins, and a TypeScript consumer type-checks against the shipped `.d.ts`. The source
 * graph of the SDK is checked too: its own files only, no `node:*`, no `Bun.*`.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { startEmbeddedHere } from "../helpers/roots.ts";

setDefaultTimeout(180_000); // the first test builds and packs; the machine may be busy

const root = new URL("../../", import.meta.url).pathname;
const clientDir = join(root, "src/client");

/** The files `from` imports, transitively, starting at `entry` (relative specifiers only). */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (graph.has(file)) return;
    const specs = [...readFileSync(join(clientDir, file), "utf8").matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+["']([^"']+)["']/g)].map((m) => m[1]!);
    graph.set(file, specs);
    for (const s of specs) if (s.startsWith("./")) visit(s.slice(2));
  };
  visit(entry);
  return graph;
}

describe("src/client imports", () => {
  test("the SDK (from index.ts) imports only its own files: no node:*, no Bun.*", () => {
    const bad: string[] = [];
    for (const [file, specs] of importGraph("index.ts")) {
      for (const s of specs) if (!/^\.\/[\w-]+\.ts$/.test(s)) bad.push(`${file}: ${s}`);
      if (/\bBun\./.test(readFileSync(join(clientDir, file), "utf8"))) bad.push(`${file}: uses Bun.*`);
    }
    expect(bad).toEqual([]);
  });

  test("the CLI (from cli.ts) adds only node:* built-ins", () => {
    const bad: string[] = [];
    for (const [file, specs] of importGraph("cli.ts")) {
      for (const s of specs) if (!/^\.\/[\w-]+\.ts$/.test(s) && !s.startsWith("node:")) bad.push(`${file}: ${s}`);
      if (/\bBun\./.test(readFileSync(join(clientDir, file), "utf8"))) bad.push(`${file}: uses Bun.*`);
    }
    expect(bad).toEqual([]);
  });
});

/** npm as the test was started with (`npm test` sets npm_execpath), else the one on PATH. */
function npmCommand(): string[] {
  const cli = process.env.npm_execpath;
  return cli !== undefined && cli.endsWith(".js") && existsSync(cli) ? [process.env.npm_node_execpath ?? "node", cli] : ["npm"];
}

/** npx next to that npm (`npx faas` is what the README tells users to type). */
function npxCommand(): string[] {
  const npm = npmCommand();
  const npx = npm.length === 2 ? join(dirname(npm[1]!), "npx-cli.js") : undefined;
  return npx !== undefined && existsSync(npx) ? [npm[0]!, npx] : ["npx"];
}

/** The environment without npm's script variables: a nested npm must not inherit this project's prefix. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k) && k !== "INIT_CWD") env[k] = v;
  return { ...env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", ...extra };
}

async function run(cmd: string[], cwd: string, env: Record<string, string> = cleanEnv()): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(cmd, { cwd, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

describe("the npm package under Node", () => {
  let app: Embedded;
  let dir: string; // holds the tarball and the consumer project
  let consumer: string;
  beforeAll(() => {
    app = startEmbeddedHere({ workers: 1 });
    dir = mkdtempSync(join(tmpdir(), "faas-pack-"));
    consumer = join(dir, "consumer");
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const installed = (...p: string[]): string => join(consumer, "node_modules", "bunfaas", ...p);

  test("npm run build, npm pack and npm install --offline into an empty folder", async () => {
    const build = await run([...npmCommand(), "run", "build"], root);
    expect({ code: build.code, err: build.code === 0 ? "" : build.err }).toEqual({ code: 0, err: "" });
    const pack = await run([...npmCommand(), "pack", "--ignore-scripts", "--pack-destination", dir], root);
    expect(pack.code).toBe(0);
    const tarball = readdirSync(dir).find((f) => /^bunfaas-\d+\.\d+\.\d+\.tgz$/.test(f));
    expect(tarball).toBeDefined();
    mkdirSync(consumer);
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    const install = await run([...npmCommand(), "install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", join(dir, tarball!)], consumer);
    expect({ code: install.code, err: install.code === 0 ? "" : install.err }).toEqual({ code: 0, err: "" });
    expect(readdirSync(join(consumer, "node_modules")).filter((n) => !n.startsWith("."))).toEqual(["bunfaas"]); // no dependencies came with it
  });

  test("it ships dist/client, README.md and package.json only; exports, bin and engines say what to use", () => {
    const shipped = readdirSync(installed(), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(installed().length + 1))
      .sort();
    expect(shipped.filter((f) => !f.startsWith("dist/client/"))).toEqual(["README.md", "package.json"]);
    expect(shipped.filter((f) => f.startsWith("dist/client/") && !/\.(js|d\.ts)$/.test(f))).toEqual([]);
    const pkg = JSON.parse(readFileSync(installed("package.json"), "utf8"));
    expect(pkg.exports["./client"]).toEqual({ types: "./dist/client/index.d.ts", default: "./dist/client/index.js" });
    expect(pkg.bin).toEqual({ faas: "dist/client/cli.js" });
    expect(pkg.engines.node).toBe(">=20");
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(readFileSync(installed("dist/client/cli.js"), "utf8")).toStartWith("#!/usr/bin/env node\n");
  });

  test("the built SDK imports nothing; the built CLI only node built-ins", () => {
    const imports = (file: string): string[] => {
      const text = readFileSync(installed("dist/client", file), "utf8");
      return [...text.matchAll(/(?:^|\n)\s*import\b[^;'"]*?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']|\brequire\(\s*["']([^"']+)["']/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
    };
    expect(imports("index.js")).toEqual([]);
    const cli = imports("cli.js");
    expect(cli.length).toBeGreaterThan(0);
    expect(cli.filter((s) => !s.startsWith("node:"))).toEqual([]);
  });

  test("node imports bunfaas/client: run, map, submit, asCompleted, errors and abort", async () => {
    const version = await run(["node", "--version"], consumer);
    expect(version.out).toMatch(/^v(2\d|[3-9]\d)\./);
    const script = `import { FaasClient, FaasError, TaskFailedError, AbortError } from "bunfaas/client";
const faas = new FaasClient(process.env.FAAS_URL);
const sum = await faas.run((a, b) => a + b, [2, 3]);
const squares = [];
for await (const v of faas.map((x) => x * x, [[1], [2], [3]], { concurrency: 2 })) squares.push(v);
const id = await faas.register("(x: number): number => x * x", { name: "square" });
const handles = await Promise.all([4, 5].map((x) => faas.submit(id, [x])));
const finished = [];
for await (const h of faas.asCompleted(handles)) finished.push(await h.result());
let failed; try { await faas.run(() => { throw new RangeError("no"); }, []); } catch (e) { failed = e instanceof TaskFailedError && e.remote.name; }
let missing; try { await faas.status("nope"); } catch (e) { missing = e instanceof FaasError && e.code; }
let aborted; try { await faas.health({ signal: AbortSignal.abort() }); } catch (e) { aborted = e instanceof AbortError; }
console.log(JSON.stringify({ sum, squares, finished: finished.sort((a, b) => a - b), failed, missing, aborted }));
`;
    const r = await run(["node", "--input-type=module", "-e", script], consumer, cleanEnv({ FAAS_URL: app.url }));
    expect(r.err).toBe("");
    expect(JSON.parse(r.out)).toEqual({ sum: 5, squares: [1, 4, 9], finished: [16, 25], failed: "RangeError", missing: "UnknownTask", aborted: true });
    expect(r.code).toBe(0);
  });

  test("npx faas --help runs; the installed faas registers, executes and reports usage errors under node", async () => {
    const help = await run([...npxCommand(), "--offline", "faas", "--help"], consumer);
    expect({ code: help.code, err: help.err }).toEqual({ code: 0, err: "" });
    expect(help.out).toContain("Usage: faas <command>");
    const faas = installed("dist/client/cli.js");
    const env = cleanEnv({ FAAS_URL: app.url });
    writeFileSync(join(consumer, "concat.ts"), "(a: string, b: string): string => a + b\n");
    const reg = await run(["node", faas, "register", "concat.ts"], consumer, env);
    expect(reg).toMatchObject({ code: 0, err: "" });
    const exec = await run([join(consumer, "node_modules/.bin/faas"), "execute", reg.out.trim(), '["x", "y"]', "--wait", "10"], consumer, env);
    expect(exec).toMatchObject({ code: 0, out: '"xy"\n', err: "" });
    const empty = await run(["node", faas, "register", "-"], consumer, env); // stdin closed: an empty source
    expect(empty.code).toBe(2);
    expect(empty.err).toContain("stdin is empty");
  });

  test("in the clone: npm run --silent faas and (once built) npm exec faas print only the CLI's output", async () => {
    const fn = join(dir, "inc.ts");
    writeFileSync(fn, "(x: number) => x + 1\n");
    const env = cleanEnv({ FAAS_URL: app.url });
    const reg = await run([...npmCommand(), "run", "--silent", "faas", "--", "register", fn], root, env);
    expect(reg.code).toBe(0);
    expect(reg.out).toMatch(/^\S+\n$/); // F=$(npm run --silent faas -- register inc.ts) holds the id alone
    const exec = await run([...npmCommand(), "exec", "--offline", "--", "faas", "execute", reg.out.trim(), "[41]", "--wait", "10"], root, env);
    expect(exec).toMatchObject({ code: 0, out: "42\n" });
  });

  test("a TypeScript project type-checks against the shipped .d.ts (node16 resolution)", async () => {
    writeFileSync(
      join(consumer, "use.ts"),
      `import { FaasClient, type TaskHandle } from "bunfaas/client";
const faas = new FaasClient("http://127.0.0.1:8000");
export async function f(): Promise<number> {
  const h: TaskHandle<number> = await faas.submit((a: number) => a * 2, [1]);
  for await (const s of faas.map((x: number) => String(x), [[1]], { concurrency: 2 })) s.toUpperCase();
  return h.result({ signal: AbortSignal.timeout(1000) });
}
// @ts-expect-error a handle is not a number
export const wrong: number = await faas.submit((a: number) => a, [1]);
`,
    );
    const tsconfig = { compilerOptions: { module: "node16", moduleResolution: "node16", target: "ES2022", lib: ["ES2022", "DOM"], types: [], strict: true, noEmit: true }, files: ["use.ts"] };
    writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify(tsconfig));
    const tsc = join(dirname(require.resolve("typescript/package.json", { paths: [root] })), "bin", "tsc");
    const r = await run(["node", tsc, "-p", "."], consumer);
    expect(r.out + r.err).toBe("");
    expect(r.code).toBe(0);
  });
});
