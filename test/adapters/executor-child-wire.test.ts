/**
 * What crosses Bun's IPC channel between the pool and a child process executor (process-entry.ts, the
 * entry of process and sandbox executors): JSON text both ways, as with threads (protocol.ts), and
 * still so after user code replaced the global JSON functions in the child.
 */
import { afterEach, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecutorSpec } from "../../src/adapters/executors/protocol.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

const ENTRY = join(import.meta.dir, "..", "..", "src", "adapters", "executors", "process-entry.ts");
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A child executor with `slots` tickets, and every message it sent, raw as Bun's IPC handed it over. */
function startChild(slots: number) {
  const tickets = join(tmpdir(), `wire-test-${process.pid}-${Math.random().toString(36).slice(2)}.tickets`);
  writeFileSync(tickets, new Uint8Array(slots * 4), { mode: 0o600 });
  const table = new Int32Array(Bun.mmap(tickets, { shared: true }).buffer, 0, slots);
  const spec: ExecutorSpec = { slots, concurrency: slots, beatMs: 60_000, maxResultBytes: 1 << 20 };
  const raw: unknown[] = [];
  const child = Bun.spawn([process.execPath, ENTRY, tickets, JSON.stringify(spec), "{}"], { env: {}, stdio: ["ignore", "inherit", "inherit"], ipc: (m) => raw.push(m) });
  cleanups.push(() => {
    child.kill("SIGKILL");
    rmSync(tickets, { force: true });
  });
  return { child, table, raw };
}

test("a child executor's messages are JSON text both ways, even after user code replaced JSON.stringify and JSON.parse", async () => {
  const { child, table, raw } = startChild(4);
  await waitFor(() => raw.length > 0, "the ready message", 20_000, 10);
  expect(typeof raw[0]).toBe("string");
  expect(JSON.parse(raw[0] as string)).toMatchObject({ t: "ready" });

  const patch = "() => { JSON.stringify = () => '\"forged\"'; JSON.parse = () => ({ t: 'forged' }); return 'patched' }";
  table[0] = 1;
  child.send(JSON.stringify({ t: "run", jobs: [{ slot: 0, seq: 1, fid: "patch", code: patch, args: "[]" }] }));
  const done = (seq: number) => raw.map((m) => (typeof m === "string" ? JSON.parse(m) : m)).flatMap((m) => (m.t === "done" ? m.results : [])).find((r: { seq: number }) => r.seq === seq);
  const first = await waitFor(() => done(1), "the patching job's result", 20_000, 10);
  expect(first).toMatchObject({ slot: 0, seq: 1, k: "ok" });

  // the executor still reads this run and writes its result with the JSON functions it took at start
  // (the job itself reads its arguments with the patched JSON.parse: a patch changes its tenant's own jobs)
  table[1] = 2;
  child.send(JSON.stringify({ t: "run", jobs: [{ slot: 1, seq: 2, fid: "add", code: "(a, b) => a + b", args: "[2,3]" }] }));
  const second = await waitFor(() => done(2), "the second job's result", 20_000, 10);
  expect(second).toMatchObject({ slot: 1, seq: 2, k: "threw", e: { name: "TypeError" } });
  expect(raw.every((m) => typeof m === "string")).toBe(true);
});
