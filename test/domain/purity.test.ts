import { describe, expect, test } from "bun:test";
import { findLibEscapes, findViolations } from "../../scripts/domain-purity.ts";

describe("domain purity rule", () => {
  test("flags Bun, node:*, adapters, app, and time or randomness of its own", () => {
    const bad = [
      'import { serve } from "bun";',
      'import { readFile } from "node:fs/promises";',
      'import { X } from "../adapters/redis/index.ts";',
      'import { Y } from "../../app/config.ts";',
      "const t = Date.now();",
      "const r = Math.random();",
      "Bun.sleep(1);",
      "const d = new Date();",
      "const t = performance.now();",
      "setTimeout(fn, 10);",
      "const h = setInterval(fn, 10);",
      "const id = crypto.randomUUID();",
    ];
    expect(bad.map((line) => [line, findViolations("x.ts", line).length])).toEqual(bad.map((line) => [line, 1]));
  });

  test("passes pure code and comments", () => {
    const ok = ['import type { Task } from "./task.ts";', "// Date.now() is not called here", " * Math.random() in a doc comment", "const now = clock.now();"].join("\n");
    expect(findViolations("x.ts", ok)).toEqual([]);
  });

  test("the real src/domain passes", async () => {
    const { Glob } = await import("bun");
    const root = new URL("../../src/domain/", import.meta.url).pathname;
    const found = [];
    for await (const f of new Glob("**/*.ts").scan(root)) found.push(...findViolations(f, await Bun.file(root + f).text()));
    expect(found).toEqual([]);
  });

  test("src/lib may import within src/lib only", () => {
    expect(findLibEscapes("src/lib/zmtp/socket.ts", 'import { FifoQueue } from "../fifo-queue.ts";')).toEqual([]);
    expect(findLibEscapes("src/lib/zmtp/socket.ts", 'import { Job } from "../../domain/ports.ts";')).toHaveLength(1);
    expect(findLibEscapes("src/lib/queue.ts", 'import { x } from "../app/config.ts";')).toHaveLength(1);
    expect(findLibEscapes("src/lib/queue.ts", 'import { y } from "./other.ts";')).toEqual([]);
  });
});
