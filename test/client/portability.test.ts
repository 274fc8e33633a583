/**
 * The SDK is what users copy or import: it talks HTTP only, imports nothing from the server's code,
 * and runs under Node 20 (global fetch) as well as Bun. The Node test bundles src/client with
 * Bun.build and runs the bundle with `node` against an embedded server in this process.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { startEmbeddedHere as startTestServer } from "../helpers/roots.ts";

const root = new URL("../../", import.meta.url).pathname;
const clientDir = join(root, "src/client");

describe("src/client imports", () => {
  test("only its own files; node:* only in the CLI", () => {
    const files = readdirSync(clientDir).filter((f) => f.endsWith(".ts"));
    expect(files).toContain("index.ts");
    const bad: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(clientDir, f), "utf8");
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+["']([^"']+)["']/g)) {
        const spec = m[1]!;
        const ok = /^\.\/[\w-]+\.ts$/.test(spec) || (spec.startsWith("node:") && f.startsWith("cli"));
        if (!ok) bad.push(`${f}: ${spec}`);
      }
      if (!f.startsWith("cli") && /\bBun\./.test(text)) bad.push(`${f}: uses Bun.*`);
    }
    expect(bad).toEqual([]);
  });
});

describe("under Node 20", () => {
  let app: Embedded;
  let dir: string;
  beforeAll(() => {
    app = startTestServer();
    dir = mkdtempSync(join(tmpdir(), "faas-node-"));
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function bundle(entry: string): Promise<string> {
    const out = await Bun.build({ entrypoints: [join(clientDir, entry)], target: "node", format: "esm", outdir: dir, naming: "[name].mjs" });
    expect(out.logs.filter((l) => l.level === "error")).toEqual([]);
    expect(out.success).toBe(true);
    return out.outputs[0]!.path;
  }

  async function node(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const proc = Bun.spawn(["node", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { code, out, err };
  }

  test("the SDK registers, runs, batches, waits and reports errors", async () => {
    const version = await node(["--version"]);
    expect(version.out).toMatch(/^v(2\d|[3-9]\d)\./);
    const sdk = await bundle("index.ts");
    const script = join(dir, "use-sdk.mjs");
    writeFileSync(
      script,
      `import { FaasClient, FaasError, TaskFailedError } from ${JSON.stringify(sdk)};
const faas = new FaasClient(process.argv[2]);
const sum = await faas.run((a, b) => a + b, [2, 3]);
const id = await faas.register("(x: number): number => x * x", { name: "square" });
const ids = await faas.executeBatch(id, [[1], [2], [3]]);
const outcomes = await faas.wait(ids, { timeoutS: 30 });
let failed; try { await faas.run(() => { throw new RangeError("no"); }, []); } catch (e) { failed = e instanceof TaskFailedError && e.remote.name; }
let missing; try { await faas.status("nope"); } catch (e) { missing = e instanceof FaasError && e.code; }
console.log(JSON.stringify({ sum, squares: ids.map((t) => outcomes.get(t).result), failed, missing }));
`,
    );
    const r = await node([script, app.url]);
    expect(r.err).toBe("");
    expect(JSON.parse(r.out)).toEqual({ sum: 5, squares: [1, 4, 9], failed: "RangeError", missing: "UnknownTask" });
    expect(r.code).toBe(0);
  });

  test("the CLI runs under node too: register a file, execute --wait, and usage errors exit 2", async () => {
    const cli = await bundle("cli.ts");
    const fn = join(dir, "concat.ts");
    writeFileSync(fn, "(a: string, b: string): string => a + b\n");
    const reg = await node([cli, "register", fn, "--url", app.url]);
    expect(reg).toMatchObject({ code: 0, err: "" });
    const run = await node([cli, "execute", reg.out.trim(), '["x", "y"]', "--wait", "10", "--url", app.url]);
    expect(run).toMatchObject({ code: 0, out: '"xy"\n', err: "" });
    const empty = await node([cli, "register", "-", "--url", app.url]); // stdin closed: an empty source
    expect(empty.code).toBe(2);
    expect(empty.err).toContain("stdin is empty");
  });
});
