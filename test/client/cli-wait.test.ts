/**
 * `faas wait` and `faas batch --wait`: results in input order, ids from arguments or stdin (bare or
 * JSON lines), exit 0 only when all completed, the summary line on stderr, and the progress bar drawn
 * only when stderr is a terminal. Runs `main` in-process (and the real CLI for a pipe) against the
 * embedded server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { main, type CliIo } from "../../src/client/cli-main.ts";
import { WaitProgress } from "../../src/client/cli-progress.ts";
import { idsFromLines } from "../../src/client/cli-wait.ts";
import { FaasClient } from "../../src/client/index.ts";
import { startEmbeddedHere } from "../helpers/roots.ts";

const root = new URL("../../", import.meta.url).pathname;
let app: Embedded;
let faas: FaasClient;
let dir: string;
let echo: string; // function id: returns its argument, throws on "boom"
beforeAll(async () => {
  app = startEmbeddedHere({ workers: 1 });
  faas = new FaasClient(app.url);
  dir = mkdtempSync(join(tmpdir(), "faas-cli-wait-"));
  echo = await faas.register('(x) => { if (x === "boom") throw new RangeError("boom"); return x; }', { name: "echo" });
});
afterAll(async () => {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
});

function io(o: { stdin?: string; tty?: boolean } = {}): CliIo & { outText: () => string; errText: () => string } {
  let out = "";
  let err = "";
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    stdin: async () => o.stdin ?? "",
    errIsTTY: o.tty === true,
    outText: () => out,
    errText: () => err,
  };
}

const lines = (text: string): Array<{ task_id: string; status: string; result: unknown }> =>
  text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

describe("faas wait", () => {
  test("ids as arguments: one {task_id,status,result} per id in the order given; exit 0 when all completed", async () => {
    const ids = await faas.executeBatch(echo, [["a"], ["b"], ["c"]]);
    const x = io();
    expect(await main(["wait", ids[2]!, ids[0]!, ids[1]!, "--url", app.url], {}, x)).toBe(0);
    expect(lines(x.outText())).toEqual([
      { task_id: ids[2]!, status: "COMPLETED", result: "c" },
      { task_id: ids[0]!, status: "COMPLETED", result: "a" },
      { task_id: ids[1]!, status: "COMPLETED", result: "b" },
    ]);
    expect(x.errText()).toBe("faas: 3 done, 0 failed, 0 pending\n");
  });

  test("a failed and an unknown task: exit 1, and the summary counts them", async () => {
    const [ok, bad] = await faas.executeBatch(echo, [["fine"], ["boom"]]);
    const x = io();
    expect(await main(["wait", ok!, bad!, "no-such-task", "--url", app.url], {}, x)).toBe(1);
    const out = lines(x.outText());
    expect(out.map((l) => l.status)).toEqual(["COMPLETED", "FAILED", "UNKNOWN"]);
    expect(out[1]!.result).toMatchObject({ name: "RangeError", message: "boom" });
    expect(x.errText()).toBe("faas: 1 done, 1 failed, 1 unknown, 0 pending\n");
  });

  test("--timeout: a task still running is PENDING, exit 1", async () => {
    const stuck = await faas.submit(() => new Promise(() => {}), [], { timeoutMs: 600_000 });
    const x = io();
    expect(await main(["wait", stuck.taskId, "--timeout", "0.2", "--url", app.url], {}, x)).toBe(1);
    expect(lines(x.outText())).toEqual([{ task_id: stuck.taskId, status: "PENDING", result: null }]);
    expect(x.errText()).toBe("faas: 0 done, 0 failed, 1 pending\n");
    await stuck.cancel();
  });

  test("ids from stdin: bare lines and JSON lines", async () => {
    const ids = await faas.executeBatch(echo, [[1], [2]]);
    const x = io({ stdin: `${ids[0]}\n\n${JSON.stringify({ task_id: ids[1] })}\n` });
    expect(await main(["wait", "--url", app.url], {}, x)).toBe(0);
    expect(lines(x.outText()).map((l) => l.result)).toEqual([1, 2]);
    expect(idsFromLines("a1 CANCELLED\n  \n{\"task_id\":\"b2\"}\n")).toEqual(["a1", "b2"]);
    expect(() => idsFromLines('{"id": 1}')).toThrow('without a "task_id"');
  });

  test("a pipe: faas batch --json | faas wait", async () => {
    const args = join(dir, "args.jsonl");
    writeFileSync(args, "[10]\n[20]\n[30]\n");
    const run = (cmd: string[], stdin?: string) =>
      Bun.spawn([process.execPath, "src/client/cli.ts", ...cmd], {
        cwd: root,
        env: { PATH: process.env.PATH ?? "", FAAS_URL: app.url },
        stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
        stdout: "pipe",
        stderr: "pipe",
      });
    const batch = run(["batch", echo, args, "--json"]);
    const batchOut = await new Response(batch.stdout).text();
    expect(await batch.exited).toBe(0);
    const wait = run(["wait"], batchOut);
    const [out, err, code] = await Promise.all([new Response(wait.stdout).text(), new Response(wait.stderr).text(), wait.exited]);
    expect(code).toBe(0);
    expect(lines(out).map((l) => l.result)).toEqual([10, 20, 30]);
    expect(err).toBe("faas: 3 done, 0 failed, 0 pending\n"); // not a terminal: no bar
  });
});

describe("progress on stderr", () => {
  test("batch --wait draws a bar only when stderr is a terminal, then clears it; the summary comes either way", async () => {
    const args = join(dir, "three.jsonl");
    writeFileSync(args, '["x"]\n["boom"]\n["z"]\n');
    const tty = io({ tty: true });
    expect(await main(["batch", echo, args, "--wait", "30", "--url", app.url], {}, tty)).toBe(1);
    const err = tty.errText();
    expect(err).toContain("\r[------------------------------] 0/3");
    expect(err).toContain("] 3/3  2 done, 1 failed");
    expect(err).toEndWith("\r\x1b[Kfaas: 2 done, 1 failed, 0 pending\n");
    const pipe = io({ tty: false });
    expect(await main(["batch", echo, args, "--wait", "30", "--url", app.url], {}, pipe)).toBe(1);
    expect(pipe.errText()).toBe("faas: 2 done, 1 failed, 0 pending\n");
    expect(lines(pipe.outText()).map((l) => l.status)).toEqual(["COMPLETED", "FAILED", "COMPLETED"]);
  });

  test("WaitProgress redraws at most every 100 ms, and always when the last task ends", () => {
    let now = 0;
    const written: string[] = [];
    const p = new WaitProgress(4, { write: (t) => void written.push(t), tty: true, now: () => now });
    expect(written.length).toBe(1); // the empty bar
    p.record("COMPLETED");
    p.record("FAILED");
    expect(written.length).toBe(1); // same instant: no redraw
    now = 150;
    p.record("CANCELLED");
    expect(written.length).toBe(2);
    expect(written[1]).toContain("3/4");
    p.record("UNKNOWN");
    expect(written.length).toBe(3); // the last one is always drawn
    expect(p.finish()).toEqual({ done: 1, failed: 1, cancelled: 1, unknown: 1, pending: 0 });
    expect(written.at(-1)).toBe("\r\x1b[K");
    expect(p.summary()).toBe("1 done, 1 failed, 1 cancelled, 1 unknown, 0 pending");
    const quiet: string[] = [];
    const q = new WaitProgress(2, { write: (t) => void quiet.push(t), tty: false });
    q.record("COMPLETED");
    q.record("PENDING");
    q.finish();
    expect(quiet).toEqual([]);
    expect(q.summary()).toBe("1 done, 0 failed, 1 pending");
  });
});
