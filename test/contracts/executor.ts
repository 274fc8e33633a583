/**
 * The executor contract: thread, process and sandbox executors must behave the same for everything
 * user code can do (return, throw, hang, exit, raise late errors, return what JSON cannot hold).
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { ExecutorPool } from "../../src/adapters/executors/index.ts";
import type { Outcome } from "../../src/domain/outcome.ts";
import type { Job, Logger } from "../../src/domain/ports.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

export type Kind = "thread" | "process" | "sandbox";

export interface PoolFactory {
  (o: { executors: number; slotsPerExecutor?: number; idleMs?: number; logger?: Logger }): ExecutorPool;
}

let seq = 0;
/** A job for `code` called with `args`; each call gets a new task id and function id per code. */
export function job(code: string, args = "[]", timeoutMs = 10_000, tenant = "default"): Job {
  return { taskId: `task-${++seq}`, tenant, attempt: 1, functionId: `fn-${Bun.hash(code)}`, code, args, timeoutMs };
}

/** Runs jobs on a pool of `kind` in a separate `bun` process (see test/helpers/pool-runner.ts). */
export async function runInChild(kind: Kind, jobs: Job[]): Promise<{ outcomes: Map<string, Outcome>; spawned: number }> {
  const runner = new URL("../helpers/pool-runner.ts", import.meta.url).pathname;
  const child = Bun.spawn([process.execPath, runner, kind, JSON.stringify(jobs)], { stdout: "pipe", stderr: "inherit" });
  const text = await new Response(child.stdout).text();
  await child.exited;
  const outcomes = new Map<string, Outcome>();
  let spawned = -1;
  for (const line of text.trim().split("\n")) {
    const msg = JSON.parse(line);
    if (msg.done === true) spawned = msg.spawned;
    else outcomes.set(msg.taskId, msg);
  }
  return { outcomes, spawned };
}

