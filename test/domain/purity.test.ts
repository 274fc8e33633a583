import { describe, expect, test } from "bun:test";
import { findViolations } from "../../scripts/domain-purity.ts";

describe("domain purity rule", () => {
  test("flags Bun, node:*, adapters, app, Date.now and Math.random", () => {
    const bad = [
      'import { serve } from "bun";',
      'import { readFile } from "node:fs/promises";',
      'import { X } from "../adapters/redis/index.ts";',
      'import { Y } from "../../app/config.ts";',
      "const t = Date.now();",
      "const r = Math.random();",
      "Bun.sleep(1);",
    ];
    expect(bad.map((line) => findViolations("x.ts", line).length)).toEqual([1, 1, 1, 1, 1, 1, 1]);
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
});
