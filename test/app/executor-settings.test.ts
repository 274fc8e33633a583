import { describe, expect, test } from "bun:test";
import { parseInteger, reader } from "../../src/app/config.ts";
import { checkIsolation, executorSettings, probeSandbox } from "../../src/app/executors.ts";
import { embeddedConfig } from "../../src/app/config.ts";
import { dispatcherConfig } from "../../src/app/redis-config.ts";
import { workerConfig } from "../../src/app/worker-config.ts";
import { MemoryLog } from "../helpers/roots.ts";

const settings = (...argv: string[]) => executorSettings(reader(argv, {}), parseInteger);

describe("executor settings", () => {
  test("defaults: threads, 512 MB, no sandbox network, 16 MiB results, 30 s idle", () => {
    expect(settings()).toMatchObject({ isolation: "thread", maxMemoryMb: 512, sandboxNetwork: false, maxResultBytes: 16 * 1024 * 1024, executorIdleMs: 30_000 });
  });

  test("reads every flag, and the environment", () => {
    expect(settings("--isolation", "sandbox", "--sandbox-network", "on", "--max-result-bytes", "2mb", "--executor-idle", "5s", "--workers", "3")).toEqual({
      workers: 3,
      isolation: "sandbox",
      maxMemoryMb: 512,
      sandboxNetwork: true,
      maxResultBytes: 2 * 1024 * 1024,
      executorIdleMs: 5000,
      isolationExplicit: true,
    });
    expect(executorSettings(reader([], { ISOLATION: "process", MAX_RESULT_BYTES: "4096" }), parseInteger)).toMatchObject({ isolation: "process", maxResultBytes: 4096 });
  });

  test("bad values say what was expected and what came", () => {
    expect(() => settings("--isolation", "vm")).toThrow('--isolation must be one of thread, process, sandbox, got "vm"');
    expect(() => settings("--isolation", "sandbox", "--sandbox-network", "maybe")).toThrow('--sandbox-network must be on or off, got "maybe"');
    expect(() => settings("--sandbox-network", "on")).toThrow("--sandbox-network on applies to --isolation sandbox only, got --isolation thread");
    expect(() => settings("--max-result-bytes", "lots")).toThrow('--max-result-bytes must be a size like 1mb or 512kb, got "lots"');
    expect(() => settings("--max-result-bytes", "10")).toThrow("--max-result-bytes must be from 1kb to 1024mb, got 10 bytes");
    expect(() => settings("--executor-idle", "soon")).toThrow('--executor-idle must be a duration like 500ms, 30s, 15m or 24h, got "soon"');
    expect(() => settings("--executor-idle", "5ms")).toThrow("--executor-idle must be at least 100ms, got 5 ms");
  });

  test("probeSandbox answers ok here, or says what is missing", () => {
    const p = probeSandbox();
    if (!p.ok) expect(p.reason.length).toBeGreaterThan(20);
    else expect(p).toEqual({ ok: true });
  });

  test("secure by default: sandboxes with API keys, on a non-loopback address, in local dispatchers and workers; threads for one user on loopback", () => {
    const id = () => "x";
    expect(embeddedConfig([], {})).toMatchObject({ isolation: "thread", isolationExplicit: false });
    expect(embeddedConfig([], { FAAS_API_KEYS: "alice:0123456789abcdef" })).toMatchObject({ isolation: "sandbox", isolationExplicit: false });
    expect(embeddedConfig(["--host", "0.0.0.0", "--insecure-no-auth"], {})).toMatchObject({ isolation: "sandbox" });
    expect(embeddedConfig(["--isolation", "thread"], { FAAS_API_KEYS: "alice:0123456789abcdef" })).toMatchObject({ isolation: "thread", isolationExplicit: true });
    expect(dispatcherConfig([], {}, id)).toMatchObject({ isolation: "sandbox", isolationExplicit: false });
    expect(workerConfig([], {}, id)).toMatchObject({ isolation: "sandbox", isolationExplicit: false });
  });

  test("thread or process isolation with secrets is said at start; sandbox needs a working sandbox", () => {
    const log = new MemoryLog();
    checkIsolation(settings("--isolation", "process"), { secrets: true, why: "API keys are set" }, log);
    expect(log.count("isolation.unsafe")).toBe(1);
    checkIsolation(settings("--isolation", "thread"), { secrets: false, why: "" }, log);
    expect(log.count("isolation.unsafe")).toBe(1);
    if (probeSandbox().ok) expect(() => checkIsolation(settings("--isolation", "sandbox"), { secrets: true, why: "x" }, log)).not.toThrow();
  });
});
