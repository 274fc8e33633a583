/**
 * Whether processes are gone, judged from /proc/PID/status (never `kill -0`, which an unreaped zombie
 * still answers). A process that dies as an orphan of a test is reparented to the test process when
 * it is a child subreaper, and reaped here: on a host whose init never reaps, an orphan would stay a
 * zombie for good. Children this process spawned itself are left to Bun, which reaps them.
 */
import { dlopen, FFIType } from "bun:ffi";
import { existsSync, readFileSync } from "node:fs";

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;

const libc = dlopen("libc.so.6", {
  prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  waitpid: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
});

/** Makes this process adopt orphans of its descendants (so that it can reap them). */
export function becomeSubreaper(on = true): void {
  if (libc.symbols.prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0) !== 0) throw new Error("prctl(PR_SET_CHILD_SUBREAPER) failed");
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/**
 * A check that every one of `pids` is gone (/proc/PID/status absent). Call it while they live: it
 * notes which are this process's own children (Bun reaps those); the others, adopted as orphans,
 * are reaped by the check once dead.
 *
 * @example
 * const gone = goneCheck(pool.pids()); pool.stop(taskId); await waitFor(gone, "the tree gone");
 */
export function goneCheck(pids: readonly number[]): () => boolean {
  const own = new Set(pids.filter((p) => parentOf(p) === process.pid));
  return () =>
    pids.every((p) => {
      if (!own.has(p)) libc.symbols.waitpid(p, null, WNOHANG); // reaps only a dead child: a live one stays
      return !existsSync(`/proc/${p}/status`);
    });
}
