/**
 * CPU per task in the evaluation (scripts/evaluate/cpu-cost.ts, scripts/lib/cpu.ts): /proc stat lines
 * parsed, a process counted with the processes under it, the arithmetic of CPU per task, and the
 * measurement wired end to end: a stack measured by measureStack and a BullMQ producer session each
 * bring back the CPU of every process over their rounds; and the redis-servers' niceness of a run with
 * --redis-nice; and two stacks measured in turns (measureAlternately), round by round and sample turn by
 * turn. Asserts what was measured, never how fast.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import Redis from "ioredis";
import { parseStat, readProcStats, treeMicros } from "../../scripts/lib/cpu.ts";
import { killAll } from "../../scripts/lib/processes.ts";
import { nicenessOf, startRedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { startBullmq } from "../../scripts/evaluate/bullmq.ts";
import { registerFunction } from "../../scripts/evaluate/client.ts";
import { cpuReader, perTask, spentBetween, together } from "../../scripts/evaluate/cpu-cost.ts";
import { measureAlternately, measureStack, NOOP } from "../../scripts/evaluate/modes.ts";
import { parseOptions } from "../../scripts/evaluate/options.ts";
import { Progress } from "../../scripts/evaluate/progress.ts";
import { startStack, stopAllStacks } from "../../scripts/evaluate/stacks.ts";

setDefaultTimeout(60_000);
afterAll(async () => {
  await stopAllStacks();
  await killAll();
});

const quiet = (): Progress => new Progress(1, { isTTY: false, write: () => true });

describe("reading CPU from /proc", () => {
  test("a stat line: parent, own time, reaped children's time, even with spaces and parentheses in the name", () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice ...
    const line = "4242 (bun (a) b) S 17 4242 4242 0 -1 4194304 100 0 0 0 250 30 7 3 25 5 9 0 123 456 789";
    expect(parseStat(line)).toEqual({ ppid: 17, own: 2_800_000, reaped: 100_000, nice: 5 });
  });

  test("a process counts with every process under it, and nothing else", () => {
    const stats = new Map([
      [1, { ppid: 0, own: 1_000, reaped: 0, nice: 0 }],
      [10, { ppid: 1, own: 5, reaped: 1, nice: 0 }],
      [11, { ppid: 10, own: 7, reaped: 0, nice: 0 }],
      [12, { ppid: 11, own: 20, reaped: 0, nice: 0 }],
      [14, { ppid: 11, own: 100, reaped: 0, nice: 0 }],
      [13, { ppid: 1, own: 300, reaped: 0, nice: 0 }],
    ]);
    expect(treeMicros(stats, 10)).toBe(133);
    expect(treeMicros(stats, 12)).toBe(20);
    expect(treeMicros(stats, 99)).toBe(0);
  });

  test("a child's CPU counts for the parent that started it, which spends none itself", async () => {
    const parent = Bun.spawn(["sh", "-c", "sh -c 'while :; do :; done' & wait"], { stdout: "ignore", stderr: "ignore" });
    try {
      const read = cpuReader([{ role: "parent", pid: parent.pid }]);
      await waitFor(() => (read().parent as number) >= 50_000, "the busy child to spend 50 ms of CPU", 30_000, 20);
      const own = readProcStats().get(parent.pid)?.own ?? Number.NaN;
      expect(own).toBeLessThan(50_000);
      expect(read().client).toBeGreaterThan(0);
    } finally {
      for (const [pid, st] of readProcStats()) if (st.ppid === parent.pid) process.kill(pid, "SIGKILL");
      parent.kill("SIGKILL");
      await parent.exited;
    }
  });
});

describe("CPU per task", () => {
  test("the difference of two readings over the tasks, by role and in all, and the cores kept busy", () => {
    const spent = spentBetween({ redis: 1_000, api: 500, gone: 9 }, { redis: 31_000, api: 10_500, client: 2_000 }, 1_000, 20);
    expect(spent).toEqual({ micros: { redis: 30_000, api: 10_000 }, tasks: 1_000, ms: 20 });
    expect(perTask(spent)).toEqual({ byRole: { redis: 30, api: 10 }, total: 40, coresBusy: 2 });
  });

  test("two sessions together: their CPU, tasks and time added; none measured is undefined", () => {
    const a = { micros: { redis: 100, worker: 50 }, tasks: 10, ms: 1 };
    const b = { micros: { redis: 300, producer: 10 }, tasks: 30, ms: 3 };
    expect(together([a, undefined, b])).toEqual({ micros: { redis: 400, worker: 50, producer: 10 }, tasks: 40, ms: 4 });
    expect(together([undefined])).toBeUndefined();
  });
});

describe("measured end to end", () => {
  const submitted = async (url: string): Promise<number> => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^faas_tasks_submitted_total (\d+)$/m.exec(text)?.[1]);
  };
  const sizes = { ...parseOptions(["--quick"]).sizes, warmup: 100, serialWarmup: 7, tasks: 400, rounds: 2, serial: 10 };

  test("measureStack brings back every process's CPU over its rounds: a Redis stack's four roles and the client", async () => {
    const stack = await startStack({ mode: "redis-push", isolation: "thread", executors: 1, workerProcs: 2, redisNice: 3 });
    try {
      expect(stack.processes.map((p) => p.role)).toEqual(["redis", "api", "dispatcher", "workers", "workers"]);
      expect(nicenessOf(stack.processes[0]?.pid as number)).toBe(3); // --redis-nice reaches the stack's redis-server
      expect(nicenessOf(stack.processes[1]?.pid as number)).toBe(0);
      const fid = await registerFunction(stack.url, NOOP);
      const f = await measureStack(stack.url, fid, sizes, quiet(), "test", cpuReader(stack.processes));
      expect(f.cpu?.tasks).toBe(800);
      expect(Object.keys(f.cpu?.micros ?? {}).sort()).toEqual(["api", "client", "dispatcher", "redis", "workers"]);
      expect(f.cpu?.ms).toBeGreaterThan(0);
      // 800 tasks through five processes: the API and Redis spend some of the 10 ms ticks /proc counts in
      expect(perTask(f.cpu as NonNullable<typeof f.cpu>).total).toBeGreaterThan(0);
      // every task it ran: 100 warm-up in a batch, 7 warm-up one at a time, 2 rounds of 400, 10 measured
      expect(await submitted(stack.url)).toBe(917);
      const none = await measureStack(stack.url, fid, { ...sizes, warmup: 0, serialWarmup: 0 }, quiet(), "test");
      expect(none.cpu).toBeUndefined();
      expect(await submitted(stack.url)).toBe(917 + 810);
    } finally {
      await stack.stop();
    }
  });

  test("measureAlternately measures two stacks in turns: a round of each, who goes first alternating, then the samples in sixths", async () => {
    // each stack behind a proxy that notes which stack every request reached, in order
    const seen: string[] = [];
    const stacks = [await startStack({ mode: "embedded", isolation: "thread", executors: 1, workerProcs: 0 }), await startStack({ mode: "embedded", isolation: "thread", executors: 1, workerProcs: 0 })];
    const proxies = stacks.map((stack, i) =>
      Bun.serve({
        port: 0,
        hostname: "127.0.0.1",
        async fetch(req) {
          const url = new URL(req.url);
          seen.push(`${"AB"[i]} ${url.pathname}`);
          const body = req.method === "GET" ? undefined : await req.arrayBuffer();
          const res = await fetch(`${stack.url}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body });
          return new Response(await res.arrayBuffer(), { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
        },
      }),
    );
    try {
      const measured = await Promise.all(stacks.map(async (stack, i) => ({ url: `http://127.0.0.1:${proxies[i]?.port}`, fid: await registerFunction(stack.url, NOOP), label: "AB"[i] as string, readCpu: cpuReader(stack.processes) })));
      const s = { ...sizes, warmup: 20, serialWarmup: 2, tasks: 30, rounds: 3, serial: 12 };
      const [a, b] = await measureAlternately(measured, s, quiet());
      for (const f of [a, b]) {
        expect(f?.rounds).toHaveLength(3);
        expect(f?.samples).toHaveLength(12);
        expect(f?.cpu?.tasks).toBe(90); // its own three rounds, not the other stack's
      }
      // one /execute_batch per warm-up and per round (30 tasks): the warm-ups, then rounds A B, B A, A B
      expect(seen.filter((r) => r.endsWith("/execute_batch")).map((r) => r[0]).join("")).toBe("AB" + "AB" + "BA" + "AB");
      const serial = seen.filter((r) => r.endsWith("/execute_function"));
      expect(serial.filter((r) => r.startsWith("A"))).toHaveLength(2 + 12); // the one-at-a-time warm-up, then the samples
      // every one-at-a-time task after the last round, as BullMQ's producer runs its own
      expect(seen.findIndex((r) => r.endsWith("/execute_function"))).toBeGreaterThan(seen.findLastIndex((r) => r.endsWith("/execute_batch")));
      // the samples: six turns of two each, who goes first alternating
      expect(serial.slice(-24).map((r) => r[0]).join("")).toBe("AABB" + "BBAA" + "AABB" + "BBAA" + "AABB" + "BBAA");
    } finally {
      for (const p of proxies) p.stop(true);
      await Promise.all(stacks.map((stack) => stack.stop()));
    }
  });

  test("measureStack with a baseline: both warm up one at a time after the rounds, then take their samples in sixths, who goes first alternating", async () => {
    const seen: string[] = [];
    const stack = await startStack({ mode: "embedded", isolation: "thread", executors: 1, workerProcs: 0 });
    const proxy = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        const url = new URL(req.url);
        seen.push(`A ${url.pathname}`);
        const res = await fetch(`${stack.url}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body: await req.arrayBuffer() });
        return new Response(await res.arrayBuffer(), { status: res.status, headers: { "content-type": "application/json" } });
      },
    });
    try {
      const fid = await registerFunction(stack.url, NOOP);
      const baseline = async (n: number): Promise<number[]> => {
        for (let i = 0; i < n; i++) seen.push("B lone");
        return Array.from({ length: n }, (_, i) => 10 + i);
      };
      const s = { ...sizes, warmup: 20, serialWarmup: 3, tasks: 30, rounds: 2, serial: 12 };
      const f = await measureStack(`http://127.0.0.1:${proxy.port}`, fid, s, quiet(), "A", undefined, baseline);
      expect(f.samples).toHaveLength(12);
      expect(f.baselineSamples).toHaveLength(12);
      const isLone = (r: string): boolean => r.endsWith("/execute_function") || r.startsWith("B");
      const lone = seen.filter(isLone).map((r) => r[0]).join("");
      // warm-ups (3 each), then six turns of two each: A first in even turns, B in odd ones
      expect(lone).toBe("AAA" + "BBB" + "AABB" + "BBAA" + "AABB" + "BBAA" + "AABB" + "BBAA");
      expect(seen.findIndex(isLone)).toBeGreaterThan(seen.findLastIndex((r) => r.endsWith("/execute_batch")));
    } finally {
      proxy.stop(true);
      await stack.stop();
    }
  });

  test("BullMQ's long-lived client runs jobs one at a time, call after call, and its latencies come back", async () => {
    const bull = await startBullmq(50);
    const redis = new Redis(bull.redisPort, "127.0.0.1");
    try {
      const first = await bull.lone(5);
      const second = await bull.lone(3);
      expect([first.length, second.length]).toEqual([5, 3]);
      for (const ms of [...first, ...second]) expect(ms).toBeGreaterThan(0);
      expect(Number(await redis.get("bull:evaluate:id"))).toBe(8); // every job added, by BullMQ's own count
      expect(await redis.zcard("bull:evaluate:completed")).toBe(8);
    } finally {
      redis.disconnect();
      await bull.stop();
    }
  });

  test("a BullMQ session brings back its redis-server's, worker's and producer's CPU over its rounds", async () => {
    const bull = await startBullmq(50, 4);
    try {
      expect(nicenessOf(bull.redisPid)).toBe(4);
      const s = await bull.measure({ tasks: 400, rounds: 2, serial: 5, warmup: 100, serialWarmup: 5, concurrency: 50 }, quiet(), "test");
      expect(s.rounds).toHaveLength(2);
      expect(s.cpu?.tasks).toBe(800);
      expect(Object.keys(s.cpu?.micros ?? {}).sort()).toEqual(["producer", "redis", "worker"]);
      expect(s.cpu?.micros.producer).toBeGreaterThan(0);
      // every job it added (BullMQ numbers them): 100 warm-up, 2 rounds of 400, 5 warm-up one at a time, 5 measured
      const redis = new Redis(bull.redisPort, "127.0.0.1");
      try {
        expect(Number(await redis.get("bull:evaluate:id"))).toBe(910);
      } finally {
        redis.disconnect();
      }
    } finally {
      await bull.stop();
    }
  });
});

describe("a redis-server at a niceness", () => {
  test("runs at it, and again after a restart", async () => {
    await using redis = await startRedisServer({ nice: 7 });
    expect(nicenessOf(redis.pid() as number)).toBe(7);
    await redis.restart();
    expect(nicenessOf(redis.pid() as number)).toBe(7);
  });

  test.if(process.getuid?.() === 0)("below 0 as root", async () => {
    await using redis = await startRedisServer({ nice: -5 });
    expect(nicenessOf(redis.pid() as number)).toBe(-5);
  });

  test.if(process.getuid?.() !== 0)("below 0 without root: refused, saying why", async () => {
    await expect(startRedisServer({ nice: -5 })).rejects.toThrow("asked to run at niceness -5, it runs at 0: a niceness below 0 needs root");
  });
});
