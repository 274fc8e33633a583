/**
 * The pure parts of scripts/bench-compare.ts: reading the figures out of bench-redis and
 * bench-embedded output (samples captured from real runs with small sizes), the before/after table,
 * the order the two revisions run in, and finding the imports a copied harness lacks in an old checkout. Nothing here measures speed.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareTable, metrics, parseBenchOutput } from "../../scripts/lib/bench-output.ts";
import { missingImports } from "../../scripts/lib/revision-worktree.ts";
import { inTurn, runOrder } from "../../scripts/lib/run-order.ts";
import { removeTempDirs, tempDir } from "../../scripts/lib/temp-dirs.ts";

afterAll(removeTempDirs);

// npx bun scripts/bench-redis.ts --tasks 2000 --rounds 2 --serial 50 (most per-command lines cut; the
// last line from a run with --serial 200)
const REDIS = `redis, 1 dispatcher --mode local --workers 2, tasks=2000 per round, batch=1000, results read by POST /wait
throughput: 15073, 15762 tasks/s (best 15762)
redis commands per task: 2.29 (over 4000 tasks; commands inside scripts included)
cpu per task: redis 33.4 us, api 27.5 us, dispatcher 27.5 us (its executor threads included)
  xadd         1.001 per task  (4004)
  set          1.000 per task  (4000)
  zremrangebyscore 0.009 per task  (34)
one at a time (50): p50 2.545 ms, p99 6.152 ms
one at a time, cpu per task: redis 346.6 us, api 750.0 us, dispatcher 550.0 us, client 222.7 us (every process's threads; the client is this script)
`;

// npx bun scripts/bench-embedded.ts --tasks 2000 --serial 50
const EMBEDDED = `mode=embedded  tasks=2000 batch=1000
throughput, results read by GET /result/{id}?wait (64 at a time): 17027, 19319, 12703 tasks/s (best 19319)
throughput, results read by POST /wait (1,000 ids per call):   37891, 47571, 41130 tasks/s (best 47571)
one at a time (50): p50 0.378 ms, p99 3.432 ms
`;

// npx bun scripts/bench-scripts.ts --rounds 3
const SCRIPTS = `redis scripts, 20000 no-op tasks per round, enqueue batches of 1000, claims and applies of 100, 3 rounds after a warm-up
throughput: 20541 tasks/s (best 20541) (what Redis could carry through the three scripts alone)
cpu per task: enqueue 8.00 us, claim 16.41 us, apply 24.28 us (script time in Redis, median of the rounds)
`;

describe("parseBenchOutput", () => {
  test("reads bench-scripts' figures: each script's time per task, as CPU rows", () => {
    expect(parseBenchOutput(SCRIPTS)).toEqual({
      throughput: [{ label: "", rounds: [20541], best: 20541 }],
      cpuPerTask: { enqueue: 8, claim: 16.41, apply: 24.28 },
      commandsPerTask: undefined,
      serialCpuPerTask: {},
      p50Ms: undefined,
      p99Ms: undefined,
    });
  });

  test("reads the CPU of every process bench-redis names in push and pull mode, worker processes and client too", () => {
    // npx bun scripts/bench-redis.ts --mode push (its throughput and cpu lines)
    const push = "throughput: 26578, 30390 tasks/s (best 30390)\ncpu per task: redis 24.3 us, api 10.5 us, dispatcher 12.8 us (its executor threads included), worker processes 8.3 us, client 1.7 us\n";
    expect(parseBenchOutput(push).cpuPerTask).toEqual({ redis: 24.3, api: 10.5, dispatcher: 12.8, "worker processes": 8.3, client: 1.7 });
    expect(metrics([parseBenchOutput(push)]).map((m) => m.name)).toContain("cpu us/task worker processes");
  });

  test("reads every figure bench-redis prints", () => {
    expect(parseBenchOutput(REDIS)).toEqual({
      throughput: [{ label: "", rounds: [15073, 15762], best: 15762 }],
      cpuPerTask: { redis: 33.4, api: 27.5, dispatcher: 27.5 },
      commandsPerTask: 2.29,
      serialCpuPerTask: { redis: 346.6, api: 750, dispatcher: 550, client: 222.7 },
      p50Ms: 2.545,
      p99Ms: 6.152,
    });
  });

  test("reads both throughput lines of bench-embedded, named by how results were read", () => {
    expect(parseBenchOutput(EMBEDDED)).toEqual({
      throughput: [
        { label: "GET /result/{id}?wait", rounds: [17027, 19319, 12703], best: 19319 },
        { label: "POST /wait", rounds: [37891, 47571, 41130], best: 47571 },
      ],
      cpuPerTask: {},
      commandsPerTask: undefined,
      serialCpuPerTask: {},
      p50Ms: 0.378,
      p99Ms: 3.432,
    });
  });

  test("throws when there is no throughput line", () => {
    expect(() => parseBenchOutput("mode=embedded tasks=2000\n")).toThrow('no "throughput: ... tasks/s (best N)" line');
  });
});

describe("compareTable", () => {
  const withBest = (text: string, from: string, to: string): string => text.replace(from, to);

  test("median and range per revision, then head/base of the medians", () => {
    const base = [REDIS, withBest(REDIS, "(best 15762)", "(best 16000)"), withBest(REDIS, "(best 15762)", "(best 14000)")].map(parseBenchOutput);
    const head = [withBest(REDIS, "redis 33.4 us", "redis 30.1 us"), withBest(REDIS, "p50 2.545 ms", "p50 2.000 ms")].map(parseBenchOutput);
    const lines = compareTable({ name: "base a", runs: base }, { name: "head b", runs: head }).split("\n");
    const row = (name: string): string[] => (lines.find((l) => l.startsWith(name)) ?? "").split(/\s{2,}/);
    expect(row("figure")).toEqual(["figure", "base a: median (range)", "head b: median (range)", "head/base"]);
    expect(row("best tasks/s")).toEqual(["best tasks/s", "15,762 (14,000-16,000)", "15,762 (15,762-15,762)", "1.000 (+0.0%)"]);
    expect(row("cpu us/task redis")).toEqual(["cpu us/task redis", "33.4 (33.4-33.4)", "31.8 (30.1-33.4)", "0.951 (-4.9%)"]);
    expect(row("one at a time p50 ms")).toEqual(["one at a time p50 ms", "2.545 (2.545-2.545)", "2.273 (2.000-2.545)", "0.893 (-10.7%)"]);
    expect(row("redis commands/task")[3]).toBe("1.000 (+0.0%)");
    expect(row("one at a time cpu us/task api")).toEqual(["one at a time cpu us/task api", "750.0 (750.0-750.0)", "750.0 (750.0-750.0)", "1.000 (+0.0%)"]);
    expect(lines.filter((l) => l.startsWith("one at a time cpu us/task")).length).toBe(4);
    expect(lines.filter((l) => l.trimStart().startsWith("round ")).length).toBe(2);
  });

  test("bench-embedded: a best row per throughput line, no CPU or command rows", () => {
    const runs = [parseBenchOutput(EMBEDDED)];
    const names = compareTable({ name: "base", runs }, { name: "head", runs })
      .split("\n")
      .map((l) => l.split(/\s{2,}/)[0]?.trim());
    expect(names.filter((n) => n?.startsWith("best"))).toEqual(["best tasks/s (GET /result/{id}?wait)", "best tasks/s (POST /wait)"]);
    expect(names.some((n) => n?.startsWith("cpu") || n?.startsWith("redis commands") || n?.startsWith("one at a time cpu"))).toBe(false);
  });
});

describe("missingImports", () => {
  test("names the files a copied harness imports that the checkout lacks, following copied files only", () => {
    const root = tempDir("compare-test");
    mkdirSync(join(root, "scripts", "lib"), { recursive: true });
    mkdirSync(join(root, "src", "app"), { recursive: true });
    writeFileSync(join(root, "scripts", "bench-redis.ts"), 'import { flag } from "../src/app/config.ts";\nimport { cpuMicros } from "./lib/cpu.ts";\n');
    writeFileSync(join(root, "scripts", "lib", "cpu.ts"), 'import { x } from "../../src/lib/gone.ts";\n');
    writeFileSync(join(root, "src", "app", "config.ts"), 'import { y } from "./not-followed.ts";\n');
    expect(missingImports(root, "scripts/bench-redis.ts", ["scripts/bench-redis.ts", "scripts/lib/cpu.ts"])).toEqual(["scripts/lib/cpu.ts imports src/lib/gone.ts"]);
  });
});

describe("run order", () => {
  test("in turn: the items as given in even turns, reversed in odd ones, the input left as it was", () => {
    const items = ["a", "b", "c"] as const;
    expect(inTurn(items, 0)).toEqual(["a", "b", "c"]);
    expect(inTurn(items, 1)).toEqual(["c", "b", "a"]);
    expect(inTurn(items, 4)).toEqual(["a", "b", "c"]);
    expect(items).toEqual(["a", "b", "c"]);
  });

  test("pairs, each revision first in every other pair, as many runs of each as asked", () => {
    expect(runOrder(1)).toEqual(["base", "head"]);
    expect(runOrder(4)).toEqual(["base", "head", "head", "base", "base", "head", "head", "base"]);
    const order = runOrder(5);
    expect(order.filter((s) => s === "base")).toHaveLength(5);
    expect(order.filter((s) => s === "head")).toHaveLength(5);
    const firsts = order.filter((_, i) => i % 2 === 0);
    expect([firsts.filter((s) => s === "base").length, firsts.filter((s) => s === "head").length]).toEqual([3, 2]);
  });
});
