/**
 * Where an executor pool keeps its private files (the bundled entry, the ticket tables), and why it
 * matters to sandboxes: a root server starts them as another uid, which must pass through every
 * folder above those files. A TMPDIR inside a private folder (as a benchmark's temp dir is) must not
 * stop sandboxes from starting.
 */
import { afterEach, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutorPool } from "../../src/adapters/executors/index.ts";
import { executorTempBase, firstUnsearchable } from "../../src/adapters/executors/private-dirs.ts";
import { sandboxHosts } from "../../src/adapters/executors/sandbox-host.ts";
import type { Outcome } from "../../src/domain/outcome.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

const made: string[] = [];
const savedTmp = process.env.TMPDIR;
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A folder only its owner may enter (0700), with a folder inside it. */
function privateFolder(): { outer: string; inner: string } {
  const outer = mkdtempSync(join(tmpdir(), "private-dirs-test-"));
  made.push(outer);
  const inner = join(outer, "tmp");
  mkdirSync(inner, { mode: 0o777 });
  chmodSync(inner, 0o777);
  chmodSync(outer, 0o700);
  return { outer, inner };
}

test("the first folder other users cannot pass through is named; none when every one lets them", () => {
  const { outer, inner } = privateFolder();
  mkdirSync(join(inner, "bunfaas-entry-1-x"));
  const file = join(inner, "bunfaas-entry-1-x", "executor.js");
  expect(firstUnsearchable(file)).toBe(outer);
  chmodSync(outer, 0o711);
  expect(firstUnsearchable(file)).toBeUndefined();
});

test("private files go to /dev/shm where it can be written, whatever TMPDIR says", () => {
  const { inner } = privateFolder();
  process.env.TMPDIR = inner;
  const shm = (() => {
    try {
      return firstUnsearchable("/dev/shm/x") === undefined && Bun.spawnSync(["test", "-w", "/dev/shm"]).exitCode === 0;
    } catch {
      return false;
    }
  })();
  expect(executorTempBase()).toBe(shm ? "/dev/shm" : inner);
});

test("a sandbox pool runs jobs with TMPDIR inside a folder only its owner may enter", async () => {
  const { inner } = privateFolder();
  process.env.TMPDIR = inner;
  const outcomes: Outcome[] = [];
  const pool = new ExecutorPool({ executors: 1, isolation: "sandbox", memoryLimitBytes: 256 * 1024 * 1024, logger: { log: () => {} } });
  try {
    pool.onOutcomes((os) => outcomes.push(...os));
    pool.run([{ taskId: "t1", tenant: "a", attempt: 1, functionId: "f", code: "(a, b) => a + b", args: "[2,3]", timeoutMs: 20_000 }]);
    const o = await waitFor(() => outcomes.find((x) => x.taskId === "t1"), "the job's outcome", 30_000, 10);
    expect(o).toMatchObject({ kind: "returned", value: "5" });
  } finally {
    await pool.close();
  }
});

test.if(process.getuid?.() === 0)("a root server whose private folders the sandbox's uid cannot reach says so at start, and leaves nothing behind", async () => {
  const { outer, inner } = privateFolder();
  const hosts = sandboxHosts({ logger: { log: () => {} }, memoryLimitBytes: undefined, privateBase: inner });
  await expect((hosts.prepare as () => Promise<void>)()).rejects.toThrow(`the sandbox's uid 65534 cannot reach ${inner}/bunfaas-entry-`);
  await expect((hosts.prepare as () => Promise<void>)()).rejects.toThrow(`other users cannot pass through ${outer} (mode without o+x); set TMPDIR`);
  await hosts.close();
  expect(readdirSync(inner)).toEqual([]);
});
