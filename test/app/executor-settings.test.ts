import { describe, expect, test } from "bun:test";
import { parseInteger, reader } from "../../src/app/config.ts";
import { executorSettings, probeSandbox } from "../../src/app/executors.ts";

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
});
