/**
 * The `faas` CLI as a user runs it: `bun src/client/cli.ts` in its own process, against the embedded
 * server (started in the test process).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { z85Encode } from "../../src/client/cli-keygen.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedHere } from "../helpers/roots.ts";

const root = new URL("../../", import.meta.url).pathname;
let server: { url: string; stop(): Promise<void> };
let dir: string;
beforeAll(() => {
  server = startEmbeddedHere({ workers: 1 });
  dir = mkdtempSync(join(tmpdir(), "faas-cli-"));
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI with `args` (and FAAS_URL pointing at the server unless `env` says otherwise). */
async function faas(args: string[], o: { env?: Record<string, string>; stdin?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([process.execPath, "src/client/cli.ts", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", FAAS_URL: server.url, ...o.env },
    stdin: o.stdin === undefined ? "ignore" : new TextEncoder().encode(o.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("faas CLI", () => {
  test("register a TypeScript file, then execute --wait prints the result", async () => {
    const reg = await faas(["register", file("multiply.ts", "(a: number, b: number): number => a * b\n"), "--timeout-ms", "5000"]);
    expect(reg).toMatchObject({ code: 0, err: "" });
    const id = reg.out.trim();
    expect(id).toMatch(/^\S+$/);
    const fns = await faas(["functions"]);
    expect(fns.out).toContain(`${id}\tmultiply\t5000\t`);
    const run = await faas(["execute", id, "[6, 7]", "--wait", "10"]);
    expect(run).toMatchObject({ code: 0, out: "42\n", err: "" });
    const queued = await faas(["execute", id, "[2, 3]"]);
    expect(queued.code).toBe(0);
    const taskId = queued.out.trim();
    const result = await faas(["result", taskId, "--wait", "10"]);
    expect(JSON.parse(result.out)).toEqual({ task_id: taskId, status: "COMPLETED", result: 6 });
    expect(await faas(["status", taskId])).toMatchObject({ code: 0, out: "COMPLETED\n" });
  });

  test("register from stdin with --name and --url; batch prints ids, or results with --wait", async () => {
    const reg = await faas(["register", "-", "--name", "inc", "--url", server.url], { env: { FAAS_URL: "http://127.0.0.1:1" }, stdin: "(x) => x + 1" });
    expect(reg.code).toBe(0);
    const id = reg.out.trim();
    const lines = file("args.jsonl", "[1]\n[2]\n\n[3]\n");
    const ids = await faas(["batch", id, lines]);
    expect(ids.code).toBe(0);
    expect(ids.out.trim().split("\n").length).toBe(3);
    const waited = await faas(["batch", id, lines, "--wait", "10"]);
    expect(waited.code).toBe(0);
    expect(waited.out.trim().split("\n").map((l) => JSON.parse(l).result)).toEqual([2, 3, 4]);
  });

  test("a failing task exits 1 with the remote error; cancel works, and a second cancel exits 1 with the server's message", async () => {
    const boom = (await faas(["register", "-"], { stdin: '() => { throw new RangeError("too far") }' })).out.trim();
    const failed = await faas(["execute", boom, "[]", "--wait", "10"]);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain("RangeError: too far");
    const slow = (await faas(["register", "-", "--timeout-ms", "600000"], { stdin: "() => new Promise(() => {})" })).out.trim();
    const taskId = (await faas(["execute", slow, "[]"])).out.trim();
    expect(await faas(["cancel", taskId])).toMatchObject({ code: 0, out: `${taskId} CANCELLED\n` });
    const again = await faas(["cancel", taskId]);
    expect(again.code).toBe(1);
    expect(again.err).toContain("AlreadyTerminal (HTTP 409)");
    expect(again.err).toContain("already CANCELLED");
  });

  test("operators: tasks lists a failed task, task prints its stack and attempts, retry prints the new id once, workers prints the dispatcher", async () => {
    const boom = (await faas(["register", "-", "--name", "boom"], { stdin: '(x) => { throw new TypeError("bad " + x) }' })).out.trim();
    const failed = await faas(["execute", boom, "[7]", "--wait", "10"]);
    expect(failed.code).toBe(1);
    const list = await faas(["tasks", "--status", "FAILED", "--function", boom]);
    expect(list.code).toBe(0);
    const [line, ...rest] = list.out.trim().split("\n");
    expect(rest).toEqual([]);
    const [id, status, name, , , errorName] = (line as string).split("\t");
    expect([status, name, errorName]).toEqual(["FAILED", "boom", "TypeError"]);
    const detail = await faas(["task", id as string]);
    expect(detail.code).toBe(0);
    expect(detail.out).toContain("error     TypeError: bad 7\n  TypeError: bad 7\n");
    expect(detail.out).toMatch(/attempt 1: \S+ -> \S+ FAILED on thread executor \d+/);
    const retried = await faas(["retry", id as string]);
    expect(retried.code).toBe(0);
    expect(retried.out.trim()).toMatch(/^\S+$/);
    const again = await faas(["retry", id as string]);
    expect(again.code).toBe(1);
    expect(again.err).toContain("NotRetriable (HTTP 409)");
    const workers = await faas(["workers"]);
    expect(workers.out).toMatch(/^embedded\tembedded\t\S+\t\d+ thread executors \(max 1\)\t\d+\t\d+\n$/);
    expect((await faas(["tasks", "--status", "DONE"])).code).toBe(2);
  });

  test("server errors exit 1 and print the server's message", async () => {
    const r = await faas(["execute", "no-such-function", "[1]"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("UnknownFunction (HTTP 404)");
    expect(r.err).toContain("no-such-function");
    const bad = await faas(["register", file("bad.ts", "1 + 2")]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("InvalidFunction (HTTP 400)");
  });

  test("keygen --out NAME writes a Z85 key pair: NAME.key (0600) and NAME.pub, and never overwrites", async () => {
    const name = join(dir, "worker-1");
    const r = await faas(["keygen", "--out", name]);
    expect(r.code).toBe(0);
    const pub = readFileSync(`${name}.pub`, "utf8").trim();
    const key = readFileSync(`${name}.key`, "utf8").trim();
    expect(r.out.trim()).toBe(pub);
    for (const k of [pub, key]) expect(k).toMatch(/^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/);
    expect(pub).not.toBe(key);
    expect(statSync(`${name}.key`).mode & 0o777).toBe(0o600);
    const again = await faas(["keygen", "--out", name]);
    expect(again.code).toBe(2);
    expect(again.err).toContain("never overwrites");
    expect(readFileSync(`${name}.key`, "utf8").trim()).toBe(key);
    expect((await faas(["keygen"])).code).toBe(2);
  });

  test("z85Encode follows RFC 32 (its test vector)", () => {
    expect(z85Encode(new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]))).toBe("HelloWorld");
  });

  test("bad usage exits 2 with one line and a hint to --help, not the whole usage", async () => {
    for (const [args, says, hint] of [
      [["frobnicate"], 'unknown command "frobnicate"', "faas --help"],
      [["execute", "f"], "execute takes 2 argument(s) (<function_id> <json_args>), got 1", "faas execute --help"],
      [["execute", "f", "not json"], "the args must be a JSON array", "faas execute --help"],
      [["execute", "f", '{"a": 1}'], "the args must be a JSON array", "faas execute --help"],
      [["status", "t", "--wait", "5"], "status does not take --wait", "faas status --help"],
      [["result", "t", "--wait", "soon"], '--wait must be a number of seconds above 0, got "soon"', "faas result --help"],
      [["result", "t", "--wait"], "--wait needs a value: --wait S", "faas result --help"],
      [["register", join(dir, "missing.ts")], "cannot read", "faas register --help"],
      [["functions", "--bogus"], "functions does not take --bogus", "faas functions --help"],
      [["health", "--json=yes"], "--json takes no value", "faas health --help"],
      [["wait"], "wait needs task ids", "faas wait --help"],
      [["status", "t", "--url", "ftp://x"], "--url (or FAAS_URL) must be an http(s) URL", "faas status --help"],
    ] as const) {
      const r = await faas([...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      const lines = r.err.trimEnd().split("\n");
      expect(lines.length).toBe(2);
      expect(lines[0]).toStartWith("faas: ");
      expect(lines[0]).toContain(says);
      expect(lines[1]).toContain(hint);
      expect(r.out).toBe("");
    }
    const none = await faas([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain("Commands:"); // no command at all: the overview, on stderr
  });
});
