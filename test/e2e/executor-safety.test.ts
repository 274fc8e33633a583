/**
 * Executor safety against a running embedded server (a real process), in every isolation mode:
 * deadlines, dying executors, late errors, unserializable results, and (process and sandbox modes)
 * the memory cap.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { register, run } from "../../scripts/lib/http.ts";
import { killAll, spawnServer, type ServerProcess } from "../../scripts/lib/processes.ts";
import { procStats } from "../helpers/proc-stats.ts";

// A real server per isolation mode, tasks that run for seconds, executors killed and restarted (a
// sandbox starts in a few hundred ms): more than the 5 s default per test.
setDefaultTimeout(60_000);

/** faas_task_retries_total: attempts lost and run again, server-wide. */
async function retries(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^faas_task_retries_total (\d+)$/m.exec(text)?.[1]);
}

function errorOf(r: { result: string | null }): { name: string; message: string } {
  return JSON.parse(r.result ?? "null");
}

for (const isolation of ["thread", "process", "sandbox"] as const) {
  describe(`executor safety, --isolation ${isolation}`, () => {
    let server: ServerProcess;
    let base: string;
    beforeAll(async () => {
      const bigResults = isolation === "thread" ? [] : ["--max-result-bytes", "1024mb"];
      server = await spawnServer("start", ["--workers", "2", "--isolation", isolation, "--max-memory-mb", "160", ...bigResults]);
      base = server.url;
    }, 30_000); // spawnServer waits up to 20 s for the server to listen
    afterAll(() => killAll());

    test("a task past its deadline ends FAILED TimeoutError and the pool keeps serving", async () => {
      const loop = await register(base, "() => { for (;;) {} }", { timeout_ms: 300 });
      const results = await Promise.all([run(base, loop, "[]"), run(base, loop, "[]"), run(base, loop, "[]")]);
      for (const r of results) {
        expect(r.status).toBe("FAILED");
        expect(errorOf(r).name).toBe("TimeoutError");
      }
      const ok = await register(base, "(a, b) => a * b");
      expect((await run(base, ok, "[6, 7]")).result).toBe("42");
    });

    test("timeout_ms on execute overrides the function's deadline", async () => {
      const slow = await register(base, "async () => { await new Promise((r) => setTimeout(r, 1000)); return 'slow' }");
      const cut = await run(base, slow, "[]", { timeout_ms: 100 });
      expect(cut.status).toBe("FAILED");
      expect(errorOf(cut).name).toBe("TimeoutError");
      const full = await run(base, slow, "[]");
      expect(full.result).toBe('"slow"');
    });

    test("process.exit() is retried until max_attempts, then FAILED WorkerFailure", async () => {
      const exit = await register(base, "() => process.exit(7)", { max_attempts: 2 });
      const r = await run(base, exit, "[]");
      expect(r.status).toBe("FAILED");
      expect(errorOf(r).name).toBe("WorkerFailure");
      expect(errorOf(r).message).toContain("2 of 2 attempts");
      const ok = await register(base, "() => 'after exit'");
      expect((await run(base, ok, "[]")).result).toBe('"after exit"');
    });

    test("an uncaught error thrown later fails that task, not retried, and spares the others", async () => {
      const retriesBefore = await retries(base);
      const late = await register(base, "async () => { setTimeout(() => { throw new Error('late boom') }, 20); await new Promise((r) => setTimeout(r, 3000)); return 'no' }");
      const calm = await register(base, "async (x) => { await new Promise((r) => setTimeout(r, 200)); return x }");
      const [a, b, c] = await Promise.all([run(base, late, "[]"), run(base, calm, "[1]"), run(base, calm, "[2]")]);
      expect(a.status).toBe("FAILED");
      expect(errorOf(a)).toMatchObject({ name: "Error", message: "late boom" });
      expect([b.result, c.result]).toEqual(["1", "2"]);
      expect(await retries(base)).toBe(retriesBefore); // no attempt was run again
    });

    test("an unhandled rejection fails that task", async () => {
      const rej = await register(base, "async () => { Promise.reject(new SyntaxError('unawaited')); await new Promise((r) => setTimeout(r, 3000)); return 1 }");
      const r = await run(base, rej, "[]");
      expect(r.status).toBe("FAILED");
      expect(errorOf(r)).toMatchObject({ name: "SyntaxError", message: "unawaited" });
    });

    test("results JSON cannot represent end FAILED SerializationError; undefined becomes null", async () => {
      for (const src of ["() => 1n", "() => { const o = {}; o.o = o; return o }", "() => Math.max"]) {
        const r = await run(base, await register(base, src), "[]");
        expect(r.status).toBe("FAILED");
        expect(errorOf(r).name).toBe("SerializationError");
        expect(errorOf(r).message.length).toBeGreaterThan(10);
      }
      const undef = await run(base, await register(base, "() => undefined"), "[]");
      expect([undef.status, undef.result]).toEqual(["COMPLETED", "null"]);
    });

    if (isolation !== "thread") {
      test("a result bigger than the memory cap ends FAILED ResourceLimit, once, not WorkerFailure after restarts", async () => {
        const huge = await register(base, "() => 'x'.repeat(300 * 1024 * 1024)", { max_attempts: 3 });
        const r = await run(base, huge, "[]");
        expect(r.status).toBe("FAILED");
        expect(errorOf(r).name).toBe("ResourceLimit");
      });

      test("a task that allocates without bound ends FAILED ResourceLimit; the server's memory stays flat", async () => {
        const before = procStats(server.proc.pid).rssMb;
        const hog = await register(base, "() => { const keep = []; for (;;) keep.push(new Array(1e6).fill(1)) }");
        const r = await run(base, hog, "[]");
        expect(r.status).toBe("FAILED");
        expect(errorOf(r).name).toBe("ResourceLimit");
        expect(procStats(server.proc.pid).rssMb - before).toBeLessThan(64);
        const ok = await register(base, "() => 'fine'");
        expect((await run(base, ok, "[]")).result).toBe('"fine"');
      });
    }

    test("the server is still healthy", async () => {
      const r = await fetch(`${base}/healthz`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { status: string }).status).toBe("ok");
    });
  });
}
