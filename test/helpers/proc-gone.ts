/**
 * Whether a process is gone, judged from /proc/PID/status (never `kill -0`, which an unreaped zombie
 * still answers). A process that died as an orphan of a test is reparented to the test process when
 * it is a child subreaper, which then reaps it here: on a host whose init never reaps, an orphan would
 * otherwise stay a zombie for good.
 */
import { dlopen, FFIType } from "bun:ffi";
import { existsSync } from "node:fs";

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

/** True once /proc/PID/status is absent (reaping `pid` first if it is a dead child of this process). */
export function processGone(pid: number): boolean {
  libc.symbols.waitpid(pid, null, WNOHANG); // only reaps a dead child; a live one stays
  return !existsSync(`/proc/${pid}/status`);
}
