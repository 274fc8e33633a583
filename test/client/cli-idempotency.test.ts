/**
 * `faas execute` and `faas batch` with `--idempotency-key K` (the CLI in its own process against an
 * embedded server in the test process): the same command again prints the same task id(s) and the
 * server counts nothing new; another request with K exits 1 naming the conflict; a bad K exits 2.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { register } from "../../scripts/lib/http.ts";
import { parsePrometheus } from "../helpers/prometheus-text.ts";
import { startEmbeddedHere } from "../helpers/roots.ts";

const root = new URL("../../", import.meta.url).pathname;
let server: Embedded;
let dir: string;
beforeAll(() => {
  server = startEmbeddedHere({ workers: 1 });
  dir = mkdtempSync(join(tmpdir(), "faas-cli-idem-"));
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function faas(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([process.execPath, "src/client/cli.ts", ...args], { cwd: root, env: { PATH: process.env.PATH ?? "", FAAS_URL: server.url }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

const submitted = async (): Promise<number> => parsePrometheus(await (await fetch(`${server.url}/metrics`)).text()).value("faas_tasks_submitted_total");

describe("faas --idempotency-key", () => {
  test("execute: the same command twice prints one task id; another request with the key exits 1 (409)", async () => {
    const fid = await register(server.url, "(x) => x");
    const first = await faas(["execute", fid, "[1]", "--idempotency-key", "cli-1"]);
    expect(first).toMatchObject({ code: 0, err: "" });
    const before = await submitted();
    expect(await faas(["execute", fid, "[1]", "--idempotency-key", "cli-1"])).toMatchObject({ code: 0, out: first.out });
    expect(await submitted()).toBe(before);
    const other = await faas(["execute", fid, "[2]", "--idempotency-key", "cli-1"]);
    expect(other.code).toBe(1);
    expect(other.err).toContain("IdempotencyConflict (HTTP 409)");
  });

  test("batch: the same file twice prints the same ids; a bad key exits 2 naming the flag", async () => {
    const fid = await register(server.url, "(x) => x");
    const lines = join(dir, "args.jsonl");
    writeFileSync(lines, "[1]\n[2]\n[3]\n");
    const first = await faas(["batch", fid, lines, "--idempotency-key", "cli-batch-1"]);
    expect(first.code).toBe(0);
    expect(first.out.trim().split("\n").length).toBe(3);
    expect(await faas(["batch", fid, lines, "--idempotency-key", "cli-batch-1"])).toMatchObject({ code: 0, out: first.out });
    const bad = await faas(["execute", fid, "[1]", "--idempotency-key", "a b"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--idempotency-key must be 1 to 255 printable ASCII characters");
  });
});
