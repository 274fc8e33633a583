/**
 * An executor in a child process (Bun.spawn with IPC), with an empty environment. Its start-time table
 * is a small file in shared memory that both processes map. Its resident memory is read from
 * /proc/<pid>/status, so the pool can cap it (Linux); the parent's memory is untouched by what the
 * child allocates.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecutorHost, HostFactory } from "./executor-host.ts";
import type { FromExecutor } from "./protocol.ts";

const ENTRY = new URL("./process-entry.ts", import.meta.url).pathname;
const SHM_DIR = (() => {
  try {
    writeFileSync("/dev/shm/.bunfaas-probe", "");
    rmSync("/dev/shm/.bunfaas-probe");
    return "/dev/shm";
  } catch {
    return tmpdir();
  }
})();
let counter = 0;

function residentBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

export const processHost: HostFactory = (slots, concurrency, events) => {
  const tablePath = join(SHM_DIR, `bunfaas-${process.pid}-${++counter}.slots`);
  writeFileSync(tablePath, new Uint8Array(slots * Float64Array.BYTES_PER_ELEMENT));
  const mapped = Bun.mmap(tablePath, { shared: true });
  let terminated = false;
  const child = Bun.spawn([process.execPath, ENTRY, tablePath, String(slots), String(concurrency)], {
    env: {},
    stdio: ["ignore", "inherit", "inherit"],
    ipc: (msg) => events.message(msg as FromExecutor),
  });
  void child.exited.then((code) => {
    rmSync(tablePath, { force: true });
    if (!terminated) events.exit(code);
  });
  return {
    startedAt: new Float64Array(mapped.buffer, mapped.byteOffset, slots),
    post: (msg) => child.send(msg),
    terminate() {
      terminated = true;
      child.kill("SIGKILL");
    },
    memoryBytes: () => residentBytes(child.pid),
  };
};