export function describeExecutor(name: string, kind: Kind, make: PoolFactory): void {
  describe(`Executor contract: ${name}`, () => {
    let pools: ExecutorPool[] = [];
    afterEach(async () => {
      for (const p of pools) await p.close();
      pools = [];
    });

    function start(executors = 1, slotsPerExecutor = 16) {
      const pool = make({ executors, slotsPerExecutor });
      pools.push(pool);
      const outcomes = new Map<string, Outcome>();
      pool.onOutcomes((os) => {
        for (const o of os) outcomes.set(o.taskId, o);
      });
      const outcomeOf = (j: Job) => waitFor(() => outcomes.get(j.taskId), `outcome of ${j.taskId}`, 20_000);
      return { pool, outcomes, outcomeOf };
    }

    test("returns JSON text of the value; undefined becomes null", async () => {
      const { pool, outcomeOf } = start();
      const a = job("(a, b) => ({ sum: a + b })", "[2, 3]");
      const b = job("() => undefined");
      const c = job("async (x) => [x, 'y']", "[1]");
      pool.run([a, b, c]);
      expect(await outcomeOf(a)).toMatchObject({ kind: "returned", value: '{"sum":5}' });
      expect(await outcomeOf(b)).toMatchObject({ kind: "returned", value: "null" });
      expect(await outcomeOf(c)).toMatchObject({ kind: "returned", value: '[1,"y"]' });
    });

    test("a thrown Error or non-Error becomes {name, message, stack}", async () => {
      const { pool, outcomeOf } = start();
      const a = job("() => { throw new TypeError('bad input') }");
      const b = job("async () => { throw { code: 7 } }");
      pool.run([a, b]);
      const oa = (await outcomeOf(a)) as Extract<Outcome, { kind: "threw" }>;
      expect([oa.kind, oa.error.name, oa.error.message]).toEqual(["threw", "TypeError", "bad input"]);
      expect(oa.error.stack).toContain("TypeError");
      expect(oa.error.stack).toContain(`function:${a.functionId}:1:`);
      const ob = (await outcomeOf(b)) as Extract<Outcome, { kind: "threw" }>;
      expect(ob.kind).toBe("threw");
      expect(ob.error.message).toContain('{"code":7}');
    });

    test("a value JSON cannot represent is unserializable, naming the problem", async () => {
      const { pool, outcomeOf } = start();
      const big = job("() => 10n");
      const cycle = job("() => { const a = {}; a.self = a; return a }");
      const fn = job("() => () => 1");
      pool.run([big, cycle, fn]);
      const msgs = [];
      for (const j of [big, cycle, fn]) {
        const o = await outcomeOf(j);
        expect(o.kind).toBe("unserializable");
        msgs.push((o as { message: string }).message);
      }
      expect(msgs[0]).toMatch(/BigInt/i);
      expect(msgs[1]).toMatch(/circular|cyclic/i);
      expect(msgs[2]).toContain("function");
    });

    test("a synchronous loop past its deadline times out; the executor is replaced; its other jobs still run", async () => {
      const { pool, outcomeOf } = start(1, 8);
      const loop = job("() => { for (;;) {} }", "[]", 150);
      const after = [job("(x) => x + 1", "[1]"), job("(x) => x + 1", "[2]")];
      pool.run([loop, ...after]);
      expect(await outcomeOf(loop)).toMatchObject({ kind: "timeout", timeoutMs: 150 });
      expect((await outcomeOf(after[0]!)) as unknown).toMatchObject({ kind: "returned", value: "2" });
      expect((await outcomeOf(after[1]!)) as unknown).toMatchObject({ kind: "returned", value: "3" });
      expect(pool.size()).toBe(1); // the replacement, started for the two jobs the loop held up
      expect(pool.spawned).toBe(2);
    });

    test("an async task that never settles times out", async () => {
      const { pool, outcomeOf } = start();
      const hang = job("() => new Promise(() => {})", "[]", 100);
      pool.run([hang]);
      expect(await outcomeOf(hang)).toMatchObject({ kind: "timeout" });
      const next = job("() => 'still serving'");
      pool.run([next]);
      expect(await outcomeOf(next)).toMatchObject({ kind: "returned", value: '"still serving"' });
    });

    test("process.exit() in user code is a lost executor, not a crash of the pool", async () => {
      const { pool, outcomeOf } = start(2);
      const exit = job("() => process.exit(3)");
      pool.run([exit]);
      const o = await outcomeOf(exit);
      expect(o.kind).toBe("lost");
      expect(pool.size()).toBe(0); // executors start on demand: none is needed now
      const next = job("() => 1");
      pool.run([next]);
      expect(await outcomeOf(next)).toMatchObject({ kind: "returned" });
    });

    // These two run the pool in a separate process: bun test kills a Worker on any uncaught error.
    test("an error thrown later in a setTimeout fails its own task; other tasks on the executor finish", async () => {
      const late = job("async () => { setTimeout(() => { throw new Error('late boom') }, 10); await new Promise((r) => setTimeout(r, 2000)); return 'unreachable' }");
      const other = job("async () => { await new Promise((r) => setTimeout(r, 100)); return 'other ok' }");
      const { outcomes, spawned } = await runInChild(kind, [late, other]);
      const o = outcomes.get(late.taskId);
      expect(o?.kind).toBe("threw");
      expect((o as { error: { message: string } }).error.message).toBe("late boom");
      expect(outcomes.get(other.taskId)).toMatchObject({ kind: "returned", value: '"other ok"' });
      expect(spawned).toBe(1);
    });

    test("a rejected promise nobody awaited fails its task", async () => {
      const rej = job("async () => { Promise.reject(new RangeError('nobody awaited me')); await new Promise((r) => setTimeout(r, 2000)); return 1 }");
      const { outcomes, spawned } = await runInChild(kind, [rej]);
      const o = outcomes.get(rej.taskId);
      expect(o?.kind).toBe("threw");
      expect((o as { error: { name: string } }).error.name).toBe("RangeError");
      expect(spawned).toBe(1);
    });

    test("user code sees an empty environment", async () => {
      process.env.EXECUTOR_CONTRACT_SECRET = "x";
      const { pool, outcomeOf } = start();
      const j = job("() => Object.keys(process.env).length");
      pool.run([j]);
      expect(await outcomeOf(j)).toMatchObject({ kind: "returned", value: "0" });
    });

    test("an error's stack names the user's frames, with lines of the user's source, and none of the platform's", async () => {
      const { pool, outcomeOf } = start();
      const j = job("(x) => {\n  const inner = () => {\n    throw new RangeError('deep ' + x)\n  };\n  const r = inner(); // not a tail call: strict mode drops tail-call frames\n  return r\n}", "[7]");
      pool.run([j]);
      const o = (await outcomeOf(j)) as Extract<Outcome, { kind: "threw" }>;
      expect(o.error.message).toBe("deep 7");
      expect(o.error.stack).toContain(`at inner (function:${j.functionId}:3:`);
      expect(o.error.stack).toContain(`(function:${j.functionId}:5:`);
      expect(o.error.stack).not.toMatch(/executor-core|run-user-function|process-entry|thread-entry|executor\.js|src\/lib|node:async_hooks/);
    });
  });
}
