/**
 * The runtime settings our processes start under (src/app/runtime-env.ts): the package.json scripts
 * set each one unless the operator did, the launchers of tests and benchmarks fill in what is missing,
 * and a process started without them says so.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { missingRuntimeEnv, RUNTIME_ENV, runtimeEnvOf, withRuntimeEnv } from "../../src/app/runtime-env.ts";
import { noteRuntimeEnv } from "../../src/app/lifecycle.ts";
import type { Logger } from "../../src/domain/ports.ts";

const root = join(import.meta.dir, "..", "..");

describe("runtime settings", () => {
  test("the allocator keeps freed memory by default", () => {
    expect(RUNTIME_ENV).toEqual({ MIMALLOC_PURGE_DELAY: "-1" });
  });

  test("withRuntimeEnv adds what is missing and keeps what the environment sets", () => {
    expect(withRuntimeEnv({ PATH: "/bin", GONE: undefined })).toEqual({ PATH: "/bin", MIMALLOC_PURGE_DELAY: "-1" });
    expect(withRuntimeEnv({ MIMALLOC_PURGE_DELAY: "10" })).toEqual({ MIMALLOC_PURGE_DELAY: "10" });
  });

  test("runtimeEnvOf passes on only the runtime settings an environment has", () => {
    expect(runtimeEnvOf({ MIMALLOC_PURGE_DELAY: "-1", REDIS_PASSWORD: "secret" })).toEqual({ MIMALLOC_PURGE_DELAY: "-1" });
    expect(runtimeEnvOf({ REDIS_PASSWORD: "secret" })).toEqual({});
  });

  test("every server script of package.json sets each runtime setting unless the environment does, then execs bun", () => {
    const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const prefix = Object.entries(RUNTIME_ENV)
      .map(([k, v]) => `${k}=\${${k}:-${v}}`)
      .join(" ");
    for (const entry of ["start", "api", "dispatcher", "worker"]) expect(scripts[entry]).toBe(`${prefix} exec bun src/app/${entry}.ts`);
  });

  test("a process started without a runtime setting logs which, once; with all of them nothing", () => {
    const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const logger: Logger = { log: (level, msg, fields) => void lines.push({ level, msg, ...(fields !== undefined && { fields }) }) };
    noteRuntimeEnv(logger, "bun run api", { PATH: "/bin" });
    expect(missingRuntimeEnv({ PATH: "/bin" })).toEqual(["MIMALLOC_PURGE_DELAY"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.msg).toContain("MIMALLOC_PURGE_DELAY=-1 (bun run api sets it)");
    expect(lines[0]?.fields).toEqual({ event: "runtime.env_missing", missing: ["MIMALLOC_PURGE_DELAY"] });
    noteRuntimeEnv(logger, "bun run api", { MIMALLOC_PURGE_DELAY: "100" });
    expect(lines).toHaveLength(1);
  });
});
