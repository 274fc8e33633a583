/**
 * The server commands as Unix tools: `--help` prints every flag with its variable and default and exits
 * 0 (and starts nothing); an unknown flag or a bad value exits 2 with one line naming it; every flag the
 * config readers read is declared (so --help cannot miss one).
 */
import { describe, expect, test } from "bun:test";
import { uuidGen } from "../../src/adapters/system/index.ts";
import { embeddedConfig, flagsRead } from "../../src/app/config.ts";
import { API_FLAGS, DISPATCHER_FLAGS, EMBEDDED_FLAGS, WORKER_FLAGS, checkArgv, type FlagSpec } from "../../src/app/flags.ts";
import { apiConfig, dispatcherConfig } from "../../src/app/redis-config.ts";
import { workerConfig } from "../../src/app/worker-config.ts";

const root = new URL("../../", import.meta.url).pathname;

async function runToExit(entry: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  // REDIS_URL points nowhere: a command that started anyway would hang, not exit
  const proc = Bun.spawn([process.execPath, `src/app/${entry}.ts`, ...args], { cwd: root, env: { PATH: process.env.PATH ?? "", REDIS_URL: "redis://127.0.0.1:1", ...env }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

const commands: [string, readonly FlagSpec[]][] = [
  ["start", EMBEDDED_FLAGS],
  ["api", API_FLAGS],
  ["dispatcher", DISPATCHER_FLAGS],
  ["worker", WORKER_FLAGS],
];

describe("server commands", () => {
  for (const [entry, specs] of commands) {
    test(`${entry} --help lists every flag with its variable and default, exits 0, starts nothing`, async () => {
      for (const help of ["--help", "-h"]) {
        const r = await runToExit(entry, [help]);
        expect(r.code).toBe(0);
        expect(r.err).toBe(""); // nothing started, nothing logged
        for (const s of specs) {
          expect(r.out).toContain(`--${s.name}`);
          if (s.env !== undefined) expect(r.out).toContain(`[${s.env}]`);
          if (s.default !== undefined) expect(r.out).toContain(`(default ${s.default})`);
        }
      }
    }, 15_000);

    test(`${entry}: an unknown flag exits 2 with one line naming it`, async () => {
      const r = await runToExit(entry, ["--no-such-flag", "1"]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toContain("unknown flag --no-such-flag");
    }, 15_000);
  }

  test("a bad value exits 2 with one line naming the flag; a near miss is suggested", async () => {
    const r = await runToExit("start", ["--port", "99999"]);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe('--port must be an integer from 0 to 65535, got "99999"');
    expect(() => checkArgv(["--prot", "80"], API_FLAGS, "api")).toThrow("unknown flag --prot (did you mean --port?)");
    expect(() => checkArgv(["--port"], API_FLAGS, "api")).toThrow("--port needs a value");
    expect(() => checkArgv(["stray"], API_FLAGS, "api")).toThrow('unexpected argument "stray"');
    expect(() => checkArgv(["--trust-proxy", "--port", "1"], API_FLAGS, "api")).not.toThrow();
  }, 15_000);

  test("every flag a config reader reads is declared for its command", () => {
    const check = (specs: readonly FlagSpec[], parse: () => unknown): void => {
      flagsRead.clear();
      parse();
      const declared = new Set(specs.map((s) => s.name));
      expect([...flagsRead].filter((n) => !declared.has(n))).toEqual([]);
    };
    check(EMBEDDED_FLAGS, () => embeddedConfig([], {}));
    check(API_FLAGS, () => apiConfig([], {}));
    check(DISPATCHER_FLAGS, () => dispatcherConfig([], {}, () => uuidGen.next()));
    check(WORKER_FLAGS, () => workerConfig([], {}, () => uuidGen.next()));
  });

  test("where the sandbox is the default and cannot be made, the server refuses to start, saying what is missing and how to choose", async () => {
    const noBwrap = { PATH: "/nonexistent", FAAS_API_KEYS: "alice:0123456789abcdef" };
    const byDefault = await runToExit("start", ["--port", "0"], noBwrap);
    expect(byDefault.code).toBe(1);
    expect(byDefault.err).toContain("bwrap (bubblewrap) was not found on PATH");
    expect(byDefault.err).toContain("apt-get install bubblewrap");
    expect(byDefault.err).toContain("pass --isolation process");
    const asked = await runToExit("start", ["--port", "0", "--isolation", "sandbox"], noBwrap);
    expect(asked.code).toBe(1);
    expect(asked.err).not.toContain("pass --isolation process");
    for (const entry of ["dispatcher", "worker"]) {
      const r = await runToExit(entry, entry === "dispatcher" ? ["--mode", "local"] : [], { PATH: "/nonexistent" });
      expect([entry, r.code, r.err.includes("bwrap (bubblewrap) was not found")]).toEqual([entry, 1, true]);
    }
  }, 30_000);
});
