/**
 * The CLI's common framework: `--help` for the whole CLI and for every command in the table, `--json`
 * output on every command (one JSON document, or JSON lines for lists), and errors that name the
 * server. Runs `main` in-process against the embedded server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { COMMANDS } from "../../src/client/cli-commands.ts";
import { runCli } from "../helpers/cli-run.ts";
import { startEmbeddedHere } from "../helpers/roots.ts";

let app: Embedded;
let dir: string;
beforeAll(() => {
  app = startEmbeddedHere({ workers: 1 });
  dir = mkdtempSync(join(tmpdir(), "faas-cli-json-"));
});
afterAll(async () => {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
});

const faas = (args: string[], stdin = "") => runCli(app.url, args, stdin);

describe("help", () => {
  test("faas --help lists every command of the table; -h and help do the same", async () => {
    const r = await faas(["--help"]);
    expect(r.code).toBe(0);
    for (const [name, c] of Object.entries(COMMANDS)) {
      expect(r.out).toContain(`\n  ${name} `);
      expect(r.out).toContain(c.summary);
    }
    expect((await faas(["-h"])).out).toBe(r.out);
    expect((await faas(["help"])).out).toBe(r.out);
  });

  test("faas <command> --help prints that command's usage and every flag, without needing its arguments", async () => {
    for (const [name, c] of Object.entries(COMMANDS)) {
      const r = await faas([name, "--help"]);
      expect({ name, code: r.code, err: r.err }).toEqual({ name, code: 0, err: "" });
      expect(r.out).toStartWith(`Usage: faas ${name}`);
      for (const a of c.args ?? []) expect(r.out).toContain(`<${a}>`);
      for (const f of Object.keys(c.flags ?? {})) expect(r.out).toContain(`--${f}`);
      expect(r.out).toContain("--json");
      expect(r.out).not.toContain("Commands:");
      expect((await faas(["help", name])).out).toBe(r.out);
    }
  });
});

describe("--json on every command", () => {
  test("each prints JSON documents (JSON lines for lists)", async () => {
    const covered = new Set<string>();
    const json = async (args: string[], o: { stdin?: string; code?: number } = {}): Promise<any[]> => {
      covered.add(args[0]!);
      const r = await faas([...args, "--json"], o.stdin);
      expect({ args, code: r.code, err: r.code === (o.code ?? 0) ? "" : r.err }).toEqual({ args, code: o.code ?? 0, err: "" });
      const docs = r.out.trimEnd().split("\n").map((l) => JSON.parse(l));
      for (const d of docs) expect(typeof d).toBe("object");
      return docs;
    };
    const src = join(dir, "triple.ts");
    writeFileSync(src, "(x: number): number => x * 3\n");
    const [reg] = await json(["register", src]);
    expect(reg).toEqual({ function_id: expect.any(String), name: "triple" });
    const fid = reg.function_id as string;
    const [queued] = await json(["execute", fid, "[1]"]);
    expect(Object.keys(queued)).toEqual(["task_id"]);
    expect(await json(["execute", fid, "[2]", "--wait", "30"])).toEqual([{ task_id: expect.any(String), status: "COMPLETED", result: 6 }]);
    const boom = (await json(["register", "-"], { stdin: '() => { throw new TypeError("no") }' }))[0].function_id;
    const [failed] = await json(["execute", boom, "[]", "--wait", "30"], { code: 1 });
    const failedId = String(failed.task_id);
    expect(failed).toMatchObject({ task_id: expect.any(String), status: "FAILED", result: { name: "TypeError", message: "no" } });
    const batch = await json(["batch", fid, "-"], { stdin: "[1]\n[2]\n" });
    expect(batch.map((d) => Object.keys(d))).toEqual([["task_id"], ["task_id"]]);
    expect((await json(["batch", fid, "-", "--wait", "30"], { stdin: "[3]\n" }))[0]).toMatchObject({ status: "COMPLETED", result: 9 });
    expect((await json(["wait", queued.task_id, batch[0].task_id])).map((d) => d.result)).toEqual([3, 3]);
    expect(await json(["status", queued.task_id])).toEqual([{ task_id: queued.task_id, status: "COMPLETED" }]);
    expect(await json(["result", queued.task_id])).toEqual([{ task_id: queued.task_id, status: "COMPLETED", result: 3 }]);
    const stuckFid = (await json(["register", "-", "--timeout-ms", "600000"], { stdin: "() => new Promise(() => {})" }))[0].function_id;
    const stuck = (await json(["execute", stuckFid, "[]"]))[0].task_id;
    expect(await json(["cancel", stuck])).toEqual([{ task_id: stuck, status: "CANCELLED" }]);
    const fns = await json(["functions"]);
    expect(fns.length).toBeGreaterThanOrEqual(2);
    expect(fns.find((f) => f.function_id === fid)).toMatchObject({ name: "triple", timeout_ms: expect.any(Number), max_attempts: expect.any(Number), created: expect.any(String) });
    const graphFile = join(dir, "graph.json");
    writeFileSync(graphFile, JSON.stringify({ tasks: [{ name: "a", function_id: fid, args: [1] }, { name: "b", function_id: fid, args: [], after: ["a"], args_from: "results" }] }));
    const [graph] = await json(["graph", graphFile]);
    expect(Object.keys(graph.task_ids).sort()).toEqual(["a", "b"]);
    expect(await json(["result", graph.task_ids.b, "--wait", "30"])).toEqual([{ task_id: graph.task_ids.b, status: "COMPLETED", result: 9 }]);
    const [urgent] = await json(["execute", fid, "[2]", "--priority", "9", "--after", graph.task_ids.b, "--args-from", "results", "--retry", "2", "--wait", "30"]);
    expect(urgent).toMatchObject({ status: "COMPLETED", result: 6 }); // triple(2, 9): extra args are ignored by x => x * 3
    expect(await json(["health"])).toEqual([{ status: "ok", queued: expect.any(Number) }]);
    const [sched] = await json(["schedule", "create", fid, "[1]", "--every-ms", "3600000"]);
    expect(sched).toEqual({ schedule_id: expect.any(String), next_run_at: expect.any(String) });
    expect((await json(["schedule", "list"])).find((d) => d.schedule_id === sched.schedule_id)).toMatchObject({ function_id: fid, every_ms: 3_600_000, args: [1], paused: false });
    expect(await json(["schedule", "pause", sched.schedule_id])).toEqual([expect.objectContaining({ schedule_id: sched.schedule_id, paused: true, next_run_at: null })]);
    expect(await json(["schedule", "delete", sched.schedule_id])).toEqual([{ schedule_id: sched.schedule_id, deleted: true }]);
    const listed = await json(["tasks", "--status", "FAILED"]);
    expect(listed).toEqual([{ task_id: failedId, function_id: boom, function_name: "anonymous", status: "FAILED", attempt: 1, created_at: expect.any(String), finished_at: expect.any(String), error_name: "TypeError" }]);
    const [detail] = await json(["task", failedId]);
    expect(detail).toMatchObject({ taskId: failedId, status: "FAILED", args: [], error: { name: "TypeError", message: "no" }, attempts: [{ attempt: 1, outcome: "FAILED" }] });
    const [again] = await json(["retry", failedId]);
    expect(again).toEqual({ task_id: expect.any(String), retry_of: failed.task_id });
    const [dispatcher] = await json(["workers"]);
    expect(dispatcher).toMatchObject({ dispatcherId: "embedded", mode: "embedded", executors: { isolation: "thread" }, workers: [] });
    const [keys] = await json(["keygen", "--out", join(dir, "k1")]);
    expect(keys).toEqual({ public_key: expect.any(String), secret_file: join(dir, "k1.key"), public_file: join(dir, "k1.pub") });
    expect([...covered].sort()).toEqual(Object.keys(COMMANDS).sort()); // a new command needs its --json case here
  });
});

describe("errors name the server", () => {
  test("no server listening: 'cannot reach URL: reason', exit 1", async () => {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const url = `http://127.0.0.1:${listener.port}`;
    listener.stop(true); // nothing listens there now
    for (const args of [["status", "t"], ["execute", "f", "[1]"], ["wait", "t"]]) {
      const { code, err } = await runCli(url, args);
      expect({ args, code }).toEqual({ args, code: 1 });
      expect(err).toStartWith(`faas: cannot reach ${url}: `);
      expect(err.trimEnd().split("\n").length).toBe(1);
    }
  });

  test("a refusal names the server, the code and the message", async () => {
    const r = await faas(["status", "no-such-task"]);
    expect(r.code).toBe(1);
    expect(r.err).toStartWith(`faas: ${app.url} answered UnknownTask (HTTP 404): `);
  });
});
